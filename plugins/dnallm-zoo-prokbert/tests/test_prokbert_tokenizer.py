"""LCA token ids against the worked examples and a naive rendering of the original rule."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from dnallm_zoo_prokbert import ORIGINAL_NORMALIZATION
from dnallm_zoo_prokbert.encoder import ProkBertEncoder
from dnallm_zoo_prokbert.layout import vocab_tokens
from dnallm_zoo_prokbert.specs import SPECS
from dnallm_zoo_prokbert.tokenizer import LCATokenizer

from dnallm_zoo import CheckpointError, ModelSpec, NormalizationPolicy
from dnallm_zoo.errors import InvalidSequenceError

SPEC = {s.id: s for s in SPECS}
IDS = sorted(SPEC)

# FAMILIES.md's worked examples (outputs of the real models' tokenizers)
WORKED = [
    ("ATGTCCGCGGGACCT", "prokbert-mini", [2, 954, 3803, 2910, 3435, 1439, 1647, 2477, 1702, 2698, 2588, 3]),
    ("ATGTCCGCGGGACCT", "prokbert-mini-long", [2, 954, 2910, 1439, 2477, 2698, 3]),
    ("ATGTCCGCGGGACCT", "prokbert-mini-c", [2, 5, 8, 7, 8, 6, 6, 7, 6, 7, 7, 7, 5, 6, 6, 8, 3]),
    ("ATGTNCGCGGGACCT", "prokbert-mini", [2, 1, 1, 1, 1, 1, 1647, 2477, 1702, 2698, 2588, 3]),
    # from the prokbert repository's own tokenizer tests (tests/test_prokbert_tokenizer.py)
    ("AATCAAGGAATTATTATCGTT", "prokbert-mini",
     [2, 213, 839, 3343, 1069, 165, 648, 2580, 2113, 248, 980, 3905, 3320, 978, 3899, 3296, 884, 3]),
    ("AATCAAGGAATTATTATCGTT", "prokbert-mini-long", [2, 213, 3343, 165, 2580, 248, 3905, 978, 3296, 3]),
]


def make_tokenizer(
    spec: ModelSpec, path: Path, normalization: NormalizationPolicy | None = None
) -> LCATokenizer:
    """The tokenizer the encoder builds from a checkpoint directory."""
    config = json.loads((path / "config.json").read_text())
    tok = ProkBertEncoder.build_tokenizer(
        path, spec, config, normalization or spec.tokenizer.normalization
    )
    assert isinstance(tok, LCATokenizer)
    return tok


@pytest.fixture(scope="module")
def vocab_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Directories with only config.json and vocab.txt (all a tokenizer needs)."""
    from dnallm_zoo_prokbert.checkpoint import _info, original_config

    out = {}
    for model_id in IDS:
        p = tmp_path_factory.mktemp(model_id)
        info = _info(model_id)
        (p / "config.json").write_text(json.dumps(original_config(info)))
        (p / "vocab.txt").write_text("\n".join(vocab_tokens(info.k)) + "\n")
        out[model_id] = p
    return out


def naive_lca(seq: str, vocab: dict[str, int], k: int, shift: int) -> list[int]:
    """The original rule: a list comprehension of windows and a dict lookup, [UNK] when absent."""
    body = [vocab.get(seq[i : i + k], vocab["[UNK]"]) for i in range(0, len(seq) - k + 1, shift)]
    return [vocab["[CLS]"], *body, vocab["[SEP]"]]


@pytest.mark.parametrize(("seq", "model_id", "want"), WORKED)
def test_worked_examples(vocab_dirs: dict[str, Path], seq: str, model_id: str, want: list[int]) -> None:
    tok = make_tokenizer(SPEC[model_id], vocab_dirs[model_id])
    assert tok.encode(seq).tolist() == want
    assert tok(seq)["input_ids"] == want
    assert tok(seq)["attention_mask"] == [1] * len(want)  # [UNK] windows stay attended
    # the original does not upper-case; the exact-original policy gives the same ids on upper case
    original = make_tokenizer(SPEC[model_id], vocab_dirs[model_id], ORIGINAL_NORMALIZATION)
    assert original.encode(seq).tolist() == want


