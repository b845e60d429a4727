"""The transformers-native encoder architectures a family's spec table may name (no torch).

A family whose checkpoints are one of transformers' own architectures names it, and the kit builds
the network from transformers' class, with its head classes' key layout::

    family = kit.StockFamily("gena-lm-bigbird", SPECS, architecture="big_bird")

`ArchitectureSpec.kind` of each spec is the architecture's name. Each row says what the kit needs and
nothing is imported until a model is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ARCHITECTURES", "Architecture", "architecture"]


@dataclass(frozen=True)
class Architecture:
    """One transformers architecture: its classes, key prefix, heads and tiny test config."""

    name: str  #: the zoo's name (ArchitectureSpec.kind, ``StockFamily(architecture=...)``)
    model_type: str  #: config.json's model_type
    config_class: str  #: transformers' config class
    prefix: str  #: the encoder's attribute and key prefix in the head classes (base_model_prefix)
    heads: Mapping[str, str]  #: task -> transformers class (the original fine-tuned layouts)
    head_keys: Mapping[str, tuple[str, ...]]  #: task -> fnmatch patterns of that head's keys
    head_modules: Mapping[str, tuple[str, ...]]  #: task -> the head's modules (trained beside LoRA)
    lora: tuple[str, ...]  #: peft target_modules: the attention projections
    ignorable: tuple[str, ...] = ()  #: keys an original file may hold that no head class uses
    tiny: Mapping[str, Any] = field(default_factory=dict)  #: tiny config.json keys beyond the shape
    #: learned positions the network needs beyond the tokens (RoBERTa counts from pad_token_id + 1)
    position_offset: int = 0


def _heads(stem: str) -> dict[str, str]:
    return {"masked-lm": f"{stem}ForMaskedLM", "sequence-classification": f"{stem}ForSequenceClassification",
            "token-classification": f"{stem}ForTokenClassification"}


ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in (
    Architecture(
        "bert", "bert", "BertConfig", "bert", _heads("Bert"),
        {"masked-lm": ("cls.*",), "sequence-classification": ("bert.pooler.*", "classifier.*"),
         "token-classification": ("classifier.*",)},
        {"sequence-classification": ("bert.pooler", "classifier"), "token-classification": ("classifier",)},
        ("query", "value"), ("bert.pooler.*", "bert.embeddings.position_ids", "cls.seq_relationship.*"),
        {"type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12},
    ),
    Architecture(
        "big_bird", "big_bird", "BigBirdConfig", "bert", _heads("BigBird"),
        {"masked-lm": ("cls.*",), "sequence-classification": ("classifier.*",),
         "token-classification": ("classifier.*",)},
        {"sequence-classification": ("classifier",), "token-classification": ("classifier",)},
        ("query", "value"), ("bert.embeddings.position_ids", "cls.seq_relationship.*"),
        # block-sparse attention runs from (5 + 2 * 1) * 4 = 28 tokens on, full attention below
        {"attention_type": "block_sparse", "block_size": 4, "num_random_blocks": 1, "type_vocab_size": 2,
         "hidden_act": "gelu_new", "rescale_embeddings": False, "use_bias": True},
    ),
    Architecture(
        "roberta", "roberta", "RobertaConfig", "roberta", _heads("Roberta"),
        {"masked-lm": ("lm_head.*",), "sequence-classification": ("classifier.*",),
         "token-classification": ("classifier.*",)},
        {"sequence-classification": ("classifier",), "token-classification": ("classifier",)},
        ("query", "value"), ("roberta.pooler.*", "roberta.embeddings.position_ids"),
        {"type_vocab_size": 1, "hidden_act": "gelu", "layer_norm_eps": 1e-5},
        position_offset=2,
    ),
    Architecture(
        "esm", "esm", "EsmConfig", "esm", _heads("Esm"),
        {"masked-lm": ("lm_head.*",), "sequence-classification": ("classifier.*",),
         "token-classification": ("classifier.*",)},
        {"sequence-classification": ("classifier",), "token-classification": ("classifier",)},
        ("query", "value"), ("esm.pooler.*", "esm.embeddings.position_ids", "esm.contact_head.*"),
        {"position_embedding_type": "rotary", "token_dropout": False, "emb_layer_norm_before": False,
         "layer_norm_eps": 1e-5},
    ),
    Architecture(
        "modernbert", "modernbert", "ModernBertConfig", "model", _heads("ModernBert"),
        {"masked-lm": ("head.*", "decoder.*"), "sequence-classification": ("head.*", "classifier.*"),
         "token-classification": ("head.*", "classifier.*")},
        {"sequence-classification": ("head", "classifier"), "token-classification": ("head", "classifier")},
        ("Wqkv",), (),
        {"global_attn_every_n_layers": 2, "local_attention": 8, "classifier_pooling": "mean"},
    ),
)}


def architecture(name: str) -> Architecture:
    """The row of a transformers-native architecture; a ValueError names the known ones."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(
            f"architecture {name!r} is not one the kit builds from transformers; it knows "
            f"{sorted(ARCHITECTURES)} (a network transformers lacks is built from the kit's blocks)"
        ) from None
