"""`MutBERTEncoder`: MutBERT's rotary BERT (modeling_mutbert.py) from the kit's blocks, and its probabilistic
input (`embed_probabilities`).

The network is a `kit.Net`: post-LayerNorm BERT without a position table, rotary positions on queries and
keys (rotate-half, base `rope_theta`; linear `rope_scaling` divides the positions), at BERT's key paths.
The word embedding is a matrix product in the original, so a row of base probabilities embeds as the
probability-weighted mean of the rows; ids use the lookup, the same numbers as the one-hot product.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from dnallm_zoo import CheckpointError, EncoderOutput, InputError, ModelSpec, SequenceTooLongError, kit

__all__ = ["MutBERTEncoder"]

_POOLINGS = ("mean", "cls", "max", "none")


def _mean(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean over positions where `mask` is 1 (the original's mean pooler, and `embed`'s)."""
    m = mask.unsqueeze(-1).to(h.dtype)
    return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)


class MutBERTEncoder(kit.BlockEncoder):
    """`RoPEBertForMaskedLM` / `RoPEBertForSequenceClassification` under their original keys; no remote code.

    The MLM decoder weight and bias are the word embeddings and ``cls.predictions.bias`` (tied: a file may
    carry them, equal, or not). The sequence head reads the configured pooler: the weightless mean over
    real tokens (`pooler_type: mean`) or ``bert.pooler.dense`` + tanh on [CLS] (`first_token_transform`).
    """

    ignorable_keys: ClassVar[tuple[str, ...]] = ()
    head_architectures: ClassVar[dict[str, str]] = {
        "masked-lm": "RoPEBertForMaskedLM", "sequence-classification": "RoPEBertForSequenceClassification"}
    head_modules: ClassVar[dict[str, tuple[str, ...]]] = {"sequence-classification": ("classifier",)}
    lora_target_modules: ClassVar[tuple[str, ...]] = ("query", "value")  # the original train.py's default
    #: one token a base: a variant is scored at its base's token
    variant_rule: ClassVar[str | None] = "single_base"

    @classmethod
    def net(cls, config: Mapping[str, Any]) -> kit.Net:
        """config.json as `RoPEBertConfig` reads it (its defaults for absent keys), checked."""
        c = {"vocab_size": 9, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
             "intermediate_size": 3072, "hidden_act": "gelu", "layer_norm_eps": 1e-12, "type_vocab_size": 2,
             "max_position_embeddings": 512, "rope_theta": 10000.0, "pooler_type": "mean", **config}
        if c["pooler_type"] not in ("mean", "first_token_transform"):
            raise CheckpointError(f"config.json: pooler_type {c['pooler_type']!r} is not 'mean' or "
                                  "'first_token_transform'")
        if c["hidden_size"] % c["num_attention_heads"]:
            raise CheckpointError(f"config.json: hidden_size {c['hidden_size']} is not a multiple of "
                                  f"num_attention_heads {c['num_attention_heads']}")
        if _factor(c) is None and c.get("rope_scaling") is not None:
            # 'dynamic' NTK scaling rewrites the original's cached frequencies for good after one long batch,
            # so its output depends on what ran before: not reproducible, refused
            raise CheckpointError(f"config.json: rope_scaling {c['rope_scaling']!r}; only None or "
                                  "{'type': 'linear', 'factor': > 1} is computed as the original does")
        return kit.Net(vocab_size=c["vocab_size"], hidden=c["hidden_size"], layers=c["num_hidden_layers"],
                       heads=c["num_attention_heads"], intermediate=c["intermediate_size"],
                       max_positions=c["max_position_embeddings"], positions="rotary",
                       rotary_base=c["rope_theta"], act=c["hidden_act"], eps=c["layer_norm_eps"],
                       type_vocab_size=c["type_vocab_size"])

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        if spec.task not in cls.head_architectures:
            raise CheckpointError(f"MutBERT has no {spec.task} model")
        root = super().build_module(spec, config)
        bert: Any = root.bert
        if spec.task == "sequence-classification" and config.get("pooler_type", "mean") == "mean":
            del bert.pooler  # the mean pooler has no weights
        factor = _factor(config)
        if factor is not None:  # positions / factor: the same angles as frequencies / factor
            bert.register_buffer("inv_freq", bert.inv_freq.double().div(factor).float(), persistent=False)
        return root

    def head_logits(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The classifier on the configured pooler, or the MLM logits."""
        m: Any = self.module
        if self.spec.task == "sequence-classification" and not hasattr(m.bert, "pooler"):
            return m.classifier(m.dropout(_mean(last_hidden_state, attention_mask)))  # type: ignore[no-any-return]
        return super().head_logits(last_hidden_state, attention_mask)

    def forward_probabilities(self, probabilities: torch.Tensor | np.ndarray,
                              attention_mask: torch.Tensor | np.ndarray | None = None, *,
                              output_hidden_states: bool = False, with_logits: bool = False,
                              output_attentions: bool = False) -> EncoderOutput:
        """`forward` on a [batch, tokens, vocab] matrix of probabilities (checked) instead of ids."""
        probs, mask = self._checked(probabilities, attention_mask)
        words = probs @ self.stack.embedder().part("word").weight
        last, states, attn = self.stack(None, mask, inputs_embeds=words,
                                        output_hidden_states=output_hidden_states,
                                        output_attentions=output_attentions)
        return EncoderOutput(last_hidden_state=last, attention_mask=mask, hidden_states=states,
                             attentions=attn, logits=self.head_logits(last, mask) if with_logits else None)

    def embed_probabilities(self, probabilities: torch.Tensor | np.ndarray,
                            attention_mask: torch.Tensor | np.ndarray | None = None, *, pooling: str = "mean",
                            layer: int = -1, batch_size: int = 16) -> np.ndarray | list[np.ndarray]:
        """One float32 vector per row of a [batch, tokens, vocab] probability matrix (the card's input).

        Each row of the last dimension is a distribution over the vocabulary (tokenizer.json's ids: the
        bases are A=5 C=6 G=7 T=8, [CLS]=1 and [SEP]=2 one-hot at the ends, as in pre-training); rows
        where `attention_mask` is 0 are padding and not read. `pooling` as in `embed` ('none': a list of
        [real tokens, hidden] arrays).
        """
        if pooling not in _POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; use one of {list(_POOLINGS)}")
        probs, mask = self._checked(probabilities, attention_mask)
        out: list[np.ndarray] = []
        with torch.inference_mode():
            for i in range(0, probs.shape[0], batch_size):
                p, m = probs[i:i + batch_size], mask[i:i + batch_size]
                res = self.forward_probabilities(p, m, output_hidden_states=layer != -1)
                states = res.hidden_states
                h = (res.last_hidden_state if states is None else states[layer]).float()
                if pooling == "none":
                    out += [h[j, m[j].bool()].cpu().numpy() for j in range(h.shape[0])]
                elif pooling == "cls":
                    out += list(h[:, 0].cpu().numpy())
                elif pooling == "max":
                    low = torch.finfo(h.dtype).min
                    out += list(h.masked_fill(m[..., None] == 0, low).amax(1).cpu().numpy())
                else:
                    out += list(_mean(h, m).cpu().numpy())
        return out if pooling == "none" else np.stack(out).astype(np.float32)

    def _checked(self, probabilities: torch.Tensor | np.ndarray,
                 attention_mask: torch.Tensor | np.ndarray | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The input on the model's device, refused with every bad row named unless it is a distribution."""
        probs = torch.as_tensor(probabilities)
        vocab = int(self.config.get("vocab_size", len(self.tokenizer)))
        if probs.ndim != 3 or probs.shape[-1] != vocab:
            raise InputError(f"probabilities must be [batch, tokens, {vocab}] (the vocabulary size), "
                             f"not {list(probs.shape)}")
        if not probs.is_floating_point():
            raise InputError(f"probabilities must be floating point, not {probs.dtype}")
        mask = torch.ones(probs.shape[:2], dtype=torch.long) if attention_mask is None \
            else torch.as_tensor(attention_mask).long().to(probs.device)
        if tuple(mask.shape) != tuple(probs.shape[:2]):
            raise InputError(f"attention_mask is {list(mask.shape)}, probabilities {list(probs.shape)}")
        if probs.shape[1] > self.max_length:
            raise SequenceTooLongError(
                f"{probs.shape[1]} tokens; {self.spec.id} takes at most {self.max_length}")
        p = probs.double()
        bad = mask.bool() & ((p.sum(-1) - 1).abs().gt(1e-4) | (p < 0).any(-1) | ~torch.isfinite(p).all(-1))
        if bad.any():
            where = bad.nonzero().tolist()
            named = ", ".join(f"[{b}, {t}] (sum {p[b, t].sum().item():.6g})" for b, t in where[:20])
            more = f" and {len(where) - 20} more" if len(where) > 20 else ""
            raise InputError(f"probabilities: {len(where)} rows are not distributions over the {vocab} "
                             f"tokens (non-negative, summing to 1): [batch, token] {named}{more}")
        return probs.to(self.device, self.dtype), mask.to(self.device)


def _factor(config: Mapping[str, Any]) -> float | None:
    """The linear rope_scaling factor (> 1), else None."""
    s = config.get("rope_scaling")
    if isinstance(s, dict) and s.get("type") == "linear" and float(s.get("factor", 0)) > 1.0:
        return float(s["factor"])
    return None