def _random_sequences(rng: random.Random, n: int, alphabet: str) -> list[str]:
    """Lengths 1..40 (short, window-less and trailing cases) and a few long ones, letters from `alphabet`."""
    seqs = []
    for i in range(n):
        length = rng.randint(1, 40) if i % 50 else rng.randint(200, 3000)
        seqs.append("".join(rng.choices(alphabet, k=length)))
    return seqs


@pytest.mark.parametrize("model_id", IDS)
def test_ids_equal_naive_rule_on_random_sequences(vocab_dirs: dict[str, Path], model_id: str) -> None:
    """Thousands of random sequences with N inside: the exact-original policy equals the naive rule."""
    spec = SPEC[model_id]
    k, shift = spec.tokenizer.k, spec.tokenizer.stride
    assert k is not None
    vocab = {t: i for i, t in enumerate(vocab_tokens(k))}
    rng = random.Random(k * 10 + shift)
    # weights: mostly A/C/G/T, some N, lower case and U, which the original reads as [UNK] letters
    seqs = _random_sequences(rng, 3000, "ACGT" * 12 + "N" * 2 + "acgtnU")
    original = make_tokenizer(spec, vocab_dirs[model_id], ORIGINAL_NORMALIZATION)
    default = make_tokenizer(spec, vocab_dirs[model_id])
    n_unk = n_short = 0
    for seq in seqs:
        want = naive_lca(seq, vocab, k, shift)
        assert original.encode(seq).tolist() == want, seq
        # the zoo's default policy: upper-case and U -> T first, then the same rule
        assert default.encode(seq).tolist() == naive_lca(seq.upper().replace("U", "T"), vocab, k, shift)
        n_unk += vocab["[UNK]"] in want
        n_short += len(want) == 2
        assert original.count_tokens(len(seq)) == len(want)
    assert n_unk > 300  # the cases the test is about did occur
    if k > 1:
        assert n_short > 10  # sequences shorter than one window: [CLS] [SEP]


@pytest.mark.parametrize("model_id", IDS)
def test_trailing_bases_and_window_count(vocab_dirs: dict[str, Path], model_id: str) -> None:
    """max_bases is the longest input whose windows fit in max_tokens; one shift more does not fit."""
    spec = SPEC[model_id]
    tok = make_tokenizer(spec, vocab_dirs[model_id])
    most = spec.capabilities.max_bases
    seq = ("ACGTTGCA" * 1000)[:most]
    assert len(tok.encode(seq)) == spec.tokenizer.max_tokens
    assert tok.count_tokens(most + spec.tokenizer.stride) == spec.tokenizer.max_tokens + 1
    if spec.tokenizer.stride > 1:  # a trailing base that completes no window adds nothing
        assert tok.encode(seq + "A").tolist() == tok.encode(seq).tolist()


def test_original_policy_differs_only_where_documented(vocab_dirs: dict[str, Path]) -> None:
    """Lower case and U are [UNK] in the original, read as bases by default; IUPAC never changes ids."""
    spec, path = SPEC["prokbert-mini-c"], vocab_dirs["prokbert-mini-c"]
    original = make_tokenizer(spec, path, ORIGINAL_NORMALIZATION)
    default = make_tokenizer(spec, path)
    assert original.encode("acgu").tolist() == [2, 1, 1, 1, 1, 3]
    assert default.encode("acgu").tolist() == [2, 5, 6, 7, 8, 3]
    assert original.encode("ACGU").tolist() == [2, 5, 6, 7, 1, 3]
    for iupac in "RYKMSWBDHVryn":
        seq = f"AC{iupac}T"
        assert original.encode(seq).tolist() == default.encode(seq.replace(iupac, "N")).tolist()
        assert original.encode(seq)[3] == 1
    with pytest.raises(InvalidSequenceError, match="'X'"):
        original.encode("ACXT")  # the original would make a silent [UNK]; the zoo refuses


