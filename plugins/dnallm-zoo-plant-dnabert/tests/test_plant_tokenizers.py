"""Plant DNABERT tokenization against the original tokenizer classes on the same files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dnallm_zoo_plant_dnabert.checkpoint import write_test_checkpoint
from dnallm_zoo_plant_dnabert.encoder import PlantDNABERTEncoder
from dnallm_zoo_plant_dnabert.layout import esm_vocab
from dnallm_zoo_plant_dnabert.tokenizer import GreedyKmerTokenizer

from dnallm_zoo import CheckpointError, NormalizationPolicy, get_spec

ORIGINAL = NormalizationPolicy(uppercase=False)  # the originals read lower case as <unk>
ESM_KINDS = [("plant-dnabert-6mer", 6), ("plant-dnabert-singlebase", 1)]


def _esm(path: Path) -> Any:
    from transformers import EsmTokenizer

    return EsmTokenizer.from_pretrained(str(path))


def _edge_sequences() -> Iterator[str]:
    for n in range(1, 20):
        for b in "ACGTN":
            yield b * n
    for n in range(1, 20):  # an N at every position of runs around the 6-mer boundaries
        for i in range(n):
            s = list("ACGTTGCAAGCTTCGATCG"[:n])
            s[i] = "N"
            yield "".join(s)
    yield "ATCGGATTACAG" * 40 + "ACG"
    yield "N" * 37 + "ACGTAC" * 7 + "N"
    yield "ACGTAC" * 85 + "A"  # 511 bases: the single-base model's limit


def _random_sequences(rng: np.random.Generator, alphabet: bytes, count: int,
                      max_len: int = 90) -> Iterator[str]:
    letters = np.frombuffer(alphabet, dtype=np.uint8)
    for _ in range(count):
        n = int(rng.integers(1, max_len))
        p = rng.dirichlet(np.full(len(letters), 0.4))  # from N-free to N-rich
        yield bytes(rng.choice(letters, n, p=p)).decode()


def _tok(path: Path, model_id: str, policy: NormalizationPolicy | None = None) -> Any:
    spec = get_spec(model_id)
    return PlantDNABERTEncoder.build_tokenizer(
        path, spec, json.loads((path / "config.json").read_text()),
        policy or spec.tokenizer.normalization,
    )


# --------------------------------------------------------------------- FAMILIES.md's examples
@pytest.mark.parametrize(("seq", "ids"), [
    ("ATCGGATTACAG", [3, 448, 1319]),
    ("ATCGNATTACAGGG", [3, 4100, 4101, 4102, 4103, 4104, 332, 4103, 4103, 4103]),
    ("AAAAAAC", [3, 4, 4102]),
])
def test_worked_examples_6mer(tiny: Callable[[str], Path], seq: str, ids: list[int]) -> None:
    tok = _tok(tiny("plant-dnabert-6mer"), "plant-dnabert-6mer")
    assert tok.encode(seq).tolist() == ids
    assert _esm(tiny("plant-dnabert-6mer"))(seq)["input_ids"] == ids


def test_worked_example_lower_case(tiny: Callable[[str], Path]) -> None:
    path = tiny("plant-dnabert-6mer")
    assert _tok(path, "plant-dnabert-6mer", ORIGINAL).encode("atcgga").tolist() == [3, 0]
    assert _esm(path)("atcgga")["input_ids"] == [3, 0]
    # upper-cased by default: the same sequence as its 6-mer
    assert _tok(path, "plant-dnabert-6mer").encode("atcgga").tolist() == [3, 448]


def test_vocab_order_is_families_md() -> None:
    v = esm_vocab(6)
    assert len(v) == 4107 and v[:4] == ["<unk>", "<pad>", "<mask>", "<cls>"]
    assert v[448] == "ATCGGA" and v[4100:] == ["A", "T", "C", "G", "N", "<eos>", "<bos>"]
    assert esm_vocab(None) == ["<unk>", "<pad>", "<mask>", "<cls>", "A", "T", "C", "G", "N",
                               "<eos>", "<bos>"]


# --------------------------------------------------------------------- against EsmTokenizer
def _compare(tok: GreedyKmerTokenizer, seqs: list[str], want: list[list[int]]) -> None:
    """Both ways of encoding: one sequence a call, and a list in one pass over their concatenation."""
    one = [tok.encode(s).tolist() for s in seqs]
    listed = tok(seqs, padding=False)["input_ids"]
    for how, got in (("one a call", one), ("a list", listed)):
        bad = [(s, g, w) for s, g, w in zip(seqs, got, want, strict=True) if g != w]
        assert not bad, f"{how}: {len(bad)} of {len(seqs)} differ, first: {bad[0]}"


@pytest.mark.parametrize(("model_id", "k"), ESM_KINDS)
def test_esm_kinds_match_esm_tokenizer(tiny: Callable[[str], Path], model_id: str, k: int) -> None:
    path = tiny(model_id)
    tok = _tok(path, model_id)
    assert isinstance(tok, GreedyKmerTokenizer) and tok.k == k
    rng = np.random.default_rng(k)
    seqs = [*_edge_sequences(), *_random_sequences(rng, b"ACGTN", 3000)]
    want = _esm(path)(seqs)["input_ids"]
    _compare(tok, seqs, want)
    assert all(w[0] == 3 and w[-1] != tok.vocab["<eos>"] for w in want)  # <cls> first, no eos


@pytest.mark.parametrize(("model_id", "k"), ESM_KINDS)
def test_lower_case_like_the_original(tiny: Callable[[str], Path], model_id: str, k: int) -> None:
    path = tiny(model_id)
    ref = _esm(path)
    seqs = list(_random_sequences(np.random.default_rng(10 + k), b"ACGTNacgtn", 1000))
    want = ref(seqs)["input_ids"]
    assert any(0 in w for w in want)  # the stretches of lower case did become <unk>
    _compare(_tok(path, model_id, ORIGINAL), seqs, want)
    _compare(_tok(path, model_id), seqs, ref([s.upper() for s in seqs])["input_ids"])


@pytest.mark.parametrize(("model_id", "k"), ESM_KINDS)
def test_eos_follows_the_tokenizer_files(tiny: Callable[[str], Path], tmp_path: Path,
                                          model_id: str, k: int) -> None:
    """No eos key in the files: EsmTokenizer's default <eos> ends the sequence; we follow."""
    path = tmp_path / "ckpt"
    shutil.copytree(tiny(model_id), path)
    cfg = json.loads((path / "tokenizer_config.json").read_text())
    del cfg["eos_token"]
    (path / "tokenizer_config.json").write_text(json.dumps(cfg))
    tok = _tok(path, model_id)
    ref = _esm(path)
    seqs = ["ACGTACGTAC", "NNACGTTTTTTTG", "A"]
    assert [tok.encode(s).tolist() for s in seqs] == ref(seqs)["input_ids"]
    assert tok.encode("A").tolist()[-1] == tok.vocab["<eos>"]


