"""The `DNAEncoder` pipeline on the toy family: order, bucketing, chunking, segments, pooling, layers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from dnallm_zoo import InputError, SequenceTooLongError
from dnallm_zoo._chunking import chunk_spans
from dnallm_zoo.errors import EmptySequenceError, InvalidSequenceError, RuntimeConfigError
from dnallm_zoo.kit import read_state_dict
from dnallm_zoo.testing.toy import TOY_SPEC, ToyEncoder

ATOL = 1e-5
MAX_BASES = TOY_SPEC.capabilities.max_bases  # 34 bases = 32 3-mers + [CLS] + [SEP] = 34 tokens
OVERLAP = TOY_SPEC.capabilities.chunk_overlap  # 8


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """A tiny model runs fastest on one thread, and leaves the other cores to other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def enc(zoo_toy_checkpoint: Path) -> ToyEncoder:
    return ToyEncoder.from_pretrained(zoo_toy_checkpoint, TOY_SPEC, device="cpu", dtype="float32")


def dna(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("ACGT") for _ in range(n))


LENGTHS = [30, 5, 20, 12, 34, 8, 80, 9, 26, 3, 61, 17]  # two of them longer than one pass
SEQS = [dna(n, i) for i, n in enumerate(LENGTHS)]


def one_by_one(enc: ToyEncoder, seqs: list[str], **kwargs: object) -> np.ndarray:
    return np.stack([enc.embed([s], **kwargs)[0] for s in seqs])  # type: ignore[arg-type]


@torch.inference_mode()
def hidden(enc: ToyEncoder, seq: str, layer: int = -1) -> torch.Tensor:
    """The [T, H] hidden states of one sequence run alone, straight from forward."""
    ids = torch.as_tensor(enc.tokenizer.encode(seq))[None]
    out = enc.forward(ids, torch.ones_like(ids), output_hidden_states=True)
    assert out.hidden_states is not None
    return out.hidden_states[layer][0]


# --------------------------------------------------------------------------- order and bucketing
def test_embed_returns_one_row_per_sequence_in_input_order(enc: ToyEncoder) -> None:
    got = enc.embed(SEQS)
    assert isinstance(got, np.ndarray) and got.shape == (len(SEQS), 16) and got.dtype == np.float32
    np.testing.assert_allclose(got, one_by_one(enc, SEQS), atol=ATOL, rtol=0)
    np.testing.assert_allclose(enc.embed(SEQS[::-1]), got[::-1], atol=ATOL, rtol=0)
    assert len({row.tobytes() for row in got}) == len(SEQS)  # no row repeated or left empty


@pytest.mark.parametrize("budget", [1, 40, 100, 8192])
def test_token_budget_bucketing_equals_one_by_one(enc: ToyEncoder, budget: int) -> None:
    np.testing.assert_allclose(enc.embed(SEQS, token_budget=budget), one_by_one(enc, SEQS),
                               atol=ATOL, rtol=0)


def test_records_embed_like_bare_sequences(enc: ToyEncoder) -> None:
    records = [(f"r{i}", s) for i, s in enumerate(SEQS[:4])]
    np.testing.assert_array_equal(enc.embed(records), enc.embed(SEQS[:4]))


def test_a_single_string_is_one_sequence(enc: ToyEncoder) -> None:
    np.testing.assert_array_equal(enc.embed(SEQS[0]), enc.embed([SEQS[0]]))


def test_embed_iter_streams_and_reports_progress(enc: ToyEncoder) -> None:
    calls: list[tuple[int, int]] = []
    rows = list(enc.embed_iter(iter(SEQS), token_budget=40, progress=lambda n, b: calls.append((n, b))))
    np.testing.assert_allclose(np.stack(rows), enc.embed(SEQS), atol=ATOL, rtol=0)
    assert calls == [(1, n) for n in LENGTHS]


def test_no_sequences_give_an_empty_matrix(enc: ToyEncoder) -> None:
    got = enc.embed([])
    assert isinstance(got, np.ndarray) and got.shape == (0, 16) and got.dtype == np.float32


