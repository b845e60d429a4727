"""The linear probe: its head is scikit-learn's fit, saved without pickle; it learns on the demo model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dnallm_zoo.errors import CheckpointError
from dnallm_zoo.finetune.data import LabeledData, read_labeled
from dnallm_zoo.finetune.metrics import compute_metrics
from dnallm_zoo.finetune.probe import LinearProbe, fit_probe, fit_probe_on_features, is_probe_dir


def features(n: int, h: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, h)) * np.linspace(0.5, 3, h) + 2.0


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def standardised(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / x.std(axis=0)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classification_head_is_sklearns_logistic_regression(n_classes: int) -> None:
    from sklearn.linear_model import LogisticRegression

    x = features(60, 5, 0)
    y = (x[:, 0] + x[:, 1] > 4.5).astype(int) + (n_classes == 3) * (x[:, 2] > 3).astype(int)
    task = "binary" if n_classes == 2 else "multiclass"
    data = LabeledData("f", task, ["A"] * 60, y, [str(i) for i in range(n_classes)])
    probe = fit_probe_on_features(data, x, model="m")
    want = LogisticRegression(C=1.0, max_iter=2000, random_state=0).fit(standardised(x), y)
    np.testing.assert_allclose(softmax(probe.scores(x)), want.predict_proba(standardised(x)), atol=1e-8)


def test_multilabel_and_regression_heads() -> None:
    from sklearn.linear_model import LogisticRegression, Ridge

    x = features(50, 4, 1)
    y = np.stack([(x[:, 0] > 2), (x[:, 1] > 2)], axis=1).astype(np.float32)
    probe = fit_probe_on_features(LabeledData("f", "multilabel", ["A"] * 50, y, ["a", "b"]), x, model="m")
    want_b = LogisticRegression(max_iter=2000, random_state=0).fit(standardised(x), y[:, 1])
    p_b = 1 / (1 + np.exp(-probe.scores(x)[:, 1]))
    np.testing.assert_allclose(p_b, want_b.predict_proba(standardised(x))[:, 1], atol=1e-8)

    t = np.stack([x @ [1.0, -2.0, 0.5, 0.0], x[:, 3] ** 2], axis=1).astype(np.float32)
    reg = fit_probe_on_features(LabeledData("f", "regression", ["A"] * 50, t, ["u", "v"]), x, model="m")
    want = Ridge(alpha=1.0).fit(standardised(x), t).predict(standardised(x))
    np.testing.assert_allclose(reg.scores(x), want, atol=1e-5)


def test_absent_class_is_never_predicted() -> None:
    x = features(40, 3, 2)
    y = (x[:, 0] > 2).astype(int) * 2  # classes 0 and 2 only; class 1 exists but has no row
    data = LabeledData("f", "multiclass", ["A"] * 40, y, ["0", "1", "2"])
    probe = fit_probe_on_features(data, x, model="m")
    assert set(probe.scores(x).argmax(axis=1).tolist()) <= {0, 2}


def test_save_and_load_without_pickle(tmp_path: Path) -> None:
    x = features(30, 4, 3)
    y = (x[:, 0] > 2).astype(int)
    data = LabeledData("f", "binary", ["A"] * 30, y, ["neg", "pos"])
    probe = fit_probe_on_features(data, x, model="dnabert-demo")
    probe.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probe.json", "probe.safetensors"]
    assert is_probe_dir(tmp_path)
    back = LinearProbe.load(tmp_path)
    assert (back.task, back.label_names, back.model) == ("binary", ["neg", "pos"], "dnabert-demo")
    np.testing.assert_allclose(back.scores(x), probe.scores(x), rtol=1e-5, atol=1e-5)  # stored as float32


def test_load_refuses_other_files(tmp_path: Path) -> None:
    (tmp_path / "probe.json").write_text('{"format": "something else"}')
    with pytest.raises(CheckpointError, match="probe"):
        LinearProbe.load(tmp_path)


@pytest.mark.slow
def test_probe_learns_gc_content_on_the_demo_model(gc_task: tuple[Path, Path]) -> None:
    import dnallm_zoo

    train_path, eval_path = gc_task
    train = read_labeled(train_path, "binary")
    evald = read_labeled(eval_path, "binary", label_names=train.label_names, training=False)
    enc = dnallm_zoo.load("dnabert-demo", device="cpu")
    probe = fit_probe(enc, train, model="dnabert-demo")
    m = compute_metrics("binary", evald.labels, probe.predict(enc, evald.sequences))
    assert m["accuracy"] >= 0.9, m  # GC-rich against AT-rich: the mean embedding separates them


@pytest.mark.slow
def test_token_probe_reads_per_base_features(tmp_path: Path) -> None:
    import dnallm_zoo

    rng = np.random.default_rng(0)
    rows = []
    for _ in range(24):
        seq = "".join(rng.choice(list("ACGT"), size=int(rng.integers(30, 60))))
        rows.append(f"{seq},{''.join('1' if b in 'GC' else '0' for b in seq)}")
    (tmp_path / "t.csv").write_text("sequence,label\n" + "\n".join(rows) + "\n")
    data = read_labeled(tmp_path / "t.csv", "token")
    enc = dnallm_zoo.load("dnabert-demo", device="cpu")
    probe = fit_probe(enc, data, model="dnabert-demo")
    scores = probe.predict(enc, data.sequences)
    assert [len(s) for s in scores] == [len(s) for s in data.sequences]  # one row per base
    m = compute_metrics("token", data.labels, scores)
    assert m["accuracy"] > 0.75, m  # each base's k-mers spell it: far above the 0.5 of chance
