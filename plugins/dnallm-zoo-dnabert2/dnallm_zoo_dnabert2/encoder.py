"""`DNABERT2Encoder`: the native MosaicBERT (modeling.py) behind the `DNAEncoder` contract."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from dnallm_zoo import (
    CheckpointError,
    DNAEncoder,
    EncoderOutput,
    ModelSpec,
    kit,
)

from .heads import MosaicBertForSequenceClassification, MosaicBertForTokenClassification, classifier_dropout
from .modeling import (
    TIED_KEYS,
    DNABERT2Config,
    MosaicBertForMaskedLM,
    MosaicBertModel,
    build_mlm_model,
    build_model,
)

__all__ = ["DNABERT2Encoder"]


class DNABERT2Encoder(DNAEncoder):
    """A MosaicBERT checkpoint loaded strictly under its original keys; no remote code.

    A ``masked-lm`` spec (DNABERT-2) is the ``BertForMaskedLM`` layout (``bert.*``, ``cls.*``): the
    MLM decoder weight is the word-embedding matrix, so a file may carry it (equal to the
    embeddings) or not. An ``embedding`` spec (DNABERT-S) is a ``BertModel`` saved by itself: the
    encoder keys without ``bert.``, no head, and the pooler that ``BertModel`` adds: randomly
    initialised and never trained (DNABERT-2 has none and DNABERT-S pools by mean), it is dropped.
    Any length runs in one pass (ALiBi), as in the original.

    Heads (`heads.py`): a ``sequence-classification`` spec is the original
    ``BertForSequenceClassification`` (``bert.pooler.dense``, tanh on [CLS], dropout, ``classifier``);
    a ``token-classification`` spec the zoo's same-shaped token head (dropout, ``classifier`` per token).
    LoRA targets the fused attention projection ``Wqkv`` (the original script's ``query,value`` matches
    nothing here).
    """

    ignorable_keys: ClassVar[tuple[str, ...]] = ("pooler.dense.weight", "pooler.dense.bias")
    tied_keys: ClassVar[dict[str, str]] = dict(TIED_KEYS)
    head_architectures: ClassVar[dict[str, str]] = kit.BERT_HEAD_ARCHITECTURES
    head_keys: ClassVar[dict[str, tuple[str, ...]]] = kit.BERT_HEAD_KEYS
    head_modules: ClassVar[dict[str, tuple[str, ...]]] = kit.BERT_HEAD_MODULES
    lora_target_modules: ClassVar[tuple[str, ...]] = ("Wqkv",)
    base_model_prefix: ClassVar[str] = "bert"

    module: (
        MosaicBertForMaskedLM | MosaicBertModel | MosaicBertForSequenceClassification
        | MosaicBertForTokenClassification
    )

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        try:
            cfg = DNABERT2Config.from_dict(config)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"config.json of {spec.id}: {exc}") from None
        if spec.task in ("sequence-classification", "token-classification"):
            head = MosaicBertForSequenceClassification if spec.task == "sequence-classification" \
                else MosaicBertForTokenClassification
            with torch.device("meta"):
                return head(cfg, len(spec.labels or ()), classifier_dropout(cfg, config)).eval()
        if spec.task == "embedding":
            return build_model(cfg, device="meta")
        return build_mlm_model(cfg, device="meta")

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
        output_attentions: bool = False,
    ) -> EncoderOutput:
        """Hidden states with padded positions exactly 0, at any length.

        `with_logits` adds the head's logits (masked-LM where the checkpoint has it, else None);
        `output_attentions` the weights the original's eager attention computes, per layer.
        """
        module = self.module
        heads = (MosaicBertForSequenceClassification, MosaicBertForTokenClassification)
        mlm = module if isinstance(module, MosaicBertForMaskedLM) else None
        encoder = module.bert if isinstance(module, (*heads, MosaicBertForMaskedLM)) else module
        out = encoder(input_ids, attention_mask, output_hidden_states=output_hidden_states,
                      output_attentions=output_attentions)
        logits = None
        if with_logits and isinstance(module, heads):
            logits = module.head(out.last_hidden_state)
        elif with_logits and mlm is not None:
            logits = mlm.cls(out.last_hidden_state)
        return EncoderOutput(
            last_hidden_state=out.last_hidden_state,
            attention_mask=attention_mask,
            hidden_states=out.hidden_states,
            logits=logits,
            attentions=out.attentions,
        )

    def head_logits(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The sequence head (pooler on [CLS], dropout, classifier) or token head (dropout, classifier)."""
        module = self.module
        if isinstance(module, (MosaicBertForSequenceClassification, MosaicBertForTokenClassification)):
            return module.head(last_hidden_state)
        return super().head_logits(last_hidden_state, attention_mask)
