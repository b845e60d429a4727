"""The DNABERT checkpoint layout: what its files hold, and how to recognise a directory (no torch)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "ALPHABET",
    "ORIGINAL_EXTRA_KEYS",
    "SPECIALS",
    "detect_k",
    "is_dnabert_auto_map",
    "vocab_tokens",
]

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
ALPHABET = "ATCG"  # the original vocab.txt lists itertools.product("ATCG", repeat=k)

# config.json keys of the original code that do not describe the encoder: the fine-tuning head of
# jerryji1993/DNABERT (BertForLongSequenceClassification: split, rnn, ...), transformers 2.x keys the
# original configs still carry, and the hub repos' 2023 remote-code map. Dropped before the network
# is built; the saved config keeps them.
ORIGINAL_EXTRA_KEYS = frozenset({
    "split", "rnn", "num_rnn_layer", "rnn_dropout", "rnn_hidden",
    "output_past", "eos_token_ids",
    "auto_map",
})
# the modules of the hub repos' own remote code (zhihan1996/DNA_bert_k); DNABERT-2's are bert_layers.*
_V1_REMOTE_MODULES = ("dnabert_layer.", "configuration_bert.")


def vocab_tokens(k: int) -> list[str]:
    """The original vocab.txt of DNABERT-k: five specials, then the k-mers in product("ATCG") order."""
    return [*SPECIALS, *("".join(p) for p in itertools.product(ALPHABET, repeat=k))]


def is_dnabert_auto_map(auto_map: Any) -> bool:
    """True when every class an `auto_map` names lives in the DNABERT (v1) hub repos' own modules."""
    if not isinstance(auto_map, Mapping) or not auto_map:
        return False
    targets: list[Any] = []
    for v in auto_map.values():
        targets.extend(v if isinstance(v, (list, tuple)) else [v])
    for t in targets:
        if t is None:
            continue
        if not isinstance(t, str):
            return False
        if not t.rpartition("--")[2].startswith(_V1_REMOTE_MODULES):
            return False
    return True


def detect_k(path: str | Path, config: Mapping[str, Any]) -> int | None:
    """k when `path` holds a DNABERT (v1) checkpoint, else None.

    DNABERT-2 and Plant DNABERT are `model_type: bert` too; what sets DNABERT apart is its vocab.txt:
    [PAD] [UNK] [CLS] [SEP] [MASK] at ids 0..4, then all 4**k k-mers of one length k over A, T, C, G.
    """
    if config.get("model_type", "bert") != "bert" or "alibi_starting_size" in config:
        return None
    if "auto_map" in config and not is_dnabert_auto_map(config["auto_map"]):
        return None
    vocab = Path(path) / "vocab.txt"
    try:
        if not vocab.is_file() or vocab.stat().st_size > 1 << 22:  # 4**8 8-mers are < 1 MiB
            return None
        tokens = vocab.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    while tokens and tokens[-1] == "":
        tokens.pop()
    if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
        return None
    kmers = tokens[len(SPECIALS):]
    if not kmers:
        return None
    k = len(kmers[0])
    if len(kmers) != 4**k or len(set(kmers)) != len(kmers):
        return None
    letters = set(ALPHABET)
    if any(len(t) != k or not set(t) <= letters for t in kmers):
        return None
    return k
