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
    got = tokenizer(path)(SEQS, return_tensors="pt")
    assert hf.pad_token_id == 3
    assert torch.equal(got["input_ids"], want["input_ids"])
    assert torch.equal(got["attention_mask"], want["attention_mask"])
    assert int(got["input_ids"][got["attention_mask"] == 0].unique().item()) == 3
    single = tokenizer(path)(SEQS[0])
    assert single["input_ids"] == hf(SEQS[0])["input_ids"]


def test_too_long_is_refused_unless_asked(tiny_dir: Callable[..., Path], zoo: Any) -> None:
    """More than 512 tokens: an error by default; `max_length=` admits more (ALiBi has no table)."""
    tok = tokenizer(tiny_dir())
    seq = "ACGT" * 600  # 600 body tokens
    with pytest.raises(zoo.SequenceTooLongError, match="at most 512"):
        tok(seq, return_tensors="pt")
    assert tok(seq, return_tensors="pt", max_length=1024)["input_ids"].shape == (1, 602)
    cut = tok(seq, return_tensors="pt", truncation=True)["input_ids"]
    assert cut.shape == (1, 512) and cut[0, -1].item() == 2


def test_save_pretrained_copies_the_file(tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    path = tiny_dir()
    tokenizer(path).save_pretrained(tmp_path)
    (tmp_path / "config.json").write_text((path / "config.json").read_text())
    assert (tmp_path / "tokenizer.json").read_bytes() == (path / "tokenizer.json").read_bytes()
    cfg = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert cfg["tokenizer_class"] == "PreTrainedTokenizerFast" and cfg["pad_token"] == "[PAD]"
    ids = np.asarray(tokenizer(tmp_path).encode(SEQS[0]))
    assert ids.tolist() == backend(path).encode(SEQS[0]).ids
