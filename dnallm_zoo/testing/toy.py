"""The toy family: a complete, tiny, in-process example plugin (the reference for plugin authors).

It is never registered by default; tests register it with the `zoo_toy` fixture (or
``get_manager().register(ToyPlugin(), name="toy")``). A real plugin splits the same pieces into a
cheap ``__init__.py`` (specs and hook implementations, no torch import) and a ``modeling.py``
(the torch module and the `DNAEncoder` subclass, imported only when a model is loaded); the hooks
below name the encoder as ``"module:Class"`` so that listing models never imports it.

The "original" layout of a toy checkpoint, as if some upstream project had published it::

    config.json        {"model_type": "toy", "hidden_size": 16, "num_hidden_layers": 2, ...}
    vocab.txt          [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then the 64 3-mers (A, C, G, T order)
    model.safetensors  toy.embed.*, toy.layers.{i}.*, head.bias, and an untrained toy.pooler.*
                       (ignorable); head.decoder.weight is tied to toy.embed.tokens.weight (absent)
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .._checkpoint import WEIGHT_FILES, write_weights
from .._encoder import DNAEncoder, EncoderOutput
from .._hooks import hookimpl
from .._spec import (
    ArchitectureSpec,
    Capabilities,
    ModelSpec,
    TokenizerSpec,
    WeightsSource,
)
from ..errors import CheckpointError
from ..kit._family import Family
from ..tokenize import write_vocab_txt

__all__ = [
    "ENCODER",
    "FAMILY",
    "TOY_ID",
    "TOY_SPEC",
    "ToyEncoder",
    "ToyModel",
    "ToyPlugin",
    "toy_config",
    "toy_vocab",
    "write_toy_checkpoint",
]

FAMILY = "toy"
TOY_ID = "toy-kmer3"
ENCODER = "dnallm_zoo.testing.toy:ToyEncoder"  # a string: registering imports no torch
_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_MAX_TOKENS = 34  # [CLS] + 32 3-mers + [SEP]: 34 bases

TOY_SPEC = ModelSpec(
    id=TOY_ID,
    family=FAMILY,
    aliases=("dnallm-zoo/toy-kmer3", "toy-3mer"),
    description="A tiny random overlapping-3-mer encoder: the example family of dnallm-zoo's tests",
    license="MIT",
    citation="@misc{dnallm_zoo_toy,\n  title = {The toy family of dnallm-zoo},\n  year = {2025}\n}",
    task="masked-lm",
    tokenizer=TokenizerSpec(kind="kmer", k=3, max_tokens=_MAX_TOKENS),
    architecture=ArchitectureSpec(
        kind="toy", hidden_size=16, num_layers=2, num_heads=2, intermediate_size=32,
        vocab_size=len(_SPECIALS) + 64, max_tokens=_MAX_TOKENS,
    ),
    # no such hub repository: the plugin's own `resolve_weights` writes the weights on first use
    weights=WeightsSource(repo_id="dnallm-zoo/toy-kmer3"),
    capabilities=Capabilities(
        devices=("cpu", "cuda", "mps"),
        dtypes={
            "cpu": ("float32", "bfloat16"),
            "cuda": ("float32", "float16", "bfloat16"),
            "mps": ("float32", "float16"),
        },
        max_bases=_MAX_TOKENS - 2 + 3 - 1,
        chunk_overlap=8,
    ),
)
_SPECS = {TOY_SPEC.id: TOY_SPEC}


def toy_vocab() -> dict[str, int]:
    """The five specials, then every 3-mer in A, C, G, T order."""
    tokens = [*_SPECIALS, *("".join(p) for p in itertools.product("ACGT", repeat=3))]
    return {t: i for i, t in enumerate(tokens)}


def toy_config(
    *, hidden: int = 16, layers: int = 2, heads: int = 2, intermediate: int = 32
) -> dict[str, Any]:
    """config.json of a toy checkpoint, in its original keys."""
    return {
        "model_type": "toy",
        "architectures": ["ToyForMaskedLM"],
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": intermediate,
        "vocab_size": len(_SPECIALS) + 64,
        "max_position_embeddings": _MAX_TOKENS,
        "layer_norm_eps": 1e-12,
    }


# --------------------------------------------------------------------------- the network
class ToyAttention(nn.Module):
    """Multi-head self-attention over the real (unmasked) keys."""

    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)

    def forward(
        self, x: torch.Tensor, keep: torch.Tensor, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The attended [B, S, H] and, with `output_attentions`, the softmax weights [B, heads, S, S]."""
        b, s, h = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        probs = None
        if output_attentions:  # the eager path: masked keys at -inf, weights kept
            scores = (q @ k.transpose(-1, -2)) / (h // self.heads) ** 0.5
            probs = torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)
            a = probs @ v
        else:
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        return self.out(a.transpose(1, 2).reshape(b, s, h)), probs


