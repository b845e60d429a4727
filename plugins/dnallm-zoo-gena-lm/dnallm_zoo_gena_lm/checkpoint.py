"""Tiny random checkpoints in GENA-LM's layouts, for offline tests and benchmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dnallm_zoo import ModelSpec, kit

from .specs import FAMILY_BIGBIRD, SPECIALS

__all__ = ["gena_config", "tiny_tokenizer_json", "write_checkpoint"]


def tiny_tokenizer_json() -> str:
    """A small BPE tokenizer.json shaped as GENA's (data/tokenizers/t2t_1000h_multi_32k/tokenizer.json):
    specials [UNK] [CLS] [SEP] [PAD] [MASK] '-' first, a normalizer that strips and turns runs of 10 or
    more N into '-', a pre-tokenizer splitting on '-', BertProcessing."""
    data = json.loads(kit.tiny_bpe_tokenizer_json(specials=SPECIALS, post_processor="bert"))
    data["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Strip", "strip_left": True, "strip_right": True},
        {"type": "Replace", "pattern": {"Regex": "N{10,}"}, "content": "-"}]}
    data["pre_tokenizer"] = {"type": "Split", "pattern": {"String": "-"}, "behavior": "Isolated",
                             "invert": False}
    return json.dumps(data, indent=2)


def gena_config(vocab_size: int, *, last_layer_norm: bool | None = False, **shape: Any) -> dict[str, Any]:
    """config.json as GENA's data/configs/L12-H768-A12-V32k-preln*.json keys it, tiny by default;
    `last_layer_norm` None leaves the key out (the code's default then applies: True)."""
    extra: dict[str, Any] = {"pre_layer_norm": True, "pad_token_id": 3, "position_embedding_type": "absolute",
                             "gradient_checkpointing": False, "use_cache": True}
    if last_layer_norm is not None:
        extra["last_layer_norm"] = last_layer_norm
    return kit.tiny_bert_config(vocab_size, **{**extra, **shape})


def write_checkpoint(spec: ModelSpec, path: str | Path, *, seed: int = 0,
                     config: dict[str, Any] | None = None) -> Path:
    """config.json, tokenizer files and random weights of `spec` in GENA's layout (BERT or BigBird)."""
    from . import bigbird, family
    from .encoder import GenaEncoder

    p = Path(path)
    if spec.family == FAMILY_BIGBIRD:
        kit.write_native_checkpoint(bigbird, spec, p, seed=seed, config=config)
    else:
        _, size = kit.write_tokenizer_files(family, spec, p)
        lastln = None if "lastln" in spec.id or "large" in spec.id else False
        cfg = config if config is not None else gena_config(
            size, last_layer_norm=lastln, max_positions=spec.architecture.max_tokens)
        kit.write_block_checkpoint(GenaEncoder, spec, p, cfg, seed=seed)
    (p / "tokenizer.json").write_text(tiny_tokenizer_json(), encoding="utf-8")
    tok_config = {"tokenizer_class": "PreTrainedTokenizerFast"}  # the original's tokenizer_config.json
    (p / "tokenizer_config.json").write_text(json.dumps(tok_config) + "\n")
    return p
