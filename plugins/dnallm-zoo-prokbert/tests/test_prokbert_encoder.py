"""The zoo path end to end: load(dir) -> tokenizer -> forward/embed, against the eager reference."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from dnallm_zoo_prokbert import ORIGINAL_NORMALIZATION, SPECS
from dnallm_zoo_prokbert.encoder import ProkBertEncoder
from safetensors.torch import load_file, save_file

import dnallm_zoo
from dnallm_zoo import CheckpointError, DNAEncoder
from dnallm_zoo.kit import read_state_dict

ATOL = 1e-5
SPEC = {s.id: s for s in SPECS}
IDS = sorted(SPEC)


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """One intra-op thread (restored afterwards): the machine is shared, the models are tiny."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def random_dna(rng: np.random.Generator, n: int, n_rate: float = 0.02) -> str:
    p = [(1 - n_rate) / 4] * 4 + [n_rate]
    return "".join(rng.choice(list("ACGTN"), size=n, p=p))


def reference_rows(
    ref: ModuleType, path: Path, ids: torch.Tensor, mask: torch.Tensor
) -> list[tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]]:
    """The eager fp64 reference on each row alone, unpadded, with the checkpoint's tensors and config.

    Row by row keeps the reference's [L, L, d] gather affordable; the padded batch must equal it.
    """
    config = json.loads((path / "config.json").read_text())
    sd = {k: v.double() for k, v in load_file(str(path / "model.safetensors")).items()}
    rows = []
    for i, n in enumerate(mask.sum(1).tolist()):
        rows.append(ref.reference_forward(sd, config, ids[i : i + 1, :n]))
    return rows


# bases per sequence: mini at its full 1,027-base maximum (1,024 tokens, in one config flavour: the
# flavour changes no number); the 2,048-token models at a few hundred tokens (the modeling tests cover
# long tables); always one sequence shorter than the first window
LENGTHS = {
    "prokbert-mini": [1027, 400, 6, 5, 61],
    "prokbert-mini-long": [900, 17, 5, 300],
    "prokbert-mini-c": [500, 1, 64, 33],
}


