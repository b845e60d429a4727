"""A family plugin as one object: registers its specs, writes tiny checkpoints, claims its directories.

No torch here: the encoder and the checkpoint writer are named as ``"module:name"`` strings (or given as
objects) and imported on first use, so that listing models stays cheap. Point the entry point at the
instance::

    [project.entry-points.dnallm_zoo]
    grover = "grover_zoo:family"
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from .._hooks import RegisterFn, hookimpl
from .._refs import resolve_ref
from .._spec import ModelSpec
from ._architectures import ARCHITECTURES
from ._architectures import architecture as _architecture
from ._bpe import bpe_vocab
from ._config import NOT_STOCK_KEYS, auto_map_modules
from ._vocab import BERT_SPECIALS, KmerVocab

__all__ = ["CheckpointWriter", "Family", "Matcher", "StockFamily"]

#: writes a tiny random checkpoint of a spec into a directory (created)
CheckpointWriter = Callable[[ModelSpec, Path], object]
#: the model id a checkpoint directory (and its parsed config.json) holds, or None
Matcher = Callable[[Path, Mapping[str, Any]], "str | None"]

_STOCK_ENCODER = "dnallm_zoo.kit:StockBertEncoder"
_STOCK_WRITER = "dnallm_zoo.kit._bert:write_stock_checkpoint"
_NATIVE_WRITER = "dnallm_zoo.kit._native:write_native_checkpoint"
#: architecture -> the kit's encoder for it (bert: the stock BERT every k-mer family uses)
_NATIVE_ENCODERS = {"bert": _STOCK_ENCODER, "big_bird": "dnallm_zoo.kit._native:BigBirdEncoder",
                    "roberta": "dnallm_zoo.kit._native:RobertaEncoder",
                    "esm": "dnallm_zoo.kit._native:EsmEncoder",
                    "modernbert": "dnallm_zoo.kit._native:ModernBertEncoder"}


class Family:
    """The hook implementations of one family, made from its spec table.

    `checkpoint` writes a spec's tiny test checkpoint (``make_test_checkpoint``), `match` names the
    model a directory holds (``match_checkpoint``); either may be ``"module:name"``, imported on first
    use. Without them the hooks answer None (other plugins may try).
    """

    def __init__(
        self,
        family: str,
        specs: Iterable[ModelSpec],
        *,
        encoder: str | type,
        checkpoint: str | CheckpointWriter | None = None,
        match: str | Matcher | None = None,
    ) -> None:
        self.family = family
        self.specs: tuple[ModelSpec, ...] = tuple(specs)
        self.encoder = encoder
        self._checkpoint = checkpoint
        self._match = match
        others = [s.id for s in self.specs if s.family != family]
        if others:
            raise ValueError(f"specs {others} are not of family {family!r}")
        self._by_id = {s.id: s for s in self.specs}
        if len(self._by_id) != len(self.specs):
            raise ValueError(f"family {family!r} lists a model id twice")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.family!r}: {len(self.specs)} models>"

    def owns(self, spec: ModelSpec) -> bool:
        """True for a spec of this family's table (by family and id)."""
        return spec.family == self.family and spec.id in self._by_id

    def spec(self, model_id: str) -> ModelSpec:
        """The spec of one of this family's models."""
        return self._by_id[model_id]

    def write_checkpoint(self, spec: ModelSpec, path: str | Path) -> Path:
        """Write the tiny random checkpoint of one of this family's specs into `path`; returns it."""
        if self._checkpoint is None:
            raise NotImplementedError(f"family {self.family!r} writes no test checkpoints")
        if not self.owns(spec):
            raise ValueError(f"{spec.id!r} is not a model of family {self.family!r}")
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        resolve_ref(self._checkpoint)(spec, p)
        return p

    def match(self, path: str | Path, config: Mapping[str, Any]) -> str | None:
        """The id of this family's model that the directory holds, or None."""
        if self._match is None:
            return None
        return resolve_ref(self._match)(Path(path), config)

    @hookimpl
    def register_models(self, register: RegisterFn) -> None:
        """Every spec of the table, with the family's encoder."""
        for spec in self.specs:
            register(spec, self.encoder)

    @hookimpl
    def make_test_checkpoint(self, spec: ModelSpec, path: Path) -> bool | None:
        """A tiny random checkpoint in the original layout, for this family's specs only."""
        if self._checkpoint is None or not self.owns(spec):
            return None
        self.write_checkpoint(spec, path)
        return True

    @hookimpl
    def match_checkpoint(self, path: Path, config: dict[str, Any]) -> str | None:
        """The model id of a directory in this family's layout, else None."""
        return self.match(path, config)