class ToyLayer(nn.Module):
    """Post-LN block: attention, then a GELU feed-forward."""

    def __init__(self, hidden: int, heads: int, intermediate: int, eps: float) -> None:
        super().__init__()
        self.attn = ToyAttention(hidden, heads)
        self.attn_norm = nn.LayerNorm(hidden, eps=eps)
        self.ff_in = nn.Linear(hidden, intermediate)
        self.ff_out = nn.Linear(intermediate, hidden)
        self.ff_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(
        self, x: torch.Tensor, keep: torch.Tensor, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        a, probs = self.attn(x, keep, output_attentions)
        x = self.attn_norm(x + a)
        return self.ff_norm(x + self.ff_out(F.gelu(self.ff_in(x)))), probs


class ToyEmbeddings(nn.Module):
    def __init__(self, vocab: int, positions: int, hidden: int, eps: float) -> None:
        super().__init__()
        # `_weight` skips the random init, which on the meta device costs seconds of imports
        self.tokens = nn.Embedding(vocab, hidden, _weight=torch.empty(vocab, hidden))
        self.positions = nn.Embedding(positions, hidden, _weight=torch.empty(positions, hidden))
        self.norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)
        return self.norm(self.tokens(input_ids) + self.positions(pos))


class ToyBackbone(nn.Module):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        h, eps = config["hidden_size"], config["layer_norm_eps"]
        self.embed = ToyEmbeddings(config["vocab_size"], config["max_position_embeddings"], h, eps)
        self.layers = nn.ModuleList(
            ToyLayer(h, config["num_attention_heads"], config["intermediate_size"], eps)
            for _ in range(config["num_hidden_layers"])
        )


class ToyHead(nn.Module):
    """Masked-LM head; the decoder shares the token embedding matrix."""

    def __init__(self, hidden: int, vocab: int) -> None:
        super().__init__()
        self.decoder = nn.Linear(hidden, vocab, bias=False)
        self.bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(x) + self.bias


