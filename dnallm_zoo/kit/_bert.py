"""Stock BERT for the families that use it unchanged (DNABERT, Plant DNABERT).

The network is `transformers`' BERT with SDPA attention, built from the checkpoint's own config.json
on the meta device (no random init) and filled strictly with the original key names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import torch

from .._encoder import DNAEncoder, EncoderOutput
from .._spec import ModelSpec
from ..errors import CheckpointError

__all__ = ["StockBertEncoder", "write_bert_checkpoint"]

_REQUIRED = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
             "intermediate_size", "max_position_embeddings")


def _bert_config(spec: ModelSpec, config: dict[str, Any]) -> Any:
    from transformers import BertConfig

    missing = [k for k in _REQUIRED if k not in config]
    if missing:
        raise CheckpointError(f"config.json lacks {missing} (a BERT config needs {list(_REQUIRED)})")
    cfg = BertConfig.from_dict(dict(config))
    cfg._attn_implementation = "sdpa"
    if spec.task == "sequence-classification":
        assert spec.labels is not None
        n = len(config.get("id2label") or spec.labels)
        if n != len(spec.labels):
            raise CheckpointError(
                f"config.json has {n} labels, the spec of {spec.id} names {len(spec.labels)}"
            )
        cfg.num_labels = n
    return cfg


class StockBertEncoder(DNAEncoder):
    """`BertForMaskedLM` (no pooler) or `BertForSequenceClassification` with original keys."""

    # old DNABERT files carry an untrained pooler and the position_ids buffer
    ignorable_keys: ClassVar[tuple[str, ...]] = ("bert.pooler.*", "bert.embeddings.position_ids")
    tied_keys: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
        "cls.predictions.decoder.bias": "cls.predictions.bias",
    }

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        from transformers import BertForMaskedLM, BertForSequenceClassification

        cfg = _bert_config(spec, config)
        head = BertForSequenceClassification if spec.task == "sequence-classification" \
            else BertForMaskedLM
        with torch.device("meta"):
            module = head(cfg)
        emb = module.bert.embeddings
        # the two non-persistent buffers are not in any checkpoint: make them real now
        emb.register_buffer(
            "position_ids", torch.arange(cfg.max_position_embeddings).expand((1, -1)),
            persistent=False,
        )
        emb.register_buffer(
            "token_type_ids", torch.zeros((1, cfg.max_position_embeddings), dtype=torch.long),
            persistent=False,
        )
        return module

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
    ) -> EncoderOutput:
        out = self.module.bert(
            input_ids=input_ids, attention_mask=attention_mask,
            output_hidden_states=output_hidden_states, return_dict=True,
        )
        logits = None
        if with_logits:
            if self.spec.task == "sequence-classification":
                logits = self.module.classifier(out.pooler_output)
            else:
                logits = self.module.cls(out.last_hidden_state)
        return EncoderOutput(
            last_hidden_state=out.last_hidden_state,
            attention_mask=attention_mask,
            hidden_states=tuple(out.hidden_states) if output_hidden_states else None,
            logits=logits,
        )


def write_bert_checkpoint(
    path: str | Path,
    config: dict[str, Any],
    *,
    classifier: bool = False,
    seed: int = 0,
    safetensors: bool = True,
) -> Path:
    """Write config.json and random weights of a (tiny) BERT with the original key names."""
    from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification

    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    cfg = BertConfig.from_dict(dict(config))
    model = BertForSequenceClassification(cfg) if classifier else BertForMaskedLM(cfg)
    sd = {k: v.contiguous().clone() for k, v in model.state_dict().items()
          if k not in StockBertEncoder.tied_keys}
    (p / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    if safetensors:
        from safetensors.torch import save_file

        save_file(sd, str(p / "model.safetensors"), metadata={"format": "pt"})
    else:
        torch.save(sd, p / "pytorch_model.bin")
    return p
