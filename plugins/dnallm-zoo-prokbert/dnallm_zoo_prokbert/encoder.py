"""`ProkBertEncoder`: the zoo's `DNAEncoder` over the native ProkBERT network and the LCA tokenizer."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, ClassVar

import torch

from dnallm_zoo import CheckpointError, DNAEncoder, EncoderOutput, ModelSpec, NormalizationPolicy
from dnallm_zoo.tokenize import DNATokenizer

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
    """

    ignorable_keys: ClassVar[tuple[str, ...]] = ("bert.embeddings.position_ids",)
    kmer_tokenizer_class = LCATokenizer
    tied_keys: ClassVar[dict[str, str]] = dict(TIED_KEYS)

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        """`ProkBertForMaskedLM` on the meta device (the strict loader assigns the tensors)."""
        cfg = network_config(config)
        if cfg.max_position_embeddings < spec.tokenizer.max_tokens:
            raise CheckpointError(
                f"config.json has max_position_embeddings {cfg.max_position_embeddings}, fewer than "
                f"the {spec.tokenizer.max_tokens} tokens {spec.id} takes"
            )
        with torch.device("meta"):
            return ProkBertForMaskedLM(cfg)

    @classmethod
    def build_tokenizer(
        cls,
        path: Path,
        spec: ModelSpec,
        config: dict[str, Any],
        normalization: NormalizationPolicy,
    ) -> DNATokenizer:
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
    ) -> EncoderOutput:
        """hidden_states: embeddings, layers 1..N-1, then encoder.ln(layer N) as in MegatronBert."""
        module = self.module
        assert isinstance(module, ProkBertForMaskedLM)
        out = module.bert(input_ids, attention_mask, None, output_hidden_states)
        logits = module.cls(out.last_hidden_state) if with_logits else None
        return EncoderOutput(
            last_hidden_state=out.last_hidden_state,
            attention_mask=attention_mask,
            hidden_states=out.hidden_states,
            logits=logits,
        )


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