def test_batch_call_pads_with_pad_id(vocab_dirs: dict[str, Path]) -> None:
    tok = make_tokenizer(SPEC["prokbert-mini"], vocab_dirs["prokbert-mini"])
    batch = tok(["ATGTCCGCGGGACCT", "ACGTACG"], padding=True, return_tensors="np")
    assert batch["input_ids"].tolist() == [
        [2, 954, 3803, 2910, 3435, 1439, 1647, 2477, 1702, 2698, 2588, 3],
        [2, 438, 1739, 3, 0, 0, 0, 0, 0, 0, 0, 0],  # ACGTAC, CGTACG
    ]
    assert batch["attention_mask"].sum(1).tolist() == [12, 4]


@pytest.mark.parametrize("model_id", IDS)
def test_padding_only_when_asked_as_bert_tokenizer(vocab_dirs: dict[str, Path], model_id: str) -> None:
    """A bare call leaves sequences of different lengths unpadded, as BertTokenizer does on the same
    vocab.txt over the LCA k-mers; padding only when asked."""
    from transformers import BertTokenizer

    spec = SPEC[model_id]
    tok = make_tokenizer(spec, vocab_dirs[model_id])
    ref = BertTokenizer(str(vocab_dirs[model_id] / "vocab.txt"), do_lower_case=False)
    k, shift = tok.k, tok.stride
    seqs = ["ATGTCCGCGGGACCT", "ACGTACG", "AATCAAGGAATTATTATCGTTACGT"]
    joined = [" ".join(s[i : i + k] for i in range(0, len(s) - k + 1, shift)) for s in seqs]
    assert len({len(r) for r in ref(joined)["input_ids"]}) == 3
    for asked in ({}, {"padding": False}, {"padding": True}, {"padding": "max_length", "max_length": 40}):
        want = {key: v for key, v in ref(joined, **asked).items() if key != "token_type_ids"}
        assert tok(seqs, **asked) == want, asked
    with pytest.raises(ValueError):
        ref(joined, return_tensors="pt")
    with pytest.raises(ValueError, match="padding=True"):
        tok(seqs, return_tensors="pt")


def _cut(ids: list[int], m: int) -> list[int]:
    """transformers' truncation of one sequence: the first m - 1 ids and [SEP], the last."""
    return ids if len(ids) <= m else [*ids[: m - 1], ids[-1]]


