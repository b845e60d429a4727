"""A linear probe: embed once with the frozen zoo model, then fit only a linear head (scikit-learn).

Sequence tasks read mean-pooled embeddings; token tasks read each base's feature, the mean of the
token vectors covering it (`dnallm_zoo.tokenize.offsets`). Features are standardised, then fitted
with `LogisticRegression` (classification; one per label for multilabel) or `Ridge` (regression).
The fitted probe is plain arrays, saved without pickle: `probe.safetensors` (weight [C, H], bias [C],
the standardisation's mean and scale [H]) and `probe.json` (task, labels, the base model).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckpointError
from .data import IGNORE_INDEX, LabeledData, Task

__all__ = ["PROBE_CONFIG", "LinearProbe", "embed_features", "fit_probe", "is_probe_dir"]

PROBE_CONFIG = "probe.json"
PROBE_WEIGHTS = "probe.safetensors"
_FORMAT = "dnallm-zoo-linear-probe"

Progress = Callable[[int, int], None]


@dataclass
class LinearProbe:
    """A fitted linear head over frozen embeddings of `model` (a zoo name or a checkpoint directory).

    `scores(features)` gives logits: [N, C] (classification; binary as [0, z] so that softmax is the
    logistic probability), [N, L] (multilabel, sigmoid), [N, T] predictions (regression).
    """

    task: Task
    label_names: list[str]
    model: str
    weight: np.ndarray
    bias: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    pooling: str = "mean"

    def scores(self, features: np.ndarray) -> np.ndarray:
        x = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        return x @ self.weight.T + self.bias

    def save(self, path: str | Path) -> None:
        from safetensors.numpy import save_file

        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        tensors = {"weight": self.weight, "bias": self.bias, "mean": self.mean, "scale": self.scale}
        save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()},
                  str(p / PROBE_WEIGHTS), metadata={"format": "np"})
        config = {"format": _FORMAT, "version": 1, "task": self.task, "label_names": self.label_names,
                  "model": self.model, "pooling": self.pooling, "hidden_size": int(self.weight.shape[1])}
        (p / PROBE_CONFIG).write_text(json.dumps(config, indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> LinearProbe:
        from safetensors.numpy import load_file

        p = Path(path)
        try:
            config = json.loads((p / PROBE_CONFIG).read_text())
            tensors = load_file(str(p / PROBE_WEIGHTS))
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"{p}: not a readable linear probe ({exc})") from None
        if config.get("format") != _FORMAT:
            raise CheckpointError(f"{p / PROBE_CONFIG}: not a dnallm-zoo linear probe")
        missing = {"weight", "bias", "mean", "scale"} - set(tensors)
        if missing:
            raise CheckpointError(f"{p / PROBE_WEIGHTS}: missing tensors {sorted(missing)}")
        t = {k: v.astype(np.float64) for k, v in tensors.items()}
        return cls(config["task"], list(config["label_names"]), config["model"], t["weight"], t["bias"],
                   t["mean"], t["scale"], config.get("pooling", "mean"))

    def predict(self, encoder: Any, sequences: Sequence[str], *, progress: Progress | None = None) -> Any:
        """`scores` of the sequences embedded by `encoder` (the base model); per-base rows for tokens."""
        feats = embed_features(encoder, sequences, token=self.task == "token", progress=progress)
        if self.task == "token":
            return [self.scores(f) for f in feats]
        return self.scores(feats)


def is_probe_dir(path: str | Path) -> bool:
    return (Path(path) / PROBE_CONFIG).is_file()


def embed_features(encoder: Any, sequences: Sequence[str], *, token: bool,
                   progress: Progress | None = None) -> Any:
    """Mean-pooled vectors [N, H] of the sequences; with `token` a list of per-base rows [bases, H].

    A base that no token covers (the tail of an LCA tokenization with shift > 1) has a NaN row.
    """
    if not token:
        rows = [r.vector for r in encoder.embed_iter(sequences, pooling="mean", progress=progress)]
        return np.stack(rows).astype(np.float64) if rows else np.zeros((0, encoder.hidden_size))
    from ..tokenize.offsets import bases_from_tokens, token_spans

    out = []
    for seq, row in zip(sequences, encoder.embed_iter(sequences, pooling="none", long="error",
                                                       progress=progress), strict=True):
        spans = token_spans(encoder.tokenizer, seq)
        out.append(np.asarray(bases_from_tokens(spans, row.vector, len(seq)), dtype=np.float64))
    return out


def fit_probe(
    encoder: Any,
    train: LabeledData,
    *,
    model: str,
    c: float = 1.0,
    alpha: float = 1.0,
    seed: int = 0,
    progress: Progress | None = None,
) -> LinearProbe:
    """Embed `train` once with the frozen encoder and fit the linear head; `model` is recorded for loading.

    `c`: inverse L2 strength of the logistic regressions; `alpha`: the ridge penalty (regression).
    """
    feats = embed_features(encoder, train.sequences, token=train.task == "token", progress=progress)
    return fit_probe_on_features(train, feats, model=model, c=c, alpha=alpha, seed=seed)


def fit_probe_on_features(train: LabeledData, feats: Any, *, model: str, c: float = 1.0, alpha: float = 1.0,
                          seed: int = 0) -> LinearProbe:
    """Fit the head on precomputed features (`embed_features`' output for `train`)."""
    x, y = _design(train, feats)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-12] = 1.0
    z = (x - mean) / scale
    task = train.task
    n = train.num_labels
    if task == "regression":
        from sklearn.linear_model import Ridge

        reg = Ridge(alpha=alpha).fit(z, y)
        weight = np.atleast_2d(reg.coef_)
        bias = np.atleast_1d(reg.intercept_)
    elif task == "multilabel":
        fits = [_fit_logistic(z, y[:, j].astype(np.int64), c, seed) for j in range(n)]
        weight = np.stack([f.coef_[0] for f in fits])  # one logit per label (sigmoid)
        bias = np.array([f.intercept_[0] for f in fits])
    else:
        weight, bias = _logistic(z, y, c, seed, n_classes=n)
    return LinearProbe(task, list(train.label_names), model, weight.astype(np.float64),
                       bias.astype(np.float64), mean, scale)


def _design(train: LabeledData, feats: Any) -> tuple[np.ndarray, np.ndarray]:
    """Rows to fit: one per sequence, or one per labelled base that a token covers (token task)."""
    if train.task != "token":
        return np.asarray(feats, dtype=np.float64), np.asarray(train.labels)
    xs, ys = [], []
    for f, labels in zip(feats, train.labels, strict=True):
        keep = (labels != IGNORE_INDEX) & np.isfinite(f).all(axis=1)
        xs.append(f[keep])
        ys.append(labels[keep])
    return np.concatenate(xs), np.concatenate(ys)


def _logistic(z: np.ndarray, y: np.ndarray, c: float, seed: int, n_classes: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Logit weights [n_classes, H] for a softmax; two classes as [0, w] (the logistic form)."""
    clf = _fit_logistic(z, y, c, seed)
    classes = clf.classes_.astype(np.int64)
    weight = np.zeros((n_classes, z.shape[1]))
    bias = np.full(n_classes, -1e4)  # a class absent from the training split is never predicted
    if len(classes) == 2:
        bias[classes[0]] = 0.0
        weight[classes[1]], bias[classes[1]] = clf.coef_[0], clf.intercept_[0]
    else:
        weight[classes], bias[classes] = clf.coef_, clf.intercept_
    return weight, bias


def _fit_logistic(z: np.ndarray, y: np.ndarray, c: float, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, random_state=seed).fit(z, y)