def test_save_pretrained_round_trip(tiny: Callable[[str], Path], tmp_path: Path) -> None:
    tok = _tok(tiny("plant-dnabert-6mer"), "plant-dnabert-6mer")
    tok.save_pretrained(tmp_path)
    assert (tmp_path / "vocab.txt").read_text() == (tiny("plant-dnabert-6mer") / "vocab.txt").read_text()
    seqs = ["ATCGNATTACAGGG", "ACGTACGTACGTACGTA"]
    assert _esm(tmp_path)(seqs)["input_ids"] == [tok.encode(s).tolist() for s in seqs]


def test_padding_uses_the_tokenizers_pad(tiny: Callable[[str], Path]) -> None:
    tok = _tok(tiny("plant-dnabert-6mer"), "plant-dnabert-6mer")
    batch = tok(["ACGTACGTACGTA", "A"], padding=True, return_tensors="np")
    assert batch["input_ids"][1].tolist() == [3, 4100, 1, 1]
    assert batch["attention_mask"][1].tolist() == [1, 1, 0, 0]


@pytest.mark.parametrize(("model_id", "k"), ESM_KINDS)
def test_padding_only_when_asked_as_esm_tokenizer(tiny: Callable[[str], Path], model_id: str, k: int) -> None:
    """A bare call leaves sequences of different lengths unpadded (transformers' padding=False)."""
    path = tiny(model_id)
    tok, ref = _tok(path, model_id), _esm(path)
    seqs = ["ACGTACGTACGTA", "A", "ACGTNNACGTACGTACGTAC"]
    assert len({len(r) for r in ref(seqs)["input_ids"]}) == 3
    for asked in ({}, {"padding": False}, {"padding": True}, {"padding": "max_length", "max_length": 30}):
        want = {key: v for key, v in ref(seqs, **asked).items() if key != "token_type_ids"}
        assert tok(seqs, **asked) == want, asked
    with pytest.raises(ValueError):
        ref(seqs, return_tensors="pt")
    with pytest.raises(ValueError, match="padding=True"):
        tok(seqs, return_tensors="pt")


