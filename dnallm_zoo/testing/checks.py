"""The conformance checks: one plain function per check, and `run_checks` over all of them.

A check takes a `ModelUnderTest` (spec, encoder class, checkpoint directory), returns a one-line
detail when the model passes, raises `AssertionError` with a precise message when it does not,
and `CheckSkipped` when it does not apply on this machine (a device it lacks).
"""

from __future__ import annotations

import contextlib
import itertools
import random
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch

from .._checkpoint import find_weights_file, load_state_dict_strict, read_state_dict
from .._encoder import DNAEncoder, EncoderOutput
from .._names import Pooling
from .._registry import get_registry
from .._runtime import available_devices
from .._spec import ModelSpec
from ..errors import (
    CheckpointError,
    EmptySequenceError,
    InvalidSequenceError,
    PluginLoadError,
    SequenceTooLongError,
)
from .checkpoints import make_test_checkpoint, planted_defects, write_weights_copy

__all__ = [
    "CHECKS",
    "COPY_LIMIT",
    "CheckResult",
    "CheckSkipped",
    "ModelUnderTest",
    "check_attentions",
    "check_batch_invariance",
    "check_determinism",
    "check_device",
    "check_long_input",
    "check_save_round_trip",
    "check_shapes",
    "check_strict_load",
    "check_tokenizer",
    "device_checks",
    "run_checks",
]

