"""k-mer vocabularies (vocab.txt) that list, write and recognise themselves (no torch, no numpy at import)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BERT_SPECIALS", "KmerVocab", "kmers"]

#: the specials of a BERT vocab.txt, ids 0..4 (DNABERT, ProkBERT)
BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_BASES = frozenset("ACGT")
_MAX_VOCAB_BYTES = 1 << 22  # 4**9 9-mers are well under this; larger files are not read to recognise them


def kmers(k: int, alphabet: str = "ACGT") -> list[str]:
    """All 4**k k-mers in ``itertools.product(alphabet, repeat=k)`` order."""
    return ["".join(p) for p in itertools.product(alphabet, repeat=k)]


@dataclass(frozen=True)
class KmerVocab:
    """A vocab.txt of `specials`, every k-mer in product(`alphabet`) order, then `suffix`."""

    k: int
    alphabet: str = "ACGT"
    specials: tuple[str, ...] = BERT_SPECIALS
    suffix: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.k <= 12:
            raise ValueError(f"k must be 1..12, not {self.k}")
        if len(self.alphabet) != 4 or set(self.alphabet) != _BASES:
            raise ValueError(f"alphabet must order A, C, G and T, not {self.alphabet!r}")

    def tokens(self) -> list[str]:
        """The vocabulary in id order."""
        return [*self.specials, *kmers(self.k, self.alphabet), *self.suffix]

    def ids(self) -> dict[str, int]:
        """Token -> id."""
        return {t: i for i, t in enumerate(self.tokens())}

    def __len__(self) -> int:
        return len(self.specials) + 4**self.k + len(self.suffix)

    def write(self, path: str | Path, file: str = "vocab.txt") -> Path:
        """Write `file` into directory `path` (created); returns the file."""
        from ..tokenize import write_vocab_txt

        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        write_vocab_txt(self.ids(), p / file)
        return p / file

    @classmethod
    def detect(
        cls,
        path: str | Path,
        *,
        specials: tuple[str, ...] = BERT_SPECIALS,
        suffix: tuple[str, ...] = (),
        file: str = "vocab.txt",
    ) -> KmerVocab | None:
        """What `path`/`file` holds if `specials`, all k-mers in a product order, `suffix`, else None."""
        from ..tokenize import read_vocab_txt

        f = Path(path) / file
        try:
            if not f.is_file() or f.stat().st_size > _MAX_VOCAB_BYTES:
                return None
            vocab = read_vocab_txt(f)
        except (OSError, UnicodeDecodeError):
            return None
        tokens = list(vocab)
        if [vocab[t] for t in tokens] != list(range(len(tokens))):  # blank lines or repeated tokens
            return None
        n, m = len(specials), len(suffix)
        if tuple(tokens[:n]) != specials or tuple(tokens[len(tokens) - m:]) != suffix:
            return None
        body = tokens[n:len(tokens) - m]
        if len(body) < 4:
            return None
        k = len(body[0])
        alphabet = "".join(t[-1] for t in body[:4])
        if not 1 <= k <= 12 or len(body) != 4**k or set(alphabet) != _BASES or len(alphabet) != 4:
            return None
        if body != kmers(k, alphabet):
            return None
        return cls(k, alphabet, specials, suffix)
