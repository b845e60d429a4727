"""ProkBERT's LCA tokenizer: the core's vectorised k-mer tokenizer, saved with the original's keys."""

from __future__ import annotations

from pathlib import Path

from dnallm_zoo import tokenize

__all__ = ["LCATokenizer"]


class LCATokenizer(tokenize.KmerTokenizer):
    """k-mers every `stride` (LCA shift) bases from the first base, `[CLS] … [SEP]`.

    Token ids are those of prokbert's `LCATokenizer` (offset 0) over the checkpoint's vocab.txt:
    ``seq[i:i+k] for i in range(0, len(seq) - k + 1, shift)``; trailing bases that fill no window
    are dropped and a window holding anything but A, C, G, T is `[UNK]`.
    """

    tokenizer_class = "LCATokenizer"

    @property
    def shift(self) -> int:
        """The LCA shift (the core calls it stride)."""
        return self.stride

    def save_pretrained(self, path: str | Path) -> None:
        """vocab.txt and a tokenizer_config.json carrying the original `kmer`/`shift` keys."""
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        tokenize.write_vocab_txt(self.vocab, p / "vocab.txt")
        self._save_config(
            p, self.tokenizer_class, do_lower_case=False, kmer=self.k, shift=self.stride,
            operation_space="kmer",
        )
