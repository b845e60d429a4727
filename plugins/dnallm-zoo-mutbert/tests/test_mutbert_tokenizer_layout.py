"""MutBERT's tokens (tokenizer.json read by transformers, not the disagreeing vocab.txt) and its layout."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dnallm_zoo.tokenize.offsets import token_spans

_RNG = random.Random(0)
SEQS = [
    "ACGT", "ACGTNACGTNACGTN", "AAAACCCCGGGGTTTTACGTNACGTNNNNACGTTGCAACGTACGT",
    "".join(_RNG.choice("ACGT") for _ in range(510)), "".join(_RNG.choice("ACGTN") for _ in range(1200)),
]


def test_ids_equal_transformers_fast_tokenizer_on_the_original_files(
    zoo: Any, tiny_dir: Callable[..., Path]
) -> None:
    from transformers import AutoTokenizer

    path = tiny_dir()
    hf = AutoTokenizer.from_pretrained(str(path))
    assert len(hf) == 9  # tokenizer_config.json says PreTrainedTokenizerFast: read from tokenizer.json
    enc = zoo.load(path, device="cpu")
    exact = zoo.load(path, device="cpu", normalization={"uppercase": False})
    for s in [*SEQS, "acgtACGT"]:
        want = hf(s)["input_ids"]  # every id, as transformers gives them without truncation
        if s.isupper():
            assert enc.tokenizer.encode(s).tolist() == want
        assert exact.tokenizer.encode(s).tolist() == want  # lower case: [UNK] (0), as the original
    assert hf("ACGTN")["input_ids"] == [1, 5, 6, 7, 8, 0, 2]
    assert enc.tokenizer.pad_token_id == 3 == hf.pad_token_id
    batch = enc.tokenizer(SEQS[:3], padding=True, return_tensors="pt")
    want_batch = hf(SEQS[:3], padding=True, return_tensors="pt")
    assert batch["input_ids"].tolist() == want_batch["input_ids"].tolist()
    assert batch["attention_mask"].tolist() == want_batch["attention_mask"].tolist()


def test_vocab_txt_disagrees_and_is_never_read(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    from transformers import BertTokenizer

    path = tiny_dir()
    from_txt = BertTokenizer(str(path / "vocab.txt"), do_lower_case=False)
    assert from_txt("A C G T")["input_ids"] == [2, 5, 7, 8, 6, 3]  # what vocab.txt would have given
    enc = zoo.load(path, device="cpu")
    assert enc.tokenizer.encode("ACGT").tolist() == [1, 5, 6, 7, 8, 2]
    for name in ("config.json", "pytorch_model.bin", "tokenizer.json", "tokenizer_config.json"):
        (tmp_path / name).write_bytes((path / name).read_bytes())
    (tmp_path / "vocab.txt").write_text("nonsense\n")
    assert zoo.load(tmp_path, device="cpu").tokenizer.encode("ACGT").tolist() == [1, 5, 6, 7, 8, 2]


def test_offsets_are_one_base_a_token(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    enc = zoo.load(tiny_dir(), device="cpu")
    spans = token_spans(enc.tokenizer, "ACGNT")
    assert [tuple(s) for s in spans] == [(0, 0), (0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 0)]


def test_long_input_is_chunked_in_510_bases(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    enc = zoo.load(tiny_dir(), device="cpu")
    assert enc.max_length == 512 and enc.max_bases == 510
    assert enc.embed([SEQS[-1]]).shape == (1, 32)
    segments = list(enc.embed_segments([("long", SEQS[-1])]))
    assert [(s.start, s.end) for s in segments] == [(0, 510), (510, 1020), (1020, 1200)]


def test_the_family_claims_its_directories_and_stock_bert_does_not(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    from dnallm_zoo_mutbert.checkpoint import EXECUTED_MARKER, original_config, write_checkpoint
    from dnallm_zoo_mutbert.layout import match

    path = tiny_dir()
    config = json.loads((path / "config.json").read_text())
    assert match(path, config) == "mutbert"
    assert match(path, config | {"_name_or_path": "JadenLong/MutBERT-Multi"}) == "mutbert-multi"
    bare = {k: v for k, v in config.items() if k != "auto_map"}
    assert match(path, bare) == "mutbert"  # rope_theta + pooler_type: a zoo-saved copy
    assert match(path, {"model_type": "bert", "vocab_size": 9, "hidden_size": 32}) is None
    assert match(path, config | {"model_type": "modernbert"}) is None
    from dnallm_zoo_dnabert import family as dnabert

    assert dnabert.match(path, config) is None  # stock BERT never claims the rotary network
    enc = zoo.load(path, device="cpu")
    assert enc.spec.id == "mutbert" and type(enc).__name__ == "MutBERTEncoder"
    assert not (path / EXECUTED_MARKER).exists()
    multi = original_config(_name_or_path="JadenLong/MutBERT-Multi")
    other = write_checkpoint(tmp_path / "multi", config=multi)
    assert zoo.load(other, device="cpu").spec.id == "mutbert-multi"


def test_a_config_the_network_cannot_be_is_a_checkpoint_error(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    from dnallm_zoo_mutbert.checkpoint import original_config, write_checkpoint

    from dnallm_zoo import CheckpointError

    path = write_checkpoint(tmp_path / "a", config=original_config())
    for bad, what in (({"pooler_type": "max"}, "pooler_type"), ({"num_attention_heads": 5}, "multiple"),
                      ({"hidden_size": 48}, "wrong shape")):
        (path / "config.json").write_text(json.dumps(original_config(**bad)))
        with pytest.raises(CheckpointError, match=what):
            zoo.load(path, device="cpu")
