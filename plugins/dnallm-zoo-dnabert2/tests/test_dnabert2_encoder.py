"""DNABERT-2 through the zoo: load(dir), DNAEncoder.forward, strict loading, embed, compat, save."""

from __future__ import annotations

import itertools
import json
import runpy
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dnabert2_reference as ref
import numpy as np
import pytest
import torch
from dnallm_zoo_dnabert2.checkpoint import EXECUTED_MARKER
from dnallm_zoo_dnabert2.encoder import DNABERT2Encoder

from dnallm_zoo.kit import read_state_dict

ATOL = 1e-5
DECODER = "cls.predictions.decoder.weight"
WORD = "bert.embeddings.word_embeddings.weight"
QKV = "bert.encoder.layer.0.attention.self.Wqkv"
SEQS = [
    "ACGTAGCATCGGATCTATCTATCGACACTTGGTTATCGATCTACGAGCATCTCGTTAGC",
    "TTGACA",
    "ACGTNNACGTRYacgtuuGGCCA",
    "G",
]

_LOADED: dict[Path, Any] = {}


def loaded(zoo: Any, path: Path) -> Any:
    """`zoo.load(path)` once per directory (the checkpoints are read-only)."""
    if path not in _LOADED:
        _LOADED[path] = zoo.load(path)
    return _LOADED[path]