@pytest.mark.parametrize("model_id", IDS)
def test_long_input_equals_naive_rule(vocab_dirs: dict[str, Path], model_id: str,
                                      caplog: pytest.LogCaptureFixture) -> None:
    """Below, at and 3x above max_tokens: every id bare (warned once), [CLS] … [SEP] cut when asked."""
    spec = SPEC[model_id]
    k, shift, limit = spec.tokenizer.k, spec.tokenizer.stride, spec.tokenizer.max_tokens
    assert k is not None
    vocab = {t: i for i, t in enumerate(vocab_tokens(k))}
    tok = make_tokenizer(spec, vocab_dirs[model_id], ORIGINAL_NORMALIZATION)
    assert tok.max_length == limit
    rng = np.random.default_rng(k + shift)
    most = spec.capabilities.max_bases
    seqs = ["".join(rng.choice(list("ACGTN"), n, p=[0.24] * 4 + [0.04]))
            for n in (most // 2, most, 3 * most, most + shift)]
    want = [naive_lca(s, vocab, k, shift) for s in seqs]
    assert len(want[0]) < limit == len(want[1]) and len(want[2]) > 2.9 * limit and len(want[3]) == limit + 1
    for s, w in zip(seqs, want, strict=True):
        assert tok(s)["input_ids"] == w == tok.encode(s).tolist()
        assert tok(s, truncation=True)["input_ids"] == _cut(w, limit)
        for m in (10, limit + 100):
            assert tok(s, truncation=True, max_length=m)["input_ids"] == _cut(w, m)
            assert tok(s, max_length=m)["input_ids"] == _cut(w, m)
    assert tok(seqs, padding=False)["input_ids"] == want
    for kw, rows in (({"truncation": True}, [_cut(w, limit) for w in want]), ({}, want)):
        width = max(map(len, rows))
        for tensors in ("pt", "np"):
            got = tok(seqs, padding=True, return_tensors=tensors, **kw)
            assert got["input_ids"].tolist() == [r + [0] * (width - len(r)) for r in rows]
            assert got["attention_mask"].tolist() == [[1] * len(r) + [0] * (width - len(r)) for r in rows]
    warned = [r.getMessage() for r in caplog.records if r.name.startswith("dnallm_zoo")]
    assert len(warned) == 1 and f"({len(want[2])} > {limit})" in warned[0]
    make_tokenizer(spec, vocab_dirs[model_id])(seqs[3])
    assert sum(r.name.startswith("dnallm_zoo") for r in caplog.records) == 2  # once per tokenizer


def test_save_pretrained_writes_original_keys(vocab_dirs: dict[str, Path], tmp_path: Path) -> None:
    tok = make_tokenizer(SPEC["prokbert-mini-long"], vocab_dirs["prokbert-mini-long"])
    tok.save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert (cfg["kmer"], cfg["shift"], cfg["tokenizer_class"]) == (6, 2, "LCATokenizer")
    assert cfg["model_max_length"] == 2048
    assert (tmp_path / "vocab.txt").read_text().splitlines() == vocab_tokens(6)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t[:5] + sorted(t[5:], reverse=True), None),  # permuted k-mers: ids read from the file
        (lambda t: [t[1], t[0], *t[2:]], "ids 0-4"),
        (lambda t: t[:-1], "not in the vocabulary"),
    ],
)
def test_vocab_is_read_and_checked(
    vocab_dirs: dict[str, Path], tmp_path: Path, change: Callable[[list[str]], list[str]],
    message: str | None,
) -> None:
    spec = SPEC["prokbert-mini"]
    tokens = change(vocab_tokens(6))
    (tmp_path / "vocab.txt").write_text("\n".join(tokens) + "\n")
    (tmp_path / "config.json").write_text((vocab_dirs["prokbert-mini"] / "config.json").read_text())
    if message is not None:
        with pytest.raises(CheckpointError, match=message):
            make_tokenizer(spec, tmp_path)
        return
    tok = make_tokenizer(spec, tmp_path)
    vocab = {t: i for i, t in enumerate(tokens)}
    assert tok.encode("ATGTCCGCGGGACCT").tolist() == naive_lca("ATGTCCGCGGGACCT", vocab, 6, 1)
    assert tok.encode("ATGTCC")[1] == tokens.index("ATGTCC") != 954


def test_vocab_larger_than_embedding_rows_is_refused(vocab_dirs: dict[str, Path], tmp_path: Path) -> None:
    spec = SPEC["prokbert-mini-c"]
    (tmp_path / "vocab.txt").write_text((vocab_dirs["prokbert-mini-c"] / "vocab.txt").read_text())
    config = json.loads((vocab_dirs["prokbert-mini-c"] / "config.json").read_text())
    assert config["vocab_size"] == 20  # rows beyond the 9 entries are fine
    make_tokenizer(spec, vocab_dirs["prokbert-mini-c"])
    (tmp_path / "config.json").write_text(json.dumps({**config, "vocab_size": 8}))
    with pytest.raises(CheckpointError, match="vocab_size is 8"):  # checked by the core's loader
        ProkBertEncoder.from_pretrained(tmp_path, spec)


def test_long_input_is_one_pass_of_numpy(vocab_dirs: dict[str, Path]) -> None:
    """A whole genome tokenizes without a model limit, identically to the naive rule."""
    spec = SPEC["prokbert-mini-long"]
    tok = make_tokenizer(spec, vocab_dirs["prokbert-mini-long"], ORIGINAL_NORMALIZATION)
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGTN"), size=200_000, p=[0.24, 0.24, 0.24, 0.24, 0.04]))
    vocab = {t: i for i, t in enumerate(vocab_tokens(6))}
    assert tok.encode(seq).tolist() == naive_lca(seq, vocab, 6, 2)
