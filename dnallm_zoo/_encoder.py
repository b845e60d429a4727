"""`DNAEncoder`: the contract every family implements; loading and saving in the original layout."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import torch

from . import _pipeline
from ._batching import DEFAULT_TOKEN_BUDGET
from ._checkpoint import (
    find_weights_file,
    load_state_dict_strict,
    read_config,
    read_state_dict,
    report_new_weights,
    write_weights,
)
from ._chunking import Record
from ._names import CORE_TOKENIZER_KINDS, LongPolicy, Pooling
from ._pipeline import Progress, Row, Segment
from ._runtime import resolve_device, resolve_dtype
from ._spec import HEAD_TASKS, ModelSpec, NormalizationPolicy
from ._tasks import config_with_head
from .errors import CheckpointError, SequenceTooLongError
from .tokenize.base import DNATokenizer
from .tokenize.bpe import BPETokenizer
from .tokenize.kmer_tokenizer import KmerTokenizer

if TYPE_CHECKING:
    from ._attention import AttentionMap
    from ._attribution import Attribution, Baseline
    from ._layers import LayerRequest

__all__ = ["DNAEncoder", "EncoderOutput"]

E = TypeVar("E", bound="DNAEncoder")


@dataclass
class EncoderOutput:
    """What `forward` returns; index 0 is the last hidden state, as in the originals' tuples."""

    last_hidden_state: torch.Tensor  # [batch, tokens, hidden]
    attention_mask: torch.Tensor  # [batch, tokens], 1 on real tokens
    hidden_states: tuple[torch.Tensor, ...] | None = None  # embeddings first, then each layer
    logits: torch.Tensor | None = None  # the checkpoint's head: masked-LM or classifier
    #: one tensor per layer, [batch, heads, tokens, tokens]: the softmax weights of the original's
    #: eager attention (`output_attentions=True`); a padded key gets (close to) 0, a real query row
    #: sums to 1 over the real keys
    attentions: tuple[torch.Tensor, ...] | None = None

    def to_tuple(self) -> tuple[Any, ...]:
        """The fields that are set, in the order last_hidden_state, hidden_states, logits, attentions."""
        fields = (self.last_hidden_state, self.hidden_states, self.logits, self.attentions)
        return tuple(t for t in fields if t is not None)

    def __getitem__(self, i: int) -> Any:
        return self.to_tuple()[i]


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
    #: task -> the original class of that head (config.json's `architectures`); a task absent here
    #: is a head the family does not offer
    head_architectures: ClassVar[dict[str, str]] = {}
    #: task -> fnmatch patterns of that head's checkpoint keys (new when a base checkpoint lacks them)
    head_keys: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: task -> fnmatch patterns dropped when loading that head only (keys its original class leaves unused)
    head_ignorable_keys: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: task -> names of the head's modules, trained in full beside LoRA adapters (peft modules_to_save)
    head_modules: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: peft `target_modules` for LoRA: the attention projections of the family's layers
    lora_target_modules: ClassVar[tuple[str, ...]] = ()
    #: the encoder's key prefix in the head models (transformers' `base_model_prefix`): a bare
    #: checkpoint without it gets it when a head is built over it, as transformers does
    base_model_prefix: ClassVar[str] = ""
    #: how variant effects are scored from the masked-LM head ("single_base", "overlapping_kmer",
    #: "nonoverlapping_kmer" or "bpe"; `dnallm_zoo.variants.RULES`); None: inferred from the
    #: tokenizer kind (kmer/lca k > 1: overlapping_kmer; k = 1: single_base; bpe: bpe)
    variant_rule: ClassVar[str | None] = None

    def masked_lm_head(self) -> torch.nn.Module | None:
        """The masked-LM head as a per-token module (last hidden state -> vocabulary logits), so that
        variant scoring runs it at the tokens it reads only; by default the module's `cls` (the name
        transformers gives it), else None: scoring then takes `forward(..., with_logits=True)`."""
        head = getattr(self.module, "cls", None)
        if self.spec.task not in ("masked-lm", "embedding") or not isinstance(head, torch.nn.Module):
            return None
        return head

    @classmethod
    def variant_rule_for(cls, spec: ModelSpec) -> str | None:
        """The variant rule of one model: `variant_rule`; a family whose models use several tokenizer
        kinds of its own (one class) answers per spec here. None: inferred from the kind."""
        return cls.variant_rule

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
        output_attentions: bool = False,
    ) -> EncoderOutput:
        """Run the network on a padded batch; `with_logits` adds the checkpoint's head output.

        `output_attentions` adds each layer's attention weights ([batch, heads, T, T], the softmax the
        original's eager attention computes), `output_hidden_states` the embeddings and each layer's output.
        """

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
        if ts.kind not in CORE_TOKENIZER_KINDS:
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

    def head_logits(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The task head alone on the encoder's last hidden state (dropout active in train mode)."""
        raise NotImplementedError(f"{type(self).__name__} has no {self.spec.task} head")

    @classmethod
    def head_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """config.json's head fields as transformers names them (a family maps its own names here)."""
        return config

    @classmethod
    def config_with_head(cls, config: dict[str, Any], spec: ModelSpec) -> dict[str, Any]:
        """config.json with the spec's head: architectures, id2label, label2id, num_labels, problem_type."""
        return config_with_head(config, spec, cls.head_architectures[spec.task])

    @classmethod
    def init_new_weights(
        cls,
        module: torch.nn.Module,
        names: list[str],
        config: dict[str, Any],
        generator: torch.Generator | None,
    ) -> None:
        """Initialise new head tensors as transformers does: weights normal(0, initializer_range), biases 0,
        LayerNorm weights 1."""
        std = float(config.get("initializer_range", 0.02))
        with torch.no_grad():
            for name in names:
                owner_name, _, leaf = name.rpartition(".")
                owner = module.get_submodule(owner_name)
                tensor = getattr(owner, leaf)
                if isinstance(owner, torch.nn.LayerNorm):
                    tensor.fill_(1.0 if leaf == "weight" else 0.0)
                elif leaf == "bias":
                    tensor.zero_()
                else:
                    tensor.normal_(0.0, std, generator=generator)

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
        new_head: bool = False,
        seed: int | None = None,
    ) -> E:
        """Load a checkpoint directory in the family's original layout, strictly.

        `new_head`: the spec's task head is not in the checkpoint: its tensors are initialised (from
        `seed`, else torch's global generator) and named in a `NewWeightsWarning`; the checkpoint's
        other heads (a base model's masked-LM head) are dropped. Every other key loads strictly.
        """
        p = Path(path)
        config = read_config(p)
        if new_head:
            if spec.task not in HEAD_TASKS or spec.task not in cls.head_architectures:
                raise CheckpointError(f"{cls.__name__} builds no new {spec.task} head")
            config = cls.config_with_head(config, spec)
        policy = _policy(spec, normalization)
        tokenizer = cls.build_tokenizer(p, spec, config, policy)
        _check_vocab_fits(tokenizer, config, p / spec.tokenizer.vocab_file)
        dev = resolve_device(spec, device)
        dt = resolve_dtype(spec, dev, dtype)
        module = cls.build_module(spec, config)
        weights = find_weights_file(p)
        ignore = cls.ignorable_keys + cls.head_ignorable_keys.get(spec.task, ())
        new: tuple[str, ...] = ()
        if new_head:
            new = cls.head_keys.get(spec.task, ())
            ignore += tuple(k for task, keys in cls.head_keys.items() if task != spec.task for k in keys)
        state = read_state_dict(weights)
        pre = cls.base_model_prefix + "."
        if new_head and cls.base_model_prefix and not any(k.startswith(pre) for k in state) \
                and any(k.startswith(pre) for k in module.state_dict()):
            state = {pre + k: v for k, v in state.items()}  # a bare encoder under a head
        fresh = load_state_dict_strict(
            module, state, ignore=ignore, tied=cls.tied_keys, source=str(weights), new=new,
        )
        if fresh:
            gen = None if seed is None else torch.Generator().manual_seed(seed)
            cls.init_new_weights(module, fresh, config, gen)
            report_new_weights(fresh, model=cls.head_architectures[spec.task], source=str(p))
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
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        (p / "config.json").write_text(json.dumps(self.config, indent=2) + "\n")
        write_weights(p, self.state_dict_for_save())
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
        return int(self.config.get("hidden_size", self.spec.architecture.hidden_size))

    @property
    def num_layers(self) -> int:
        return int(self.config.get("num_hidden_layers", self.spec.architecture.num_layers))

    @property
    def num_heads(self) -> int:
        """Attention heads per layer."""
        return int(self.config.get("num_attention_heads", self.spec.architecture.num_heads))

    @property
    def max_length(self) -> int:
        """Most tokens per forward pass, special tokens included."""
        return self.tokenizer.max_length

    @property
    def max_bases(self) -> int:
        """Most bases per forward pass (the chunk size of long inputs)."""
        return self.spec.capabilities.max_bases

    def check_length(self, n_tokens: int) -> None:
        """Refuse a forward pass longer than the network's positions (learned position embeddings).

        A network with `capabilities.any_length` (ALiBi) takes any length, as its original code does.
        """
        if n_tokens > self.max_length and not self.spec.capabilities.any_length:
            raise SequenceTooLongError(
                f"{n_tokens} tokens in one forward pass; {self.spec.id} has learned positions for at most "
                f"{self.max_length} tokens. Truncate (tokenizer(..., truncation=True)) or embed long "
                "sequences in chunks (`dnallm_zoo.load(...).embed(seqs, long='chunk')`)"
            )

    def to(self, device: str | torch.device | None = None,
           dtype: str | torch.dtype | None = None) -> DNAEncoder:
        """Move to another device/dtype the spec allows."""
        dev = resolve_device(self.spec, device) if device is not None else self.device
        dt = resolve_dtype(self.spec, dev, dtype) if dtype is not None else self.dtype
        self.module.to(device=dev, dtype=dt)
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec.id} on {self.device} {self.dtype}>"

    # ----------------------------------------------------------------- the pipeline (`_pipeline`)
    def embed(
        self,
        seqs: Iterable[Record] | str,
        *,
        pooling: Pooling = "mean",
        layer: int = -1,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        long: LongPolicy = "chunk",
        overlap: int | None = None,
        layers: LayerRequest | None = None,
    ) -> np.ndarray | list[np.ndarray]:
        """One float32 vector per sequence ([N, hidden]); with pooling='none' a list of [T, H].

        `long`: a sequence longer than one pass is cut into overlapping chunks ('chunk'), refused
        ('error'), or run whole in one pass ('whole', on networks that take any length).
        `layer` picks one hidden state (0: the embeddings, 1..L: each layer's output, -1: the last);
        `layers` several ([0, 6, -1], or "all"): one vector per layer, [N, layers, hidden] (pooling
        'none': a list of [layers, T, H]), the hidden states the original's `output_hidden_states` gives.
        """
        return _pipeline.embed(self, seqs, pooling=pooling, layer=layer, token_budget=token_budget,
                               long=long, overlap=overlap, layers=layers)

    def embed_iter(
        self,
        seqs: Iterable[Record],
        *,
        pooling: Pooling = "mean",
        layer: int = -1,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        long: LongPolicy = "chunk",
        overlap: int | None = None,
        progress: Progress | None = None,
        layers: LayerRequest | None = None,
    ) -> Iterator[Row]:
        """Stream one `Row` per sequence (`.record`: its id, source and fields; `.vector`: its embedding)
        in input order; memory is bounded by the token budget, not the input."""
        return _pipeline.embed_iter(self, seqs, pooling=pooling, layer=layer, token_budget=token_budget,
                                    long=long, overlap=overlap, progress=progress, layers=layers)

    def embed_segments(
        self,
        seqs: Iterable[Record],
        *,
        segment_bases: int | None = None,
        overlap: int = 0,
        pooling: Pooling = "mean",
        layer: int = -1,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        layers: LayerRequest | None = None,
    ) -> Iterator[Segment]:
        """Cut each sequence into contiguous windows and yield one embedding per window."""
        return _pipeline.embed_segments(self, seqs, segment_bases=segment_bases, overlap=overlap,
                                        pooling=pooling, layer=layer, token_budget=token_budget,
                                        layers=layers)

    def predict(
        self,
        seqs: Iterable[Record] | str,
        *,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        long: LongPolicy = "error",
    ) -> np.ndarray:
        """Per-sequence label probabilities (softmax; sigmoid if multi-label; raw if regression)."""
        return _pipeline.predict(self, seqs, token_budget=token_budget, long=long)

    def predict_iter(
        self,
        seqs: Iterable[Record],
        *,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        long: LongPolicy = "error",
        progress: Progress | None = None,
    ) -> Iterator[Row]:
        """Stream `predict`'s rows (`.record`, `.vector`: the probabilities) in input order; memory is
        bounded by the token budget."""
        return _pipeline.predict_iter(self, seqs, token_budget=token_budget, long=long, progress=progress)

    # ----------------------------------------------------------------- variant effects (`variants`)
    def score_variants(self, variants: Any, reference: Any, **options: Any) -> list[dict[str, Any]]:
        """One row per alternative allele: llr (masked marginal, both strands), embedding distances,
        window, status; see `dnallm_zoo.variants.score_variants_iter` for the options."""
        from .variants import score_variants

        return score_variants(self, variants, reference, **options)

    def score_variants_iter(self, variants: Any, reference: Any, **options: Any) -> Iterator[dict[str, Any]]:
        """Stream `score_variants`' rows in input order (every bad variant named before any model work)."""
        from .variants import score_variants_iter

        return score_variants_iter(self, variants, reference, **options)

    def mutagenesis(self, reference: Any, regions: Any = None, **options: Any) -> list[dict[str, Any]]:
        """The llr of each other base at every position of `regions` (default every contig of `reference`)."""
        from .variants import mutagenesis

        return mutagenesis(self, reference, regions, **options)
    # ----------------------------------------------------------------- looking inside
    def input_embeddings(self) -> torch.nn.Module:
        """The module that turns token ids into vectors (attributions are taken on its output).

        The default asks a transformers model (`get_input_embeddings()`), else finds the one submodule
        named `word_embeddings` (every BERT layout); a family whose token embedding is named otherwise
        overrides this.
        """
        ask = getattr(self.module, "get_input_embeddings", None)
        if callable(ask):
            try:
                found_by_hf = ask()
            except NotImplementedError:
                found_by_hf = None
            if isinstance(found_by_hf, torch.nn.Module):
                return found_by_hf
        found = [m for name, m in self.module.named_modules() if name.rpartition(".")[2] == "word_embeddings"]
        if len(found) != 1:
            name = type(self).__name__
            raise NotImplementedError(f"{name}: {len(found)} modules are named word_embeddings; override "
                                      "input_embeddings() to name its token embedding")
        return found[0]

    def attentions(self, seqs: Iterable[Record] | str, *, layers: LayerRequest = "all") -> list[AttentionMap]:
        """Each sequence's attention weights, per layer and head, [tokens x tokens] with each token's bases.

        `layers`: indices of the model's layers (0 the first, -1 the last), a list of them, or "all". The
        weights are the original's eager attention (`forward(..., output_attentions=True)`); a sequence
        runs whole, alone (longer than one pass: an error naming it).
        """
        from ._attention import attention_maps

        return attention_maps(self, seqs, layers=layers)

    def explain(
        self,
        seqs: Iterable[Record] | str,
        *,
        target: str | int | None = None,
        steps: int = 50,
        baseline: Baseline = "pad",
    ) -> list[Attribution]:
        """Per-base integrated-gradients attributions of a classifier's label (a regressor's output).

        `target`: a label name (None: each sequence's predicted label); `baseline`: the sequence with its
        tokens replaced by [PAD] or [MASK]. Needs the `interpret` extra (Captum).
        """
        from ._attribution import explain

        return explain(self, seqs, target=target, steps=steps, baseline=baseline)


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
