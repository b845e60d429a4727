"""`DNAEncoder`: the contract every family implements, and the embedding pipeline on top of it."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import torch

from .batching import DEFAULT_TOKEN_BUDGET, chunk_spans, plan_batches, pool
from .errors import CheckpointError, InputError, SequenceTooLongError
from .runtime import resolve_device, resolve_dtype
from .spec import ModelSpec, NormalizationPolicy
from .tokenize.base import DNATokenizer
from .tokenize.bpe import BPETokenizer
from .tokenize.kmer_tokenizer import KmerTokenizer
from .weights import find_weights_file, load_state_dict_strict, read_config, read_state_dict

__all__ = ["DNAEncoder", "EncoderOutput", "Segment"]

E = TypeVar("E", bound="DNAEncoder")
Record = str | bytes | tuple[str, str]
LongPolicy = Literal["chunk", "error"]


@dataclass
class EncoderOutput:
    """What `forward` returns; index 0 is the last hidden state, as in the originals' tuples."""

    last_hidden_state: torch.Tensor  # [batch, tokens, hidden]
    attention_mask: torch.Tensor  # [batch, tokens], 1 on real tokens
    hidden_states: tuple[torch.Tensor, ...] | None = None  # embeddings first, then each layer
    logits: torch.Tensor | None = None  # the checkpoint's head: masked-LM or classifier

    def to_tuple(self) -> tuple[torch.Tensor, ...]:
        return tuple(
            t for t in (self.last_hidden_state, self.hidden_states, self.logits) if t is not None
        )  # type: ignore[misc]

    def __getitem__(self, i: int) -> Any:
        return self.to_tuple()[i]


@dataclass(frozen=True)
class Segment:
    """One window of one input sequence and its pooled embedding."""

    index: int  # position of the sequence in the input
    record: str | None  # its id, when the input named one
    start: int  # 0-based, half-open, in bases of the normalised sequence
    end: int
    n_tokens: int
    vector: np.ndarray


@dataclass
class _Unit:
    index: int
    record: str | None
    start: int
    end: int
    ids: np.ndarray


