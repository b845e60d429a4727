"""dnallm-zoo: DNA language models of the BERT family behind one small interface.

The top level holds what a user and a plugin's spec table need. Helpers live in public subpackages:
`dnallm_zoo.tokenize` (tokenizers and k-mer primitives), `dnallm_zoo.kit` (building blocks for a family
plugin), `dnallm_zoo.testing` (the conformance kit), `dnallm_zoo.errors` (every exception),
`dnallm_zoo.compat` (DNALLM's loader). Listing models imports neither torch nor transformers; the names
that need torch (`DNAEncoder`, `EncoderOutput`, `Segment`) are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    from ._encoder import DNAEncoder, EncoderOutput
    from ._pipeline import Segment

__version__ = "0.1.0"

__getattr__ = lazy_getattr(__name__, {
    "DNAEncoder": "._encoder", "EncoderOutput": "._encoder", "Segment": "._pipeline",
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
    "get_spec",
    "hookimpl",
    "list_models",
    "load",
]