class StockFamily(Family):
    """A family whose checkpoints are one of transformers' own architectures (BERT by default).

    `architecture` names the row of `ARCHITECTURES` (bert, big_bird, roberta, esm, modernbert; default:
    the kind every spec's `ArchitectureSpec` names, else bert): the network and its heads are
    transformers' classes of it (`BertForMaskedLM`, `BigBirdForSequenceClassification`, ...), loaded
    strictly under their own key names. Given only specs of tokenizer kind ``kmer`` (a vocab.txt of
    `specials`, then the k-mers in product(`alphabet`) order) or ``bpe`` (a tokenizer.json), it writes
    tiny checkpoints in that layout and claims a directory when its config.json has one of
    `model_types` (default: the architecture's; None: no model_type key), names no remote code outside
    `remote_modules`, and its tokenizer files have the shape of one of its specs: a k-mer vocabulary of
    that k, or a BPE tokenizer.json holding the specials. A spec whose weights are a local directory
    claims that directory first. `config` adds keys to the tiny config.json, `weights` is the format
    its weights are written in (the original files').
    """

    def __init__(
        self,
        family: str,
        specs: Iterable[ModelSpec],
        *,
        architecture: str | None = None,
        encoder: str | type | None = None,
        alphabet: str = "ACGT",
        specials: tuple[str, ...] | None = None,
        model_types: tuple[str | None, ...] | None = None,
        remote_modules: tuple[str, ...] = (),
        config: Mapping[str, Any] | None = None,
        weights: Literal["safetensors", "bin"] = "safetensors",
        checkpoint: str | CheckpointWriter | None = None,
        match: str | Matcher | None = None,
    ) -> None:
        specs = tuple(specs)
        if architecture is None:
            kinds = {s.architecture.kind for s in specs}
            architecture = kinds.pop() if len(kinds) == 1 and kinds <= set(ARCHITECTURES) else "bert"
        arch = _architecture(architecture)
        super().__init__(family, specs, encoder=encoder or _NATIVE_ENCODERS[arch.name],
                         checkpoint=checkpoint, match=match)
        self.architecture = arch.name
        self.alphabet = alphabet
        self.specials = specials
        self.model_types = model_types if model_types is not None else (arch.model_type,)
        self.remote_modules = remote_modules
        self.config: dict[str, Any] = dict(config or {})
        self.weights = weights
        if checkpoint is None:
            self._checkpoint = self._write_stock
        if match is None:
            self._match = self._match_stock

    def vocab(self, spec: ModelSpec) -> KmerVocab | None:
        """The k-mer vocabulary of a ``kmer``/``lca`` spec (None for other kinds)."""
        ts = spec.tokenizer
        if ts.kind not in ("kmer", "lca") or ts.k is None:
            return None
        return KmerVocab(ts.k, self.alphabet, self.specials or BERT_SPECIALS)

    def bpe_specials(self) -> tuple[str, ...]:
        """The specials of the family's BPE tokenizer.json (first ids)."""
        return self.specials or BERT_SPECIALS

    def _write_stock(self, spec: ModelSpec, path: Path) -> None:
        resolve_ref(_STOCK_WRITER if self.architecture == "bert" else _NATIVE_WRITER)(self, spec, path)

    def _match_stock(self, path: Path, config: Mapping[str, Any]) -> str | None:
        real = os.path.realpath(path)
        for spec in self.specs:
            if spec.weights.path is not None and os.path.realpath(spec.weights.path) == real:
                return spec.id
        if config.get("model_type") not in self.model_types:
            return None
        if self.architecture == "bert" and (any(k in config for k in NOT_STOCK_KEYS) or
                                            config.get("position_embedding_type", "absolute") != "absolute"):
            return None  # says bert, computes something else (pre-LN, rotary, ALiBi)
        if "auto_map" in config:
            modules = auto_map_modules(config["auto_map"])
            if modules is None or any(m not in self.remote_modules for m in modules):
                return None
        task = _task_of(config)
        candidates = [s for s in self.specs if task is None or s.task == task]
        if task in ("sequence-classification", "token-classification"):
            # a head fine-tuned in the zoo: its base model, the head from config.json (dnallm_zoo.load)
            candidates += [s for s in self.specs if s.task in ("masked-lm", "embedding")]
        vocab: KmerVocab | None = None
        bpe: dict[str, int] | None = None
        for spec in candidates:
            want = self.vocab(spec)
            if want is not None:
                if vocab is None:
                    vocab = KmerVocab.detect(path, specials=want.specials, file=spec.tokenizer.vocab_file)
                if vocab == want:
                    return spec.id
            elif spec.tokenizer.kind == "bpe":
                if bpe is None:
                    bpe = bpe_vocab(path, spec.tokenizer.vocab_file) or {}
                if bpe and all(t in bpe for t in self.bpe_specials()) and \
                        config.get("vocab_size", len(bpe)) >= len(bpe):
                    return spec.id
        return None


def _task_of(config: Mapping[str, Any]) -> str | None:
    """The task config.json's `architectures` names (None when it names none)."""
    archs = [a for a in config.get("architectures") or [] if isinstance(a, str)]
    if any(a.endswith("ForSequenceClassification") for a in archs):
        return "sequence-classification"
    if any(a.endswith("ForTokenClassification") for a in archs):
        return "token-classification"
    if any(a.endswith(("ForMaskedLM", "ForPreTraining")) for a in archs):
        return "masked-lm"
    if any(a.endswith("Model") for a in archs):
        return "embedding"
    return None