def test_count_tokens(tiny: Callable[[str], Path]) -> None:
    single = _tok(tiny("plant-dnabert-singlebase"), "plant-dnabert-singlebase")
    assert single.count_tokens(511) == 512 == len(single.encode("ACGTN" * 102 + "A"))
    assert _tok(tiny("plant-dnabert-singlebase"), "plant-dnabert-singlebase",
                ORIGINAL).count_tokens(10) is None
    assert _tok(tiny("plant-dnabert-6mer"), "plant-dnabert-6mer").count_tokens(12) is None


def test_6mer_chunk_size_fits(tiny: Callable[[str], Path]) -> None:
    """max_bases of A/C/G/T fits with room for a few Ns; the core re-splits anything longer."""
    tok = _tok(tiny("plant-dnabert-6mer"), "plant-dnabert-6mer")
    max_bases = get_spec("plant-dnabert-6mer").capabilities.max_bases
    rng = np.random.default_rng(3)
    seq = bytes(rng.choice(np.frombuffer(b"ACGT", np.uint8), max_bases)).decode()
    assert len(tok.encode(seq)) <= 512 - 10
    with_ns = list(seq)
    for i in rng.choice(max_bases, 2, replace=False):
        with_ns[i] = "N"
    assert len(tok.encode("".join(with_ns))) <= 512


def test_incomplete_vocab_is_refused(tiny: Callable[[str], Path], tmp_path: Path) -> None:
    shutil.copytree(tiny("plant-dnabert-6mer"), tmp_path / "c")
    lines = (tmp_path / "c" / "vocab.txt").read_text().splitlines()
    (tmp_path / "c" / "vocab.txt").write_text("\n".join(lines[:100]) + "\n")
    with pytest.raises(CheckpointError, match="lacks the single bases"):
        _tok(tmp_path / "c", "plant-dnabert-6mer")


# --------------------------------------------------------------------- long input
def _reference(path: Path, model_id: str) -> Any:
    if model_id == "plant-dnabert-bpe":
        from transformers import PreTrainedTokenizerFast

        return PreTrainedTokenizerFast(tokenizer_file=str(path / "tokenizer.json"), model_max_length=512,
                                       pad_token="[PAD]", unk_token="[UNK]")
    return _esm(path)


