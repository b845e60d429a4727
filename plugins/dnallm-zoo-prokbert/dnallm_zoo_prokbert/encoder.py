"""`ProkBertEncoder`: the zoo's `DNAEncoder` over the native ProkBERT network and the LCA tokenizer."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, ClassVar

import torch

from dnallm_zoo import CheckpointError, DNAEncoder, EncoderOutput, ModelSpec, NormalizationPolicy, tokenize

from .heads import ProkBertForSequenceClassification, ProkBertForTokenClassification, classifier_dropout
from .layout import SPECIALS, is_prokbert_config
from .modeling import TIED_KEYS, ProkBertConfig, ProkBertForMaskedLM
from .tokenizer import LCATokenizer

__all__ = ["ProkBertEncoder", "network_config"]


def network_config(config: dict[str, Any]) -> ProkBertConfig:
    """The network's shape from either original config.json flavour, or a CheckpointError."""
    if not is_prokbert_config(config):
        raise CheckpointError(
            f"config.json has model_type {config.get('model_type')!r} and position_embedding_type "
            f"{config.get('position_embedding_type')!r}; ProkBERT is 'prokbert', or 'megatron-bert' "
            "with 'relative_key_query'"
        )
    try:
        return ProkBertConfig.from_dict(config)
    except ValueError as exc:
        raise CheckpointError(str(exc)) from None


