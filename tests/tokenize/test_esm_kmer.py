"""`EsmKmerTokenizer`: non-overlapping k-mers with single-base fallback, as `EsmTokenizer` gives them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dnallm_zoo import CheckpointError, NormalizationPolicy
from dnallm_zoo.tokenize import EsmKmerTokenizer, esm_kmer
from dnallm_zoo.tokenize.offsets import body_spans

SPECIALS = ["<unk>", "<pad>", "<mask>", "<cls>"]
ORIGINAL = NormalizationPolicy(uppercase=False, u_to_t=False)


def vocab(k: int, letters: str = "ATCGN") -> list[str]:
    return [*SPECIALS, *("".join(p) for p in itertools.product("ACGT", repeat=k) if k > 1), *letters]


def esm(tmp_path: Path, tokens: list[str] | None = None) -> Any:
    """transformers' EsmTokenizer of a directory: the one there, or one of `tokens` written there."""
    from transformers import EsmTokenizer

    if tokens is not None:
        (tmp_path / "vocab.txt").write_text("\n".join(tokens))
        (tmp_path / "tokenizer_config.json").write_text(json.dumps({"eos_token": None}))
    return EsmTokenizer.from_pretrained(str(tmp_path))


def sequences(rng: np.random.Generator, alphabet: bytes, n: int) -> list[str]:
    out = []
    for _ in range(n):
        length = int(rng.integers(1, 60))
        out.append(bytes(rng.choice(list(alphabet), length).astype(np.uint8)).decode())
    return out


@pytest.mark.parametrize(("k", "alphabet"),
                         [(1, b"ACGTN"), (3, b"ACGTN"), (3, b"ACGTNacgt"), (4, b"AAACGTNn")])
def test_ids_and_spans_are_esm_tokenizers(tmp_path: Path, k: int, alphabet: bytes,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = vocab(k)
    tok = EsmKmerTokenizer({t: i for i, t in enumerate(tokens)}, k=k, max_length=512,
                           normalization=ORIGINAL)
    seqs = sequences(np.random.default_rng(k + len(alphabet)), alphabet, 400)
    want = esm(tmp_path, tokens)(seqs)["input_ids"]
    for few_runs in (0, 10**9):  # both ways to the ids: every run at once, a loop over the runs
        monkeypatch.setattr(esm_kmer, "FEW_RUNS", few_runs)
        assert [tok.encode(s).tolist() for s in seqs] == want  # one a call
    assert tok(seqs, padding=False)["input_ids"] == want  # a list in one pass
    for s in seqs:  # the tokens tile the sequence: a k-mer k bases, a letter or an <unk> stretch the rest
        body = tok.encode(s)[1:]
        spans = body_spans(tok, s.encode(), body)
        assert spans[0, 0] == 0 and spans[-1, 1] == len(s) and (spans[1:, 0] == spans[:-1, 1]).all()
        kmer = body >= len(SPECIALS)
        kmer &= np.array([len(tokens[i]) == k for i in body.tolist()])
        assert ((spans[:, 1] - spans[:, 0])[kmer] == k).all()


def test_without_an_n_token_a_list_is_encoded_one_sequence_at_a_time(tmp_path: Path) -> None:
    tokens = vocab(2, letters="ATCG")
    tok = EsmKmerTokenizer({t: i for i, t in enumerate(tokens)}, k=2, max_length=64, normalization=ORIGINAL)
    seqs = ["ACGNNT", "NA", "ACGTA"]
    want = esm(tmp_path, tokens)(seqs)["input_ids"]
    assert tok(seqs, padding=False)["input_ids"] == want


def test_chunks_start_on_the_kmer_grid_and_a_vocabulary_lacks_nothing(tmp_path: Path) -> None:
    tokens = vocab(3)
    tok = EsmKmerTokenizer({t: i for i, t in enumerate(tokens)}, k=3, max_length=64)
    tok.save_pretrained(tmp_path)  # as transformers saves an EsmTokenizer: it reads the same ids back
    assert esm(tmp_path)("ACGTAN")["input_ids"] == tok.encode("ACGTAN").tolist() == [3, 10, 69, 68, 72]
    assert tok.chunk_grid == 3
    assert tok.min_tokens(10) == 4 + 1  # ceil(10 / 3) and <cls>
    with pytest.raises(CheckpointError, match="lacks 1 of the 64 3-mers"):
        EsmKmerTokenizer({t: i for i, t in enumerate(tokens) if t != "ACG"}, k=3, max_length=64)
    with pytest.raises(CheckpointError, match="single bases"):
        EsmKmerTokenizer({t: i for i, t in enumerate(tokens) if t != "T"}, k=3, max_length=64)
