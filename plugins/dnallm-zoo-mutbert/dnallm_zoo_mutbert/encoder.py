"""`MutBERTEncoder`: the native rotary BERT (modeling.py) behind the `DNAEncoder` contract, and its
probabilistic input (`embed_probabilities`)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from dnallm_zoo import CheckpointError, DNAEncoder, EncoderOutput, InputError, ModelSpec, SequenceTooLongError

from .modeling import MutBertForMaskedLM, MutBertForSequenceClassification, build

__all__ = ["MutBERTEncoder"]

_POOLINGS = ("mean", "cls", "max", "none")


class MutBERTEncoder(DNAEncoder):
    """`RoPEBertForMaskedLM` / `RoPEBertForSequenceClassification` under their original keys; no remote code.

    The MLM decoder weight and bias are the word embeddings and ``cls.predictions.bias`` (tied: a file
    may carry them, equal, or not). Token ids come from tokenizer.json (not the disagreeing vocab.txt).
    """

    tied_keys: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
        "cls.predictions.decoder.bias": "cls.predictions.bias",
    }
    head_architectures: ClassVar[dict[str, str]] = {
        "masked-lm": "RoPEBertForMaskedLM",
        "sequence-classification": "RoPEBertForSequenceClassification",
    }
    head_keys: ClassVar[dict[str, tuple[str, ...]]] = {
        "masked-lm": ("cls.*",),
        "sequence-classification": ("bert.pooler.*", "classifier.*"),
    }
    head_modules: ClassVar[dict[str, tuple[str, ...]]] = {"sequence-classification": ("classifier",)}
    lora_target_modules: ClassVar[tuple[str, ...]] = ("query", "value")  # the original train.py's default
    base_model_prefix: ClassVar[str] = "bert"
    #: one token a base: a variant is scored at its base's token
    variant_rule: ClassVar[str | None] = "single_base"

    module: MutBertForMaskedLM | MutBertForSequenceClassification

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> torch.nn.Module:
        n: int | None = None
        if spec.task == "sequence-classification":
            n = len(config.get("id2label") or spec.labels or ())
            if spec.labels is not None and n != len(spec.labels):
                raise CheckpointError(f"config.json has {n} labels, the spec of {spec.id} names "
                                      f"{len(spec.labels)}")
        elif spec.task != "masked-lm":
            raise CheckpointError(f"MutBERT has no {spec.task} model")
        try:
            return build(config, num_labels=n)
        except (TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(f"config.json of {spec.id}: {exc}") from None

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *,
                output_hidden_states: bool = False, with_logits: bool = False,
                output_attentions: bool = False) -> EncoderOutput:
        """Hidden states (and the checkpoint head's logits, the attention weights) for token ids."""
        return self._run(input_ids, None, attention_mask, output_hidden_states, with_logits,
                         output_attentions)

    def forward_probabilities(self, probabilities: torch.Tensor,
                              attention_mask: torch.Tensor | None = None, *,
                              output_hidden_states: bool = False, with_logits: bool = False,
                              output_attentions: bool = False) -> EncoderOutput:
        """`forward` on a [batch, tokens, vocab] matrix of probabilities (checked) instead of ids."""
        probs, mask = self._checked(probabilities, attention_mask)
        return self._run(None, probs, mask, output_hidden_states, with_logits, output_attentions)

    def _run(self, ids: torch.Tensor | None, probs: torch.Tensor | None, mask: torch.Tensor, hidden: bool,
             with_logits: bool, attentions: bool) -> EncoderOutput:
        out = self.module.bert(ids, mask, probabilities=probs, output_hidden_states=hidden,
                               output_attentions=attentions)
        logits = self.head_logits(out.last_hidden_state, mask) if with_logits else None
        return EncoderOutput(last_hidden_state=out.last_hidden_state, attention_mask=mask,
                             hidden_states=out.hidden_states, logits=logits, attentions=out.attentions)

    def head_logits(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The classifier on the configured pooler (the mean over real tokens), or the MLM logits."""
        m = self.module
        return m.head(last_hidden_state, attention_mask) if isinstance(m, MutBertForSequenceClassification) \
            else m.cls(last_hidden_state)

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
                res = self._run(None, p, m, layer != -1, False, False)
                h = res.last_hidden_state if layer == -1 else res.hidden_states[layer]  # type: ignore[index]
                out.extend(_pooled(h.float(), m, pooling))
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
            else torch.as_tensor(attention_mask).long()
        if tuple(mask.shape) != tuple(probs.shape[:2]):
            raise InputError(f"attention_mask is {list(mask.shape)}, probabilities {list(probs.shape)}")
        if probs.shape[1] > self.max_length:
            raise SequenceTooLongError(
                f"{probs.shape[1]} tokens; {self.spec.id} takes at most {self.max_length}")
        p = probs.double()
        real = mask.bool()
        bad = real & ((p.sum(-1) - 1).abs().gt(1e-4) | (p < 0).any(-1) | ~torch.isfinite(p).all(-1))
        if bad.any():
            where = bad.nonzero().tolist()
            named = ", ".join(f"[{b}, {t}] (sum {p[b, t].sum().item():.6g})" for b, t in where[:20])
            more = f" and {len(where) - 20} more" if len(where) > 20 else ""
            raise InputError(f"probabilities: {len(where)} rows are not distributions over the {vocab} "
                             "tokens "
                             f"(non-negative, summing to 1): [batch, token] {named}{more}")
        return probs.to(self.device, self.dtype), mask.to(self.device)


def _pooled(h: torch.Tensor, mask: torch.Tensor, pooling: str) -> list[np.ndarray]:
    """Rows of `h` [B, T, H] pooled over the tokens where `mask` is 1, as `embed` pools."""
    if pooling == "none":
        return [h[i, mask[i].bool()].cpu().numpy() for i in range(h.shape[0])]
    m = mask.unsqueeze(-1).to(h.dtype)
    if pooling == "cls":
        v = h[:, 0]
    elif pooling == "max":
        v = h.masked_fill(m == 0, torch.finfo(h.dtype).min).amax(1)
    else:
        v = (h * m).sum(1) / m.sum(1).clamp_min(1)
    return list(v.cpu().numpy())
