"""Which head a request asks for, the head fields of config.json, and transformers' losses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from dnallm_zoo import ModelSpec
from dnallm_zoo._tasks import config_with_head, head_spec, problem_type_name, spec_from_config, task_loss
from dnallm_zoo.errors import CheckpointError, InputError

_FIXTURE = Path(__file__).parent / "fixtures" / "minimal_spec.json"
BASE = ModelSpec.model_validate(json.loads(_FIXTURE.read_text()))
ARCHS = {"masked-lm": "BertForMaskedLM", "sequence-classification": "BertForSequenceClassification",
         "token-classification": "BertForTokenClassification"}


def test_problem_type_names_both_spellings() -> None:
    assert problem_type_name("single_label_classification") == "single-label"
    assert problem_type_name("multi-label") == "multi-label"
    with pytest.raises(InputError, match="'regresion'"):
        problem_type_name("regresion")


def test_a_new_head_defaults_as_transformers() -> None:
    spec, new = head_spec(BASE, task="sequence-classification")
    assert new and spec.labels == ("LABEL_0", "LABEL_1") and spec.problem_type == "single-label"
    spec, _ = head_spec(BASE, task="sequence-classification", problem_type="regression")
    assert spec.labels == ("LABEL_0",)
    spec, _ = head_spec(BASE, task="token-classification", labels=["o", "x", "y"])
    assert spec.task == "token-classification" and spec.labels == ("o", "x", "y")
    assert head_spec(BASE, task=None) == (BASE, False)


def test_the_checkpoints_own_head_is_kept_or_refused_when_its_size_differs() -> None:
    clf, _ = head_spec(BASE, task="sequence-classification", labels=["a", "b"])
    assert head_spec(clf, task="sequence-classification") == (clf, False)
    renamed, new = head_spec(clf, task=None, labels=["neg", "pos"])
    assert not new and renamed.labels == ("neg", "pos")
    with pytest.raises(CheckpointError, match="head of 2 labels"):
        head_spec(clf, task="sequence-classification", num_labels=3)
    with pytest.raises(InputError, match="task 'masked-lm': tiny-3 is a sequence-classification checkpoint"):
        head_spec(clf, task="masked-lm")


def test_config_fields_and_back() -> None:
    spec, _ = head_spec(BASE, task="sequence-classification", labels=["a", "b", "c"],
                        problem_type="multi-label")
    config = config_with_head({"hidden_size": 8, "architectures": ["BertForMaskedLM"]}, spec,
                              "BertForSequenceClassification")
    assert config == {"hidden_size": 8, "architectures": ["BertForSequenceClassification"],
                      "id2label": {"0": "a", "1": "b", "2": "c"}, "label2id": {"a": 0, "b": 1, "c": 2},
                      "num_labels": 3, "problem_type": "multi_label_classification"}
    back = spec_from_config(BASE, json.loads(json.dumps(config)), ARCHS)
    assert back.task == spec.task and back.labels == spec.labels and back.problem_type == "multi-label"
    assert spec_from_config(BASE, {"architectures": ["BertForMaskedLM"]}, ARCHS) is BASE


def test_a_classifier_config_without_names_or_problem_type_reads_as_transformers_would() -> None:
    one = {"architectures": ["BertForSequenceClassification"], "num_labels": 1}
    spec = spec_from_config(BASE, one, ARCHS)
    assert spec.problem_type == "regression" and spec.labels == ("LABEL_0",)
    with pytest.raises(CheckpointError, match=r"id2label keys are not 0\.\.1"):
        spec_from_config(BASE, {"architectures": ["BertForTokenClassification"],
                                "id2label": {"0": "a", "2": "b"}}, ARCHS)
    clf = spec_from_config(BASE, {"architectures": ["BertForSequenceClassification"],
                                  "id2label": {"0": "LABEL_0", "1": "LABEL_1"}}, ARCHS)
    named, _ = head_spec(BASE, task="sequence-classification", labels=["no", "yes"])
    generic = {"architectures": ["BertForSequenceClassification"],
               "id2label": {"0": "LABEL_0", "1": "LABEL_1"}}
    assert spec_from_config(named, generic, ARCHS) is named  # generic names: the spec's names stand
    other = spec_from_config(named, {**generic, "id2label": {"0": "a", "1": "b", "2": "c"}}, ARCHS)
    assert other.labels == ("a", "b", "c")  # the directory's own head wins
    assert clf.labels == ("LABEL_0", "LABEL_1")


def test_losses_are_transformers() -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 3, generator=g)
    y = torch.tensor([0, 2, 1, 2])
    assert torch.equal(task_loss(logits, y, "single-label", 3), torch.nn.CrossEntropyLoss()(logits, y))
    multi = torch.tensor([[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]])
    assert torch.equal(task_loss(logits, multi, "multi-label", 3),
                       torch.nn.BCEWithLogitsLoss()(logits, multi.float()))
    one = logits[:, :1]
    target = torch.randn(4, generator=g)
    assert torch.equal(task_loss(one, target, "regression", 1), torch.nn.MSELoss()(one.squeeze(), target))
    tokens = torch.randn(2, 5, 3, generator=g)
    tags = torch.tensor([[-100, 1, 2, 0, -100], [-100, 0, -100, -100, -100]])
    keep = tags != -100
    assert torch.allclose(task_loss(tokens, tags, "single-label", 3),
                          torch.nn.functional.cross_entropy(tokens[keep], tags[keep]))
