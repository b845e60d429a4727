"""`DNABERT2Encoder`: the native MosaicBERT (modeling.py) behind the `DNAEncoder` contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch

from dnallm_zoo import (
    CheckpointError,
    DNAEncoder,
    DNATokenizer,
    EncoderOutput,
    ModelSpec,
    NormalizationPolicy,
)

from .modeling import DNABERT2Config, DNABERT2ForMaskedLM, build_mlm_model

__all__ = ["DNABERT2Encoder"]


class DNABERT2Encoder(DNAEncoder):
    """DNABERT-2 loaded strictly under the original keys (``bert.*``, ``cls.*``); no remote code.

    The original files hold no pooler and no ALiBi buffer, so nothing is ignorable. The MLM decoder
    weight is the word-embedding matrix: a file may carry it (then it must equal the embeddings) or not.
    """

    ignorable_keys: ClassVar[tuple[str, ...]] = ()
    tied_keys: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
    }

    module: DNABERT2ForMaskedLM

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        try:
            cfg = DNABERT2Config.from_dict(config)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"config.json of {spec.id}: {exc}") from None
        return build_mlm_model(cfg, device="meta")

    @classmethod
    def build_tokenizer(
        cls,
        path: Path,
        spec: ModelSpec,
        config: dict[str, Any],
        normalization: NormalizationPolicy,
    ) -> DNATokenizer:
        """The BPE of the checkpoint's own tokenizer.json, checked against the network's vocabulary."""
        file = path / spec.tokenizer.vocab_file
        if not file.is_file():
            raise CheckpointError(f"{path}: no {spec.tokenizer.vocab_file} (DNABERT-2's BPE tokenizer)")
        try:
            tok = super().build_tokenizer(path, spec, config, normalization)
        except (ValueError, KeyError) as exc:  # an unreadable file or one without [PAD]/[UNK]
            raise CheckpointError(f"{file}: not a usable BPE tokenizer ({exc})") from None
        rows = config.get("vocab_size")
        top = max(tok.vocab.values())
        if isinstance(rows, int) and top >= rows:
            raise CheckpointError(f"{file} has token ids up to {top}, config.json's vocab_size is {rows}")
        return tok

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
    ) -> EncoderOutput:
        """Hidden states with padded positions exactly 0; `with_logits` adds the masked-LM logits."""
        last, hidden = self.module.bert(
            input_ids, attention_mask, output_hidden_states=output_hidden_states
        )
        return EncoderOutput(
            last_hidden_state=last,
            attention_mask=attention_mask,
            hidden_states=hidden,
            logits=self.module.cls(last) if with_logits else None,
        )
