"""The 30 specs, their names, license filtering, cheap import, and DNALLM-style loading."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from dnallm_zoo_plant_dnabert.specs import TASKS, all_specs

from dnallm_zoo import get_spec, list_models

TABLE = {  # FAMILIES.md's table: task -> (problem type, labels)
    "promoter": ("single-label", ("Not promoter", "Core promoter")),
    "conservation": ("single-label", ("Not conserved", "Conserved")),
    "lncrnas": ("single-label", ("Not lncRNA", "lncRNA")),
    "h3k27ac": ("single-label", ("Not H3K27ac", "H3K27ac")),
    "h3k4me3": ("single-label", ("Not H3K4me3", "H3K4me3")),
    "h3k27me3": ("single-label", ("Not H3K27me3", "H3K27me3")),
    "open_chromatin": ("single-label", ("Not open", "Full open", "Partial open")),
    "promoter_strength_leaf": ("regression", ("promoter strength in tobacco leaves",)),
    "promoter_strength_protoplast": ("regression", ("promoter strength in maize protoplasts",)),
}


def test_thirty_models_registered() -> None:
    ids = {s.id for s in list_models("plant-dnabert*")}
    want = {f"plant-dnabert-{f}" for f in ("bpe", "6mer", "singlebase")}
    want |= {f"{b}-{t}" for b in set(want) for t in TABLE}
    assert ids == want and len(ids) == 30
    assert {s.id for s in all_specs()} == want


@pytest.mark.parametrize(("flavour", "hub"), [("bpe", "BPE"), ("6mer", "6mer"),
                                              ("singlebase", "singlebase")])
def test_names_and_tasks(flavour: str, hub: str) -> None:
    base = get_spec(f"zhangtaolab/plant-dnabert-{hub}")
    assert base.id == f"plant-dnabert-{flavour}" and base.task == "masked-lm"
    assert get_spec(f"Plant DNABERT {hub}").id == base.id
    for task in TASKS:
        spec = get_spec(f"zhangtaolab/plant-dnabert-{hub}-{task.hub}")
        assert spec.id == f"plant-dnabert-{flavour}-{task.key}"
        assert get_spec(f"Plant DNABERT {hub} {task.hub.replace('_', ' ')}") == spec  # DNALLM
        assert (spec.problem_type, spec.labels) == TABLE[task.key]
        assert spec.task == "sequence-classification"
        assert spec.weights.repo_id == f"zhangtaolab/plant-dnabert-{hub}-{task.hub}"
    assert get_spec("Plant DNABERT").id == "plant-dnabert-bpe"  # DNALLM's pre-trained entry


def test_capabilities_and_provenance() -> None:
    bases = {s.id: s for s in list_models("plant-dnabert-*")}
    assert bases["plant-dnabert-singlebase"].capabilities.max_bases == 511
    assert bases["plant-dnabert-6mer"].capabilities.max_bases == 3000
    assert bases["plant-dnabert-bpe"].tokenizer.kind == "bpe"
    assert bases["plant-dnabert-6mer"].tokenizer.kind == "greedy-kmer"
    assert bases["plant-dnabert-6mer"].tokenizer.k == 6
    assert bases["plant-dnabert-singlebase"].tokenizer.kind == "char"
    for spec in bases.values():
        assert spec.license == "CC-BY-NC-SA-4.0"
        assert "10.1016/j.molp.2024.12.006" in spec.citation
        assert spec.tokenizer.max_tokens == spec.architecture.max_tokens == 512
        assert spec.architecture.hidden_size == 768 and spec.architecture.num_layers == 12


def test_license_filter_excludes_non_commercial() -> None:
    nc = {s.id for s in list_models("plant-dnabert*", license="CC-BY-NC*")}
    assert len(nc) == 30
    assert not {s.id for s in list_models("plant-dnabert*", license="Apache-2.0")}
    assert not {s.id for s in list_models(license="MIT")} & nc


def test_listing_imports_neither_torch_nor_transformers() -> None:
    code = (
        "import sys, dnallm_zoo_plant_dnabert, dnallm_zoo\n"
        "assert len(dnallm_zoo.list_models('plant-dnabert*')) == 30\n"
        "print(sorted(m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "DNALLM_ZOO_PLUGINS": "plant_dnabert"})
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------- DNALLM's loader
def _hub_cache(tmp_path: Path, repo: str, source: Path) -> Path:
    """A Hugging Face cache holding `repo` at refs/main, as a download would leave it."""
    cache = tmp_path / "hub"
    repo_dir = cache / f"models--{repo.replace('/', '--')}"
    rev = "0" * 40
    snap = repo_dir / "snapshots" / rev
    snap.parent.mkdir(parents=True)
    shutil.copytree(source, snap)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(rev)
    return cache


def test_dnallm_names_and_task_types(tiny: Callable[[str], Path], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants
    import torch

    from dnallm_zoo.compat import load_model_and_tokenizer

    path = tiny("plant-dnabert-6mer-promoter")
    cache = _hub_cache(tmp_path, "zhangtaolab/plant-dnabert-6mer-promoter", path)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, tok = load_model_and_tokenizer(
        "Plant DNABERT 6mer promoter", task_config={"task_type": "binary"}, source="huggingface",
    )
    batch = tok(["ATCGGATTACAGNNACGT", "ACGTAC"], padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
    from transformers import BertForSequenceClassification

    ref = BertForSequenceClassification.from_pretrained(str(path)).eval()
    with torch.no_grad():
        want = ref(**batch).logits
    torch.testing.assert_close(logits, want, atol=1e-5, rtol=0)
    assert json.loads((path / "config.json").read_text())["id2label"]["1"] == "Core promoter"
    np.testing.assert_allclose(model.encoder.predict(["ACGTAC"]), torch.softmax(want[1:], -1).numpy(),
                               atol=1e-5, rtol=0)


def test_dnallm_pretrained_name_with_mask_head(tiny: Callable[[str], Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants
    import torch

    from dnallm_zoo.compat import load_model_and_tokenizer

    path = tiny("plant-dnabert-bpe")
    cache = _hub_cache(tmp_path, "zhangtaolab/plant-dnabert-BPE", path)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, tok = load_model_and_tokenizer(model_name_or_path="Plant DNABERT",
                                          task_config={"task_type": "mask"})
    assert model.encoder.spec.id == "plant-dnabert-bpe"
    batch = tok("ACGTNACGTAAC", return_tensors="pt")
    with torch.no_grad():
        out = model(**batch, output_hidden_states=True)
    assert out.logits.shape == (1, batch["input_ids"].shape[1], len(tok))
    assert out.hidden_states is not None and len(out.hidden_states) == 3