class ProkBertEncoder(DNAEncoder):
    """ProkBERT (Megatron-BERT pre-LN, relative_key_query) loaded strictly under its original keys.

    The checkpoint holds 112 tensors (six layers); older `.bin` files add the
    `bert.embeddings.position_ids` buffer (dropped). The MLM decoder is tied to the word
    embeddings (`tied_keys`): a file may carry it or not (then it must equal them), and the loader
    makes its storage the embeddings'.

    Heads (`heads.py`): a ``sequence-classification`` spec is the original
    ``ProkBertForSequenceClassification`` (``weighting_layer`` scores, softmax over the real tokens,
    weighted sum, dropout, ``classifier``); ``token-classification`` the zoo's per-token ``classifier``.
    A new ``weighting_layer`` starts at zero (uniform pooling), as the original initialises it.
    """

    ignorable_keys: ClassVar[tuple[str, ...]] = ("bert.embeddings.position_ids",)
    # the 2025 ProkBertForSequenceClassification kept MegatronBert's pooler, never used nor trained
    head_ignorable_keys: ClassVar[dict[str, tuple[str, ...]]] = {
        "sequence-classification": ("bert.pooler.*",),
    }
    kmer_tokenizer_class = LCATokenizer
    tied_keys: ClassVar[dict[str, str]] = dict(TIED_KEYS)
    head_architectures: ClassVar[dict[str, str]] = {
        "masked-lm": "ProkBertForMaskedLM",
        "sequence-classification": "ProkBertForSequenceClassification",
        "token-classification": "ProkBertForTokenClassification",
    }
    head_keys: ClassVar[dict[str, tuple[str, ...]]] = {
        "masked-lm": ("cls.*",),
        "sequence-classification": ("weighting_layer.*", "classifier.*"),
        "token-classification": ("classifier.*",),
    }
    head_modules: ClassVar[dict[str, tuple[str, ...]]] = {
        "sequence-classification": ("weighting_layer", "classifier"),
        "token-classification": ("classifier",),
    }
    lora_target_modules: ClassVar[tuple[str, ...]] = ("query", "value")
    base_model_prefix: ClassVar[str] = "bert"

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        """`ProkBertForMaskedLM` on the meta device (the strict loader assigns the tensors)."""
        cfg = network_config(config)
        if cfg.max_position_embeddings < spec.tokenizer.max_tokens:
            raise CheckpointError(
                f"config.json has max_position_embeddings {cfg.max_position_embeddings}, fewer than "
                f"the {spec.tokenizer.max_tokens} tokens {spec.id} takes"
            )
        heads = {"sequence-classification": ProkBertForSequenceClassification,
                 "token-classification": ProkBertForTokenClassification}
        with torch.device("meta"):
            if spec.task in heads:
                return heads[spec.task](cfg, len(spec.labels or ()), classifier_dropout(config))
            return ProkBertForMaskedLM(cfg)

    @classmethod
    def head_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """The 2025 code's `num_class_labels` is the head's size (its id2label is transformers' default 2)."""
        n = config.get("num_class_labels")
        if not isinstance(n, int) or isinstance(n, bool) or config.get("num_labels") == n:
            return config
        out = dict(config, num_labels=n)
        if len(config.get("id2label") or {}) != n:
            out["id2label"] = {str(i): f"LABEL_{i}" for i in range(n)}
        return out

    @classmethod
    def config_with_head(cls, config: dict[str, Any], spec: ModelSpec) -> dict[str, Any]:
        """Also the keys the original ProkBertConfig reads: 2025's `num_class_labels`,
        `classification_dropout_rate`, and `classifier_pooling`."""
        out = super().config_with_head(config, spec)
        out["num_class_labels"] = out["num_labels"]
        out.setdefault("classification_dropout_rate", classifier_dropout(config))
        if spec.task == "sequence-classification":
            out["classifier_pooling"] = "attention"
        return out

    @classmethod
    def init_new_weights(
        cls,
        module: torch.nn.Module,
        names: list[str],
        config: dict[str, Any],
        generator: torch.Generator | None,
    ) -> None:
        """transformers' init, then a zero `weighting_layer` (uniform pooling at step 0), as the original."""
        super().init_new_weights(module, names, config, generator)
        with torch.no_grad():
            for name in names:
                if name.startswith("weighting_layer."):
                    module.get_parameter(name).zero_()

    @classmethod
    def build_tokenizer(
        cls,
        path: Path,
        spec: ModelSpec,
        config: dict[str, Any],
        normalization: NormalizationPolicy,
    ) -> tokenize.DNATokenizer:
        """The LCA tokenizer over the checkpoint's vocab.txt with the spec's k and shift."""
        _check_lca_keys(spec, config)
        tok = super().build_tokenizer(path, spec, config, normalization)
        ids = [tok.vocab.get(t) for t in SPECIALS]
        if ids != list(range(len(SPECIALS))):
            raise CheckpointError(
                f"{path / spec.tokenizer.vocab_file}: the first entries must be {list(SPECIALS)} (ids 0-4)"
            )
        return tok

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
        output_attentions: bool = False,
    ) -> EncoderOutput:
        """hidden_states: embeddings, layers 1..N-1, then encoder.ln(layer N) as in MegatronBert.

        `output_attentions`: each layer's softmax weights, as transformers 4.x's eager MegatronBert has them.
        """
        module = self.module
        bert: Any = module.bert  # every head class holds the encoder as `bert`
        out = bert(input_ids, attention_mask, None, output_hidden_states, output_attentions)
        if isinstance(module, (ProkBertForSequenceClassification, ProkBertForTokenClassification)):
            logits = module.head(out.last_hidden_state, attention_mask) if with_logits else None
        else:
            assert isinstance(module, ProkBertForMaskedLM)
            logits = module.cls(out.last_hidden_state) if with_logits else None
        return EncoderOutput(
            last_hidden_state=out.last_hidden_state,
            attention_mask=attention_mask,
            hidden_states=out.hidden_states,
            logits=logits,
            attentions=out.attentions,
        )

    def head_logits(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The sequence head (masked attention pooling, dropout, classifier) or the token head."""
        logits = _head_logits(self.module, last_hidden_state, attention_mask)
        if logits is None:
            return super().head_logits(last_hidden_state, attention_mask)
        return logits


def _head_logits(
    module: torch.nn.Module, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor
) -> torch.Tensor | None:
    if isinstance(module, (ProkBertForSequenceClassification, ProkBertForTokenClassification)):
        return module.head(last_hidden_state, attention_mask)
    return None


def _check_lca_keys(spec: ModelSpec, config: dict[str, Any]) -> None:
    """config.json's `kmer`/`shift` (prokbert flavour) against the spec: the spec wins, loudly."""
    ts = spec.tokenizer
    for key, want in (("kmer", ts.k), ("shift", ts.stride)):
        got = config.get(key)
        if isinstance(got, int) and not isinstance(got, bool) and got != want:
            warnings.warn(
                f"config.json says {key}={got}, but {spec.id} was trained with {key}={want}; "
                f"tokenizing with {key}={want} (the spec's)",
                stacklevel=3,
            )
