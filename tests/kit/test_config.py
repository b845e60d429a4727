"""Tiny BERT config.json dicts and `auto_map` read as data."""

from __future__ import annotations

from dnallm_zoo.kit import auto_map_modules, tiny_bert_config


def test_tiny_bert_config_is_a_bert_config() -> None:
    from transformers import BertConfig

    c = tiny_bert_config(69, hidden=16, heads=2, max_positions=64, pad_token_id=3)
    assert list(c) == sorted(c)
    got = (c["vocab_size"], c["hidden_size"], c["max_position_embeddings"], c["pad_token_id"])
    assert got == (69, 16, 64, 3)
    assert c["architectures"] == ["BertForMaskedLM"] and c["model_type"] == "bert"
    cfg = BertConfig.from_dict(c)
    assert (cfg.num_attention_heads, cfg.intermediate_size) == (2, 37)
    bare = tiny_bert_config(10, architectures=None, model_type=None, hidden_dropout_prob=0.0)
    assert "architectures" not in bare and "model_type" not in bare and bare["hidden_dropout_prob"] == 0.0


def test_auto_map_modules() -> None:
    assert auto_map_modules({
        "AutoConfig": "configuration_bert.BertConfig",
        "AutoModel": "zhihan1996/DNABERT-2-117M--bert_layers.BertModel",
        "AutoTokenizer": ["tokenizer.LCATokenizer", None],
    }) == ["configuration_bert", "bert_layers", "tokenizer"]
    assert auto_map_modules({}) == []
    assert auto_map_modules(["x.Y"]) is None
    assert auto_map_modules({"AutoModel": 3}) is None
