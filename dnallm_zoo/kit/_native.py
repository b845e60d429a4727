"""Encoders built from transformers' own classes for the architectures of `ARCHITECTURES` (no remote code).

The network is the head class of the spec's task (`BigBirdForMaskedLM`, `RobertaForSequenceClassification`,
...), built from the checkpoint's config.json on the meta device and filled strictly under the original
key names; SDPA attention, eager when attention weights are asked for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from .._checkpoint import WeightsFormat, write_weights
from .._encoder import DNAEncoder, EncoderOutput
from .._spec import ModelSpec
from ..errors import CheckpointError
from ._architectures import ARCHITECTURES, Architecture, architecture
from ._weights import random_state_dict

if TYPE_CHECKING:
    from ._family import StockFamily

__all__ = [
    "BigBirdEncoder",
    "EsmEncoder",
    "ModernBertEncoder",
    "NativeEncoder",
    "RobertaEncoder",
    "build_native",
    "native_config",
    "write_native_checkpoint",
]

_REQUIRED = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads")
Head = Callable[[Any, torch.Tensor, torch.Tensor], torch.Tensor]


def native_config(arch: Architecture, config: Mapping[str, Any], spec: ModelSpec | None = None) -> Any:
    """transformers' config object of `arch` from config.json (labels checked against the spec's)."""
    import transformers

    missing = [k for k in _REQUIRED if k not in config]
    if missing:
        raise CheckpointError(f"config.json lacks {missing} (a {arch.name} config needs {list(_REQUIRED)})")
    if config.get("model_type", arch.model_type) != arch.model_type:
        raise CheckpointError(
            f"config.json has model_type {config.get('model_type')!r}; this family's checkpoints are "
            f"{arch.model_type!r}"
        )
    network = {k: v for k, v in config.items() if k != "auto_map"}
    cfg = getattr(transformers, arch.config_class).from_dict(network)
    if spec is not None and spec.task in ("sequence-classification", "token-classification"):
        assert spec.labels is not None
        n = len(config.get("id2label") or spec.labels)
        if n != len(spec.labels):
            raise CheckpointError(
                f"config.json has {n} labels, the spec of {spec.id} names {len(spec.labels)}")
        cfg.num_labels = n
    return cfg


def build_native(arch: Architecture, task: str, cfg: Any) -> torch.nn.Module:
    """The head class of `task` on the meta device, its non-persistent buffers made real."""
    import transformers

    cls = getattr(transformers, arch.heads.get(task, arch.heads["masked-lm"]))
    cfg._attn_implementation = "sdpa" if getattr(cls, "_supports_sdpa", False) else "eager"
    with torch.device("meta"):
        module = cls(cfg)
    persistent = set(module.state_dict())
    owners = set()
    for name, buf in list(module.named_buffers()):
        if name not in persistent and buf.is_meta:
            owner_name, _, leaf = name.rpartition(".")
            owner = module.get_submodule(owner_name)
            owner.register_buffer(leaf, torch.zeros(buf.shape, dtype=buf.dtype), persistent=False)
            owners.add(owner_name)
    for owner_name in sorted(owners):  # transformers computes them in _init_weights (v5)
        module._init_weights(module.get_submodule(owner_name))
    return module  # type: ignore[no-any-return]


def _pool_modernbert(m: Any, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    if m.config.classifier_pooling == "cls":
        return h[:, 0]
    w = mask.unsqueeze(-1).to(h.dtype)
    return (h * w).sum(dim=1) / w.sum(dim=1)


#: architecture -> task -> the head on the encoder's last hidden state, as the original class computes it
_HEADS: dict[str, dict[str, Head]] = {
    "bert": {
        "masked-lm": lambda m, h, a: m.cls(h),
        "sequence-classification": lambda m, h, a: m.classifier(m.dropout(m.bert.pooler(h))),
        "token-classification": lambda m, h, a: m.classifier(m.dropout(h)),
    },
    "big_bird": {
        "masked-lm": lambda m, h, a: m.cls(h),
        "sequence-classification": lambda m, h, a: m.classifier(h),
        "token-classification": lambda m, h, a: m.classifier(m.dropout(h)),
    },
    "roberta": {
        "masked-lm": lambda m, h, a: m.lm_head(h),
        "sequence-classification": lambda m, h, a: m.classifier(h),
        "token-classification": lambda m, h, a: m.classifier(m.dropout(h)),
    },
    "esm": {
        "masked-lm": lambda m, h, a: m.lm_head(h),
        "sequence-classification": lambda m, h, a: m.classifier(h),
        "token-classification": lambda m, h, a: m.classifier(m.dropout(h)),
    },
    "modernbert": {
        "masked-lm": lambda m, h, a: m.decoder(m.head(h)),
        "sequence-classification": lambda m, h, a: m.classifier(m.drop(m.head(_pool_modernbert(m, h, a)))),
        "token-classification": lambda m, h, a: m.classifier(m.drop(m.head(h))),
    },
}


class NativeEncoder(DNAEncoder):
    """A transformers-native architecture (`architecture`), its heads the original classes.

    A subclass names its row of `ARCHITECTURES`; the key rules (tied, ignorable, head keys and modules,
    LoRA targets) come from it and from transformers' `_tied_weights_keys`.
    """

    architecture: ClassVar[Architecture]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        arch = cls.__dict__.get("architecture")
        if arch is None:
            return
        import transformers

        tied: dict[str, str] = {}
        for name in arch.heads.values():
            tied.update(getattr(getattr(transformers, name), "_tied_weights_keys", None) or {})
        cls.tied_keys = tied
        cls.ignorable_keys = arch.ignorable
        cls.head_architectures = dict(arch.heads)
        cls.head_keys = dict(arch.head_keys)
        cls.head_modules = dict(arch.head_modules)
        cls.lora_target_modules = arch.lora
        cls.base_model_prefix = arch.prefix

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        return build_native(cls.architecture, spec.task, native_config(cls.architecture, config, spec))

    @property
    def base(self) -> torch.nn.Module:
        """The encoder without its head (``module.<prefix>``)."""
        return getattr(self.module, self.architecture.prefix)  # type: ignore[no-any-return]

    def run_base(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *,
                 output_hidden_states: bool, output_attentions: bool) -> Any:
        """transformers' base model on a padded batch (eager attention when its weights are asked for)."""
        module: Any = self.module
        if not output_attentions or module.config._attn_implementation != "sdpa":
            return self.base(input_ids=input_ids, attention_mask=attention_mask,
                             output_hidden_states=output_hidden_states, output_attentions=output_attentions,
                             return_dict=True)
        module.set_attn_implementation("eager")
        try:
            return self.base(input_ids=input_ids, attention_mask=attention_mask,
                             output_hidden_states=output_hidden_states, output_attentions=True,
                             return_dict=True)
        finally:
            module.set_attn_implementation("sdpa")

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
        output_attentions: bool = False,
    ) -> EncoderOutput:
        out = self.run_base(input_ids, attention_mask, output_hidden_states=output_hidden_states,
                            output_attentions=output_attentions)
        last = out.last_hidden_state
        return EncoderOutput(
            last_hidden_state=last,
            attention_mask=attention_mask,
            hidden_states=tuple(out.hidden_states) if output_hidden_states else None,
            logits=self.head_logits(last, attention_mask) if with_logits else None,
            attentions=tuple(out.attentions) if output_attentions else None,
        )

    def head_logits(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The original head class's computation on the last hidden state."""
        task = self.spec.task if self.spec.task in self.head_architectures else "masked-lm"
        return _HEADS[self.architecture.name][task](self.module, last_hidden_state, attention_mask)


class BigBirdEncoder(NativeEncoder):
    """transformers' BigBird; block-sparse attention is reset for every batch (transformers switches a
    model to full attention for good after one short batch)."""

    architecture = ARCHITECTURES["big_bird"]

    def run_base(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *,
                 output_hidden_states: bool, output_attentions: bool) -> Any:
        base: Any = self.base
        kind = self.config.get("attention_type", "block_sparse")
        cfg = base.config
        if kind == "block_sparse" and input_ids.shape[1] <= (5 + 2 * cfg.num_random_blocks) * cfg.block_size:
            kind = "original_full"  # what transformers switches a batch this short to
        base.set_attention_type(kind)
        if not output_attentions or kind != "original_full":  # block-sparse weights: as transformers gives
            return super().run_base(input_ids, attention_mask, output_hidden_states=output_hidden_states,
                                    output_attentions=output_attentions)
        # transformers records the weights with hooks installed once, on the attention modules of the first
        # call; set_attention_type builds new ones, whose weights it then drops: take them here instead
        probs: list[torch.Tensor] = []
        hooks = [m.register_forward_hook(lambda _m, _i, out: probs.append(out[1]))
                 for name, m in base.named_modules() if name.endswith("attention.self")]
        try:
            out = super().run_base(input_ids, attention_mask, output_hidden_states=output_hidden_states,
                                   output_attentions=True)
        finally:
            for h in hooks:
                h.remove()
        if not out.attentions:
            out.attentions = tuple(probs)
        return out


class RobertaEncoder(NativeEncoder):
    architecture = ARCHITECTURES["roberta"]


class EsmEncoder(NativeEncoder):
    architecture = ARCHITECTURES["esm"]


class ModernBertEncoder(NativeEncoder):
    architecture = ARCHITECTURES["modernbert"]


def write_native_checkpoint(
    family: StockFamily,
    spec: ModelSpec,
    path: str | Path,
    *,
    seed: int = 0,
    config: dict[str, Any] | None = None,
    weights: WeightsFormat | None = None,
) -> Path:
    """A tiny random checkpoint of a native family's spec: tokenizer files, config.json, weights."""
    from ._bert import write_tokenizer_files
    from ._config import tiny_bert_config

    arch = architecture(family.architecture)
    path = Path(path)
    specials, size = write_tokenizer_files(family, spec, path)
    task = spec.task if spec.task in arch.heads else "masked-lm"
    extra: dict[str, Any] = {**arch.tiny}
    ids = {t.strip("[]<>").lower(): i for i, t in enumerate(specials)}
    for role in ("pad", "cls", "sep", "mask", "bos", "eos"):
        if role in ids:
            extra[f"{role}_token_id"] = ids[role]
    if spec.task in ("sequence-classification", "token-classification"):
        labels = spec.labels or ()
        extra["id2label"] = {str(i): name for i, name in enumerate(labels)}
        extra["label2id"] = {name: i for i, name in enumerate(labels)}
    config = config if config is not None else tiny_bert_config(
        size, max_positions=spec.architecture.max_tokens + arch.position_offset,
        architectures=(arch.heads[task],), model_type=arch.model_type, **{**extra, **family.config},
    )
    module = build_native(arch, task, native_config(arch, config, spec))
    tied = {k for name in arch.heads.values() for k in _tied_of(name)}
    sd = random_state_dict(module, seed=seed, skip=tied)
    (path / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    write_weights(path, sd, weights or family.weights)
    return path


def _tied_of(class_name: str) -> list[str]:
    import transformers

    return list(getattr(getattr(transformers, class_name), "_tied_weights_keys", None) or {})
