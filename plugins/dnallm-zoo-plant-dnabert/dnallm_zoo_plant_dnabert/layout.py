"""The original Plant DNABERT layouts, and how to recognise a checkpoint directory (no torch here).

DNABERT (v1) and DNABERT-2 are `model_type: bert` too; what sets Plant DNABERT apart is the
tokenizer: an ESM-style vocab.txt (`<unk> <pad> <mask> <cls>` first) of 6-mers or single bases, or
a BPE tokenizer.json whose five specials are the LAST ids (DNABERT-2 puts them first).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from dnallm_zoo import kit

from .specs import FAMILY, FLAVOURS, TASKS, Flavour, Task

__all__ = [
    "BPE_SPECIALS",
    "ESM_SPECIALS",
    "ESM_SUFFIX",
    "esm_vocab",
    "match",
]

#: the first four lines of the ESM-style vocab.txt of the 6-mer and single-base models
ESM_SPECIALS = ("<unk>", "<pad>", "<mask>", "<cls>")
#: what follows the 6-mers in that vocab.txt (all of it, after the specials, for single bases)
ESM_SUFFIX = ("A", "T", "C", "G", "N", "<eos>", "<bos>")
#: the BPE model's specials, in the order they follow the 8000 pieces
BPE_SPECIALS = ("[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]")

_GENERIC_LABEL = re.compile(r"^(LABEL_)?\d+$")
_BY_KEY = {f.key: f for f in FLAVOURS}


def esm_vocab(k: int | None) -> list[str]:
    """vocab.txt in FAMILIES.md's order: specials, 6-mers (A, T, C, G order), bases, eos, bos."""
    if k and k > 1:
        return kit.KmerVocab(k, "ATCG", specials=ESM_SPECIALS, suffix=ESM_SUFFIX).tokens()
    return [*ESM_SPECIALS, *ESM_SUFFIX]


def match(path: Path, config: dict[str, Any]) -> str | None:
    """The model id of a Plant DNABERT checkpoint directory, or None when it is not one."""
    if config.get("model_type") != "bert":
        return None
    flavour = _flavour(path, config)
    if flavour is None:
        return None
    base = f"{FAMILY}-{flavour.key}"
    if not _is_classifier(path, config):
        return base
    task = _task(path, config, flavour)
    if task is None:
        # not one of the published tasks (neither its labels nor its directory name say which): a head
        # fine-tuned elsewhere, e.g. in the zoo; the base model, its head read from config.json
        return base
    return f"{base}-{task.key}"


def _flavour(path: Path, config: dict[str, Any]) -> Flavour | None:
    vocab_txt = path / "vocab.txt"
    if vocab_txt.is_file():
        lines = vocab_txt.read_text(encoding="utf-8", errors="replace").splitlines()
        if tuple(lines[:4]) != ESM_SPECIALS:
            return None  # BERT-style ([PAD] [UNK] ...): DNABERT v1, not ours
        if config.get("vocab_size") not in (None, len(lines)):
            return None
        body = [t for t in lines[4:] if not (t.startswith("<") and t.endswith(">"))]
        if body and all(len(t) == 1 for t in body):
            return _BY_KEY["singlebase"]
        sixmers = [t for t in body if len(t) == 6]
        if len(sixmers) == 4**6 and all(len(t) in (1, 6) for t in body):
            return _BY_KEY["6mer"]
        return None
    if (path / "tokenizer.json").is_file():
        vocab = kit.bpe_vocab(path)
        if vocab is None:
            return None
        ids = {name: vocab[name] for name in BPE_SPECIALS if name in vocab}
        size = max(vocab.values()) + 1
        if len(ids) != len(BPE_SPECIALS) or sorted(ids.values()) != list(range(size - 5, size)):
            return None  # specials first (DNABERT-2) or missing
        if config.get("vocab_size") not in (None, size):
            return None
        return _BY_KEY["bpe"]
    # fine-tuned BPE repos may ship spm.model instead: claim them by name, so loading says
    # which tokenizer file is missing rather than that no plugin knows the directory
    if any("plant-dnabert-bpe" in part.lower() for part in path.resolve().parts):
        return _BY_KEY["bpe"]
    return None


def _is_classifier(path: Path, config: dict[str, Any]) -> bool:
    archs = config.get("architectures") or []
    if any(a.endswith("ForSequenceClassification") for a in archs):
        return True
    if archs:
        return False
    return "classifier.weight" in _safetensors_keys(path / "model.safetensors")


def _safetensors_keys(f: Path) -> set[str]:
    """Tensor names from a safetensors header (8-byte length, then JSON), without torch."""
    if not f.is_file():
        return set()
    with open(f, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        if not 0 < n < 100_000_000:
            return set()
        try:
            header = json.loads(fh.read(n))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return set()
    return set(header) - {"__metadata__"}


def _label_names(config: dict[str, Any]) -> list[str]:
    id2label = config.get("id2label") or {}
    return [str(id2label.get(str(i), "")) for i in range(len(id2label))]


def _task(path: Path, config: dict[str, Any], flavour: Flavour) -> Task | None:
    names = _label_names(config)
    n_labels = len(names) or int(config.get("num_labels", 0)) or None
    if names and not all(_GENERIC_LABEL.match(n) for n in names):
        wanted = [n.strip().lower() for n in names]
        for task in TASKS:
            if [lab.lower() for lab in task.labels] == wanted:
                return task
    # a hub snapshot (models--zhangtaolab--plant-dnabert-6mer-promoter/...) or a named directory
    parts = [p.lower() for p in path.resolve().parts]
    for task in TASKS:
        name = f"plant-dnabert-{flavour.hub}-{task.hub}".lower()
        if any(part.endswith(name) for part in parts) and n_labels in (None, len(task.labels)):
            return task
    return None
