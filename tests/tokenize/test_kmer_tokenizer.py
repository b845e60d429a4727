"""KmerTokenizer: called like a Hugging Face tokenizer, saved in the original layout."""

from __future__ import annotations

import itertools
import json
import random
from enum import Enum
from pathlib import Path

import numpy as np
import pytest
import torch

from dnallm_zoo import NormalizationPolicy
from dnallm_zoo.errors import InvalidSequenceError
from dnallm_zoo.tokenize import BatchEncoding, KmerTokenizer, read_vocab_txt

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, UNK, CLS, SEP, MASK = range(5)


def vocab(k: int = 3) -> dict[str, int]:
    tokens = SPECIALS + ["".join(p) for p in itertools.product("ATCG", repeat=k)]
    return {t: i for i, t in enumerate(tokens)}


V3 = vocab(3)


def tok(max_length: int = 16, **kw: object) -> KmerTokenizer:
    return KmerTokenizer(V3, k=3, max_length=max_length, **kw)  # type: ignore[arg-type]


def ids_of(seq: str, k: int = 3, stride: int = 1) -> list[int]:
    return [CLS, *(V3.get(seq[i : i + k], UNK) for i in range(0, len(seq) - k + 1, stride)), SEP]


def test_single_sequence() -> None:
    t = tok()
    out = t("ACGTA")
    assert isinstance(out, BatchEncoding)
    assert out == {"input_ids": ids_of("ACGTA"), "attention_mask": [1] * 5}
    assert out.input_ids == out["input_ids"]
    assert t.convert_ids_to_tokens(out["input_ids"]) == ["[CLS]", "ACG", "CGT", "GTA", "[SEP]"]
    with pytest.raises(AttributeError):
        _ = out.token_type_ids


def test_specials_and_sizes() -> None:
    t = tok()
    assert (t.pad_token_id, t.unk_token_id, t.cls_token_id, t.sep_token_id, t.mask_token_id) == (
        PAD, UNK, CLS, SEP, MASK)
    assert t.vocab_size == len(t) == 5 + 64
    assert t.num_special_tokens == 2


def test_normalised_input() -> None:
    t = tok()
    assert t("acgua")["input_ids"] == t("ACGTA")["input_ids"]
    assert t("ACNTA")["input_ids"] == [CLS, UNK, UNK, UNK, SEP]
    assert t("ACRTA")["input_ids"] == [CLS, UNK, UNK, UNK, SEP]  # IUPAC codes read as N
    with pytest.raises(InvalidSequenceError):
        tok(normalization=NormalizationPolicy(iupac="error"))("ACRTA")
    with pytest.raises(InvalidSequenceError, match="position 3"):
        t("AC GT")


def test_batch_padding() -> None:
    t = tok()
    assert t(["ACGTAC", "ACG", "ACGTA"])["input_ids"] == [ids_of("ACGTAC"), ids_of("ACG"), ids_of("ACGTA")]
    out = t(["ACGTAC", "ACG", "ACGTA"], padding=True)
    assert out["input_ids"] == [
        ids_of("ACGTAC"),
        ids_of("ACG") + [PAD] * 3,
        [*ids_of("ACGTA"), PAD],
    ]
    assert out["attention_mask"] == [[1] * 6, [1] * 3 + [0] * 3, [1] * 5 + [0]]


def test_return_tensors() -> None:
    t = tok()
    pt = t(["ACGTAC", "ACG"], padding=True, return_tensors="pt")
    assert pt["input_ids"].dtype == torch.int64 and pt["input_ids"].shape == (2, 6)
    assert pt["attention_mask"].tolist() == [[1] * 6, [1] * 3 + [0] * 3]
    assert pt.to("cpu")["input_ids"].device.type == "cpu"
    np_out = t(["ACGTAC", "ACG"], padding="longest", return_tensors="np")
    assert isinstance(np_out["input_ids"], np.ndarray) and np_out["input_ids"].dtype == np.int64
    assert np_out["input_ids"].tolist() == pt["input_ids"].tolist()
    single = t("ACGTA", return_tensors="pt")
    assert single["input_ids"].shape == (1, 5)  # a batch of one, as transformers does
    with pytest.raises(ValueError, match="return_tensors='tf'"):
        t("ACGTA", return_tensors="tf")


def test_token_type_ids_and_no_mask() -> None:
    out = tok()(["ACGT", "AC"], return_token_type_ids=True, return_attention_mask=False,
                padding=True, return_tensors="np")
    assert set(out) == {"input_ids", "token_type_ids"}
    assert out["token_type_ids"].tolist() == [[0] * 4, [0] * 4]


