"""Specs, hooks and layout recognition of the DNABERT plugin (no network, cheap imports)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dnallm_zoo_dnabert import family
from dnallm_zoo_dnabert.checkpoint import original_config, write_checkpoint
from dnallm_zoo_dnabert.layout import vocab_tokens
from dnallm_zoo_dnabert.specs import DEMO_DIR, SPECS, dnabert_spec


def test_specs(zoo: Any) -> None:
    ids = [s.id for s in zoo.list_models("dnabert*", family="dnabert")]
    assert ids == ["dnabert-3", "dnabert-4", "dnabert-5", "dnabert-6", "dnabert-demo"]
    for k in (3, 4, 5, 6):
        spec = zoo.get_spec(f"zhihan1996/DNA_bert_{k}")
        assert spec.id == f"dnabert-{k}" and spec.plugin == "dnabert"
        assert spec.license == "Apache-2.0" and spec.task == "masked-lm"
        assert spec.citation.startswith("@article{ji2021dnabert")
        assert spec.weights.repo_id == f"zhihan1996/DNA_bert_{k}"
        rev = spec.weights.revision
        assert rev is None or (len(rev) == 40 and int(rev, 16) >= 0)
        t, c, a = spec.tokenizer, spec.capabilities, spec.architecture
        assert (t.kind, t.k, t.stride, t.max_tokens) == ("kmer", k, 1, 512)
        assert (c.max_bases, c.chunk_overlap) == (509 + k, k - 1)
        assert (a.hidden_size, a.num_layers, a.vocab_size) == (768, 12, 4**k + 5)
    demo = zoo.get_spec("dnabert-demo")
    assert demo.license == "MIT" and "demo, not for biology" in demo.description
    assert demo.weights.path == DEMO_DIR and demo.tokenizer.k == 6


def test_listing_imports_neither_torch_nor_transformers() -> None:
    code = (
        "import sys, dnallm_zoo_dnabert, dnallm_zoo\n"
        "ids = [s.id for s in dnallm_zoo.list_models('dnabert*', family='dnabert')]\n"
        "assert ids == ['dnabert-3', 'dnabert-4', 'dnabert-5', 'dnabert-6', 'dnabert-demo'], ids\n"
        "dnallm_zoo.get_spec('dnabert-demo')\n"
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_make_test_checkpoint(tmp_path: Path) -> None:
    other = dnabert_spec(6).model_copy(update={"id": "someone-else", "family": "other"})
    assert family.make_test_checkpoint(spec=other, path=tmp_path / "x") is None
    assert not (tmp_path / "x").exists()
    assert family.make_test_checkpoint(spec=dnabert_spec(4), path=tmp_path / "d4") is True
    config = json.loads((tmp_path / "d4" / "config.json").read_text())
    assert config["model_type"] == "bert" and config["vocab_size"] == 261 and config["split"] == 10
    vocab = (tmp_path / "d4" / "vocab.txt").read_text().splitlines()
    assert vocab[:7] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "AAAA", "AAAT"]
    assert vocab[-1] == "GGGG" and len(vocab) == 261
    assert (tmp_path / "d4" / "model.safetensors").is_file()
    assert family.match_checkpoint(path=tmp_path / "d4", config=config) == "dnabert-4"


def _dir(root: Path, name: str, config: dict[str, Any], vocab: list[str] | None) -> tuple[Path, dict]:
    d = root / name
    d.mkdir()
    (d / "config.json").write_text(json.dumps(config))
    if vocab is not None:
        (d / "vocab.txt").write_text("".join(t + "\n" for t in vocab))
    return d, config


def test_match_checkpoint(tmp_path: Path) -> None:
    ok = [
        _dir(tmp_path, f"plain{k}", original_config(k, hub_extras=False), vocab_tokens(k)) for k in (3, 5)
    ] + [_dir(tmp_path, "hub6", original_config(6), vocab_tokens(6)),
         _dir(tmp_path, "no_type", {"hidden_size": 8}, vocab_tokens(4))]
    assert [family.match_checkpoint(path=p, config=c) for p, c in ok] == [
        "dnabert-3", "dnabert-5", "dnabert-6", "dnabert-4"]

    dnabert2 = {**original_config(6), "alibi_starting_size": 512, "vocab_size": 4096,
                "auto_map": {"AutoConfig": "configuration_bert.BertConfig",
                             "AutoModel": "bert_layers.BertModel"}}
    esm_6mer = ["<unk>", "<pad>", "<mask>", "<cls>", *vocab_tokens(6)[5:], "A", "T", "C", "G", "N",
                "<eos>", "<bos>"]
    plant_bpe = [*(f"T{i}" for i in range(20)), "[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]"]
    lacking = vocab_tokens(5)[:-1]
    mixed = [*vocab_tokens(3), "ACGT"]
    not_ours = [
        _dir(tmp_path, "dnabert2", dnabert2, None),  # tokenizer.json only
        _dir(tmp_path, "dnabert2_vocab", dnabert2, vocab_tokens(6)),
        _dir(tmp_path, "other_remote", {**original_config(6), "auto_map": {"AutoModel": "x.Y"}},
             vocab_tokens(6)),
        _dir(tmp_path, "plant_6mer", original_config(6, hub_extras=False), esm_6mer),
        _dir(tmp_path, "plant_bpe", original_config(6, hub_extras=False), plant_bpe),
        _dir(tmp_path, "prokbert", {**original_config(6), "model_type": "megatron-bert"},
             vocab_tokens(6)),
        _dir(tmp_path, "lacking", original_config(5), lacking),
        _dir(tmp_path, "mixed", original_config(3), mixed),
        _dir(tmp_path, "k2", original_config(2), vocab_tokens(2)),
        _dir(tmp_path, "n_kmers", original_config(3), [*vocab_tokens(3)[:-1], "ANN"]),
    ]
    assert [family.match_checkpoint(path=p, config=c) for p, c in not_ours] == [None] * len(not_ours)


def test_demo_files_ship_with_the_package() -> None:
    names = ("config.json", "vocab.txt", "model.safetensors", "README.md")
    assert all((Path(DEMO_DIR) / f).is_file() for f in names)


def test_demo_spec_matches_its_files() -> None:
    config = json.loads((Path(DEMO_DIR) / "config.json").read_text())
    demo = next(s for s in SPECS if s.id == "dnabert-demo")
    a = demo.architecture
    assert (a.hidden_size, a.num_layers, a.num_heads, a.intermediate_size, a.vocab_size, a.max_tokens) == (
        config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"],
        config["intermediate_size"], config["vocab_size"], config["max_position_embeddings"])
    assert family.match_checkpoint(path=Path(DEMO_DIR), config=config) == "dnabert-demo"


def test_demo_loads_and_embeds_deterministically(zoo: Any) -> None:
    import numpy as np

    seqs = ["ATGGCGTCTTCAGTTCTTTCCTCAGCAGCAGTTGCCACCCGCAGC" * 4, "GATTACANNACGT", "acgtacgtacgtacgt"]
    enc = zoo.load("dnabert-demo", device="cpu")
    assert enc.spec.id == "dnabert-demo" and enc.hidden_size == 128
    first = enc.embed(seqs)
    assert first.shape == (3, 128) and np.isfinite(first).all()
    np.testing.assert_array_equal(first, enc.embed(seqs))
    np.testing.assert_array_equal(first, zoo.load("dnabert-demo", device="cpu").embed(seqs))
    assert not np.allclose(first[0], first[1])


def test_writer_round_trip(tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    """write_checkpoint is deterministic in its seed (tests and benchmarks rely on it)."""
    a = write_checkpoint(tmp_path / "a", 3, seed=3)
    assert (a / "model.safetensors").read_bytes() == (tiny_dir(3) / "model.safetensors").read_bytes()


@pytest.mark.parametrize("where", ["dnabert-demo", "tiny-dir"])
def test_dnallm_snippet(where: str, tiny_dir: Callable[..., Path]) -> None:
    """`model(**tokenizer(seq, return_tensors="pt")).last_hidden_state` as DNALLM users write it."""
    from dnallm_zoo.compat import load_model_and_tokenizer

    name = where if where == "dnabert-demo" else str(tiny_dir(5))
    model, tokenizer = load_model_and_tokenizer(model_name_or_path=name)
    model.eval()
    seq = "ACGTAGCATCGGATCTATCTATCGACACTTGG"
    out = model(**tokenizer(seq, return_tensors="pt"))
    k = model.encoder.spec.tokenizer.k
    assert out.last_hidden_state.shape == (1, len(seq) - k + 1 + 2, model.encoder.hidden_size)
    pooled = out.last_hidden_state.mean(1)[0].detach().numpy()
    assert abs(pooled - model.encoder.embed([seq])[0]).max() < 1e-5


def test_dnallm_snippet_past_the_learned_positions_is_the_zoos_error(tiny_dir: Callable[..., Path]) -> None:
    """The tokenizer gives every id (as transformers' does); the model refuses them by name, no IndexError."""
    import random

    from dnallm_zoo import SequenceTooLongError
    from dnallm_zoo.compat import load_model_and_tokenizer

    model, tokenizer = load_model_and_tokenizer(model_name_or_path=str(tiny_dir(6)))
    seq = "".join(random.Random(0).choice("ACGT") for _ in range(3000))
    batch = tokenizer(seq, return_tensors="pt")
    assert batch["input_ids"].shape[-1] == 3000 - 6 + 1 + 2  # every id, nothing truncated
    with pytest.raises(SequenceTooLongError, match=r"2997 tokens .* at most 512 tokens.*long='chunk'"):
        model(**batch)
    cut = tokenizer(seq, return_tensors="pt", truncation=True)
    assert model(**cut).last_hidden_state.shape[1] == 512
