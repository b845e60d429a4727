"""Per-base attributions: integrated gradients whose sum is the output's change from the baseline."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:  # tests/ is no package (pytest's importlib mode)
    sys.path.insert(0, TESTS)

import interpret_models  # noqa: E402

from dnallm_zoo import InputError  # noqa: E402
from dnallm_zoo._attribution import (  # noqa: E402
    bases_from_token_scores,
    explain,
    plot_attributions,
    resolve_target,
    save_attributions,
)

pytest.importorskip("captum")

SEQS = [("s1", "ACGTAGCTAGCTAGGATCGATTTACGGAT"), ("s2", "GATTACAGATTACA")]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def paths(zoo_isolated: Any, zoo_plugin: Callable[..., str], tmp_path: Path) -> dict[str, Path]:
    return interpret_models.models(tmp_path, zoo_plugin)


def _head_output(enc: Any, ids: np.ndarray, target: int) -> float:
    with torch.no_grad():
        x = torch.from_numpy(ids)[None]
        return float(enc.forward(x, torch.ones_like(x), with_logits=True).logits[0, target])


def _check_completeness(enc: Any, rows: list[Any], target: int | None) -> None:
    """sum(attributions) = F(x) - F(baseline) up to Captum's delta; F recomputed here, independently."""
    labels = list(enc.spec.labels)
    for a, (_, seq) in zip(rows, SEQS, strict=True):
        ids = enc.tokenizer.encode(seq)
        chosen = labels.index(a.target)
        if target is not None:
            assert chosen == target
        base = ids.copy()
        base[1:-1] = enc.tokenizer.pad_token_id  # [CLS] and [SEP] kept
        out, ref = _head_output(enc, ids, chosen), _head_output(enc, base, chosen)
        assert a.output == pytest.approx(out, abs=1e-6) and a.baseline_output == pytest.approx(ref, abs=1e-6)
        total = float(a.token_scores.astype(np.float64).sum())
        assert abs(total - (out - ref)) <= abs(a.delta) + 1e-5
        assert abs(a.delta) < 1e-2 * max(abs(out - ref), 1e-3)  # 50 steps converge on a tiny model
        assert a.token_scores[0] == 0.0 and a.token_scores[-1] == 0.0  # specials equal their baseline
        assert a.base_scores.shape == (len(seq),)
        assert float(a.base_scores.astype(np.float64).sum()) == pytest.approx(total, abs=1e-5)
        assert a.bases == seq and len(a.tokens) == len(ids)


def test_classifier_attributions_sum_to_the_output_change(paths: dict[str, Path]) -> None:
    import dnallm_zoo

    enc = dnallm_zoo.load(paths["clf"], device="cpu", dtype="float32")
    rows = explain(enc, SEQS, target="noncoding", steps=50)
    assert [a.name for a in rows] == ["s1", "s2"] and {a.target for a in rows} == {"noncoding"}
    _check_completeness(enc, rows, 1)
    predicted = enc.explain(SEQS)  # each sequence's predicted label
    for a, probs in zip(predicted, enc.predict(SEQS), strict=True):
        assert a.target == interpret_models.LABELS[int(np.argmax(probs))]
    _check_completeness(enc, predicted, None)


def test_regressor_attributions(paths: dict[str, Path]) -> None:
    import dnallm_zoo

    with pytest.warns(UserWarning, match="newly initialized"):
        enc = dnallm_zoo.load(paths["mlm"], device="cpu", dtype="float32", task="sequence-classification",
                              problem_type="regression", num_labels=1, seed=3)
    rows = enc.explain(SEQS, steps=64)
    _check_completeness(enc, rows, 0)


def test_mask_baseline(paths: dict[str, Path]) -> None:
    import dnallm_zoo

    enc = dnallm_zoo.load(paths["clf"], device="cpu", dtype="float32")
    a = enc.explain(SEQS[:1], target=2, baseline="mask")[0]
    ids = enc.tokenizer.encode(SEQS[0][1])
    base = ids.copy()
    base[1:-1] = enc.tokenizer.mask_token_id
    assert a.baseline_output == pytest.approx(_head_output(enc, base, 2), abs=1e-6)
    assert abs(float(a.token_scores.sum()) - (a.output - a.baseline_output)) <= abs(a.delta) + 1e-5


def test_tokens_spread_over_their_bases() -> None:
    spans = np.array([[0, 0], [0, 3], [1, 4], [2, 5], [0, 0]])
    scores = np.array([0.0, 3.0, 6.0, -3.0, 0.0])
    got = bases_from_token_scores(spans, scores, 6)
    np.testing.assert_allclose(got, [1.0, 3.0, 2.0, 1.0, -1.0, 0.0])  # 1/3 of each 3-mer per base
    assert got.sum() == pytest.approx(scores.sum())
    bpe = bases_from_token_scores(np.array([[0, 0], [0, 4], [4, 5], [0, 0]]), np.array([0, 2.0, 1.0, 0]), 5)
    np.testing.assert_allclose(bpe, [0.5, 0.5, 0.5, 0.5, 1.0])


def test_outputs_parquet_and_png(paths: dict[str, Path], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    import dnallm_zoo

    pytest.importorskip("matplotlib")
    enc = dnallm_zoo.load(paths["clf"], device="cpu", dtype="float32")
    rows = enc.explain(SEQS, target="repeat", steps=8)
    save_attributions(rows, tmp_path / "attr.parquet", model="interpretdemo-clf")
    t = pq.read_table(tmp_path / "attr.parquet")
    assert t.column_names == ["id", "target", "output", "baseline_output", "delta", "length", "bases",
                              "attribution", "tokens", "token_start", "token_end", "token_attribution"]
    assert t["id"].to_pylist() == ["s1", "s2"] and t["length"].to_pylist() == [29, 14]
    np.testing.assert_array_equal(np.asarray(t["attribution"][1].as_py(), np.float32), rows[1].base_scores)
    assert t["delta"].to_pylist() == [a.delta for a in rows]
    assert plot_attributions(rows, tmp_path / "attr.png").read_bytes()[:8] == PNG


def test_bad_targets_and_models_before_model_work(paths: dict[str, Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import dnallm_zoo

    clf = dnallm_zoo.load(paths["clf"], device="cpu", dtype="float32")
    mlm = dnallm_zoo.load(paths["mlm"], device="cpu", dtype="float32")
    for enc in (clf, mlm):
        monkeypatch.setattr(enc, "forward", lambda *a, **k: pytest.fail("the model ran"))
    with pytest.raises(InputError, match=r"target 'virus': interpretdemo-clf has no such label; its "
                                         r"labels are \['coding', 'noncoding', 'repeat'\]"):
        explain(clf, SEQS, target="virus")
    with pytest.raises(InputError, match=r"target 3: .* no such label"):
        explain(clf, SEQS, target=3)
    with pytest.raises(InputError, match="interpretdemo-mlm is a masked-lm model: attributions need a "):
        explain(mlm, SEQS)
    with pytest.raises(InputError, match="baseline 'zero'"):
        explain(clf, SEQS, baseline="zero")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"record 'long': 60 bases give 60 tokens"):
        explain(clf, [("long", "ACGT" * 15)])
    assert resolve_target(clf.spec, "repeat") == 2 and resolve_target(clf.spec, None) is None
