"""Building blocks for a family plugin: stock BERT, checkpoint I/O, tiny test checkpoints.

Importing this package is cheap (no torch); the names that need torch are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._checkpoint import find_weights_file, load_state_dict_strict, read_config, read_state_dict
from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from ._bert import StockBertEncoder, write_bert_checkpoint

__getattr__ = lazy_getattr(__name__, {
    "StockBertEncoder": "._bert",
    "write_bert_checkpoint": "._bert",
})

__all__ = [
    "StockBertEncoder",
    "find_weights_file",
    "load_state_dict_strict",
    "read_config",
    "read_state_dict",
    "write_bert_checkpoint",
]
