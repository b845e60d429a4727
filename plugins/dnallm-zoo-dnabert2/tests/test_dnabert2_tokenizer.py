"""DNABERT-2's BPE tokenizer against `tokenizers` and `PreTrainedTokenizerFast` on the same tokenizer.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from dnallm_zoo_dnabert2.encoder import DNABERT2Encoder
from dnallm_zoo_dnabert2.specs import SPEC

SEQS = [
    "ACGTAGCATCGGATCTATCTATCGACACTTGGTTATCGATCTACGAGCATCTCGTTAGC",
    "A",
    "TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT",
    "GATTACANNNNNGATTACA",
    "CN",
]


def tokenizer(path: Path, **policy: Any) -> Any:
    """The tokenizer DNABERT2Encoder builds from a checkpoint directory under a normalisation policy."""
    config = json.loads((path / "config.json").read_text())
    norm = SPEC.tokenizer.normalization.model_copy(update=policy)
    return DNABERT2Encoder.build_tokenizer(path, SPEC, config, norm)


def backend(path: Path) -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path / "tokenizer.json"))


def test_special_ids_come_from_the_file(tiny_dir: Callable[..., Path]) -> None:
    tok = tokenizer(tiny_dir())
    assert (tok.unk_token_id, tok.cls_token_id, tok.sep_token_id, tok.pad_token_id, tok.mask_token_id) == (
        0, 1, 2, 3, 4)
    assert [tok.vocab[b] for b in "ACGT"] == [5, 6, 7, 8]
    assert tok.prefix_ids.tolist() == [1] and tok.suffix_ids.tolist() == [2]
    assert tok.max_length == 512 and tok.vocab_size == 345


@pytest.mark.parametrize("seq", SEQS)
def test_ids_equal_tokenizers_library(tiny_dir: Callable[..., Path], seq: str) -> None:
    """Same ids as `tokenizers` on the original file: [CLS] ... [SEP] template, merges, N as [UNK]."""
    path = tiny_dir()
    assert tokenizer(path).encode(seq).tolist() == backend(path).encode(seq).ids


def test_n_is_one_unk_that_breaks_merges(tiny_dir: Callable[..., Path]) -> None:
    tok = tokenizer(tiny_dir())
    v = tok.vocab
    assert tok.encode("ACGT").tolist() == [1, v["ACGT"], 2]
    assert tok.encode("ACNGT").tolist() == [1, v["AC"], 0, v["GT"], 2]
    assert tok.encode("ACNNGT").tolist() == [1, v["AC"], 0, 0, v["GT"], 2]  # fuse_unk is off
    assert tok.encode("ACRGT").tolist() == tok.encode("ACNGT").tolist()  # IUPAC read as N by default
    assert tok.encode("ACUGT").tolist() == tok.encode("ACTGT").tolist()  # RNA: U is T
    with pytest.raises(Exception, match="IUPAC"):
        tokenizer(tiny_dir(), iupac="error").encode("ACRGT")


def test_lower_case_upper_cased_by_default_unk_without(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    """Default policy: 'acgt' is 'ACGT'. With uppercase off, the original behaviour: all [UNK]."""
    path = tiny_dir()
    assert tokenizer(path).encode("acgtNacg").tolist() == tokenizer(path).encode("ACGTNACG").tolist()
    raw = tokenizer(path, uppercase=False)
    assert raw.encode("acgt").tolist() == [1, 0, 0, 0, 0, 2] == backend(path).encode("acgt").ids
    assert raw.encode("ACgT").tolist() == backend(path).encode("ACgT").ids
    enc = zoo.load(path, normalization={"uppercase": False})
    assert enc.tokenizer.encode("acgt").tolist() == [1, 0, 0, 0, 0, 2]
    assert zoo.load(path).tokenizer.encode("acgt").tolist() == backend(path).encode("ACGT").ids


def test_batch_equals_pretrained_tokenizer_fast(tiny_dir: Callable[..., Path]) -> None:
    """Padded batch tensors equal transformers' PreTrainedTokenizerFast on the same file (pad id 3)."""
    from transformers import PreTrainedTokenizerFast

    path = tiny_dir()
    hf = PreTrainedTokenizerFast(
        tokenizer_file=str(path / "tokenizer.json"), unk_token="[UNK]", cls_token="[CLS]",
        sep_token="[SEP]", pad_token="[PAD]", mask_token="[MASK]",
    )
    want = hf(SEQS, padding=True, return_tensors="pt")
    got = tokenizer(path)(SEQS, padding=True, return_tensors="pt")
    assert hf.pad_token_id == 3
    assert torch.equal(got["input_ids"], want["input_ids"])
    assert torch.equal(got["attention_mask"], want["attention_mask"])
    assert int(got["input_ids"][got["attention_mask"] == 0].unique().item()) == 3
    single = tokenizer(path)(SEQS[0])
    assert single["input_ids"] == hf(SEQS[0])["input_ids"]


