"""dnallm-zoo: DNA language models of the BERT family behind one small interface.

Listing models imports neither torch nor transformers; the names that need torch
(`DNAEncoder`, `EncoderOutput`, `load`'s result) are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import (
    CheckpointError,
    DuplicateModelError,
    EmptySequenceError,
    InputError,
    IntegrityError,
    InvalidSequenceError,
    PluginLoadError,
    RuntimeConfigError,
    SequenceTooLongError,
    SpecError,
    UnknownModelError,
    ZooError,
)
from .hookspecs import hookimpl
from .loading import load
from .registry import get_spec, list_models
from .spec import (
    ArchitectureSpec,
    Capabilities,
    ModelSpec,
    NormalizationPolicy,
    TokenizerSpec,
    WeightsSource,
)
from .tokenize import (
    BatchEncoding,
    BPETokenizer,
    DNATokenizer,
    KmerTable,
    KmerTokenizer,
    base_codes,
    kmer_ids,
    normalize,
    read_vocab_txt,
    write_vocab_txt,
)
from .weights import load_state_dict_strict, read_config, read_state_dict

if TYPE_CHECKING:
    from .bert import BertEncoder, write_bert_checkpoint
    from .encoder import DNAEncoder, EncoderOutput, Segment

__version__ = "0.1.0"

_LAZY = {
    "BertEncoder": ".bert",
    "write_bert_checkpoint": ".bert",
    "DNAEncoder": ".encoder",
    "EncoderOutput": ".encoder",
    "Segment": ".encoder",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dnallm_zoo' has no attribute {name!r}")


__all__ = [
    "ArchitectureSpec",
    "BPETokenizer",
    "BatchEncoding",
    "BertEncoder",
    "Capabilities",
    "CheckpointError",
    "DNAEncoder",
    "DNATokenizer",
    "DuplicateModelError",
    "EmptySequenceError",
    "EncoderOutput",
    "InputError",
    "IntegrityError",
    "InvalidSequenceError",
    "KmerTable",
    "KmerTokenizer",
    "ModelSpec",
    "NormalizationPolicy",
    "PluginLoadError",
    "RuntimeConfigError",
    "Segment",
    "SequenceTooLongError",
    "SpecError",
    "TokenizerSpec",
    "UnknownModelError",
    "WeightsSource",
    "ZooError",
    "base_codes",
    "get_spec",
    "hookimpl",
    "kmer_ids",
    "list_models",
    "load",
    "load_state_dict_strict",
    "normalize",
    "read_config",
    "read_state_dict",
    "read_vocab_txt",
    "write_bert_checkpoint",
    "write_vocab_txt",
]