@pytest.mark.parametrize("model_id", ["plant-dnabert-6mer", "plant-dnabert-singlebase", "plant-dnabert-bpe"])
def test_long_input_equals_the_original(tiny: Callable[[str], Path], model_id: str,
                                        caplog: pytest.LogCaptureFixture) -> None:
    """Below, at and 3x above 512 tokens: bare, truncated and padded calls give the original's ids."""
    path = tiny(model_id)
    ref = _reference(path, model_id)
    assert ref.model_max_length == 512
    tok = _tok(path, model_id)
    rng = np.random.default_rng(7)
    genome = "".join(rng.choice(list("ACGTN"), 20_000, p=[0.245] * 4 + [0.02]))
    n = next(n for n in range(200, 6000) if len(tok.encode(genome[:n])) == 512)  # exactly at the limit
    seqs = [genome[: n // 2], genome[:n], genome[: 3 * n], genome[n : 2 * n + n // 4]]
    lengths = [len(ref(s)["input_ids"]) for s in seqs]
    assert lengths[0] < 512 == lengths[1] < 1400 < lengths[2] and lengths[3] > 512
    for s in seqs:
        assert tok(s)["input_ids"] == ref(s)["input_ids"] == tok.encode(s).tolist()
        assert tok(s, truncation=True)["input_ids"] == ref(s, truncation=True)["input_ids"]
        for m in (10, 600):
            want = ref(s, truncation=True, max_length=m)["input_ids"]
            assert tok(s, truncation=True, max_length=m)["input_ids"] == want
            assert tok(s, max_length=m)["input_ids"] == ref(s, max_length=m)["input_ids"] == want
    assert tok(seqs, padding=False)["input_ids"] == ref(seqs)["input_ids"]
    for tensors in ("pt", "np"):
        for kw in ({"truncation": True}, {}):
            got = tok(seqs, padding=True, return_tensors=tensors, **kw)
            want = ref(seqs, padding=True, return_tensors=tensors, **kw)
            for key in ("input_ids", "attention_mask"):
                assert got[key].tolist() == want[key].tolist(), (tensors, kw, key)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("dnallm_zoo")]
    theirs = [r.getMessage() for r in caplog.records if r.name.startswith("transformers")]
    assert len(ours) == 1 and f"({lengths[2]} > 512)" in ours[0] and ours == theirs
    _tok(path, model_id)(seqs[3])
    assert sum(r.name.startswith("dnallm_zoo") for r in caplog.records) == 2  # once per tokenizer


# --------------------------------------------------------------------- BPE
@pytest.mark.parametrize("post", ["template", "bert"])
def test_bpe_matches_tokenizers(tmp_path: Path, post: str) -> None:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    path = write_test_checkpoint(get_spec("plant-dnabert-bpe"), tmp_path / "bpe",
                                 bpe_post_processor=post)
    data = json.loads((path / "tokenizer.json").read_text())
    ref = PreTrainedTokenizerFast(tokenizer_file=str(path / "tokenizer.json"))
    raw = Tokenizer.from_file(str(path / "tokenizer.json"))
    tok = _tok(path, "plant-dnabert-bpe")
    # the specials are the last five ids of this file (341..345 here, 8000..8004 in the real one)
    added = {t["content"]: t["id"] for t in data["added_tokens"]}
    n = len(data["model"]["vocab"])
    assert (tok.cls_token_id, tok.sep_token_id, tok.unk_token_id, tok.pad_token_id,
            tok.mask_token_id) == tuple(range(n - 5, n))
    assert tok.pad_token_id == added["[PAD]"] != 8003
    seqs = [*_edge_sequences(), *_random_sequences(np.random.default_rng(5), b"ACGTN", 2000, 300)]
    want = ref(seqs)["input_ids"]
    assert [tok.encode(s).tolist() for s in seqs] == want
    assert want[:50] == [e.ids for e in raw.encode_batch(seqs[:50])]
    assert all(w[0] == tok.cls_token_id and w[-1] == tok.sep_token_id for w in want)
    mixed = list(_random_sequences(np.random.default_rng(6), b"ACGTNacgtn", 300))
    original = _tok(path, "plant-dnabert-bpe", ORIGINAL)
    assert [original.encode(s).tolist() for s in mixed] == ref(mixed)["input_ids"]


def test_bpe_without_tokenizer_json(tiny: Callable[[str], Path], tmp_path: Path) -> None:
    path = tmp_path / "plant-dnabert-BPE-promoter"
    shutil.copytree(tiny("plant-dnabert-bpe-promoter"), path)
    (path / "tokenizer.json").unlink()
    (path / "spm.model").write_bytes(b"\x00")
    with pytest.raises(CheckpointError, match=r"looked for tokenizer\.json.*spm\.model"):
        _tok(path, "plant-dnabert-bpe-promoter")
