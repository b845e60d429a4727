"""Each list of names once (`_names`): the specs, the code and the CLI's choices read the same lists."""

from __future__ import annotations

from typing import get_args

import click
import pytest

from dnallm_zoo import _names
from dnallm_zoo._spec import Capabilities, Pooling, Task, TokenizerSpec
from dnallm_zoo.cli._finetune import finetune
from dnallm_zoo.cli._run import embed, predict


def choices(command: click.Command, name: str) -> tuple[str, ...]:
    param = next(p for p in command.params if p.name == name)
    assert isinstance(param.type, click.Choice)
    return tuple(param.type.choices)


def test_the_cli_offers_the_listed_names() -> None:
    assert choices(embed, "pooling") == _names.ROW_POOLINGS
    assert choices(embed, "long_") == choices(predict, "long_") == ("chunk", "error")
    assert set(choices(embed, "dtype")) == {"auto", *_names.DTYPE_ALIASES}
    assert choices(finetune, "task") == _names.FINETUNE_TASKS
    assert choices(finetune, "method") == _names.FINETUNE_METHODS


def test_the_specs_use_the_listed_names() -> None:
    assert Pooling is _names.Pooling and Task is _names.Task
    assert Capabilities.model_fields["poolings"].default == _names.POOLINGS
    assert set(_names.ROW_POOLINGS) < set(_names.POOLINGS)
    with pytest.raises(ValueError, match="needs k"):
        TokenizerSpec(kind="lca", vocab_file="vocab.txt", max_tokens=8)


@pytest.mark.parametrize("alias", list(_names.DTYPE_ALIASES))
def test_every_dtype_alias_names_a_dtype(alias: str) -> None:
    assert _names.dtype_name(alias.upper()) in get_args(_names.DType)
