"""dnallm-zoo: DNA language models of the BERT family behind one small interface.

The top level holds what a user and a plugin's spec table need, and names the subpackages a plugin builds
on: `kit` (building blocks for a family plugin), `tokenize` (tokenizers and k-mer primitives), `errors`
(every exception); a plugin writes ``from dnallm_zoo import kit`` and ``kit.StockFamily(...)``. Other
public subpackages: `dnallm_zoo.testing` (the conformance kit), `dnallm_zoo.compat` (DNALLM's loader and
`ZooModel`), `dnallm_zoo.finetune`, `dnallm_zoo.scale`, `dnallm_zoo.schemas`. Listing models imports
neither torch nor transformers; the names that need torch (`DNAEncoder`, `EncoderOutput`, `Segment`) and the
subpackages `kit` and `tokenize` are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import errors
from ._hooks import RegisterFn, hookimpl
from ._lazy import lazy_getattr
from ._loading import load
from ._registry import get_spec, list_models
from ._spec import (
    ArchitectureSpec,
    Capabilities,
    ModelSpec,
    NormalizationPolicy,
    TokenizerSpec,
    WeightsSource,
)
from .errors import CheckpointError, InputError, SequenceTooLongError, UnknownModelError, ZooError

if TYPE_CHECKING:
    from . import kit, tokenize
    from ._encoder import DNAEncoder, EncoderOutput
    from ._pipeline import Segment

__version__ = "0.1.0"

__getattr__ = lazy_getattr(__name__, {
    "DNAEncoder": "._encoder", "EncoderOutput": "._encoder", "Segment": "._pipeline",
    "kit": None, "tokenize": None,  # subpackages, imported on first use (tokenize imports numpy)
})

__all__ = [
    "ArchitectureSpec",
    "Capabilities",
    "CheckpointError",
    "DNAEncoder",
    "EncoderOutput",
    "InputError",
    "ModelSpec",
    "NormalizationPolicy",
    "RegisterFn",
    "Segment",
    "SequenceTooLongError",
    "TokenizerSpec",
    "UnknownModelError",
    "WeightsSource",
    "ZooError",
    "errors",
    "get_spec",
    "hookimpl",
    "kit",
    "list_models",
    "load",
    "tokenize",
]
