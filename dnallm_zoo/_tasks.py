"""Task heads: which head a request asks for, its config.json fields, and transformers' losses.

The zoo names problem types `single-label`, `multi-label` and `regression`; config.json keeps
transformers' names (`single_label_classification`, ...), which `problem_type_name` also reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ._spec import HEAD_TASKS, ModelSpec, ProblemType
from .errors import CheckpointError, InputError, ZooError

if TYPE_CHECKING:
    import torch

__all__ = [
    "DNALLM_TASK_TYPES",
    "HF_PROBLEM_TYPES",
    "config_with_head",
    "head_spec",
    "problem_type_name",
    "spec_from_config",
    "task_loss",
]

#: zoo problem type -> transformers' config.json name
HF_PROBLEM_TYPES: dict[ProblemType, str] = {
    "single-label": "single_label_classification",
    "multi-label": "multi_label_classification",
    "regression": "regression",
}
_FROM_HF: dict[str, ProblemType] = {v: k for k, v in HF_PROBLEM_TYPES.items()}
_BY_NAME: dict[str, ProblemType] = {**_FROM_HF, **{k: k for k in HF_PROBLEM_TYPES}}
#: DNALLM's task_type -> (zoo task, problem type, default number of labels)
DNALLM_TASK_TYPES: dict[str, tuple[str, ProblemType, int]] = {
    "binary": ("sequence-classification", "single-label", 2),
    "multiclass": ("sequence-classification", "single-label", 2),
    "multilabel": ("sequence-classification", "multi-label", 2),
    "regression": ("sequence-classification", "regression", 1),
    "token": ("token-classification", "single-label", 2),
}


def problem_type_name(value: str) -> ProblemType:
    """The zoo's name of a problem type given in the zoo's or transformers' spelling."""
    if value in _BY_NAME:
        return _BY_NAME[value]
    raise InputError(
        f"problem_type {value!r}: use one of {list(HF_PROBLEM_TYPES)} (or transformers' {list(_FROM_HF)})"
    )


def _labels(num_labels: int | None, labels: Sequence[str] | None, default: int) -> tuple[str, ...]:
    if labels is not None:
        names = tuple(str(x) for x in labels)
        if num_labels is not None and num_labels != len(names):
            raise InputError(f"num_labels={num_labels} but {len(names)} labels given: {list(names)}")
        return names
    n = default if num_labels is None else num_labels
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"num_labels must be a positive integer, not {n!r}")
    return tuple(f"LABEL_{i}" for i in range(n))


def _validated(spec: ModelSpec, **update: Any) -> ModelSpec:
    try:
        return ModelSpec.model_validate({**spec.model_dump(), **update})
    except ValidationError as exc:
        reason = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise InputError(f"{spec.id}: {reason}") from None


def head_spec(
    spec: ModelSpec,
    *,
    task: str | None,
    num_labels: int | None = None,
    labels: Sequence[str] | None = None,
    problem_type: str | None = None,
) -> tuple[ModelSpec, bool]:
    """The spec with the head a caller asks for, and whether that head is new (not in the checkpoint).

    Without `task` the checkpoint's own head is kept (`labels` may rename its classes). The same
    task as the checkpoint's keeps its head (its size must match); another head task builds a new one:
    `num_labels` (default 2, or 1 for regression) named `labels` (default LABEL_0, ...).
    """
    pt = None if problem_type is None else problem_type_name(problem_type)
    if task is None:
        if spec.task not in HEAD_TASKS:
            if num_labels is not None or labels is not None or pt is not None:
                raise InputError(
                    f"{spec.id} is a {spec.task} checkpoint: num_labels/labels/problem_type need "
                    "task='sequence-classification' or 'token-classification'"
                )
            return spec, False
        task = spec.task
    if task not in HEAD_TASKS:
        if task == spec.task or (task == "embedding" and spec.task == "masked-lm"):
            return spec, False
        raise InputError(
            f"task {task!r}: {spec.id} is a {spec.task} checkpoint; ask for one of {list(HEAD_TASKS)} "
            "to add a head"
        )
    if task == spec.task:
        assert spec.labels is not None
        names = _labels(num_labels, labels, len(spec.labels))
        if len(names) != len(spec.labels):
            raise CheckpointError(
                f"{spec.id} has a {task} head of {len(spec.labels)} labels {list(spec.labels)}, not "
                f"{len(names)}; start from its base model for a new head"
            )
        if labels is None:
            names = spec.labels
        return _validated(spec, labels=names, problem_type=pt or spec.problem_type), False
    default = 1 if pt == "regression" else 2
    names = _labels(num_labels, labels, default)
    if pt is None:
        pt = "regression" if len(names) == 1 and task == "sequence-classification" else "single-label"
    return _validated(spec, task=task, labels=names, problem_type=pt), True


