"""Toy encoders each broken in one way, for showing that each conformance check catches its defect."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from dnallm_zoo import CheckpointError, ModelSpec, NormalizationPolicy
from dnallm_zoo._checkpoint import find_weights_file, read_config, read_state_dict
from dnallm_zoo._encoder import EncoderOutput
from dnallm_zoo.testing.toy import ToyEncoder, ToyModel
from dnallm_zoo.tokenize import KmerTokenizer
from dnallm_zoo.tokenize.base import DNATokenizer


def _toy_tokenizer(cls: type[KmerTokenizer], path: Path, spec: ModelSpec,
                   normalization: NormalizationPolicy) -> KmerTokenizer:
    assert spec.tokenizer.k is not None
    return cls.from_file(path / "vocab.txt", k=spec.tokenizer.k, max_length=spec.tokenizer.max_tokens,
                         normalization=normalization)


# --------------------------------------------------------------------------- loading
class LenientLoader(ToyEncoder):
    """Loads whatever matches into a randomly initialised module and ignores the rest."""

    @classmethod
    def from_pretrained(cls, path: str | Path, spec: ModelSpec, **kwargs: Any) -> LenientLoader:  # type: ignore[override]
        p = Path(path)
        config = read_config(p)
        module = ToyModel(config)
        module.load_state_dict(read_state_dict(find_weights_file(p)), strict=False)
        tok = cls.build_tokenizer(p, spec, config, spec.tokenizer.normalization)
        return cls(spec, config, tok, module.eval())


class WrongErrorType(ToyEncoder):
    """Refuses bad checkpoints, but with a ValueError."""

    @classmethod
    def from_pretrained(cls, path: str | Path, spec: ModelSpec, **kwargs: Any) -> ToyEncoder:  # type: ignore[override]
        try:
            return super().from_pretrained(path, spec, **kwargs)
        except CheckpointError as exc:
            raise ValueError(str(exc)) from None


class VagueError(ToyEncoder):
    """Refuses bad checkpoints without saying which tensor is wrong."""

    @classmethod
    def from_pretrained(cls, path: str | Path, spec: ModelSpec, **kwargs: Any) -> ToyEncoder:  # type: ignore[override]
        try:
            return super().from_pretrained(path, spec, **kwargs)
        except CheckpointError:
            raise CheckpointError("this checkpoint is bad") from None


class IgnoresEverything(ToyEncoder):
    """Declares an ignorable pattern so wide that any stray tensor passes."""

    ignorable_keys: ClassVar[tuple[str, ...]] = ("*",)


class AltersWeights(ToyEncoder):
    """Changes a tensor after loading it."""

    def post_load(self) -> None:
        with torch.no_grad():
            self.module.toy.embed.norm.weight.mul_(2.0)


# --------------------------------------------------------------------------- tokenizer
class _WrongPadTokenizer(KmerTokenizer):
    def pad(self, batch: Any, *, to_length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        ids, mask = super().pad(batch, to_length=to_length)
        ids[mask == 0] = self.unk_token_id
        return ids, mask


class _OutOfVocabTokenizer(KmerTokenizer):
    def encode_body(self, seq: bytes) -> np.ndarray:
        return super().encode_body(seq) + 1000


class _NoSuffixTokenizer(KmerTokenizer):
    def encode_normalized(self, seq: bytes, *, add_special_tokens: bool = True) -> np.ndarray:
        ids = super().encode_normalized(seq, add_special_tokens=add_special_tokens)
        return ids[:-1] if add_special_tokens else ids


class _ForgivingTokenizer(KmerTokenizer):
    def normalize(self, seq: str | bytes, *, record: str | None = None) -> bytes:
        text = seq.decode() if isinstance(seq, bytes) else seq
        return super().normalize("".join(c for c in text if c.upper() in "ACGTUN") or text, record=record)


def _with_tokenizer(tok_cls: type[KmerTokenizer]) -> type[ToyEncoder]:
    class WithTokenizer(ToyEncoder):
        @classmethod
        def build_tokenizer(cls, path: Path, spec: ModelSpec, config: dict[str, Any],
                            normalization: NormalizationPolicy) -> DNATokenizer:
            return _toy_tokenizer(tok_cls, path, spec, normalization)

    WithTokenizer.__name__ = f"ToyWith{tok_cls.__name__.lstrip('_')}"
    return WithTokenizer


WrongPad = _with_tokenizer(_WrongPadTokenizer)
OutOfVocab = _with_tokenizer(_OutOfVocabTokenizer)
NoSuffix = _with_tokenizer(_NoSuffixTokenizer)
Forgiving = _with_tokenizer(_ForgivingTokenizer)


# --------------------------------------------------------------------------- outputs
class DropsFirstToken(ToyEncoder):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        out = super().forward(input_ids, attention_mask, **kw)
        out.last_hidden_state = out.last_hidden_state[:, 1:]
        return out


class Float64Output(ToyEncoder):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        out = super().forward(input_ids, attention_mask, **kw)
        out.last_hidden_state = out.last_hidden_state.double()
        return out


class NoEmbeddingState(ToyEncoder):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        out = super().forward(input_ids, attention_mask, **kw)
        if out.hidden_states is not None:
            out.hidden_states = out.hidden_states[1:]
        return out


class IgnoresMask(ToyEncoder):
    """Attends to padding: a sequence's output depends on its batch neighbours."""

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        out = super().forward(input_ids, torch.ones_like(attention_mask), **kw)
        out.attention_mask = attention_mask
        return out