# --------------------------------------------------------------------------- pooling and layers
def test_pooling_kinds_pool_the_real_tokens(enc: ToyEncoder) -> None:
    seqs = SEQS[:6]
    states = [hidden(enc, s) for s in seqs]
    want = {
        "mean": torch.stack([h.mean(0) for h in states]),
        "cls": torch.stack([h[0] for h in states]),
        "max": torch.stack([h.max(0).values for h in states]),
    }
    for pooling, expected in want.items():
        np.testing.assert_allclose(enc.embed(seqs, pooling=pooling), expected.numpy(), atol=ATOL, rtol=0,
                                   err_msg=pooling)
    tokens = enc.embed(seqs, pooling="none")
    assert isinstance(tokens, list)
    for got, h, s in zip(tokens, states, seqs, strict=True):
        assert got.shape == (len(s), 16) and got.dtype == np.float32  # 3-mers + 2 specials = len(s)
        np.testing.assert_allclose(got, h.numpy(), atol=ATOL, rtol=0)


def test_an_unknown_pooling_is_refused(enc: ToyEncoder) -> None:
    with pytest.raises(InputError, match=r"does not offer pooling 'sum'; it offers \['mean', 'cls', 'max'"):
        enc.embed(SEQS[:2], pooling="sum")


@pytest.mark.parametrize("layer", [0, 1, 2, -2])
def test_layer_picks_that_hidden_state(enc: ToyEncoder, layer: int) -> None:
    seqs = SEQS[:5]
    want = torch.stack([hidden(enc, s, layer).mean(0) for s in seqs]).numpy()
    np.testing.assert_allclose(enc.embed(seqs, layer=layer), want, atol=ATOL, rtol=0)


def test_the_last_layer_is_the_default(enc: ToyEncoder) -> None:
    np.testing.assert_allclose(enc.embed(SEQS[:5], layer=2), enc.embed(SEQS[:5]), atol=ATOL, rtol=0)
    assert not np.allclose(enc.embed(SEQS[:5], layer=0), enc.embed(SEQS[:5]), atol=1e-3)


def test_a_layer_out_of_range_is_refused(enc: ToyEncoder) -> None:
    with pytest.raises(InputError, match=r"layer 3 out of range: toy-kmer3 has 3 hidden states"):
        enc.embed(SEQS[:2], layer=3)


# --------------------------------------------------------------------------- long sequences
def chunked(enc: ToyEncoder, seq: str, window: int, overlap: int, pooling: str) -> np.ndarray:
    """The expected vector of a long sequence: its chunks pooled alone, then token-weighted (or max)."""
    spans = chunk_spans(len(seq), window, overlap)
    vecs = np.stack([enc.embed([seq[a:b]], pooling=pooling)[0] for a, b in spans])
    if pooling == "max":
        return vecs.max(axis=0)
    weights = np.array([len(enc.tokenizer.encode(seq[a:b])) for a, b in spans], dtype=np.float64)
    return (vecs * weights[:, None]).sum(axis=0) / weights.sum()


@pytest.mark.parametrize("pooling", ["mean", "cls", "max"])
def test_a_long_sequence_is_chunked_with_overlap_and_reaggregated(enc: ToyEncoder, pooling: str) -> None:
    seq = dna(80, 99)
    assert chunk_spans(80, MAX_BASES, OVERLAP) == [(0, 34), (26, 60), (52, 80)]
    got = enc.embed([seq], pooling=pooling)
    np.testing.assert_allclose(got[0], chunked(enc, seq, MAX_BASES, OVERLAP, pooling), atol=ATOL, rtol=0)


def test_overlap_overrides_the_models_default(enc: ToyEncoder) -> None:
    seq = dna(80, 99)
    got = enc.embed([seq], overlap=0)[0]
    np.testing.assert_allclose(got, chunked(enc, seq, MAX_BASES, 0, "mean"), atol=ATOL, rtol=0)
    assert not np.allclose(got, enc.embed([seq])[0], atol=1e-4)