def config_with_head(config: Mapping[str, Any], spec: ModelSpec, architecture: str) -> dict[str, Any]:
    """config.json with the head's fields as transformers writes them (labels from the spec)."""
    assert spec.labels is not None and spec.problem_type is not None
    out = dict(config)
    out["architectures"] = [architecture]
    out["id2label"] = {str(i): name for i, name in enumerate(spec.labels)}
    out["label2id"] = {name: i for i, name in enumerate(spec.labels)}
    out["num_labels"] = len(spec.labels)
    out["problem_type"] = HF_PROBLEM_TYPES[spec.problem_type]
    return out


def spec_from_config(
    spec: ModelSpec, config: Mapping[str, Any], architectures: Mapping[str, str]
) -> ModelSpec:
    """The spec with the head a fine-tuned config.json names (`architectures` of the family).

    A config naming no head class of the family leaves the spec as it is; so does one agreeing with
    the spec's own head (same task and number of labels, and the same names unless generic LABEL_n).
    Otherwise the directory's config.json wins: a base spec gets its head, a classifier's spec its labels.
    """
    named = config.get("architectures") or ()
    by_class = {cls: task for task, cls in architectures.items() if task in HEAD_TASKS}
    task = next((by_class[c] for c in named if c in by_class), None)
    if task is None:
        return spec
    id2label = config.get("id2label") or {}
    if spec.task == task and spec.labels is not None:
        names_in = [str(v) for v in id2label.values()]
        generic = all(re.fullmatch(r"(LABEL_)?\d+", n) for n in names_in)
        if len(names_in) in (0, len(spec.labels)) and (generic or names_in == list(spec.labels)):
            return spec
        base = {"task": "embedding", "labels": None, "problem_type": None}
        spec = _validated(spec, **base)
    try:
        order = sorted(id2label, key=int)
    except (TypeError, ValueError):
        raise CheckpointError(f"config.json's id2label keys are not integers: {list(id2label)}") from None
    n = config.get("num_labels", len(order) or None)
    if order and n != len(order):
        raise CheckpointError(f"config.json has num_labels {n} but {len(order)} id2label entries")
    if order != [str(i) for i in range(len(order))] and order != list(range(len(order))):
        raise CheckpointError(f"config.json's id2label keys are not 0..{len(order) - 1}: {order}")
    names = [str(id2label[k]) for k in order] or None
    raw = config.get("problem_type")
    if raw is None:
        pt = "regression" if (n or 2) == 1 else "single-label"
    else:
        try:
            pt = problem_type_name(str(raw))
        except InputError as exc:
            raise CheckpointError(f"config.json: {exc}") from None
    try:
        return head_spec(spec, task=task, num_labels=n, labels=names, problem_type=pt)[0]
    except InputError as exc:
        raise CheckpointError(f"config.json's head: {exc}") from None


def task_loss(
    logits: torch.Tensor, labels: torch.Tensor, problem_type: str, num_labels: int
) -> torch.Tensor:
    """transformers' loss for a problem type: cross-entropy (-100 ignored), BCE-with-logits, or MSE."""
    import torch.nn.functional as F

    labels = labels.to(logits.device)
    if problem_type == "regression":
        target = labels.to(logits.dtype)
        if num_labels == 1:
            return F.mse_loss(logits.squeeze(), target.squeeze())
        return F.mse_loss(logits, target)
    if problem_type == "single-label":
        return F.cross_entropy(logits.view(-1, num_labels), labels.view(-1))
    if problem_type == "multi-label":
        return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
    raise ZooError(f"no loss for problem_type {problem_type!r}")
