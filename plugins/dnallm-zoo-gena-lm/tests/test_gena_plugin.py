"""What the GENA-LM plugin states: its table, and which directories are GENA's (never stock BERT's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dnallm_zoo import CheckpointError


def test_the_table(zoo: Any) -> None:
    ids = [s.id for s in zoo.list_models("gena-lm-*")]  # type: ignore[attr-defined]
    assert "gena-lm-bert-base-lastln-t2t" in ids and "gena-lm-bigbird-base-t2t" in ids and len(ids) == 9
    spec = zoo.get_spec("AIRI-Institute/gena-lm-bert-large-t2t")  # type: ignore[attr-defined]
    assert (spec.architecture.num_layers, spec.architecture.hidden_size, spec.license) == (24, 1024, "MIT")
    assert "10.1093/nar/gkae1310" in spec.citation
    assert not any("sparse" in i for i in ids)  # DeepSpeed-sparse: refused, not listed


def test_a_gena_directory_is_gena_s_even_with_stock_bert_families_installed(zoo: Any, tmp_path: Path) -> None:
    from dnallm_zoo.testing import make_test_checkpoint

    d = make_test_checkpoint("gena-lm-bert-base-t2t", tmp_path / "g")
    config = json.loads((d / "config.json").read_text())
    assert config["model_type"] == "bert" and config["architectures"] == ["BertForMaskedLM"]
    from dnallm_zoo_gena_lm.specs import SPECIALS

    from dnallm_zoo.kit import StockFamily

    stock = StockFamily("gena-lm", zoo.list_models("gena-lm-bert-*"), specials=SPECIALS)  # type: ignore[attr-defined]
    assert stock.match(d, config) is None  # the stock BERT matcher refuses GENA's pre-LN keys
    assert zoo.load(d, device="cpu").spec.family == "gena-lm"  # type: ignore[attr-defined]


def test_pre_ln_weights_under_a_plain_bert_config_are_claimed_and_refused_strictly(
    zoo: Any, tmp_path: Path
) -> None:
    from dnallm_zoo.testing import make_test_checkpoint

    d = make_test_checkpoint("gena-lm-bert-base-t2t", tmp_path / "g")
    config = json.loads((d / "config.json").read_text())
    for key in ("pre_layer_norm", "last_layer_norm"):
        del config[key]
    (d / "config.json").write_text(json.dumps(config))
    from dnallm_zoo._loading import match_directory

    assert match_directory(d).spec.family == "gena-lm"  # by the weights' pre_attention_ln keys
    with pytest.raises(CheckpointError, match="pre_attention_ln"):
        zoo.load(d, device="cpu")  # type: ignore[attr-defined]


def test_deepspeed_sparse_checkpoints_are_refused_naming_what_they_need(zoo: Any, tmp_path: Path) -> None:
    from dnallm_zoo.testing import make_test_checkpoint

    d = make_test_checkpoint("gena-lm-bert-base-t2t", tmp_path / "g")
    config = json.loads((d / "config.json").read_text())
    config.update({"sparse_config_cls": "deepspeed.ops.sparse_attention:BigBirdSparsityConfig",
                   "sparse_attention": {"num_heads": 4, "block": 64}, "position_embedding_type": "rotary"})
    (d / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError,
                       match=r"DeepSpeed.*deepspeed\.ops\.sparse_attention.*bigbird-base-t2t"):
        zoo.load(d, device="cpu")  # type: ignore[attr-defined]


def test_a_pre_ln_bert_with_another_tokenizer_is_not_claimed(zoo: Any, tmp_path: Path) -> None:
    from dnallm_zoo_gena_lm.layout import match

    from dnallm_zoo.kit import tiny_bpe_tokenizer_json
    from dnallm_zoo.testing import make_test_checkpoint

    d = make_test_checkpoint("gena-lm-bert-base-t2t", tmp_path / "g")
    (d / "tokenizer.json").write_text(tiny_bpe_tokenizer_json())  # [PAD] first: not GENA's ids
    assert match(d, json.loads((d / "config.json").read_text())) is None
