"""`BlockEncoder`: a family's network from the kit's blocks, under BERT's head layout (``bert.*``, ``cls.*``,
``classifier``), with its task heads, attention weights and tiny checkpoints.

A family subclasses it and says how its config.json reads as a `Net` and where its keys differ from
BERT's (`layout`); the heads are transformers' own BERT head modules, so their keys and forward are
the originals'.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from .._checkpoint import WeightsFormat, write_weights
from .._encoder import DNAEncoder, EncoderOutput
from .._spec import ModelSpec
from ..errors import CheckpointError
from ._blocks import BERT_LAYOUT, BlockStack, Layout, Net
from ._heads import BERT_HEAD_ARCHITECTURES, BERT_HEAD_KEYS, BERT_HEAD_MODULES
from ._weights import random_state_dict

__all__ = ["BlockEncoder", "write_block_checkpoint"]


def _bert_head_config(net: Net, config: Mapping[str, Any], num_labels: int) -> Any:
    from transformers import BertConfig

    return BertConfig.from_dict({
        "hidden_size": net.hidden, "vocab_size": net.vocab_size, "layer_norm_eps": net.eps,
        "hidden_act": config.get("hidden_act", "gelu"), "num_labels": num_labels,
        "classifier_dropout": config.get("classifier_dropout"),
        "hidden_dropout_prob": config.get("hidden_dropout_prob", 0.1)})


class BlockEncoder(DNAEncoder):
    """A network of `BlockStack` at ``bert.*`` with BERT's heads: `BertOnlyMLMHead` at ``cls``, the pooler
    at ``bert.pooler`` and ``classifier`` for sequences, ``classifier`` on every token.

    A subclass implements `net` (config.json -> `Net`) and may change `layout` (the paths of the parts
    inside ``bert``; `layout_for` when they depend on the config) and `prefix`.
    """

    layout: ClassVar[Layout] = BERT_LAYOUT
    prefix: ClassVar[str] = "bert"
    base_model_prefix: ClassVar[str] = "bert"
    ignorable_keys: ClassVar[tuple[str, ...]] = ("bert.pooler.*", "bert.embeddings.position_ids",
                                                 "cls.seq_relationship.*")
    tied_keys: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
        "cls.predictions.decoder.bias": "cls.predictions.bias",
    }
    head_architectures: ClassVar[dict[str, str]] = BERT_HEAD_ARCHITECTURES
    head_keys: ClassVar[dict[str, tuple[str, ...]]] = BERT_HEAD_KEYS
    head_modules: ClassVar[dict[str, tuple[str, ...]]] = BERT_HEAD_MODULES

    @classmethod
    @abstractmethod
    def net(cls, config: Mapping[str, Any]) -> Net:
        """The network config.json describes (a `CheckpointError` for one the family does not compute)."""

    @classmethod
    def layout_for(cls, config: Mapping[str, Any]) -> Layout:
        """The layout of a checkpoint (`layout` unless the family's keys depend on its config)."""
        return cls.layout

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> nn.Module:
        from transformers.models.bert.modeling_bert import BertOnlyMLMHead, BertPooler

        net = cls.net(config)
        labels = 0
        if spec.task in ("sequence-classification", "token-classification"):
            assert spec.labels is not None
            labels = len(config.get("id2label") or spec.labels)
            if labels != len(spec.labels):
                raise CheckpointError(
                    f"config.json has {labels} labels, the spec of {spec.id} names {len(spec.labels)}")
        hc = _bert_head_config(net, config, labels)
        root = nn.Module()
        with torch.device("meta"):
            root.add_module(cls.prefix, BlockStack(net, cls.layout_for(config)))
            if spec.task == "sequence-classification":
                getattr(root, cls.prefix).add_module("pooler", BertPooler(hc))
            if labels:
                drop = hc.classifier_dropout if hc.classifier_dropout is not None else hc.hidden_dropout_prob
                root.dropout = nn.Dropout(drop)
                root.classifier = nn.Linear(net.hidden, labels)
            else:
                root.cls = BertOnlyMLMHead(hc)
        return root

    @property
    def stack(self) -> BlockStack:
        return getattr(self.module, self.prefix)  # type: ignore[no-any-return]

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
        output_attentions: bool = False,
    ) -> EncoderOutput:
        last, states, probs = self.stack(input_ids, attention_mask, output_hidden_states=output_hidden_states,
                                         output_attentions=output_attentions)
        return EncoderOutput(
            last_hidden_state=last, attention_mask=attention_mask, hidden_states=states,
            logits=self.head_logits(last, attention_mask) if with_logits else None, attentions=probs,
        )

    def head_logits(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """BERT's heads: pooler (tanh on token 0), dropout, classifier; dropout, classifier; the MLM head."""
        m: Any = self.module
        if self.spec.task == "sequence-classification":
            return m.classifier(m.dropout(getattr(m, self.prefix).pooler(last_hidden_state)))  # type: ignore[no-any-return]
        if self.spec.task == "token-classification":
            return m.classifier(m.dropout(last_hidden_state))  # type: ignore[no-any-return]
        return m.cls(last_hidden_state)  # type: ignore[no-any-return]


def write_block_checkpoint(
    encoder: type[BlockEncoder],
    spec: ModelSpec,
    path: str | Path,
    config: dict[str, Any],
    *,
    seed: int = 0,
    weights: WeightsFormat = "safetensors",
) -> Path:
    """config.json (as given) and random weights of `encoder`'s network for `spec` under the original keys."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    module = encoder.build_module(spec, config)
    sd = random_state_dict(module, seed=seed, skip=encoder.tied_keys)
    (p / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    write_weights(p, sd, weights)
    return p
