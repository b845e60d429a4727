"""Metrics against values computed by hand."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from dnallm_zoo.finetune.metrics import (
    compute_metrics,
    for_json,
    greater_is_better,
    metric_names,
    trainer_metrics,
)


def test_binary_by_hand() -> None:
    # labels 0 1 1 0 1; P(class 1) = 0.1 0.8 0.4 0.6 0.9 -> predictions 0 1 0 1 1
    y = np.array([0, 1, 1, 0, 1])
    p1 = np.array([0.1, 0.8, 0.4, 0.6, 0.9])
    m = compute_metrics("binary", y, np.stack([1 - p1, p1], axis=1))
    # TP 2 (rows 2, 5), TN 1 (row 1), FP 1 (row 4), FN 1 (row 3)
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert m["mcc"] == pytest.approx((2 * 1 - 1 * 1) / math.sqrt(3 * 3 * 2 * 2))
    # positives' scores 0.8 0.4 0.9, negatives' 0.1 0.6: 5 of the 6 pairs ranked right
    assert m["auroc"] == pytest.approx(5 / 6)
    # ranked 0.9+ 0.8+ 0.6- 0.4+ 0.1-: precision at each positive 1, 1, 3/4
    assert m["auprc"] == pytest.approx((1 + 1 + 3 / 4) / 3)


def test_logits_and_probabilities_agree() -> None:
    y = np.array([0, 1, 1, 0, 2, 2])
    logits = np.array([[2, 0, 1], [0, 3, 1], [1, 0.5, 0], [0, -1, -2], [0, 1, 4], [1, 0, 0.5]])
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    a = compute_metrics("multiclass", y, logits)
    b = compute_metrics("multiclass", y, probs)
    assert a == pytest.approx(b)


def test_multiclass_by_hand() -> None:
    y = np.array([0, 1, 2, 2])
    pred = np.array([0, 1, 2, 1])
    m = compute_metrics("multiclass", y, np.eye(3)[pred])
    assert m["accuracy"] == pytest.approx(0.75)
    # per class F1: 1, 2/3 (tp 1 fp 1), 2/3 (tp 1 fn 1)
    assert m["f1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    # one-vs-rest AUROC with one-hot scores: class 0: 1, class 1: (1 + 2*0.5 ... ) by pairs
    # class 1: positive score 1 vs negatives 0, 0, 1 -> (1 + 1 + 0.5) / 3; class 2: positives 1, 0 vs 0, 0
    # -> (1 + 1 + 0.5 + 0.5) / 4
    assert m["auroc"] == pytest.approx((1 + 2.5 / 3 + 3 / 4) / 3)


def test_hard_predictions_have_no_ranking_metrics() -> None:
    m = compute_metrics("binary", [0, 1, 1], np.array([0, 1, 0]))
    assert set(m) == {"accuracy", "f1", "mcc"}
    assert m["accuracy"] == pytest.approx(2 / 3)


def test_one_class_present_leaves_auroc_undefined() -> None:
    m = compute_metrics("binary", [1, 1], np.array([[0.2, 0.8], [0.6, 0.4]]))
    assert math.isnan(m["auroc"]) and math.isnan(m["auprc"])
    assert m["accuracy"] == 0.5
    assert json.loads(json.dumps(for_json(m)))["auroc"] is None


def test_multilabel_per_label_and_macro() -> None:
    y = np.array([[1, 0], [0, 1], [1, 1]])
    logits = np.array([[3, -3], [-1, 2], [2, -2]])  # predictions [1 0] [0 1] [1 0]
    m = compute_metrics("multilabel", y, logits, label_names=["a", "b"])
    assert m["exact_match"] == pytest.approx(2 / 3)
    assert m["f1_a"] == 1.0 and m["mcc_a"] == 1.0
    assert m["accuracy_b"] == pytest.approx(2 / 3)
    assert m["f1_b"] == pytest.approx(2 / 3)  # tp 1, fn 1
    assert m["mcc_b"] == pytest.approx(0.5)  # tp 1 tn 1 fp 0 fn 1: 1 / sqrt(1*2*1*2)
    assert m["f1"] == pytest.approx((1 + 2 / 3) / 2)
    assert m["mcc"] == pytest.approx(0.75)


def test_regression_by_hand() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.5, 2.0, 2.5, 5.0])
    m = compute_metrics("regression", y, p)
    assert m["mse"] == pytest.approx((0.25 + 0 + 0.25 + 1) / 4)
    assert m["mae"] == pytest.approx((0.5 + 0 + 0.5 + 1) / 4)
    assert m["r2"] == pytest.approx(1 - 1.5 / 5.0)  # SS_res 1.5, SS_tot 5
    assert m["spearman"] == pytest.approx(1.0)  # same order
    pc = np.corrcoef(y, p)[0, 1]
    assert m["pearson"] == pytest.approx(pc)


def test_regression_several_targets() -> None:
    y = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    p = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    m = compute_metrics("regression", y, p, label_names=["u", "v"])
    assert m["mse_u"] == 0.0 and m["mse_v"] == pytest.approx(2 / 3)
    assert m["mse"] == pytest.approx(1 / 3)
    assert math.isnan(m["pearson_v"])  # constant predictions
    assert m["pearson"] == pytest.approx(1.0)  # the mean over the defined ones


def test_token_ignores_minus_100_and_padding() -> None:
    labels = np.array([[0, 1, 1, -100], [1, 0, -100, -100]])
    scores = [np.eye(2)[[0, 1, 0, 1]], np.eye(2)[[1, 0]]]  # per-base rows, second one shorter
    m = compute_metrics("token", labels, scores)
    # counted bases: 0->0, 1->1, 1->0, 1->1, 0->0: 4 of 5 right; tp 2 fp 0 fn 1
    assert m["accuracy"] == pytest.approx(4 / 5)
    assert m["f1"] == pytest.approx(4 / 5)
    # tp 2 tn 2 fp 0 fn 1: (4 - 0) / sqrt(2 * 3 * 2 * 3)
    assert m["mcc"] == pytest.approx(4 / 6)


def test_token_bases_without_scores_are_left_out() -> None:
    labels = [np.array([0, 1, 1])]
    scores = [np.array([[1.0, 0.0], [0.0, 1.0], [np.nan, np.nan]])]
    assert compute_metrics("token", labels, scores)["accuracy"] == 1.0


def test_trainer_form_and_metric_names() -> None:
    fn = trainer_metrics("binary")
    pred = SimpleNamespace(predictions=(np.array([[1.0, 0.0], [0.0, 1.0]]),), label_ids=np.array([0, 1]))
    assert fn(pred)["mcc"] == 1.0
    assert greater_is_better("mcc") and greater_is_better("eval_r2")
    assert not any(greater_is_better(m) for m in ("mse", "eval_loss", "mae_y"))
    assert metric_names("regression", ["a", "b"]) >= {"r2", "r2_a", "loss"}
    assert "auroc" in metric_names("binary", ["n", "p"])
    assert "auroc" not in metric_names("token", ["0", "1"])
