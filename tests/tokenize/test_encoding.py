"""The conversion of a tokenizer call's arrays to Python lists and tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnallm_zoo.tokenize.encoding import BatchEncoding, int_lists, mask_lists, tensors


@pytest.mark.parametrize("values", [
    np.array([[5, 4100, 0], [3, 3, 65535]]),  # the table's range
    np.array([[5, -1, 0], [3, 3, 2]]),  # a negative id: no table
    np.array([[5, 1 << 40, 0], [3, 3, 2]]),  # beyond the table
    np.array([[7, 8, 9], [1, 2, 3]], dtype=np.uint16),
    np.zeros((0, 4), dtype=np.int64),
    np.zeros((3, 0), dtype=np.int64),
])
def test_int_lists_equal_tolist(values: np.ndarray) -> None:
    got = int_lists(values)
    assert got == values.tolist()
    assert all(type(i) is int for row in got for i in row)


def test_int_lists_cut_rows_and_own_them() -> None:
    a = np.arange(12).reshape(3, 4) + 4000
    got = int_lists(a, np.array([4, 1, 3]))
    assert got == [[4000, 4001, 4002, 4003], [4004], [4008, 4009, 4010]]
    got[0][0] = -7  # every row a list of its own; the shared table is untouched
    assert int_lists(a)[0][0] == 4000


def test_mask_lists() -> None:
    assert mask_lists(np.array([3, 1, 0]), np.array([3, 4, 2])) == [[1, 1, 1], [1, 0, 0, 0], [0, 0]]
    assert mask_lists(np.array([2]), np.array([2]), fill=0) == [[0, 0]]


def test_tensors_and_batch_encoding() -> None:
    out = BatchEncoding(tensors({"input_ids": np.array([[1, 2]])}, "pt"))
    assert isinstance(out.input_ids, torch.Tensor) and out.to("cpu")["input_ids"].tolist() == [[1, 2]]
    assert tensors({"input_ids": np.array([[1]])}, "np")["input_ids"].tolist() == [[1]]
    with pytest.raises(ValueError, match="return_tensors='jax'"):
        tensors({}, "jax")