def test_padding_only_when_asked_as_pretrained_tokenizer_fast(tiny_dir: Callable[..., Path]) -> None:
    """A bare call on sequences of different lengths leaves them unpadded, as transformers' default."""
    from transformers import PreTrainedTokenizerFast

    path = tiny_dir()
    hf = PreTrainedTokenizerFast(
        tokenizer_file=str(path / "tokenizer.json"), unk_token="[UNK]", cls_token="[CLS]",
        sep_token="[SEP]", pad_token="[PAD]", mask_token="[MASK]",
    )
    tok = tokenizer(path)
    assert len({len(r) for r in hf(SEQS)["input_ids"]}) > 1  # the batch really is ragged
    for asked in ({}, {"padding": False}, {"padding": True}, {"padding": "max_length", "max_length": 64}):
        want = {key: v for key, v in hf(SEQS, **asked).items() if key != "token_type_ids"}
        assert tok(SEQS, **asked) == want, asked
    with pytest.raises(ValueError):
        hf(SEQS, padding=True, return_tensors="pt")
    with pytest.raises(ValueError, match="padding=True"):
        tok(SEQS, padding=True, return_tensors="pt")


def test_too_long_gives_every_id_unless_truncated(tiny_dir: Callable[..., Path]) -> None:
    """More than 512 tokens: every id (the model takes any length); cut to 512 only when asked."""
    tok = tokenizer(tiny_dir())
    seq = "ACGT" * 600  # 600 body tokens
    assert tok(seq, return_tensors="pt")["input_ids"].shape == (1, 602)
    assert tok(seq, return_tensors="pt", max_length=1024)["input_ids"].shape == (1, 602)
    cut = tok(seq, return_tensors="pt", truncation=True)["input_ids"]
    assert cut.shape == (1, 512) and cut[0, -1].item() == 2


def _random_dna(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("ACGTN"), n, p=[0.245] * 4 + [0.02]))


def test_long_input_equals_pretrained_tokenizer_fast(tiny_dir: Callable[..., Path],
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """Below, at and 3x above 512 tokens: bare, truncated and padded calls give transformers' ids."""
    from transformers import PreTrainedTokenizerFast

    path = tiny_dir()
    hf = PreTrainedTokenizerFast(
        tokenizer_file=str(path / "tokenizer.json"), unk_token="[UNK]", cls_token="[CLS]",
        sep_token="[SEP]", pad_token="[PAD]", mask_token="[MASK]", model_max_length=512,
    )
    tok = tokenizer(path)
    rng = np.random.default_rng(0)
    genome = _random_dna(rng, 20_000)
    n = next(n for n in range(1000, 6000) if len(hf(genome[:n])["input_ids"]) == 512)  # exactly at
    seqs = [genome[: n // 2], genome[:n], genome[: 3 * n], genome[n : 2 * n + 40]]
    lengths = [len(hf(s)["input_ids"]) for s in seqs]
    assert lengths[0] < 512 == lengths[1] < 3 * 500 < lengths[2] and lengths[3] > 512
    for s in seqs:
        assert tok(s)["input_ids"] == hf(s)["input_ids"] == tok.encode(s).tolist()
        assert tok(s, truncation=True)["input_ids"] == hf(s, truncation=True)["input_ids"]
        for m in (10, 512, 900):
            want = hf(s, truncation=True, max_length=m)["input_ids"]
            assert tok(s, truncation=True, max_length=m)["input_ids"] == want
            assert tok(s, max_length=m)["input_ids"] == hf(s, max_length=m)["input_ids"] == want
    assert tok(seqs, padding=False)["input_ids"] == hf(seqs)["input_ids"]
    for tensors in ("pt", "np"):
        for kw in ({"truncation": True}, {}):
            got = tok(seqs, padding=True, return_tensors=tensors, **kw)
            want = hf(seqs, padding=True, return_tensors=tensors, **kw)
            for key in ("input_ids", "attention_mask"):
                assert got[key].tolist() == want[key].tolist(), (tensors, kw, key)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("dnallm_zoo")]
    theirs = [r.getMessage() for r in caplog.records if r.name.startswith("transformers")]
    assert len(ours) == 1 and f"({lengths[2]} > 512)" in ours[0] and ours == theirs
    tokenizer(path)(seqs[3])
    assert sum(r.name.startswith("dnallm_zoo") for r in caplog.records) == 2  # once per tokenizer


def test_save_pretrained_copies_the_file(tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    path = tiny_dir()
    tokenizer(path).save_pretrained(tmp_path)
    (tmp_path / "config.json").write_text((path / "config.json").read_text())
    assert (tmp_path / "tokenizer.json").read_bytes() == (path / "tokenizer.json").read_bytes()
    cfg = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert cfg["tokenizer_class"] == "PreTrainedTokenizerFast" and cfg["pad_token"] == "[PAD]"
    ids = np.asarray(tokenizer(tmp_path).encode(SEQS[0]))
    assert ids.tolist() == backend(path).encode(SEQS[0]).ids