@pytest.mark.parametrize("flavour", ["megatron-bert", "prokbert"])
@pytest.mark.parametrize("model_id", IDS)
def test_load_forward_embed_match_reference(
    registered: None, prokbert_dir: Callable[..., Path], reference: ModuleType, model_id: str,
    flavour: str,
) -> None:
    """Hidden states, logits and pooled embeddings through `load(dir)` equal the reference to 1e-5."""
    path = prokbert_dir(model_id, flavour=flavour)
    enc = dnallm_zoo.load(path)
    assert enc.spec.id == model_id and isinstance(enc, ProkBertEncoder)
    rng = np.random.default_rng(len(model_id))
    lengths = LENGTHS[model_id] if flavour == "prokbert" else [300, *LENGTHS[model_id][1:]]
    seqs = [random_dna(rng, n) for n in lengths]
    batch = enc.tokenizer(seqs, padding=True, return_tensors="pt")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    if model_id == "prokbert-mini" and flavour == "prokbert":
        assert ids.shape[1] == enc.max_length == 1024
    with torch.inference_mode():
        out = enc.forward(ids, mask, output_hidden_states=True, with_logits=True)
    assert out.hidden_states is not None and len(out.hidden_states) == 3  # embeddings + 2 layers
    assert out.logits is not None and out.logits.shape[-1] == SPEC[model_id].architecture.vocab_size
    means, cls, inner = [], [], []
    for i, (last, states, logits) in enumerate(reference_rows(reference, path, ids, mask)):
        n = last.shape[1]
        assert len(states) == 3
        for got, want in zip(out.hidden_states, states, strict=True):
            torch.testing.assert_close(got[i, :n], want[0].float(), rtol=0, atol=ATOL)
        torch.testing.assert_close(out.last_hidden_state[i, :n], last[0].float(), rtol=0, atol=ATOL)
        torch.testing.assert_close(out.logits[i, :n], logits[0].float(), rtol=0, atol=ATOL)
        if n > 2:  # embed refuses sequences without one window
            # mean over every real token (specials included), [CLS], an inner layer's mean
            means.append(last[0].mean(0))
            cls.append(last[0, 0])
            inner.append(states[1][0].mean(0))
    seqs = [s for s, n in zip(seqs, mask.sum(1).tolist(), strict=True) if n > 2]
    assert len(seqs) >= 2
    np.testing.assert_allclose(enc.embed(seqs), torch.stack(means).float(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(enc.embed(seqs, pooling="cls"), torch.stack(cls).float(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(enc.embed(seqs, layer=1), torch.stack(inner).float(), rtol=0, atol=ATOL)


@pytest.mark.parametrize("model_id", IDS)
def test_bin_with_position_ids_loads_like_safetensors(
    prokbert_dir: Callable[..., Path], model_id: str
) -> None:
    """An old .bin (with the position_ids buffer, through weights_only) gives bit-identical outputs."""
    spec = SPEC[model_id]
    old = prokbert_dir(model_id, flavour="megatron-bert", fmt="bin")
    assert "bert.embeddings.position_ids" in read_state_dict(old / "pytorch_model.bin")
    new = prokbert_dir(model_id, flavour="megatron-bert")
    a = ProkBertEncoder.from_pretrained(old, spec, device="cpu")
    b = ProkBertEncoder.from_pretrained(new, spec, device="cpu")
    seqs = ["ATGTCCGCGGGACCT" * 3, "ACGTACGT"]
    np.testing.assert_array_equal(a.embed(seqs), b.embed(seqs))
    assert "bert.embeddings.position_ids" not in a.state_dict_for_save()


def _edited_copy(src: Path, dst: Path, edit: Callable[[dict[str, torch.Tensor]], None]) -> Path:
    dst.mkdir()
    for name in ("config.json", "vocab.txt"):
        (dst / name).write_text((src / name).read_text())
    sd = dict(load_file(str(src / "model.safetensors")))
    edit(sd)
    save_file(sd, str(dst / "model.safetensors"))
    return dst


def _add(key: str, value: torch.Tensor) -> Callable[[dict[str, torch.Tensor]], None]:
    return lambda sd: sd.__setitem__(key, value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_add("bert.pooler.dense.weight", torch.zeros(32, 32)), "unexpected 1: bert.pooler.dense.weight"),
        (lambda sd: sd.pop("bert.encoder.layer.1.attention.self.distance_embedding.weight"),
         "missing 1: bert.encoder.layer.1.attention.self.distance_embedding.weight"),
        (lambda sd: sd.__setitem__("cls.predictions.bias", torch.zeros(4101)), "wrong shape"),
        (_add("cls.predictions.decoder.weight", torch.zeros(4101, 32)), "tied to"),
    ],
    ids=["extra", "missing", "misshaped", "misshaped-tied-decoder"],
)
def test_strict_loading(
    prokbert_dir: Callable[..., Path], tmp_path: Path,
    edit: Callable[[dict[str, torch.Tensor]], None], message: str,
) -> None:
    src = prokbert_dir("prokbert-mini-long")
    path = _edited_copy(src, tmp_path / "edited", edit)
    with pytest.raises(CheckpointError, match=message):
        ProkBertEncoder.from_pretrained(path, SPEC["prokbert-mini-long"], device="cpu")


def test_tied_decoder_present_is_accepted(prokbert_dir: Callable[..., Path], tmp_path: Path) -> None:
    """Files that do carry the tied decoder (weight and bias) load; the embeddings stay the source."""
    src = prokbert_dir("prokbert-mini-c")

    def tie(sd: dict[str, torch.Tensor]) -> None:
        sd["cls.predictions.decoder.weight"] = sd["bert.embeddings.word_embeddings.weight"].clone()
        sd["cls.predictions.decoder.bias"] = sd["cls.predictions.bias"].clone()

    spec = SPEC["prokbert-mini-c"]
    a = ProkBertEncoder.from_pretrained(_edited_copy(src, tmp_path / "tied", tie), spec, device="cpu")
    b = ProkBertEncoder.from_pretrained(src, spec, device="cpu")
    ids, mask = a.tokenizer(["ACGTNACGT"], return_tensors="pt").values()
    with torch.inference_mode():
        assert torch.equal(a.forward(ids, mask, with_logits=True).logits,
                           b.forward(ids, mask, with_logits=True).logits)
    assert len(a.state_dict_for_save()) == 3 + 17 * 2 + 7


def test_too_few_positions_for_the_spec(prokbert_dir: Callable[..., Path], tmp_path: Path) -> None:
    src = prokbert_dir("prokbert-mini")
    (tmp_path / "vocab.txt").write_text((src / "vocab.txt").read_text())
    config = json.loads((src / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "max_position_embeddings": 512}))
    (tmp_path / "model.safetensors").write_bytes((src / "model.safetensors").read_bytes())
    with pytest.raises(CheckpointError, match="max_position_embeddings 512"):
        ProkBertEncoder.from_pretrained(tmp_path, SPEC["prokbert-mini"], device="cpu")


def test_config_lca_keys_disagreeing_with_spec_warn(
    prokbert_dir: Callable[..., Path], tmp_path: Path
) -> None:
    """A registered model's k/shift are facts of its training: the spec wins over a stray config key."""
    src = prokbert_dir("prokbert-mini-long")
    for name in ("vocab.txt", "model.safetensors"):
        (tmp_path / name).write_bytes((src / name).read_bytes())
    config = json.loads((src / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "shift": 1}))
    with pytest.warns(UserWarning, match="shift=1, but prokbert-mini-long was trained with shift=2"):
        enc = ProkBertEncoder.from_pretrained(tmp_path, SPEC["prokbert-mini-long"], device="cpu")
    assert enc.tokenizer.encode("ATGTCCGCGGGACCT").tolist() == [2, 954, 2910, 1439, 2477, 2698, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ProkBertEncoder.from_pretrained(src, SPEC["prokbert-mini-long"], device="cpu")


@pytest.mark.parametrize("model_id", IDS)
def test_save_pretrained_round_trip(
    registered: None, prokbert_dir: Callable[..., Path], tmp_path: Path, model_id: str
) -> None:
    """Saved in the original layout (112-style keys, vocab.txt, kmer/shift), matched and equal again."""
    enc = dnallm_zoo.load(prokbert_dir(model_id, flavour="megatron-bert", fmt="bin"))
    enc.save_pretrained(tmp_path)
    keys = set(load_file(str(tmp_path / "model.safetensors")))
    assert len(keys) == 3 + 17 * 2 + 7 and "bert.embeddings.position_ids" not in keys
    assert not any("decoder" in k for k in keys)
    tc = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert (tc["kmer"], tc["shift"]) == (SPEC[model_id].tokenizer.k, SPEC[model_id].tokenizer.stride)
    again = dnallm_zoo.load(tmp_path)
    assert again.spec.id == model_id
    seqs = ["ATGTCCGCGGGACCTNNACGT" * 4, "TTGACA"]
    np.testing.assert_array_equal(again.embed(seqs), enc.embed(seqs))


def test_original_normalization_through_load(registered: None, prokbert_dir: Callable[..., Path]) -> None:
    path = prokbert_dir("prokbert-mini")
    default = dnallm_zoo.load(path)
    original = dnallm_zoo.load(path, normalization=ORIGINAL_NORMALIZATION)
    seq = "atgtccgcgggacct"
    assert default.tokenizer.encode(seq).tolist() == default.tokenizer.encode(seq.upper()).tolist()
    assert original.tokenizer.encode(seq).tolist() == [2] + [1] * 10 + [3]
    np.testing.assert_array_equal(default.embed([seq]), default.embed([seq.upper()]))
    assert not np.allclose(original.embed([seq]), default.embed([seq]), atol=1e-3)


def _spans(n: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """The core's chunk rule (docs/architecture.md): windows of `window` bases sharing `overlap`."""
    if n <= window:
        return [(0, n)]
    spans, start = [], 0
    while True:
        spans.append((start, min(start + window, n)))
        if start + window >= n:
            return spans
        start += window - overlap


@pytest.mark.parametrize("model_id", IDS)
def test_chunk_overlap_partitions_the_lca_windows(
    prokbert_dir: Callable[..., Path], model_id: str
) -> None:
    """With the spec's k - shift overlap, the chunks' windows are exactly the sequence's windows."""
    spec = SPEC[model_id]
    tok = ProkBertEncoder.build_tokenizer(
        prokbert_dir(model_id), spec, {}, spec.tokenizer.normalization
    )
    window, overlap = spec.capabilities.max_bases, spec.capabilities.chunk_overlap
    rng = np.random.default_rng(1)
    genome = random_dna(rng, 5 * window, n_rate=0.0)
    for n in [window + 1, window + 2, 2 * window - overlap, 2 * window - overlap + 1,
              *rng.integers(window, 5 * window, size=25).tolist()]:
        seq = genome[:n]
        whole = tok.encode(seq, add_special_tokens=False).tolist()
        parts: list[int] = []
        for start, end in _spans(n, window, overlap):
            assert start % spec.tokenizer.stride == 0  # every chunk starts on the LCA grid
            body = tok.encode(seq[start:end], add_special_tokens=False).tolist()
            assert len(body) + 2 <= spec.tokenizer.max_tokens
            parts += body
        assert parts == whole, n


def test_embed_chunks_long_sequences(registered: None, prokbert_dir: Callable[..., Path]) -> None:
    """long='chunk': max_bases windows sharing k - shift bases, pooled weighted by their tokens."""
    enc = dnallm_zoo.load(prokbert_dir("prokbert-mini"))
    rng = np.random.default_rng(7)
    seq = random_dna(rng, 2300)
    with pytest.raises(dnallm_zoo.SequenceTooLongError, match="1027 bases"):
        enc.embed([seq], long="error")
    segments = list(enc.embed_segments([seq], segment_bases=1027, overlap=5))
    assert [(s.start, s.end) for s in segments] == [(0, 1027), (1022, 2049), (2044, 2300)]
    assert [s.n_tokens for s in segments] == [1024, 1024, 253]
    weights = np.array([s.n_tokens for s in segments], dtype=np.float64)
    pooled = (np.stack([s.vector for s in segments]) * weights[:, None]).sum(0) / weights.sum()
    np.testing.assert_allclose(enc.embed([seq], long="chunk")[0], pooled, rtol=0, atol=1e-6)
    np.testing.assert_allclose(segments[2].vector, enc.embed([seq[2044:]])[0], rtol=0, atol=ATOL)


def test_embed_segments_coordinates(registered: None, prokbert_dir: Callable[..., Path]) -> None:
    """Contiguous segments as ProkBERT users cut them, one row each, with record and coordinates."""
    enc: DNAEncoder = dnallm_zoo.load(prokbert_dir("prokbert-mini-c"))
    rng = np.random.default_rng(3)
    a, b = random_dna(rng, 1250), random_dna(rng, 130)
    segs = list(enc.embed_segments([("contig_a", a), ("contig_b", b)], segment_bases=500))
    assert [(s.index, s.record, s.start, s.end, s.n_tokens) for s in segs] == [
        (0, "contig_a", 0, 500, 502),
        (0, "contig_a", 500, 1000, 502),
        (0, "contig_a", 1000, 1250, 252),
        (1, "contig_b", 0, 130, 132),
    ]
    for s in segs:
        whole = a if s.index == 0 else b
        np.testing.assert_allclose(s.vector, enc.embed([whole[s.start : s.end]])[0], rtol=0, atol=ATOL)
    # the default segment is the model's maximum; an asked overlap is honoured
    default = list(enc.embed_segments([a + a], pooling="cls"))
    assert [(s.start, s.end) for s in default] == [(0, 2046), (2046, 2500)]
    overlapping = list(enc.embed_segments([a], segment_bases=500, overlap=100))
    assert [(s.start, s.end) for s in overlapping] == [(0, 500), (400, 900), (800, 1250)]
