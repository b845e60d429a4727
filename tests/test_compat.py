"""DNALLM-style `load_model_and_tokenizer`, on the toy family."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from dnallm_zoo import ZooError
from dnallm_zoo.compat import ZooModel, load_model_and_tokenizer
from dnallm_zoo.testing import ToyPlugin

SEQ = "ACGTAGCATCGGATCTATCTATCGACACTTGG"


def test_documented_form_gives_last_hidden_state(zoo_toy: ToyPlugin) -> None:
    model, tokenizer = load_model_and_tokenizer(model_name_or_path="toy-kmer3")
    model.eval()
    out = model(**tokenizer(SEQ, return_tensors="pt"))
    direct = model.encoder.embed([SEQ], pooling="none")[0]
    assert isinstance(model, ZooModel) and isinstance(model, torch.nn.Module)
    assert out.last_hidden_state.shape == (1, len(SEQ) - 3 + 1 + 2, model.encoder.hidden_size)
    assert torch.equal(out.last_hidden_state[0], torch.from_numpy(direct))
    assert out.logits is None and out[0] is out.last_hidden_state


def test_real_signature_with_task_config_object_and_dict(
    zoo_toy: ToyPlugin, zoo_toy_checkpoint: Path
) -> None:
    for task_config in (SimpleNamespace(task_type="mask"), {"task_type": "mask"}):
        model, tokenizer = load_model_and_tokenizer(str(zoo_toy_checkpoint), task_config, source="local")
        batch = tokenizer([SEQ, SEQ[:10]], padding=True, return_tensors="pt")
        out = model(**batch, output_hidden_states=True)
        assert out.logits is not None and out.logits.shape[:2] == out.last_hidden_state.shape[:2]
        assert out.logits.shape[-1] == len(tokenizer)
        assert out.hidden_states is not None and len(out.hidden_states) == model.encoder.num_layers + 1
    model, _ = load_model_and_tokenizer("toy-kmer3", {"task_type": "embedding"}, source="huggingface")
    assert model.head == "none"


def test_heads_the_checkpoint_lacks_and_unsupported_options_are_clear(zoo_toy: ToyPlugin) -> None:
    with pytest.raises(ZooError,
                       match=r"toy-kmer3 \(toy\) has no sequence-classification head.*no task heads"):
        load_model_and_tokenizer("toy-kmer3", {"task_type": "binary"})
    with pytest.raises(ZooError, match="no token-classification head"):
        load_model_and_tokenizer("toy-kmer3", {"task_type": "token"})
    with pytest.raises(ZooError, match="modelscope"):
        load_model_and_tokenizer("toy-kmer3", None, source="modelscope")
    with pytest.raises(ZooError, match="random_init"):
        load_model_and_tokenizer("toy-kmer3", None, random_init=True)
    with pytest.raises(TypeError, match="model_name"):
        load_model_and_tokenizer()
    with pytest.raises(TypeError, match="not both"):
        load_model_and_tokenizer("toy-kmer3", model_name_or_path="toy-kmer3")


def test_unbatched_ids_and_sequence_pairs(zoo_toy: ToyPlugin) -> None:
    model, tokenizer = load_model_and_tokenizer(model_name_or_path="toy-kmer3")
    ids = tokenizer(SEQ, return_tensors="pt")["input_ids"][0]
    assert model(ids).last_hidden_state.shape[0] == 1
    with pytest.raises(ZooError, match="token_type_ids"):
        model(ids.unsqueeze(0), token_type_ids=torch.ones_like(ids).unsqueeze(0))


def test_a_forward_longer_than_learned_positions_is_the_zoos_error(zoo_toy: ToyPlugin) -> None:
    """Not an IndexError from inside torch: the limit and the remedy are named."""
    from dnallm_zoo.errors import SequenceTooLongError

    model, tok = load_model_and_tokenizer(model_name_or_path="toy-kmer3")
    n = tok.max_length + 5
    ids = torch.full((1, n), 5, dtype=torch.long)
    with pytest.raises(SequenceTooLongError, match=rf"{n} tokens in one forward pass; .* at most "
                                                   rf"{tok.max_length} tokens.*long='chunk'"):
        model(input_ids=ids, attention_mask=torch.ones_like(ids))
