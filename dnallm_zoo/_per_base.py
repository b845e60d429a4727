"""Per-base predictions of a token-classification head: token probabilities averaged over each base."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .tokenize.offsets import bases_from_tokens, token_spans

__all__ = ["predict_bases"]


def predict_bases(model: Any, seqs: list[str], *, batch_size: int = 16) -> list[np.ndarray]:
    """Per-base class probabilities of a token-classification `ZooModel`: float32 [len(seq), labels].

    Softmax per token, then the mean over the tokens covering each base (NaN rows for bases no token
    covers: the tail past the last LCA window, a sequence shorter than k).
    """
    tok = model.tokenizer
    out: list[np.ndarray] = []
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for lo in range(0, len(seqs), batch_size):
                chunk = seqs[lo:lo + batch_size]
                enc = tok(chunk, return_tensors="pt", padding=True)
                probs = model(**enc).logits.float().softmax(-1).cpu().numpy()
                for j, seq in enumerate(chunk):
                    spans = token_spans(tok, seq, record=None)
                    out.append(bases_from_tokens(spans, probs[j, : len(spans)], len(seq)))
    finally:
        model.train(was_training)
    return out
