"""GENA-LM's pre-layer-norm BERT from the kit's blocks, computed as AIRI's `modeling_bert.py` computes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from dnallm_zoo import errors, kit

from .layout import last_layer_norm, refuse_unsupported

__all__ = ["GENA_LAYOUT", "GenaEncoder"]

#: GENA's keys where they differ from BERT's: the pre-LN layer's two norms sit on the layer, the final
#: norm on the encoder (BertLayer.pre_attention_ln / post_attention_ln, BertEncoder.last_layer_ln)
GENA_LAYOUT = {**kit.BERT_LAYOUT, "attn_norm": "pre_attention_ln", "ffn_norm": "post_attention_ln",
               "final_norm": "encoder.last_layer_ln"}
_REQUIRED = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")


class GenaEncoder(kit.BlockEncoder):
    """GENA-LM BERT: post-embedding LayerNorm, then pre-LN layers (x + attn(LN(x)), x + ffn(LN(x))), then
    the final norm when `last_layer_norm` (absent: `pre_layer_norm`); heads as transformers' BERT.

    A config without `pre_layer_norm` is GENA's code on post-LN: BERT's own layout and function.
    """

    lora_target_modules: ClassVar[tuple[str, ...]] = ("query", "value")

    @classmethod
    def net(cls, config: Mapping[str, Any]) -> kit.Net:
        refuse_unsupported(config, "config.json")
        missing = [k for k in _REQUIRED if k not in config]
        if missing:
            raise errors.CheckpointError(f"config.json lacks {missing} (GENA-LM's BertConfig needs them)")
        pre = bool(config.get("pre_layer_norm", False))
        return kit.Net(
            vocab_size=config["vocab_size"], hidden=config["hidden_size"], layers=config["num_hidden_layers"],
            heads=config["num_attention_heads"], intermediate=config["intermediate_size"],
            max_positions=config.get("max_position_embeddings", 512), norm="pre" if pre else "post",
            final_norm=last_layer_norm(config), act=config.get("hidden_act", "gelu"),
            eps=config.get("layer_norm_eps", 1e-12), type_vocab_size=config.get("type_vocab_size", 2),
            pad_token_id=config.get("pad_token_id", 0), dropout=config.get("hidden_dropout_prob", 0.1),
            attn_dropout=config.get("attention_probs_dropout_prob", 0.1),
        )

    @classmethod
    def layout_for(cls, config: Mapping[str, Any]) -> kit.Layout:
        return GENA_LAYOUT if config.get("pre_layer_norm") else kit.BERT_LAYOUT