def test_no_padding() -> None:
    t = tok()
    for no in ({}, {"padding": False}, {"padding": None}):  # not asking is not padding, as in transformers
        out = t(["ACGTAC", "ACG"], **no)
        assert out["input_ids"] == [ids_of("ACGTAC"), ids_of("ACG")]
        assert out["attention_mask"] == [[1] * 6, [1] * 3]
        with pytest.raises(ValueError, match="padding=True"):
            t(["ACGTAC", "ACG"], return_tensors="pt", **no)
    same = t(["ACGT", "TTTT"], padding="do_not_pad", return_tensors="pt")
    assert same["input_ids"].shape == (2, 4)


def test_padding_max_length() -> None:
    out = tok(max_length=8)(["ACGT"], padding="max_length", return_tensors="np")
    assert out["input_ids"].tolist() == [ids_of("ACGT") + [PAD] * 4]
    out = tok(max_length=8)(["ACGT"], padding="max_length", max_length=5, return_tensors="np")
    assert out["input_ids"].shape == (1, 5)


def test_too_long_gives_every_id_and_truncates_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    """transformers' rules: all ids (warned once), cut to max_length only on request, specials kept."""
    t = tok(max_length=6)  # 4 k-mers: 6 bases fit, 7 do not
    assert len(t("ACGTAC")["input_ids"]) == 6
    assert not caplog.records
    out = t(["ACGTAC", "ACGTACG"], padding=True)
    assert out["input_ids"] == [[*ids_of("ACGTAC"), PAD], ids_of("ACGTACG")]
    assert out["attention_mask"] == [[1] * 6 + [0], [1] * 7]
    assert [r.getMessage() for r in caplog.records] == [
        "Token indices sequence length is longer than the specified maximum sequence length for this "
        "model (7 > 6). Running this sequence through the model will result in indexing errors"]
    assert t("ACGTACGTACGTAC")["input_ids"] == ids_of("ACGTACGTACGTAC")
    assert len(caplog.records) == 1  # once per tokenizer
    tok(max_length=6)("ACGTACG")
    assert len(caplog.records) == 2  # a new tokenizer warns again
    out = t(["ACGTACGTAC", "AC"], truncation=True, padding=True)
    assert out["input_ids"][0] == [*ids_of("ACGTACGTAC")[:5], SEP]
    assert out["input_ids"][1] == [CLS, SEP, PAD, PAD, PAD, PAD]
    assert t("ACGTACGTAC", truncation=True, max_length=4)["input_ids"] == [CLS, *ids_of("ACGTAC")[1:3], SEP]
    raw = t("ACGTACGTAC", truncation=True, add_special_tokens=False)["input_ids"]
    assert raw == ids_of("ACGTACGTAC")[1:7]
    # max_length alone truncates (no padding asked), as transformers does; with padding it does not
    assert t("ACGTACGTAC", max_length=4)["input_ids"] == [CLS, *ids_of("ACGTAC")[1:3], SEP]
    assert t(["ACGTACGTAC"], max_length=4, padding=True)["input_ids"] == [ids_of("ACGTACGTAC")]
    assert t("ACGTACGTAC", max_length=4, truncation=False)["input_ids"] == ids_of("ACGTACGTAC")
    assert t("ACGTACGTAC", truncation="longest_first")["input_ids"] == [*ids_of("ACGTACGTAC")[:5], SEP]
    assert t("ACGTACGTAC", truncation="do_not_truncate")["input_ids"] == ids_of("ACGTACGTAC")
    assert len(caplog.records) == 2  # an explicit max_length or truncation is no cause to warn


def test_padding_max_length_leaves_longer_sequences_whole() -> None:
    """Padded to max_length, a longer sequence not truncated stays whole (lists); tensors refuse it."""
    t = tok(max_length=6)
    out = t(["ACGTACGTA", "AC"], padding="max_length")
    assert out["input_ids"] == [ids_of("ACGTACGTA"), [CLS, SEP, PAD, PAD, PAD, PAD]]
    assert out["attention_mask"] == [[1] * 9, [1, 1, 0, 0, 0, 0]]
    with pytest.raises(ValueError, match="sequence 0 has 9 tokens, more than the max_length=6"):
        t(["ACGTACGTA", "AC"], padding="max_length", return_tensors="np")
    cut = t(["ACGTACGTA", "AC"], padding="max_length", truncation=True, return_tensors="np")
    assert cut["input_ids"].tolist() == [[*ids_of("ACGTACGTA")[:5], SEP], [CLS, SEP, PAD, PAD, PAD, PAD]]