#: checkpoints up to this size get their planted-defect copies written to disk and loaded through
#: `from_pretrained`; larger ones are checked in memory against the family's declared key rules
COPY_LIMIT = 64 * 2**20


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; a skipped check is ok (it did not fail), with the reason in detail."""

    name: str
    ok: bool
    skipped: bool = False
    detail: str = ""


class CheckSkipped(Exception):
    """The check does not apply here (e.g. a device this machine lacks); the message says why."""


@dataclass
class ModelUnderTest:
    """A model's spec, its encoder class and a checkpoint directory to check them on."""

    spec: ModelSpec
    encoder_cls: type[DNAEncoder]
    path: Path
    _reference: DNAEncoder | None = field(default=None, repr=False)

    @classmethod
    def from_registry(cls, model: str, path: str | Path) -> ModelUnderTest:
        """The registered model `model` (id, alias or 'plugin:id') on the checkpoint in `path`."""
        entry = get_registry().resolve(model)
        try:
            encoder = entry.encoder_class()
        except Exception as exc:
            raise PluginLoadError(
                entry.spec.plugin or "?", f"cannot import the encoder {entry.encoder!r} of "
                f"{entry.spec.id}: {type(exc).__name__}: {exc}"
            ) from exc
        return cls(entry.spec, encoder, Path(path))

    @property
    def device(self) -> str:
        """The device the checks run on: cpu when the model allows it, else the best one here."""
        devices = self.spec.capabilities.devices
        if "cpu" in devices:
            return "cpu"
        for kind in available_devices():
            if kind in devices:
                return kind
        raise CheckSkipped(f"{self.spec.id} runs on {list(devices)}, none of which this machine has")

    @property
    def dtype(self) -> str:
        """float32 when the model allows it on `device`, else its first dtype there."""
        allowed = self.spec.capabilities.dtypes[self.device]
        return "float32" if "float32" in allowed else allowed[0]

    @property
    def atol(self) -> float:
        """Tolerance of equalities that hold exactly in exact arithmetic (1e-5 in fp32)."""
        return 1e-5 if self.dtype == "float32" else 1e-2

    def load(
        self, path: str | Path | None = None, *, device: str | None = None, dtype: str | None = None
    ) -> DNAEncoder:
        """A fresh load through the encoder class (the checks' device and dtype by default)."""
        return self.encoder_cls.from_pretrained(
            Path(path) if path is not None else self.path, self.spec,
            device=device or self.device, dtype=dtype or self.dtype,
        )

    def reference(self) -> DNAEncoder:
        """One load shared by the checks that only read from it."""
        if self._reference is None:
            self._reference = self.load()
        return self._reference

    def registered(self) -> bool:
        """True when the registry maps this spec to this very encoder class."""
        if self.spec.plugin is None:
            return False
        try:
            entry = get_registry().resolve(f"{self.spec.plugin}:{self.spec.id}")
            return entry.encoder_class() is self.encoder_cls
        except Exception:
            return False

    def sequences(self) -> list[str]:
        """Three random ACGT sequences of growing length, the longest within max_bases."""
        rng = random.Random(0)
        k = self.spec.tokenizer.k or 1
        top = max(k + 3, min(self.spec.capabilities.max_bases, 48))
        lengths = sorted({max(k + 1, top // 3), max(k + 2, 2 * top // 3), top})
        return [_random_dna(rng, n) for n in lengths]


def _random_dna(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ACGT") for _ in range(n))


# --------------------------------------------------------------------------- helpers
def _batch(enc: DNAEncoder, seqs: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    batch = enc.tokenizer(seqs, return_tensors="pt", padding=True)
    return batch["input_ids"].to(enc.device), batch["attention_mask"].to(enc.device)


@torch.inference_mode()
def _forward(enc: DNAEncoder, seqs: list[str], **kwargs: bool) -> tuple[EncoderOutput, torch.Tensor]:
    ids, mask = _batch(enc, seqs)
    return enc.forward(ids, mask, **kwargs), mask


def _assert_close(got: torch.Tensor, want: torch.Tensor, *, atol: float, what: str) -> None:
    """|got - want| <= atol + atol * |want| everywhere, or an AssertionError saying where."""
    g, w = got.detach().double().cpu(), want.detach().double().cpu()
    if g.shape != w.shape:
        raise AssertionError(f"{what}: shape {tuple(g.shape)}, expected {tuple(w.shape)}")
    if not torch.isfinite(g).all():
        raise AssertionError(f"{what}: holds NaN or inf")
    excess = (g - w).abs() - atol * w.abs()
    if excess.numel() and excess.max() > atol:
        flat = int(excess.argmax())
        where = tuple(int(i) for i in np.unravel_index(flat, tuple(g.shape)))
        diff = float((g - w).abs().flatten()[flat])
        raise AssertionError(f"{what}: differs by {diff:.3g} at {where} (tolerance {atol:g})")


def _relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    g, w = got.detach().double().cpu(), want.detach().double().cpu()
    return float((g - w).norm() / w.norm().clamp_min(1e-12))


def _pooled_kinds(spec: ModelSpec) -> list[Pooling]:
    return [p for p in spec.capabilities.poolings if p != "none"]


@contextlib.contextmanager
def _refusal(what: str, key: str) -> Iterator[None]:
    """Expect a CheckpointError naming `key`."""
    try:
        yield
    except CheckpointError as exc:
        if key not in str(exc):
            raise AssertionError(f"a checkpoint {what} was refused, but the message does not name "
                                 f"{key!r}: {exc}") from None
        return
    except Exception as exc:
        raise AssertionError(f"a checkpoint {what} raised {type(exc).__name__} ({exc}), "
                             "not CheckpointError") from None
    raise AssertionError(f"a checkpoint {what} loaded without an error: loading is not strict")


def _weights_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.suffix in (".safetensors", ".bin"))


# --------------------------------------------------------------------------- the checks
def check_strict_load(m: ModelUnderTest) -> str:
    """Every tensor loads as stored; a missing, an unexpected or a misshaped tensor is refused."""
    enc = m.reference()
    left = [n for n, t in [*enc.module.named_parameters(), *enc.module.named_buffers()] if t.is_meta]
    if left:
        raise AssertionError(f"tensors left uninitialised (on the meta device) after loading: {left}")
    stored = read_state_dict(find_weights_file(m.path))
    loaded = enc.module.state_dict()
    compared = 0
    for key, tensor in stored.items():
        if key in m.encoder_cls.tied_keys or key not in loaded:
            continue
        got = loaded[key]
        want = tensor.to(got.device, got.dtype) if tensor.is_floating_point() else tensor.to(got.device)
        if got.shape != want.shape or not torch.equal(got, want):
            raise AssertionError(f"{key}: the loaded tensor differs from the checkpoint's")
        compared += 1
    required = [k for k in loaded if k not in m.encoder_cls.tied_keys]
    defects = planted_defects(stored, required, ignorable=m.encoder_cls.ignorable_keys)
    what = {
        "missing": "lacking the tensor {key!r}",
        "unexpected": "with the unexpected tensor {key!r}",
        "misshaped": "with the tensor {key!r} one row longer",
    }
    size = _weights_size(m.path)
    if size <= COPY_LIMIT:
        with tempfile.TemporaryDirectory(prefix="zoo-planted-") as tmp:
            for kind, (key, state) in defects.items():
                copy = write_weights_copy(m.path, Path(tmp) / kind, state)
                with _refusal(what[kind].format(key=key), key):
                    m.load(copy)
        how = "copies on disk"
    else:
        for kind, (key, state) in defects.items():
            module = m.encoder_cls.build_module(m.spec, enc.config)
            with _refusal(what[kind].format(key=key), key):
                load_state_dict_strict(module, state, ignore=m.encoder_cls.ignorable_keys,
                                       tied=m.encoder_cls.tied_keys, source=f"planted {kind} copy")
        how = f"in memory (weights are {size / 2**20:.0f} MiB)"
    return f"{compared} tensors equal the checkpoint's; {', '.join(defects)} copies refused ({how})"


def check_tokenizer(m: ModelUnderTest) -> str:
    """Ids in the vocabulary, specials in place, padding with the pad id, deterministic, bad input refused."""
    enc = m.reference()
    tok = enc.tokenizer
    seqs = m.sequences()
    mid = seqs[1]
    odd = [mid.lower(), mid[:2] + "NN" + mid[4:], mid.replace("T", "U")]
    if tok.normalization.iupac == "unk":
        odd.append(mid[:1] + "R" + mid[2:])
    known = set(tok.vocab.values())
    rows = int(enc.config.get("vocab_size", max(known) + 1))
    body_specials = {i for i in (tok.pad_token_id, tok.cls_token_id, tok.sep_token_id,
                                 tok.mask_token_id) if i is not None} - {tok.unk_token_id}
    fresh = m.encoder_cls.build_tokenizer(m.path, m.spec, enc.config, tok.normalization)
    pre, suf = [int(i) for i in tok.prefix_ids], [int(i) for i in tok.suffix_ids]
    for s in seqs + odd:
        ids = [int(i) for i in tok.encode(s)]
        body = [int(i) for i in tok.encode(s, add_special_tokens=False)]
        if not body:
            raise AssertionError(f"{s!r} ({len(s)} bases) gives no tokens")
        unknown = sorted({i for i in ids if i not in known or i >= rows})
        if unknown:
            raise AssertionError(f"{s!r}: ids {unknown} are outside the vocabulary "
                                 f"({len(known)} tokens, {rows} embedding rows)")
        if ids != pre + body + suf:
            raise AssertionError(f"{s!r}: ids {ids} are not prefix {pre} + body + suffix {suf}")
        stray = sorted(set(body) & body_specials)
        if stray:
            raise AssertionError(f"{s!r}: special ids {stray} inside the body {body}")
        if [int(i) for i in tok.encode(s)] != ids:
            raise AssertionError(f"{s!r}: two encodings differ")
        if [int(i) for i in fresh.encode(s)] != ids:
            raise AssertionError(f"{s!r}: a tokenizer built afresh from the files encodes it differently")
        counted = tok.count_tokens(len(tok.normalize(s)))
        if counted is not None and counted != len(ids):
            raise AssertionError(f"{s!r}: count_tokens says {counted}, encoding gives {len(ids)}")
    batch = tok(seqs, return_tensors="pt", padding=True)
    ids_t, mask_t = batch.get("input_ids"), batch.get("attention_mask")
    if not isinstance(ids_t, torch.Tensor) or not isinstance(mask_t, torch.Tensor):
        raise AssertionError("tokenizer(seqs, return_tensors='pt', padding=True) did not give tensors "
                             "input_ids and attention_mask")
    lengths = [len(tok.encode(s)) for s in seqs]
    want_shape = (len(seqs), max(lengths))
    if tuple(ids_t.shape) != want_shape or tuple(mask_t.shape) != want_shape:
        raise AssertionError(f"input_ids {tuple(ids_t.shape)} and attention_mask {tuple(mask_t.shape)}, "
                             f"expected both {want_shape}")
    if ids_t.dtype != torch.long:
        raise AssertionError(f"input_ids are {ids_t.dtype}, expected torch.int64")
    for row, (s, n) in enumerate(zip(seqs, lengths, strict=True)):
        if ids_t[row, :n].tolist() != [int(i) for i in tok.encode(s)]:
            raise AssertionError(f"row {row} of the padded batch is not the sequence's own encoding")
        if mask_t[row, :n].tolist() != [1] * n or mask_t[row, n:].any():
            raise AssertionError(f"row {row}: attention_mask {mask_t[row].tolist()} for {n} tokens")
        pads = sorted(set(ids_t[row, n:].tolist()) - {tok.pad_token_id})
        if pads:
            raise AssertionError(f"row {row} is padded with ids {pads}, not the pad id {tok.pad_token_id}")
    for bad in ("ACGT@ACGT", "ACGT ACGT", "ACGT\u00c4ACGT"):
        for call in (lambda b=bad: tok.encode(b), lambda b=bad: tok([b], return_tensors="pt"),
                     lambda b=bad: enc.embed([b])):
            _expect(InvalidSequenceError, call, f"the invalid sequence {bad!r}")
    for empty in (lambda: tok.encode(""), lambda: tok([""], return_tensors="pt"), lambda: enc.embed([""])):
        _expect(EmptySequenceError, empty, "an empty sequence")
    return f"{len(seqs) + len(odd)} sequences; pad id {tok.pad_token_id}; specials {pre} … {suf}"


def _expect(error: type[Exception], call: Callable[[], object], what: str) -> None:
    try:
        call()
    except error:
        return
    except Exception as exc:
        raise AssertionError(f"{what} raised {type(exc).__name__} ({exc}), not {error.__name__}") from None
    raise AssertionError(f"{what} was accepted; expected {error.__name__}")


def check_shapes(m: ModelUnderTest) -> str:
    """forward gives [B,S,H] (and num_layers+1 hidden states on request); embed gives [N,H] float32."""
    enc = m.reference()
    seqs = m.sequences()
    ids, mask = _batch(enc, seqs)
    b, s = ids.shape
    h = enc.hidden_size
    out, _ = _forward(enc, seqs)
    if not isinstance(out, EncoderOutput):
        raise AssertionError(f"forward returned {type(out).__name__}, not EncoderOutput")
    last = out.last_hidden_state
    if tuple(last.shape) != (b, s, h):
        raise AssertionError(f"last_hidden_state is {tuple(last.shape)}, expected [B,S,H] = {(b, s, h)}")
    if last.dtype != enc.dtype:
        raise AssertionError(f"last_hidden_state is {last.dtype}, the model is {enc.dtype}")
    if last.device.type != enc.device.type:
        raise AssertionError(f"last_hidden_state is on {last.device}, the model on {enc.device}")
    if not torch.isfinite(last[mask.bool()]).all():
        raise AssertionError("last_hidden_state holds NaN or inf at real positions")
    full, _ = _forward(enc, seqs, output_hidden_states=True)
    states = full.hidden_states
    if states is None or len(states) != enc.num_layers + 1:
        n = None if states is None else len(states)
        raise AssertionError(f"output_hidden_states=True gave {n} hidden states, expected "
                             f"num_layers + 1 = {enc.num_layers + 1} (embeddings, then each layer)")
    for i, t in enumerate(states):
        if tuple(t.shape) != (b, s, h):
            raise AssertionError(f"hidden_states[{i}] is {tuple(t.shape)}, expected {(b, s, h)}")
    _assert_close(full.last_hidden_state, last, atol=m.atol,
                  what="last_hidden_state with output_hidden_states=True")
    head, _ = _forward(enc, seqs, with_logits=True)
    if m.spec.task == "sequence-classification":
        assert m.spec.labels is not None
        want = (b, len(m.spec.labels))
        if head.logits is None or tuple(head.logits.shape) != want:
            shape = None if head.logits is None else tuple(head.logits.shape)
            raise AssertionError(f"with_logits=True gave logits {shape}, expected [B, labels] = {want}")
    elif head.logits is not None and tuple(head.logits.shape[:2]) != (b, s):
        raise AssertionError(f"logits are {tuple(head.logits.shape)}, expected [B,S,...] = {(b, s)}")
    for pooling in m.spec.capabilities.poolings:
        got = enc.embed(seqs, pooling=pooling)
        if pooling == "none":
            if not isinstance(got, list) or len(got) != b:
                raise AssertionError(f"embed(pooling='none') gave {type(got).__name__}, "
                                     f"expected a list of {b}")
            for i, (x, seq) in enumerate(zip(got, seqs, strict=True)):
                want_t = (len(enc.tokenizer.encode(seq)), h)
                if x.shape != want_t or x.dtype != np.float32:
                    raise AssertionError(f"embed(pooling='none')[{i}] is {x.shape} {x.dtype}, "
                                         f"expected {want_t} float32")
            continue
        _check_vectors(got, (b, h), f"embed(pooling={pooling!r})")
    pooled = _pooled_kinds(m.spec)
    if pooled:
        _check_vectors(enc.embed(seqs, pooling=pooled[0], layer=0), (b, h),
                       f"embed(pooling={pooled[0]!r}, layer=0)")
    return f"[B,S,H] = {(b, s, h)}, {enc.num_layers + 1} hidden states, poolings " \
           f"{list(m.spec.capabilities.poolings)}"


def _check_vectors(got: object, shape: tuple[int, int], what: str) -> None:
    if not isinstance(got, np.ndarray):
        raise AssertionError(f"{what} gave {type(got).__name__}, expected a numpy array")
    if got.shape != shape or got.dtype != np.float32:
        raise AssertionError(f"{what} is {got.shape} {got.dtype}, expected [N,H] = {shape} float32")
    if not np.isfinite(got).all():
        raise AssertionError(f"{what} holds NaN or inf")


def check_batch_invariance(m: ModelUnderTest) -> str:
    """A sequence alone equals itself inside a padded batch with longer neighbours (real positions)."""
    enc = m.reference()
    seqs = m.sequences()
    order = seqs[::-1]  # longest first: every shorter one is padded
    together, mask = _forward(enc, order, output_hidden_states=True)
    assert together.hidden_states is not None
    width = int(mask.shape[1])
    padded = 0
    for row, seq in enumerate(order):
        n = int(mask[row].sum())
        alone, _ = _forward(enc, [seq], output_hidden_states=True)
        assert alone.hidden_states is not None
        if alone.last_hidden_state.shape[1] != n:
            raise AssertionError(f"{len(seq)} bases give {alone.last_hidden_state.shape[1]} tokens alone "
                                 f"but {n} in a batch")
        padded += n < width
        for i, (t, a) in enumerate(zip(together.hidden_states, alone.hidden_states, strict=True)):
            _assert_close(t[row, :n], a[0], atol=m.atol,
                          what=f"hidden_states[{i}] of a {len(seq)}-base sequence inside a batch "
                               f"(padded from {n} to {width} tokens) vs alone")
        _assert_close(together.last_hidden_state[row, :n], alone.last_hidden_state[0], atol=m.atol,
                      what=f"last_hidden_state of a {len(seq)}-base sequence in a batch vs alone")
    if not padded:
        raise AssertionError(f"the test sequences {[len(s) for s in seqs]} bases all give {width} tokens: "
                             "nothing was padded")
    for pooling in _pooled_kinds(m.spec):
        batch = enc.embed(order, pooling=pooling)
        for row, seq in enumerate(order):
            _assert_close(torch.from_numpy(np.asarray(batch[row])),
                          torch.from_numpy(np.asarray(enc.embed([seq], pooling=pooling)[0])),
                          atol=m.atol, what=f"embed(pooling={pooling!r}) of a {len(seq)}-base sequence "
                                            "in a batch vs alone")
    return f"{padded} padded sequences equal their lone runs to {m.atol:g}"


def check_attentions(m: ModelUnderTest) -> str:
    """output_attentions=True: one [B, heads, T, T] softmax per layer; each real query's row sums to 1 over
    the real keys (padding gets no weight), a padded sequence's weights equal its lone run's, and the
    hidden states equal a plain forward's."""
    enc = m.reference()
    order = m.sequences()[::-1]  # longest first: the others are padded
    plain, mask = _forward(enc, order)
    out, _ = _forward(enc, order, output_attentions=True)
    b, t = (int(n) for n in mask.shape)
    want = (b, enc.num_heads, t, t)
    att = out.attentions
    if att is None or len(att) != enc.num_layers:
        n = None if att is None else len(att)
        raise AssertionError(f"output_attentions=True gave {n} attention tensors, expected one per layer "
                             f"({enc.num_layers})")
    _assert_close(out.last_hidden_state[mask.bool()], plain.last_hidden_state[mask.bool()], atol=m.atol,
                  what="last_hidden_state with output_attentions=True vs without")
    tol = 1e-3 if m.dtype == "float32" else 2e-2
    real = mask.bool()
    for i, a in enumerate(att):
        if tuple(a.shape) != want:
            raise AssertionError(f"attentions[{i}] is {tuple(a.shape)}, expected [B, heads, T, T] = {want}")
        w = a.detach().double().cpu()
        keys = real.cpu()[:, None, None, :]
        rows = real.cpu()[:, None, :].expand(b, want[1], t)
        leak = float((w * ~keys).sum(-1)[rows].max()) if bool((~real).any()) else 0.0
        if not leak <= tol:
            raise AssertionError(f"attentions[{i}]: a real token gives {leak:.3g} of its weight to padding")
        on_real = (w * keys).sum(-1)[rows]
        worst = float((on_real - 1).abs().max())
        if not worst <= tol:
            raise AssertionError(f"attentions[{i}]: a real token's weights over the real tokens sum to 1 "
                                 f"± {worst:.3g} (tolerance {tol:g})")
    for row, seq in enumerate(order):
        n = int(mask[row].sum())
        alone, _ = _forward(enc, [seq], output_attentions=True)
        assert alone.attentions is not None
        for i, (x, y) in enumerate(zip(att, alone.attentions, strict=True)):
            _assert_close(x[row, :, :n, :n], y[0], atol=m.atol,
                          what=f"attentions[{i}] of a {len(seq)}-base sequence in a batch vs alone")
    return f"{enc.num_layers} layers of {list(want)} weights, rows summing to 1 over real tokens"


def check_determinism(m: ModelUnderTest) -> str:
    """Two calls, and two independent loads, give the same outputs (no dropout, no random init)."""
    first = m.reference()
    second = m.load()
    for name, enc in (("first", first), ("second", second)):
        if enc.module.training:
            raise AssertionError(f"the {name} load left the module in training mode (dropout active)")
    seqs = m.sequences()
    a1, mask = _forward(first, seqs, output_hidden_states=True)
    a2, _ = _forward(first, seqs, output_hidden_states=True)
    b1, _ = _forward(second, seqs, output_hidden_states=True)
    real = mask.bool()
    _assert_close(a2.last_hidden_state[real], a1.last_hidden_state[real], atol=m.atol,
                  what="last_hidden_state of two calls on one load")
    assert a1.hidden_states is not None and b1.hidden_states is not None
    for i, (x, y) in enumerate(zip(b1.hidden_states, a1.hidden_states, strict=True)):
        _assert_close(x[real], y[real], atol=m.atol, what=f"hidden_states[{i}] of two independent loads")
    for pooling in _pooled_kinds(m.spec):
        _assert_close(torch.from_numpy(np.asarray(second.embed(seqs, pooling=pooling))),
                      torch.from_numpy(np.asarray(first.embed(seqs, pooling=pooling))),
                      atol=m.atol, what=f"embed(pooling={pooling!r}) of two independent loads")
    return f"two calls and two loads agree to {m.atol:g}"


def check_save_round_trip(m: ModelUnderTest) -> str:
    """save_pretrained, reload (encoder class and `dnallm_zoo.load(dir)`): same weights and outputs."""
    from .._loading import load

    enc = m.reference()
    seqs = m.sequences()
    want, mask = _forward(enc, seqs)
    real = mask.bool()
    with tempfile.TemporaryDirectory(prefix="zoo-saved-") as tmp:
        saved = Path(tmp) / m.spec.id
        enc.save_pretrained(saved)
        try:
            again = m.load(saved)
        except Exception as exc:
            raise AssertionError(f"the saved checkpoint does not load back through "
                                 f"{m.encoder_cls.__name__}: {type(exc).__name__}: {exc}") from None
        before, after = enc.module.state_dict(), again.module.state_dict()
        if set(before) != set(after):
            lost, gained = sorted(set(before) - set(after)), sorted(set(after) - set(before))
            raise AssertionError(f"reloaded tensors differ in names: lost {lost}, gained {gained}")
        for key, t in before.items():
            if not torch.equal(after[key], t):
                raise AssertionError(f"{key}: the reloaded tensor differs from the saved one")
        if again.config != enc.config:
            raise AssertionError("the reloaded config differs from the saved one")
        for s in seqs:
            if again.tokenizer.encode(s).tolist() != enc.tokenizer.encode(s).tolist():
                raise AssertionError(f"{s!r}: the reloaded tokenizer encodes it differently")
        if again.tokenizer.pad_token_id != enc.tokenizer.pad_token_id:
            raise AssertionError(f"the reloaded tokenizer pads with {again.tokenizer.pad_token_id}, "
                                 f"the original with {enc.tokenizer.pad_token_id}")
        got, _ = _forward(again, seqs)
        _assert_close(got.last_hidden_state[real], want.last_hidden_state[real], atol=m.atol,
                      what=f"last_hidden_state after a round trip through {m.encoder_cls.__name__}")
        detail = f"{len(before)} tensors reloaded through {m.encoder_cls.__name__}"
        if m.registered():
            try:
                via = load(saved, device=m.device, dtype=m.dtype)
            except Exception as exc:
                raise AssertionError(f"dnallm_zoo.load() of the saved directory failed: "
                                     f"{type(exc).__name__}: {exc}") from None
            if via.spec.plugin != m.spec.plugin:
                raise AssertionError(f"dnallm_zoo.load() of the saved {m.spec.id} picked "
                                     f"{via.spec.plugin}:{via.spec.id} (match_checkpoint)")
            got, _ = _forward(via, seqs)
            _assert_close(got.last_hidden_state[real], want.last_hidden_state[real], atol=m.atol,
                          what="last_hidden_state after a round trip through dnallm_zoo.load(dir)")
            detail += f" and dnallm_zoo.load(dir) (matched {via.spec.id!r})"
    return detail


def check_long_input(m: ModelUnderTest) -> str:
    """Longer than max_bases: chunked whole by long='chunk', refused by long='error'."""
    enc = m.reference()
    tok = enc.tokenizer
    caps = m.spec.capabilities
    rng = random.Random(1)
    seq = _random_dna(rng, caps.max_bases + caps.max_bases // 2 + (m.spec.tokenizer.k or 1))
    counted = tok.count_tokens(len(seq))
    if counted is not None and len(tok.encode(seq)) != counted:
        raise AssertionError(f"{len(seq)} bases give {len(tok.encode(seq))} tokens where count_tokens "
                             f"says {counted}: the tokenizer truncates (max_length {enc.max_length})")
    for _ in range(6):  # BPE packs several bases a token: grow until the tokens overflow too
        if len(tok.encode(seq)) > enc.max_length:
            break
        seq += _random_dna(rng, len(seq))
    else:
        raise AssertionError(f"{len(seq)} bases ({caps.max_bases} advertised per pass) still give only "
                             f"{len(tok.encode(seq))} tokens: the tokenizer truncates (max_length "
                             f"{enc.max_length})")
    n_tokens = len(tok.encode(seq))
    what = f"a sequence of {len(seq)} bases ({n_tokens} tokens; max_length {enc.max_length})"
    _expect(SequenceTooLongError, lambda: enc.embed([seq], long="error"), f"embed(long='error') of {what}")
    # the tokenizer behaves as transformers' do: every id bare, cut to max_length only when asked
    bare = tok([seq], return_tensors="pt")["input_ids"].shape[-1]
    cut = tok([seq], return_tensors="pt", truncation=True)["input_ids"].shape[-1]
    if (bare, cut) != (n_tokens, enc.max_length):
        raise AssertionError(f"tokenizer() of {what} gave {bare} ids, {cut} with truncation=True; "
                             f"expected {n_tokens} and {enc.max_length}, as transformers' tokenizers give")
    pooled = _pooled_kinds(m.spec)
    if not pooled:
        return f"{what} refused (no pooling to chunk with)"
    pooling: Pooling = "mean" if "mean" in pooled else pooled[0]
    chunked = enc.embed([seq], long="chunk", pooling=pooling)
    _check_vectors(chunked, (1, enc.hidden_size), f"embed(long='chunk') of {what}")
    segments = list(enc.embed_segments([seq], segment_bases=caps.max_bases, overlap=caps.chunk_overlap,
                                       pooling=pooling))
    n = len(tok.normalize(seq))
    spans = [(g.start, g.end) for g in segments]
    if len(segments) < 2 or spans[0][0] != 0:
        raise AssertionError(f"{what} was cut into chunks {spans}")
    for (_, prev_end), (start, end) in itertools.pairwise(spans):
        if start > prev_end or end <= prev_end:
            raise AssertionError(f"chunks {spans} of {what} leave a gap or go backwards")
    tail = (m.spec.tokenizer.k or 1) - 1
    if spans[-1][1] < n - tail:
        raise AssertionError(f"the chunks of {what} end at base {spans[-1][1]} of {n}: the tail is dropped")
    for g in segments:
        if g.end - g.start > caps.max_bases or g.n_tokens > enc.max_length:
            raise AssertionError(f"chunk {g.start}-{g.end} has {g.end - g.start} bases and {g.n_tokens} "
                                 f"tokens; the model takes {caps.max_bases} bases, {enc.max_length} tokens")
    vecs = np.stack([g.vector for g in segments])
    if pooling == "max":
        expected = vecs.max(axis=0)
    else:
        weights = np.array([g.n_tokens for g in segments], dtype=np.float64)[:, None]
        expected = (vecs * weights).sum(axis=0) / weights.sum()
    _assert_close(torch.from_numpy(chunked[0]), torch.from_numpy(np.asarray(expected, dtype=np.float32)),
                  atol=m.atol, what=f"embed(long='chunk', pooling={pooling!r}) vs its {len(segments)} chunks "
                                    "pooled by token count")
    head = enc.embed([seq[: caps.max_bases]], pooling=pooling)
    if np.allclose(chunked, head, atol=m.atol, rtol=0):
        raise AssertionError(f"embed(long='chunk') of {what} equals that of its first {caps.max_bases} "
                             "bases: the rest is ignored")
    return f"{what}: refused by long='error', {len(segments)} chunks by long='chunk'"


def check_device(m: ModelUnderTest, device: str, dtype: str) -> str:
    """Loads and runs on `device` in `dtype`; agrees with the fp32 reference (loosely in fp16/bf16)."""
    if device not in available_devices():
        raise CheckSkipped(f"no {device} on this machine")
    enc = m.load(device=device, dtype=dtype)
    want_dtype = getattr(torch, dtype)
    if enc.device.type != device or enc.dtype != want_dtype:
        raise AssertionError(f"asked for {device}/{dtype}, the model is on {enc.device} in {enc.dtype}")
    seqs = m.sequences()
    out, mask = _forward(enc, seqs)
    last = out.last_hidden_state
    if last.device.type != device or last.dtype != want_dtype:
        raise AssertionError(f"last_hidden_state is on {last.device} in {last.dtype}, "
                             f"expected {device}/{dtype}")
    pooled = _pooled_kinds(m.spec)
    if pooled:
        _check_vectors(enc.embed(seqs, pooling=pooled[0]), (len(seqs), enc.hidden_size),
                       f"embed on {device}/{dtype}")
    if (device, dtype) == (m.device, m.dtype):
        return f"{device}/{dtype} is the reference"
    ref = m.reference()
    want, _ = _forward(ref, seqs)
    real = mask.bool()
    err = _relative_error(last[real.to(last.device)], want.last_hidden_state[real.to(ref.device)])
    limit = 1e-4 if dtype == "float32" and m.dtype == "float32" else 0.1
    if not err <= limit:
        raise AssertionError(f"{device}/{dtype} differs from {m.device}/{m.dtype} by a relative "
                             f"error of {err:.3g} (limit {limit:g})")
    return f"{device}/{dtype}: relative error {err:.2g} vs {m.device}/{m.dtype}"


CHECKS: dict[str, Callable[[ModelUnderTest], str]] = {
    "strict_load": check_strict_load,
    "tokenizer": check_tokenizer,
    "shapes": check_shapes,
    "batch_invariance": check_batch_invariance,
    "attentions": check_attentions,
    "determinism": check_determinism,
    "save_round_trip": check_save_round_trip,
    "long_input": check_long_input,
}


def device_checks(spec: ModelSpec) -> list[tuple[str, str]]:
    """Every (device, dtype) the spec advertises."""
    caps = spec.capabilities
    return [(dev, dt) for dev in caps.devices for dt in caps.dtypes.get(dev, ())]


def run_one(name: str, check: Callable[[ModelUnderTest], str], m: ModelUnderTest) -> CheckResult:
    """Run one check; failures and crashes become a failed result, never an exception."""
    try:
        detail = check(m)
    except CheckSkipped as exc:
        return CheckResult(name, ok=True, skipped=True, detail=str(exc))
    except AssertionError as exc:
        return CheckResult(name, ok=False, detail=str(exc) or "assertion failed")
    except Exception as exc:
        return CheckResult(name, ok=False, detail=f"{type(exc).__name__}: {exc}")
    return CheckResult(name, ok=True, detail=detail or "")


def run_checks(model: str, *, weights: Path | str | None = None) -> list[CheckResult]:
    """Every conformance check of `model` on its tiny test checkpoint, or on the checkpoint in `weights`.

    Raises `ZooError` only when there is nothing to check (unknown model, no test checkpoint
    writer, unimportable encoder); every check's failure is a result with ``ok=False``.
    """
    entry = get_registry().resolve(model)
    with contextlib.ExitStack() as stack:
        if weights is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zoo-check-")))
            path = make_test_checkpoint(entry.spec, tmp / entry.spec.id)
        else:
            path = Path(weights)
            if not path.is_dir():
                raise CheckpointError(f"{path} is not a checkpoint directory")
        m = ModelUnderTest.from_registry(f"{entry.spec.plugin}:{entry.spec.id}", path)
        results = [run_one(name, check, m) for name, check in CHECKS.items()]
        for dev, dt in device_checks(m.spec):
            check = partial(check_device, device=dev, dtype=dt)
            results.append(run_one(f"device[{dev}/{dt}]", check, m))
        return results