def reference(
    path: Path, ids: torch.Tensor, mask: torch.Tensor | None
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The fp64 eager reference on the checkpoint's own config.json and weights file."""

    config = json.loads((path / "config.json").read_text())
    sd = read_state_dict(path / "pytorch_model.bin")
    return ref.reference_forward(config, sd, ids, mask)


def batch(lengths: list[int], padded: bool, vocab: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random ids right-padded with [PAD] (3) like the tokenizer pads; mask 1 on real tokens."""
    g = torch.Generator().manual_seed(seed)
    seqlen = max(lengths)
    ids = torch.randint(0, vocab, (len(lengths), seqlen), generator=g)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        mask[row, :n] = 1
    assert padded == bool((mask == 0).any())
    return ids.masked_fill(mask == 0, 3), mask


# (lengths, padded): batch sizes 1..8, 1..2100 tokens (alibi_starting_size is 512), with and without padding
CASES = [
    ([1], False),
    ([2048], False),
    ([600, 1], True),
    ([2100, 1006, 600], True),
    ([5, 5, 5], False),
    ([64, 3, 100, 17], True),
    ([9, 9, 9, 9, 9], False),
    ([1, 2, 3, 513, 40, 8], True),
    ([30] * 7, False),
    ([1, 5, 64, 65, 200, 3, 17, 128], True),
]


@pytest.mark.parametrize(("lengths", "padded"), CASES)
def test_forward_through_zoo_matches_reference(
    zoo: Any, tiny_dir: Callable[..., Path], lengths: list[int], padded: bool
) -> None:
    """load(dir) + DNAEncoder.forward: every hidden state and the MLM logits within 1e-5 of fp64."""
    path = tiny_dir()
    enc = loaded(zoo, path)
    ids, mask = batch(lengths, padded, enc.tokenizer.vocab_size, seed=sum(lengths))
    with torch.inference_mode():
        out = enc.forward(ids, mask, output_hidden_states=True, with_logits=True)
    want_states, want_logits = reference(path, ids, mask)
    assert out.hidden_states is not None and len(out.hidden_states) == enc.num_layers + 1
    assert out.last_hidden_state is out.hidden_states[-1] and out.attention_mask is mask
    for got, want in zip(out.hidden_states, want_states, strict=True):
        assert got.dtype == torch.float32 and got.shape == (len(lengths), max(lengths), enc.hidden_size)
        torch.testing.assert_close(got.double(), want, atol=ATOL, rtol=0)
        assert bool((got[mask == 0] == 0.0).all())
    assert out.logits is not None
    torch.testing.assert_close(out.logits.double(), want_logits, atol=ATOL, rtol=0)
    plain = enc.forward(ids, mask)
    assert plain.hidden_states is None and plain.logits is None
    assert torch.equal(plain.last_hidden_state, out.last_hidden_state)


def test_tokenized_batch_and_embed_match_reference(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    """Real sequences through the tokenizer (pad 3) and embed's mean pooling agree with the reference."""
    path = tiny_dir()
    enc = loaded(zoo, path)
    batch_enc = enc.tokenizer(SEQS, padding=True, return_tensors="pt")
    ids, mask = batch_enc["input_ids"], batch_enc["attention_mask"]
    assert int(ids[mask == 0].unique().item()) == 3
    states, _ = reference(path, ids, mask)
    with torch.inference_mode():
        got = enc.forward(ids, mask).last_hidden_state
    torch.testing.assert_close(got.double(), states[-1], atol=ATOL, rtol=0)
    m = mask[:, :, None].double()
    want_mean = (states[-1] * m).sum(1) / m.sum(1)
    np.testing.assert_allclose(enc.embed(SEQS), want_mean.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(enc.embed(SEQS, pooling="cls"), states[-1][:, 0].numpy(), atol=ATOL, rtol=0)


def test_load_matches_directory_and_ties_decoder(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    enc = loaded(zoo, tiny_dir())
    assert isinstance(enc, DNABERT2Encoder) and enc.spec.id == "dnabert2-117m"
    assert (enc.device.type, enc.dtype) == ("cpu", torch.float32)
    assert enc.max_length == 512 and enc.tokenizer.pad_token_id == 3
    m = enc.module
    assert m.cls.predictions.decoder.weight is m.bert.embeddings.word_embeddings.weight
    assert not m.training and not any(p.is_meta for p in m.parameters())


@pytest.mark.parametrize(
    ("weights", "decoder"), [("bin", False), ("safetensors", True), ("safetensors", False)]
)
def test_weight_formats_and_optional_decoder(
    zoo: Any, tiny_dir: Callable[..., Path], weights: str, decoder: bool
) -> None:
    """.bin or safetensors, decoder weight present or absent: the same model as the reference file."""
    base = loaded(zoo, tiny_dir())
    path = tiny_dir(weights=weights, decoder_weight=decoder)
    enc = zoo.load(path)
    names = {"bin": "pytorch_model.bin", "safetensors": "model.safetensors"}
    assert (DECODER in read_state_dict(path / names[weights])) == decoder
    for (k, a), b in zip(base.module.state_dict().items(), enc.module.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    assert enc.module.cls.predictions.decoder.weight is enc.module.bert.embeddings.word_embeddings.weight


def _rewrite(src: Path, dst: Path, edit: Callable[[dict[str, torch.Tensor]], None]) -> Path:
    shutil.copytree(src, dst)
    sd = dict(torch.load(dst / "pytorch_model.bin", weights_only=True))
    edit(sd)
    torch.save(sd, dst / "pytorch_model.bin")
    return dst


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        ("missing", lambda sd: sd.pop("bert.encoder.layer.1.mlp.wo.bias"),
         r"missing 1: bert\.encoder\.layer\.1\.mlp\.wo\.bias"),
        ("pooler", lambda sd: sd.update({"bert.pooler.dense.weight": torch.zeros(32, 32)}),
         r"unexpected 1: bert\.pooler\.dense\.weight"),
        ("shape", lambda sd: sd.update({f"{QKV}.weight": torch.zeros(64, 32)}),
         r"wrong shape 1: bert\.encoder\.layer\.0\.attention\.self\.Wqkv\.weight: checkpoint \(64, 32\)"),
        ("untied", lambda sd: sd.update({DECODER: sd[WORD] + 1.0}),
         r"untied 1: cls\.predictions\.decoder\.weight differs"),
        ("decoder-shape", lambda sd: sd.update({DECODER: sd[WORD][:-1].clone()}),
         r"cls\.predictions\.decoder\.weight: tied to .* but shaped"),
    ],
)
def test_strict_loading_refuses(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path, name: str,
    edit: Callable[[dict[str, torch.Tensor]], None], message: str,
) -> None:
    path = _rewrite(tiny_dir(), tmp_path / name, edit)
    with pytest.raises(zoo.CheckpointError, match=message):
        zoo.load(path)


def test_bad_config_and_tokenizer_are_checkpoint_errors(
    zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path
) -> None:
    small = tmp_path / "small-vocab"
    shutil.copytree(tiny_dir(), small)
    cfg = json.loads((small / "config.json").read_text())
    (small / "config.json").write_text(json.dumps(cfg | {"vocab_size": 100}))
    with pytest.raises(zoo.CheckpointError, match=r"ids up to 344, but config\.json's vocab_size is 100"):
        zoo.load(small)
    (small / "config.json").write_text(json.dumps({k: v for k, v in cfg.items() if k != "hidden_size"}))
    with pytest.raises(zoo.CheckpointError, match="hidden_size"):
        zoo.load(small)
    (small / "config.json").write_text(json.dumps(cfg))
    (small / "tokenizer.json").unlink()
    with pytest.raises(zoo.CheckpointError, match=r"looked for tokenizer\.json"):
        zoo.load(small)


def test_remote_code_is_never_executed(zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    """Load, embed, compat and save leave the bert_layers.py stand-in unexecuted (it would leave a marker)."""
    from dnallm_zoo.compat import load_model_and_tokenizer

    path = tmp_path / "snapshot"
    shutil.copytree(tiny_dir(), path)
    enc = zoo.load(path)
    enc.embed(["ACGT" * 600], pooling="mean")
    model, tok = load_model_and_tokenizer(model_name_or_path=str(path), task_config={"task_type": "mask"})
    model(**tok("ACGTACGT", return_tensors="pt"))
    enc.save_pretrained(tmp_path / "saved")
    assert not (path / EXECUTED_MARKER).exists()
    assert not {"bert_layers", "configuration_bert"} & set(sys.modules)
    assert sorted(p.name for p in (tmp_path / "saved").glob("*.py")) == []
    # the stand-in really does leave the marker when run: the assertions above can fail
    with pytest.raises(RuntimeError, match="executed"):
        runpy.run_path(str(path / "bert_layers.py"))
    assert (path / EXECUTED_MARKER).exists()


def test_compat_readme_snippet(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    """`model(**tokenizer(seq, return_tensors="pt")).last_hidden_state` through load_model_and_tokenizer."""
    from dnallm_zoo.compat import load_model_and_tokenizer

    path = tiny_dir()
    model, tokenizer = load_model_and_tokenizer(model_name_or_path=str(path))
    seq = SEQS[0]
    inputs = tokenizer(seq, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**inputs).last_hidden_state
        first = model(inputs["input_ids"])[0]  # the original README's `model(inputs)[0]`
    states, _ = reference(path, inputs["input_ids"], inputs["attention_mask"])
    assert hidden.shape == (1, inputs["input_ids"].shape[1], 32)
    torch.testing.assert_close(hidden.double(), states[-1], atol=ATOL, rtol=0)
    assert torch.equal(first, hidden)
    mlm, _ = load_model_and_tokenizer(model_name_or_path=str(path), task_config={"task_type": "mask"})
    with torch.no_grad():
        logits = mlm(**inputs).logits
    assert logits.shape == (1, inputs["input_ids"].shape[1], 345)


def test_compat_honours_output_attentions(tiny_dir: Callable[..., Path]) -> None:
    """DNABERT-2 issues #8/#27/#48/#80/#82: `output_attentions=True` gives the eager path's weights."""
    from dnallm_zoo.compat import load_model_and_tokenizer

    path = tiny_dir()
    model, tokenizer = load_model_and_tokenizer(model_name_or_path=str(path))
    inputs = tokenizer(SEQS[:2], return_tensors="pt", padding=True)
    with torch.no_grad():
        out = model(**inputs, output_attentions=True)
    config = json.loads((path / "config.json").read_text())
    want: list[torch.Tensor] = []
    ref.reference_forward(config, read_state_dict(path / "pytorch_model.bin"), inputs["input_ids"],
                          inputs["attention_mask"], attentions=want)
    assert out.attentions is not None and len(out.attentions) == config["num_hidden_layers"]
    real = inputs["attention_mask"].bool()[:, None, :, None]
    for got, exp in zip(out.attentions, want, strict=True):
        assert got.shape == exp.shape
        rows = real.expand_as(got)
        torch.testing.assert_close(got.double()[rows], exp[rows], atol=1e-6, rtol=0)


def test_dnallm_snippet_at_3kb(tiny_dir: Callable[..., Path]) -> None:
    """Issue 10's measured failure: 3 kb through the DNALLM snippet in one pass, as the original runs it."""
    from dnallm_zoo.compat import load_model_and_tokenizer

    path = tiny_dir()
    seq = "".join(np.random.default_rng(2).choice(list("ACGT"), size=3000))
    model, tokenizer = load_model_and_tokenizer(model_name_or_path=str(path))
    inputs = tokenizer(seq, return_tensors="pt")
    assert inputs["input_ids"].shape[1] > 512  # past alibi_starting_size: the original rebuilt its ALiBi
    with torch.no_grad():
        hidden = model(**inputs).last_hidden_state
    states, _ = reference(path, inputs["input_ids"], inputs["attention_mask"])
    assert float((hidden.double() - states[-1]).abs().max()) < ATOL


def _mutated_repeat(n: int, seed: int) -> str:
    """ACGT repeated, with 1 base in 40 redrawn: ~4 bases a token, so 1800 bases fit 512 tokens."""
    rng = np.random.default_rng(seed)
    bases = list("ACGT" * (n // 4))
    for i in rng.choice(len(bases), len(bases) // 40, replace=False):
        bases[i] = str(rng.choice(list("ACGT")))
    return "".join(bases)


def _check_chunked(enc: Any, seq: str) -> list[Any]:
    """embed(long='chunk') equals the token-weighted mean of each window embedded on its own."""
    got = enc.embed([seq], long="chunk")
    segs = list(enc.embed_segments([seq], segment_bases=enc.max_bases, overlap=64))
    assert segs[0].start == 0 and segs[-1].end == len(seq) and len(segs) > 1
    for a, b in itertools.pairwise(segs):
        assert a.end - b.start >= 64  # no gaps, at least the overlap shared
    vecs, weights = [], []
    for s in segs:
        window = seq[s.start : s.end]
        assert s.n_tokens == len(enc.tokenizer.encode(window)) <= enc.max_length
        vecs.append(enc.embed([window], long="error")[0])
        weights.append(s.n_tokens)
    want = np.average(np.stack(vecs), axis=0, weights=weights)
    assert got.shape == (1, enc.hidden_size)
    np.testing.assert_allclose(got[0], want, atol=ATOL, rtol=0)
    return segs


def test_embed_chunks_long_sequences(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    """Longer than max_bases: windows of max_bases sharing chunk_overlap bases, token-weighted."""
    enc = loaded(zoo, tiny_dir())
    assert (enc.max_bases, enc.spec.capabilities.chunk_overlap) == (1800, 64)
    seq = _mutated_repeat(4000, seed=0)
    with pytest.raises(zoo.SequenceTooLongError, match="long='chunk'"):
        enc.embed([seq], long="error")
    segs = _check_chunked(enc, seq)
    assert [(s.start, s.end) for s in segs] == [(0, 1800), (1736, 3536), (3472, 4000)]


def test_a_genome_is_not_tokenized_whole_before_chunking(
    zoo: Any, tiny_dir: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sequence that cannot fit (even at the longest BPE piece per token) goes straight to chunks."""
    enc = loaded(zoo, tiny_dir())
    seq = _mutated_repeat(60_000, seed=1)
    assert enc.tokenizer.min_tokens(len(seq)) > enc.max_length
    seen: list[int] = []
    real = enc.tokenizer.encode_normalized

    def spy(norm: bytes, **kw: Any) -> Any:
        seen.append(len(norm))
        return real(norm, **kw)

    monkeypatch.setattr(enc.tokenizer, "encode_normalized", spy)
    enc.embed([seq], long="chunk")
    assert seen and max(seen) <= enc.max_bases
    with pytest.raises(zoo.SequenceTooLongError, match="at least"):
        enc.embed([seq], long="error")


def test_embed_resplits_chunks_that_tokenize_too_long(zoo: Any, tiny_dir: Callable[..., Path]) -> None:
    """Windows that still exceed 512 tokens (random DNA in the tiny BPE; N runs) are split again."""
    enc = loaded(zoo, tiny_dir())
    rng = np.random.default_rng(0)
    for seq in ("".join(rng.choice(list("ACGT"), size=4000)), "ACN" * 1500):
        assert len(enc.tokenizer.encode(seq[: enc.max_bases])) > enc.max_length
        segs = _check_chunked(enc, seq)
        assert any(s.end - s.start < enc.max_bases for s in segs[:-1])


def test_save_pretrained_round_trip(zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    """save_pretrained writes the original layout (config with auto_map, original keys) and loads back."""
    path = tiny_dir()
    enc = loaded(zoo, path)
    out = tmp_path / "saved"
    enc.save_pretrained(out)
    assert json.loads((out / "config.json").read_text()) == json.loads((path / "config.json").read_text())
    assert (out / "tokenizer.json").read_text() == (path / "tokenizer.json").read_text()
    saved = read_state_dict(out / "model.safetensors")
    assert set(saved) == set(ref.original_key_shapes(enc.config)) - {DECODER}
    back = zoo.load(out)
    assert back.spec.id == "dnabert2-117m"
    np.testing.assert_array_equal(back.embed(SEQS), enc.embed(SEQS))
    assert back.tokenizer.encode(SEQS[2]).tolist() == enc.tokenizer.encode(SEQS[2]).tolist()


def test_cli_embed(zoo: Any, tiny_dir: Callable[..., Path], tmp_path: Path) -> None:
    """`dnallm-zoo embed` on a DNABERT-2 checkpoint directory, a sequence longer than max_bases included."""
    from click.testing import CliRunner

    from dnallm_zoo.cli import cli

    rng = np.random.default_rng(1)
    seqs = {"short": SEQS[0], "long": "".join(rng.choice(list("ACGT"), size=4000))}
    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">{k}\n{v}\n" for k, v in seqs.items()))
    out = tmp_path / "out.npy"
    res = CliRunner().invoke(cli, ["embed", str(fasta), "--model", str(tiny_dir()), "-o", str(out)])
    assert res.exit_code == 0, res.output
    got = np.load(out)
    want = loaded(zoo, tiny_dir()).embed(list(seqs.values()))
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "auto"])
def test_cuda_half_precision(zoo: Any, tiny_dir: Callable[..., Path], dtype: str) -> None:
    """fp16/bf16 on CUDA stay close to fp32; padded positions stay exactly 0."""
    path = tiny_dir()
    enc = zoo.load(path, device="cuda", dtype=dtype)
    want_dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}.get(dtype)
    if want_dtype is not None:
        assert enc.dtype == want_dtype
    ids, mask = batch([300, 1, 77, 513], True, enc.tokenizer.vocab_size, seed=5)
    states, logits = reference(path, ids, mask)
    with torch.inference_mode():
        out = enc.forward(ids.cuda(), mask.cuda(), with_logits=True)
    got = out.last_hidden_state.double().cpu()
    assert bool((got[mask == 0] == 0).all())
    assert (got - states[-1]).abs()[mask == 1].mean() < 0.05
    assert out.logits is not None and (out.logits.double().cpu() - logits).abs().mean() < 0.1
    vec = enc.embed(SEQS)
    assert vec.dtype == np.float32 and np.isfinite(vec).all()