def test_strategy_enums_are_read_as_their_values() -> None:
    """transformers passes PaddingStrategy / TruncationStrategy members (str enums) as well as strings."""

    class Strategy(str, Enum):
        MAX_LENGTH = "max_length"
        LONGEST_FIRST = "longest_first"

    t = tok(max_length=6)
    out = t(["ACGTACGTA", "AC"], padding=Strategy.MAX_LENGTH, truncation=Strategy.LONGEST_FIRST)
    assert out == t(["ACGTACGTA", "AC"], padding="max_length", truncation=True)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="padding='longest_first'"):
        tok()("ACGT", padding="longest_first")
    with pytest.raises(ValueError, match="truncation='only_second'"):
        tok()("ACGT", truncation="only_second")


def test_lca_stride() -> None:
    t = KmerTokenizer(V3, k=3, stride=2, max_length=32)
    seq = "ACGTTGCAACG"
    assert t(seq)["input_ids"] == ids_of(seq, stride=2)
    assert t.count_tokens(len(seq)) == len(ids_of(seq, stride=2))


@pytest.mark.parametrize(("k", "stride"), [(3, 1), (6, 1), (6, 2), (5, 3), (1, 1)])
def test_count_tokens_and_max_bases(k: int, stride: int) -> None:
    t = KmerTokenizer(vocab(k), k=k, stride=stride, max_length=10_000)
    rng = random.Random(k * 10 + stride)
    for n in range(1, 60):
        seq = "".join(rng.choice("ACGT") for _ in range(n))
        assert t.count_tokens(n) == len(t.encode(seq))
    for max_tokens in (3, 10, 512):
        n = t.max_bases(max_tokens)
        assert t.count_tokens(n) == max_tokens
        assert t.count_tokens(n + stride) > max_tokens
        assert (n - k) % stride == 0  # every base of such a chunk is inside some k-mer


def test_missing_special_refused() -> None:
    v = {t: i for t, i in V3.items() if t != "[MASK]"}
    with pytest.raises(ValueError, match=r"'\[MASK\]' is not in the vocabulary"):
        KmerTokenizer(v, k=3, max_length=8)
    assert KmerTokenizer(v, k=3, max_length=8, mask_token=None).mask_token_id is None


def test_shuffled_vocab_is_honoured(tmp_path: Path) -> None:
    rng = random.Random(7)
    tokens = list(V3)
    rng.shuffle(tokens)
    shuffled = {t: i for i, t in enumerate(tokens)}
    t = KmerTokenizer(shuffled, k=3, max_length=64)
    seq = "ACGTNACGTTTGCA"
    want = [shuffled["[CLS]"], *(shuffled.get(seq[i : i + 3], shuffled["[UNK]"]) for i in range(12)),
            shuffled["[SEP]"]]
    assert t(seq)["input_ids"] == want


def test_save_pretrained_round_trip(tmp_path: Path) -> None:
    rng = random.Random(3)
    tokens = list(V3)
    rng.shuffle(tokens)
    shuffled = {t: i for i, t in enumerate(tokens)}
    t = KmerTokenizer(shuffled, k=3, max_length=20)
    t.save_pretrained(tmp_path / "tok")
    lines = (tmp_path / "tok" / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert lines == tokens  # the line number is the id
    assert read_vocab_txt(tmp_path / "tok" / "vocab.txt") == shuffled
    cfg = json.loads((tmp_path / "tok" / "tokenizer_config.json").read_text())
    assert cfg["tokenizer_class"] == "BertTokenizer"
    assert cfg["model_max_length"] == 20 and cfg["do_lower_case"] is False
    assert (cfg["pad_token"], cfg["unk_token"], cfg["cls_token"], cfg["sep_token"], cfg["mask_token"]) == (
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
    again = KmerTokenizer.from_file(tmp_path / "tok", k=3, max_length=20)
    assert again.vocab == t.vocab
    seqs = ["".join(rng.choice("ACGTN") for _ in range(rng.randint(3, 18))) for _ in range(50)]
    assert again(seqs)["input_ids"] == t(seqs)["input_ids"]
    from_file = KmerTokenizer.from_file(tmp_path / "tok" / "vocab.txt", k=3, max_length=20)
    assert from_file.vocab == t.vocab
