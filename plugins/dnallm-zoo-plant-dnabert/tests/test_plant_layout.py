"""`match_checkpoint` and `make_test_checkpoint`: each original layout, and only those, is claimed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import dnallm_zoo_plant_dnabert as plugin
from dnallm_zoo_plant_dnabert.specs import all_specs

from dnallm_zoo import get_spec, load
from dnallm_zoo.tokenize import write_vocab_txt


def _match(path: Path) -> str | None:
    return plugin.family.match_checkpoint(path=path, config=json.loads((path / "config.json").read_text()))


def test_every_model_writes_and_claims_its_layout(tmp_path: Path) -> None:
    for i, spec in enumerate(all_specs()):
        path = tmp_path / f"ckpt{i}"  # a name that tells nothing: the files must
        assert plugin.family.make_test_checkpoint(spec=spec, path=path) is True
        assert _match(path) == spec.id
        names = {p.name for p in path.iterdir()}
        assert {"config.json", "model.safetensors"} <= names
        assert ("tokenizer.json" if spec.tokenizer.kind == "bpe" else "vocab.txt") in names


def test_foreign_spec_is_not_ours(tmp_path: Path) -> None:
    other = get_spec("plant-dnabert-6mer").model_copy(update={"id": "x-6mer", "family": "x"})
    assert plugin.family.make_test_checkpoint(spec=other, path=tmp_path / "x") is None
    assert not (tmp_path / "x").exists()


def test_load_picks_this_plugin(tiny: Callable[[str], Path]) -> None:
    assert load(tiny("plant-dnabert-singlebase")).spec.id == "plant-dnabert-singlebase"


def test_dnabert_v1_layout_is_not_claimed(tiny: Callable[[str], Path], tmp_path: Path) -> None:
    path = tmp_path / "dnabert6"
    shutil.copytree(tiny("plant-dnabert-6mer"), path)
    v1 = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [line for line in
          (path / "vocab.txt").read_text().splitlines()[4:4100]]
    write_vocab_txt({t: i for i, t in enumerate(v1)}, path / "vocab.txt")
    cfg = json.loads((path / "config.json").read_text())
    cfg["vocab_size"] = len(v1)
    (path / "config.json").write_text(json.dumps(cfg))
    assert _match(path) is None


def test_dnabert2_layout_is_not_claimed(tiny: Callable[[str], Path], tmp_path: Path) -> None:
    """DNABERT-2's tokenizer.json has its specials FIRST."""
    path = tmp_path / "dnabert2"
    shutil.copytree(tiny("plant-dnabert-bpe"), path)
    data = json.loads((path / "tokenizer.json").read_text())
    specials = [t["content"] for t in data["added_tokens"]]
    pieces = [t for t in sorted(data["model"]["vocab"], key=data["model"]["vocab"].get)
              if t not in specials]
    vocab = {t: i for i, t in enumerate(specials + pieces)}
    data["model"]["vocab"] = vocab
    for t in data["added_tokens"]:
        t["id"] = vocab[t["content"]]
    (path / "tokenizer.json").write_text(json.dumps(data))
    assert _match(path) is None
    assert _match(tiny("plant-dnabert-bpe")) == "plant-dnabert-bpe"


def test_other_model_types_are_not_claimed(tiny: Callable[[str], Path]) -> None:
    path = tiny("plant-dnabert-6mer")
    cfg = json.loads((path / "config.json").read_text())
    assert plugin.family.match_checkpoint(path=path, config={**cfg, "model_type": "esm"}) is None


def test_classifier_task_from_a_hub_snapshot_name(tiny: Callable[[str], Path], tmp_path: Path) -> None:
    """Generic LABEL_0/LABEL_1: the hub cache directory names the task."""
    snap = tmp_path / "models--zhangtaolab--plant-dnabert-6mer-H3K4me3" / "snapshots" / "abc"
    shutil.copytree(tiny("plant-dnabert-6mer-promoter"), snap)
    cfg = json.loads((snap / "config.json").read_text())
    cfg["id2label"] = {"0": "LABEL_0", "1": "LABEL_1"}
    cfg["label2id"] = {"LABEL_0": 0, "LABEL_1": 1}
    (snap / "config.json").write_text(json.dumps(cfg))
    assert _match(snap) == "plant-dnabert-6mer-h3k4me3"
    neutral = tmp_path / "somewhere"
    shutil.copytree(snap, neutral)
    # no published task named: the base model; the core reads the head from config.json (LABEL_0, LABEL_1)
    assert _match(neutral) == "plant-dnabert-6mer"


def test_classifier_without_architectures(tiny: Callable[[str], Path], tmp_path: Path) -> None:
    """No `architectures`: the weights' header says whether there is a classifier."""
    for model_id in ("plant-dnabert-singlebase-lncrnas", "plant-dnabert-singlebase"):
        path = tmp_path / model_id.replace("plant-dnabert", "x")
        shutil.copytree(tiny(model_id), path)
        cfg = json.loads((path / "config.json").read_text())
        del cfg["architectures"]
        (path / "config.json").write_text(json.dumps(cfg))
        assert _match(path) == model_id