class DNAEncoder(ABC):
    """A loaded model: tokenizer + torch module with the original checkpoint's key names.

    A family implements `build_module` and `forward` (and `build_tokenizer` when its tokenizer is
    not one of the core's kmer/lca/bpe kinds), and declares which checkpoint keys may be ignored
    and which are tied aliases. Loading, saving, batching, chunking and pooling live here.
    """

    #: fnmatch patterns of checkpoint keys that may be present and are dropped (untrained poolers)
    ignorable_keys: ClassVar[tuple[str, ...]] = ()
    #: alias key -> key it shares storage with; an alias may be present or absent
    tied_keys: ClassVar[dict[str, str]] = {}
    #: the class `build_tokenizer` uses for the kmer and lca kinds (a subclass may save more keys)
    kmer_tokenizer_class: ClassVar[type[KmerTokenizer]] = KmerTokenizer

    def __init__(
        self,
        spec: ModelSpec,
        config: dict[str, Any],
        tokenizer: DNATokenizer,
        module: torch.nn.Module,
    ) -> None:
        self.spec = spec
        self.config = config
        self.tokenizer = tokenizer
        self.module = module

    # ----------------------------------------------------------------- family contract
    @classmethod
    @abstractmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        """An uninitialised module whose state_dict keys are the checkpoint's original keys."""

    @abstractmethod
    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
    ) -> EncoderOutput:
        """Run the network on a padded batch; `with_logits` adds the checkpoint's head output."""

    @classmethod
    def build_tokenizer(
        cls,
        path: Path,
        spec: ModelSpec,
        config: dict[str, Any],
        normalization: NormalizationPolicy,
    ) -> DNATokenizer:
        """The tokenizer from the checkpoint's files; the core knows kmer, lca and bpe.

        A missing or unusable file is a `CheckpointError` naming it; for k-mer kinds every k-mer over
        A, C, G, T must be in the vocabulary (a vocab of another k is refused, not read as [UNK]s).
        """
        ts = spec.tokenizer
        file = path / ts.vocab_file
        if ts.kind not in ("kmer", "lca", "bpe"):
            raise NotImplementedError(f"{cls.__name__} must build {ts.kind!r} tokenizers itself")
        if not file.is_file():
            present = sorted(x.name for x in path.iterdir()) if path.is_dir() else []
            raise CheckpointError(
                f"{path}: {spec.id} needs its tokenizer file; looked for {ts.vocab_file}, "
                f"found {present or 'nothing'}"
            )
        try:
            if ts.kind == "bpe":
                return BPETokenizer(file, max_length=ts.max_tokens, normalization=normalization)
            assert ts.k is not None
            tok = cls.kmer_tokenizer_class.from_file(
                file, k=ts.k, stride=ts.stride, max_length=ts.max_tokens, normalization=normalization
            )
        except (ValueError, KeyError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{file}: not a usable {ts.kind} tokenizer ({exc})") from None
        missing = int((tok.table.ids == tok.unk_token_id).sum())
        if missing:
            raise CheckpointError(
                f"{file}: {missing} of the {4**ts.k} {ts.k}-mers of {spec.id} are not in the "
                f"vocabulary; is this a k={ts.k} checkpoint?"
            )
        return tok

    def post_load(self) -> None:  # noqa: B027 - an optional hook
        """Called after the weights are in (re-tie shared weights here)."""

    # ----------------------------------------------------------------- loading and saving
    @classmethod
    def from_pretrained(
        cls: type[E],
        path: str | Path,
        spec: ModelSpec,
        *,
        device: str | torch.device = "auto",
        dtype: str | torch.dtype = "auto",
        normalization: NormalizationPolicy | dict[str, Any] | None = None,
    ) -> E:
        """Load a checkpoint directory in the family's original layout, strictly."""
        p = Path(path)
        config = read_config(p)
        policy = _policy(spec, normalization)
        tokenizer = cls.build_tokenizer(p, spec, config, policy)
        _check_vocab_fits(tokenizer, config, p / spec.tokenizer.vocab_file)
        dev = resolve_device(spec, device)
        dt = resolve_dtype(spec, dev, dtype)
        module = cls.build_module(spec, config)
        weights = find_weights_file(p)
        load_state_dict_strict(
            module, read_state_dict(weights), ignore=cls.ignorable_keys, tied=cls.tied_keys,
            source=str(weights),
        )
        self = cls(spec, config, tokenizer, module)
        self.post_load()
        module.to(device=dev, dtype=dt).eval()
        return self

    def state_dict_for_save(self) -> dict[str, torch.Tensor]:
        """The weights under their original names, tied aliases left out."""
        sd = self.module.state_dict()
        return {
            k: v.detach().to("cpu").contiguous().clone()
            for k, v in sd.items() if k not in self.tied_keys
        }

    def save_pretrained(self, path: str | Path) -> None:
        """Write config.json, model.safetensors and the tokenizer files (original layout)."""
        from safetensors.torch import save_file

        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        (p / "config.json").write_text(json.dumps(self.config, indent=2) + "\n")
        save_file(self.state_dict_for_save(), str(p / "model.safetensors"),
                  metadata={"format": "pt"})
        self.tokenizer.save_pretrained(p)

    # ----------------------------------------------------------------- properties
    @property
    def device(self) -> torch.device:
        return next(self.module.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.module.parameters()).dtype

    @property
    def hidden_size(self) -> int:
        return int(self.config.get("hidden_size", self.spec.capabilities.hidden_size))

    @property
    def num_layers(self) -> int:
        return int(self.config.get("num_hidden_layers", self.spec.capabilities.num_layers))

    @property
    def max_length(self) -> int:
        """Most tokens per forward pass, special tokens included."""
        return self.tokenizer.max_length

    @property
    def max_bases(self) -> int:
        """Most bases per forward pass (the chunk size of long inputs)."""
        return self.spec.capabilities.max_bases

    def to(self, device: str | torch.device | None = None,
           dtype: str | torch.dtype | None = None) -> DNAEncoder:
        """Move to another device/dtype the spec allows."""
        dev = resolve_device(self.spec, device) if device is not None else self.device
        dt = resolve_dtype(self.spec, dev, dtype) if dtype is not None else self.dtype
        self.module.to(device=dev, dtype=dt)
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec.id} on {self.device} {self.dtype}>"

    # ----------------------------------------------------------------- the pipeline
    def embed(
        self,
        seqs: Iterable[Record] | str,
        *,
        pooling: str = "mean",
        layer: int = -1,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        long: LongPolicy = "chunk",
        overlap: int | None = None,
    ) -> np.ndarray | list[np.ndarray]:
        """One float32 vector per sequence ([N, hidden]); with pooling='none' a list of [T, H]."""
        if isinstance(seqs, (str, bytes)):
            seqs = [seqs]
        out = list(self.embed_iter(seqs, pooling=pooling, layer=layer,
                                   token_budget=token_budget, long=long, overlap=overlap))
        if pooling == "none":
            return out
        if not out:
            return np.zeros((0, self.hidden_size), dtype=np.float32)
        return np.stack(out)

    def embed_iter(
        self,
        seqs: Iterable[Record],
        *,
        pooling: str = "mean",
        layer: int = -1,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        long: LongPolicy = "chunk",
        overlap: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[np.ndarray]:
        """Stream embeddings in input order; memory is bounded by the token budget, not the input."""
        self._check_pooling(pooling)
        if pooling == "none" and long == "chunk":
            long = "error"  # per-token output of a chunked sequence would be ambiguous
        units = self._iter_units(seqs, long=long, overlap=overlap, segment=None)
        yield from _aggregate(
            self._run_units(units, pooling=pooling, layer=layer, token_budget=token_budget),
            pooling, progress,
        )

    def embed_segments(
        self,
        seqs: Iterable[Record],
        *,
        segment_bases: int | None = None,
        overlap: int = 0,
        pooling: str = "mean",
        layer: int = -1,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
    ) -> Iterator[Segment]:
        """Cut each sequence into contiguous windows and yield one embedding per window."""
        self._check_pooling(pooling)
        if pooling == "none":
            raise InputError("per-segment output needs a pooling other than 'none'")
        size = segment_bases or self.max_bases
        if size > self.max_bases:
            raise InputError(f"segments of {size} bases exceed {self.spec.id}'s {self.max_bases}")
        units = self._iter_units(seqs, long="chunk", overlap=overlap, segment=size)
        for unit, vec in self._run_units(units, pooling=pooling, layer=layer,
                                         token_budget=token_budget):
            yield Segment(unit.index, unit.record, unit.start, unit.end, len(unit.ids), vec)

    def predict(
        self,
        seqs: Iterable[Record] | str,
        *,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        long: LongPolicy = "error",
    ) -> np.ndarray:
        """Per-sequence label probabilities (softmax; sigmoid if multi-label; raw if regression)."""
        if self.spec.task != "sequence-classification":
            raise InputError(f"{self.spec.id} is a {self.spec.task} model; predict needs a classifier")
        if isinstance(seqs, (str, bytes)):
            seqs = [seqs]
        units = self._iter_units(seqs, long=long, overlap=None, segment=None)
        scored = self._run_units(units, pooling="logits", layer=-1, token_budget=token_budget)
        logits = np.stack(list(_aggregate(scored, "mean", None)))
        kind = self.spec.problem_type
        if kind == "regression":
            return logits
        if kind == "multi-label":
            return 1.0 / (1.0 + np.exp(-logits))
        z = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    # ----------------------------------------------------------------- internals
    def _check_pooling(self, pooling: str) -> None:
        if pooling not in self.spec.capabilities.poolings:
            raise InputError(
                f"{self.spec.id} does not offer pooling {pooling!r}; "
                f"it offers {list(self.spec.capabilities.poolings)}"
            )

    def _iter_units(
        self, seqs: Iterable[Record], *, long: str, overlap: int | None, segment: int | None
    ) -> Iterator[_Unit]:
        tok = self.tokenizer
        ov = self.spec.capabilities.chunk_overlap if overlap is None else overlap
        for index, rec in enumerate(seqs):
            record, seq = (rec if isinstance(rec, tuple) else (None, rec))
            norm = tok.normalize(seq, record=record)
            where = f"record {record!r}" if record is not None else f"sequence {index}"
            if segment is None:
                n_tok = tok.count_tokens(len(norm))
                at_least = tok.min_tokens(len(norm))  # too long for sure: no whole tokenization
                ids = tok.encode_normalized(norm) if at_least <= self.max_length else None
                if ids is not None and len(ids) <= self.max_length:
                    if len(ids) <= tok.num_special_tokens:
                        raise InputError(f"{where}: {len(norm)} bases give no tokens")
                    yield _Unit(index, record, 0, len(norm), ids)
                    continue
                if long != "chunk":
                    n = n_tok if n_tok is not None else (
                        len(ids) if ids is not None else f"at least {at_least}"
                    )
                    raise SequenceTooLongError(
                        f"{where}: {len(norm)} bases give {n} tokens; {self.spec.id} takes at "
                        f"most {self.max_length} tokens ({self.max_bases} bases); "
                        "use long='chunk' to embed it in overlapping chunks"
                    )
            n_units = 0
            for unit in self._chunk(index, record, norm, segment or self.max_bases, ov, where):
                n_units += 1
                yield unit
            if not n_units:
                raise InputError(f"{where}: {len(norm)} bases give no tokens")

    def _chunk(self, index: int, record: str | None, norm: bytes, window: int, overlap: int,
               where: str) -> Iterator[_Unit]:
        tok = self.tokenizer
        for start, end in chunk_spans(len(norm), window, overlap):
            ids = tok.encode_normalized(norm[start:end])
            if len(ids) > self.max_length:  # BPE can exceed the base budget: split again
                if end - start <= 2 * max(overlap, 1):
                    raise SequenceTooLongError(f"{where}: cannot chunk below the token limit")
                half = (end - start) // 2 + overlap
                for u in self._chunk(index, record, norm[start:end], half, overlap, where):
                    yield _Unit(index, record, start + u.start, start + u.end, u.ids)
                continue
            if len(ids) <= tok.num_special_tokens:
                continue  # a tail too short for one token; its bases are in the previous chunk
            yield _Unit(index, record, start, end, ids)

    @torch.inference_mode()
    def _run_units(
        self, units: Iterable[_Unit], *, pooling: str, layer: int, token_budget: int
    ) -> Iterator[tuple[_Unit, np.ndarray]]:
        """Embed units window by window (a window is a few token budgets), in input order."""
        window: list[_Unit] = []
        tokens = 0
        for unit in units:
            window.append(unit)
            tokens += len(unit.ids)
            if tokens >= 4 * token_budget:
                yield from self._run_window(window, pooling, layer, token_budget)
                window, tokens = [], 0
        if window:
            yield from self._run_window(window, pooling, layer, token_budget)

    def _run_window(self, window: list[_Unit], pooling: str, layer: int,
                    token_budget: int) -> Iterator[tuple[_Unit, np.ndarray]]:
        results: list[np.ndarray | None] = [None] * len(window)
        for batch in plan_batches([len(u.ids) for u in window], token_budget):
            ids, mask = self.tokenizer.pad([window[i].ids for i in batch])
            input_ids = torch.from_numpy(ids).to(self.device, non_blocking=True)
            attn = torch.from_numpy(mask).to(self.device, non_blocking=True)
            want_logits = pooling == "logits"
            out = self.forward(input_ids, attn, output_hidden_states=layer != -1,
                               with_logits=want_logits)
            if want_logits:
                assert out.logits is not None
                pooled = out.logits
            else:
                if layer == -1:
                    hidden = out.last_hidden_state
                else:
                    assert out.hidden_states is not None
                    try:
                        hidden = out.hidden_states[layer]
                    except IndexError:
                        raise InputError(
                            f"layer {layer} out of range: {self.spec.id} has "
                            f"{len(out.hidden_states)} hidden states (embeddings + layers)"
                        ) from None
                if pooling == "none":
                    h = hidden.float().cpu().numpy()
                    for row, i in enumerate(batch):
                        results[i] = h[row, : len(window[i].ids)]
                    continue
                pooled = pool(hidden, attn, pooling)
            vecs = pooled.float().cpu().numpy()
            for row, i in enumerate(batch):
                results[i] = vecs[row]
        for unit, vec in zip(window, results, strict=True):
            assert vec is not None
            yield unit, vec


def _aggregate(
    scored: Iterable[tuple[_Unit, np.ndarray]],
    pooling: str,
    progress: Callable[[int, int], None] | None,
) -> Iterator[np.ndarray]:
    """Fold consecutive units of one sequence into its vector (token-weighted; max for 'max')."""
    current: int | None = None
    acc: np.ndarray | None = None
    weight = 0
    bases = 0
    for unit, vec in scored:
        if unit.index != current:
            if acc is not None:
                yield acc if pooling in ("max", "none") else acc / weight
                if progress:
                    progress(1, bases)
            current, acc, weight, bases = unit.index, None, 0, 0
        n = len(unit.ids)
        bases = max(bases, unit.end)
        if pooling == "none":
            acc = vec
        elif pooling == "max":
            acc = vec.copy() if acc is None else np.maximum(acc, vec)
        else:
            acc = vec * n if acc is None else acc + vec * n
        weight += n
    if acc is not None:
        yield acc if pooling in ("max", "none") else acc / weight
        if progress:
            progress(1, bases)


def _check_vocab_fits(tokenizer: DNATokenizer, config: dict[str, Any], file: Path) -> None:
    """Every token id must have an embedding row (config.json's vocab_size may be larger)."""
    rows = config.get("vocab_size")
    top = max(tokenizer.vocab.values())
    if isinstance(rows, int) and top >= rows:
        raise CheckpointError(f"{file} has token ids up to {top}, but config.json's vocab_size is {rows}")


def _policy(
    spec: ModelSpec, normalization: NormalizationPolicy | dict[str, Any] | None
) -> NormalizationPolicy:
    base = spec.tokenizer.normalization
    if normalization is None:
        return base
    if isinstance(normalization, NormalizationPolicy):
        return normalization
    return base.model_copy(update=dict(normalization))