def test_long_error_refuses_what_does_not_fit(enc: ToyEncoder) -> None:
    fits = dna(MAX_BASES, 1)
    np.testing.assert_array_equal(enc.embed([fits], long="error"), enc.embed([fits]))
    with pytest.raises(SequenceTooLongError, match=r"sequence 1: 35 bases give 35 tokens; toy-kmer3 takes at "
                                                   r"most 34 tokens \(34 bases\); use long='chunk'"):
        enc.embed([fits, dna(MAX_BASES + 1, 2)], long="error")


def test_per_token_output_of_a_long_sequence_is_refused(enc: ToyEncoder) -> None:
    with pytest.raises(SequenceTooLongError):
        enc.embed([dna(80, 3)], pooling="none")


def test_segments_carry_their_coordinates(enc: ToyEncoder) -> None:
    records = [("a", dna(80, 5)), ("b", dna(20, 6))]
    segs = list(enc.embed_segments(records, segment_bases=30, overlap=5))
    assert [(g.index, g.record, g.start, g.end, g.n_tokens) for g in segs] == [
        (0, "a", 0, 30, 30), (0, "a", 25, 55, 30), (0, "a", 50, 80, 30), (1, "b", 0, 20, 20),
    ]
    for g in segs:
        seq = records[g.index][1]
        np.testing.assert_allclose(g.vector, enc.embed([seq[g.start:g.end]])[0], atol=ATOL, rtol=0)


def test_segments_default_to_the_models_window(enc: ToyEncoder) -> None:
    segs = list(enc.embed_segments([dna(70, 7)]))  # no overlap; the 2-base tail makes no 3-mer
    assert [(g.record, g.start, g.end, g.n_tokens) for g in segs] == [(None, 0, 34, 34), (None, 34, 68, 34)]


def test_segments_refuse_windows_the_model_cannot_take(enc: ToyEncoder) -> None:
    with pytest.raises(InputError, match=r"segments of 35 bases exceed toy-kmer3's 34"):
        list(enc.embed_segments([dna(80, 8)], segment_bases=35))
    with pytest.raises(InputError, match=r"needs a pooling other than 'none'"):
        list(enc.embed_segments([dna(80, 8)], pooling="none"))


# --------------------------------------------------------------------------- input errors and tasks
def test_bad_input_is_refused_precisely(enc: ToyEncoder) -> None:
    with pytest.raises(InvalidSequenceError, match=r"invalid character '@' at position 3 in record 'r'"):
        enc.embed([("r", "AC@GT")])
    with pytest.raises(EmptySequenceError):
        enc.embed(["ACGT", ""])
    with pytest.raises(InputError, match=r"sequence 0: 2 bases give no tokens"):
        enc.embed(["AC"])


def test_predict_refuses_a_model_that_is_no_classifier(enc: ToyEncoder) -> None:
    with pytest.raises(InputError, match=r"toy-kmer3 is a masked-lm model; predict needs a classifier"):
        enc.predict(SEQS[:2])


# --------------------------------------------------------------------------- saving and moving
def test_save_pretrained_writes_the_original_layout(enc: ToyEncoder, tmp_path: Path,
                                                    zoo_toy_checkpoint: Path) -> None:
    enc.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "config.json", "model.safetensors", "tokenizer_config.json", "vocab.txt"]
    original = set(read_state_dict(zoo_toy_checkpoint / "model.safetensors"))
    saved = set(read_state_dict(tmp_path / "model.safetensors"))
    assert saved == {k for k in original if not k.startswith("toy.pooler.")}  # the pooler is dropped
    again = ToyEncoder.from_pretrained(tmp_path, TOY_SPEC, device="cpu", dtype="float32")
    np.testing.assert_array_equal(again.embed(SEQS), enc.embed(SEQS))


def test_to_refuses_a_dtype_the_spec_does_not_allow(enc: ToyEncoder) -> None:
    with pytest.raises(RuntimeConfigError, match=r"toy-kmer3 does not run in float16 on cpu"):
        enc.to(dtype="float16")
    assert enc.dtype == torch.float32
