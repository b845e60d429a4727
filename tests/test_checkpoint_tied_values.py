"""load_state_dict_strict: a tied alias present in a checkpoint must equal what it is tied to."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dnallm_zoo import CheckpointError
from dnallm_zoo.kit import load_state_dict_strict

TIED = {"decoder.weight": "embed.weight"}


class Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(6, 3)
        self.decoder = nn.Linear(3, 6, bias=False)
        self.decoder.weight = self.embed.weight


def test_alias_with_other_values_is_refused() -> None:
    sd = {k: v.detach().clone() for k, v in Tied().state_dict().items()}
    sd["decoder.weight"] = sd["decoder.weight"] + 1.0
    with pytest.raises(CheckpointError, match=r"untied 1: decoder\.weight differs from embed\.weight"):
        load_state_dict_strict(Tied(), sd, tied=TIED)


def test_alias_with_equal_values_loads() -> None:
    sd = {k: v.detach().clone() for k, v in Tied().state_dict().items()}  # equal, not shared
    m = Tied()
    load_state_dict_strict(m, sd, tied=TIED)
    assert torch.equal(m.embed.weight, sd["embed.weight"])
    assert m.decoder.weight is m.embed.weight


def test_a_tied_alias_the_module_lacks_is_unexpected() -> None:
    """An alias is skipped only where the module has it: a head the model lacks is no silent drop."""
    import pytest
    import torch

    from dnallm_zoo.errors import CheckpointError

    module = torch.nn.Linear(2, 2)
    sd = {**module.state_dict(), "decoder.weight": torch.zeros(2, 2)}
    with pytest.raises(CheckpointError, match=r"unexpected 1: decoder\.weight"):
        load_state_dict_strict(module, sd, tied={"decoder.weight": "weight"})