class ToyModel(nn.Module):
    """`toy.*` backbone and `head.*` masked-LM head: attribute names are the checkpoint's keys."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.toy = ToyBackbone(config)
        self.head = ToyHead(config["hidden_size"], config["vocab_size"])
        self.head.decoder.weight = self.toy.embed.tokens.weight


# --------------------------------------------------------------------------- the encoder
class ToyEncoder(DNAEncoder):
    """The toy family's `DNAEncoder`: builds `ToyModel` and runs it; the core does the rest."""

    ignorable_keys: ClassVar[tuple[str, ...]] = ("toy.pooler.*",)  # untrained, never used
    tied_keys: ClassVar[dict[str, str]] = {"head.decoder.weight": "toy.embed.tokens.weight"}

    @classmethod
    def build_module(cls, spec: ModelSpec, config: dict[str, Any]) -> nn.Module:
        missing = [k for k in toy_config() if k != "architectures" and k not in config]
        if missing:
            raise CheckpointError(f"config.json of {spec.id} lacks {missing}")
        if config["hidden_size"] % config["num_attention_heads"]:
            raise CheckpointError("config.json: hidden_size is not a multiple of num_attention_heads")
        with torch.device("meta"):  # no random init: every tensor comes from the checkpoint
            return ToyModel(config)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        output_hidden_states: bool = False,
        with_logits: bool = False,
        output_attentions: bool = False,
    ) -> EncoderOutput:
        model = self.module
        assert isinstance(model, ToyModel)
        keep = attention_mask.bool()[:, None, None, :]
        x = model.toy.embed(input_ids)
        states, weights = [x], []
        for layer in model.toy.layers:
            x, probs = layer(x, keep, output_attentions)
            states.append(x)
            if probs is not None:
                weights.append(probs)
        return EncoderOutput(
            last_hidden_state=x,
            attention_mask=attention_mask,
            hidden_states=tuple(states) if output_hidden_states else None,
            logits=model.head(x) if with_logits else None,
            attentions=tuple(weights) if output_attentions else None,
        )


    def input_embeddings(self) -> nn.Module:
        """The token embedding (`toy.embed.tokens`; no module of the toy is named word_embeddings)."""
        assert isinstance(self.module, ToyModel)
        return self.module.toy.embed.tokens


# --------------------------------------------------------------------------- checkpoints
def write_toy_checkpoint(
    path: str | Path, *, seed: int = 0, safetensors: bool = True, config: dict[str, Any] | None = None
) -> Path:
    """Write a tiny random toy checkpoint in the original layout (an untrained pooler included)."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    cfg = config or toy_config()
    gen = torch.Generator().manual_seed(seed)
    model = ToyModel(cfg)
    sd: dict[str, torch.Tensor] = {}
    for key, tensor in model.state_dict().items():
        if key in ToyEncoder.tied_keys:
            continue
        noise = torch.randn(tensor.shape, generator=gen)
        base = 1.0 if key.endswith("norm.weight") else 0.0
        sd[key] = (base + 0.3 * noise).contiguous()
    h = cfg["hidden_size"]
    sd["toy.pooler.dense.weight"] = torch.randn(h, h, generator=gen)
    sd["toy.pooler.dense.bias"] = torch.zeros(h)
    (p / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    write_vocab_txt(toy_vocab(), p / "vocab.txt")
    write_weights(p, sd, "safetensors" if safetensors else "bin")
    return p


def _is_toy_checkpoint(path: Path, config: Mapping[str, Any]) -> bool:
    return config.get("model_type") == "toy" and (path / "vocab.txt").is_file() \
        and config.get("vocab_size") == len(_SPECIALS) + 64


# --------------------------------------------------------------------------- the hooks
def _toy_match(path: Path, config: Mapping[str, Any]) -> str | None:
    return TOY_ID if _is_toy_checkpoint(path, config) else None


class ToyPlugin(Family):
    """The toy family's hook implementations (the kit's `Family`); register an instance in-process.

    `home` is where `resolve_weights` writes the toy weights on first use (a temporary
    directory if not given), so that ``load("toy-kmer3")`` works offline.
    """

    def __init__(self, home: str | Path | None = None) -> None:
        super().__init__(FAMILY, _SPECS.values(), encoder=ENCODER,
                         checkpoint=lambda spec, path: write_toy_checkpoint(path), match=_toy_match)
        self.home = Path(home) if home is not None else None

    @hookimpl
    def resolve_weights(self, spec: ModelSpec, source: WeightsSource, cache_dir: Path | None) -> Path | None:
        """The toy weights, written on first use (a real plugin rarely needs this hook)."""
        if not self.owns(spec):
            return None
        if self.home is None:
            self.home = Path(tempfile.mkdtemp(prefix="dnallm-zoo-toy-"))
        d = self.home / spec.id
        if not any((d / name).is_file() for name in WEIGHT_FILES):
            write_toy_checkpoint(d)
        return d