class NoAttentions(ToyEncoder):
    """Ignores output_attentions (DNABERT-2's remote code did)."""

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        out = super().forward(input_ids, attention_mask, **kw)
        out.attentions = None
        return out


class AttentionsOnPadding(ToyEncoder):
    """Hidden states masked right, but the weights it reports come from an unmasked softmax."""

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        out = super().forward(input_ids, attention_mask, **kw)
        if out.attentions is not None:
            leaky = super().forward(input_ids, torch.ones_like(attention_mask), **kw)
            out.attentions = leaky.attentions
        return out


class UnnormalisedAttentions(ToyEncoder):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        out = super().forward(input_ids, attention_mask, **kw)
        if out.attentions is not None:
            out.attentions = tuple(a * 0.5 for a in out.attentions)
        return out


class HeadsMerged(ToyEncoder):
    """Averages the heads into one."""

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        out = super().forward(input_ids, attention_mask, **kw)
        if out.attentions is not None:
            out.attentions = tuple(a.mean(1, keepdim=True) for a in out.attentions)
        return out


class Noisy(ToyEncoder):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        out = super().forward(input_ids, attention_mask, **kw)
        out.last_hidden_state = out.last_hidden_state + 1e-3 * torch.randn_like(out.last_hidden_state)
        if out.hidden_states is not None:
            out.hidden_states = (*out.hidden_states[:-1], out.last_hidden_state)
        return out


class TrainingMode(ToyEncoder):
    @classmethod
    def from_pretrained(cls, path: str | Path, spec: ModelSpec, **kwargs: Any) -> ToyEncoder:  # type: ignore[override]
        enc = super().from_pretrained(path, spec, **kwargs)
        enc.module.train()
        return enc


# --------------------------------------------------------------------------- saving
class DropsTensorOnSave(ToyEncoder):
    def state_dict_for_save(self) -> dict[str, torch.Tensor]:
        sd = super().state_dict_for_save()
        del sd["toy.embed.norm.bias"]
        return sd


class RenamesOnSave(ToyEncoder):
    def state_dict_for_save(self) -> dict[str, torch.Tensor]:
        return {k.replace("toy.", "model.", 1): v for k, v in super().state_dict_for_save().items()}


class ForgetsVocab(ToyEncoder):
    def save_pretrained(self, path: str | Path) -> None:
        super().save_pretrained(path)
        (Path(path) / "vocab.txt").unlink()


# --------------------------------------------------------------------------- long input
class _TruncatingTokenizer(KmerTokenizer):
    def encode_normalized(self, seq: bytes, *, add_special_tokens: bool = True) -> np.ndarray:
        ids = super().encode_normalized(seq, add_special_tokens=add_special_tokens)
        if add_special_tokens and len(ids) > self.max_length:
            ids = np.concatenate((ids[: self.max_length - 1], ids[-1:]))
        return ids


class _TruncatingUncountedTokenizer(_TruncatingTokenizer):
    def count_tokens(self, n_bases: int) -> None:  # type: ignore[override]
        return None


Truncating = _with_tokenizer(_TruncatingTokenizer)
TruncatingUncounted = _with_tokenizer(_TruncatingUncountedTokenizer)


class FirstChunkOnly(ToyEncoder):
    """Chunks a long sequence, then keeps only the first chunk."""

    def embed_segments(self, *args: Any, **kwargs: Any) -> Any:
        from unittest import mock

        from dnallm_zoo import _chunking

        real = _chunking._chunk

        def first_only(*a: Any, **k: Any) -> Any:
            yield next(iter(real(*a, **k)))

        with mock.patch.object(_chunking, "_chunk", first_only):
            yield from super().embed_segments(*args, **kwargs)


# --------------------------------------------------------------------------- devices and dtypes
class IgnoresDtype(ToyEncoder):
    @classmethod
    def from_pretrained(cls, path: str | Path, spec: ModelSpec, **kwargs: Any) -> ToyEncoder:  # type: ignore[override]
        kwargs["dtype"] = "float32"
        return super().from_pretrained(path, spec, **kwargs)


class HalfPrecisionBug(ToyEncoder):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        out = super().forward(input_ids, attention_mask, **kw)
        if out.last_hidden_state.dtype != torch.float32:
            out.last_hidden_state = out.last_hidden_state * 2
        return out


class IgnoresLongPolicy(ToyEncoder):
    """Chunks long input even when asked to refuse it."""

    def embed(self, seqs: Any, **kwargs: Any) -> Any:
        kwargs["long"] = "chunk"
        return super().embed(seqs, **kwargs)


class ExplodingForward(ToyEncoder):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kw: bool) -> EncoderOutput:
        raise RuntimeError("boom")
