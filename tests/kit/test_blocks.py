"""The kit's blocks equal transformers' classes where they compute the same network, and an independent
reference where transformers has no such class (ALiBi, fused QKV, gated feed-forward)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dnallm_zoo.kit import BERT_LAYOUT, BlockStack, Net, alibi_slopes, random_state_dict

TINY = {"vocab_size": 40, "hidden": 32, "layers": 2, "heads": 4, "intermediate": 37, "max_positions": 64}


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 40, (3, 21), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 13:] = 0
    mask[2, 5:] = 0
    return ids, mask


def _filled(stack: BlockStack, state: dict[str, torch.Tensor]) -> BlockStack:
    missing, _ = stack.load_state_dict(state, strict=False)
    assert not missing, missing
    return stack.eval()


def test_post_ln_learned_gelu_separate_qkv_is_bert() -> None:
    from transformers import BertConfig, BertModel

    cfg = BertConfig(vocab_size=40, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=37, max_position_embeddings=64, attn_implementation="eager")
    ref = BertModel(cfg, add_pooling_layer=False).eval()
    ref.load_state_dict(random_state_dict(ref, seed=1), strict=False)
    stack = _filled(BlockStack(Net(**TINY)), ref.state_dict())
    assert set(stack.state_dict()) == set(ref.state_dict()) - {"embeddings.position_ids",
                                                                "embeddings.token_type_ids"}
    ids, mask = _batch()
    real = mask.bool()
    with torch.no_grad():
        want = ref(ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)
        last, states, probs = stack(ids, mask, output_hidden_states=True, output_attentions=True)
        plain, _, _ = stack(ids, mask)  # the SDPA path
    torch.testing.assert_close(last[real], want.last_hidden_state[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(plain[real], want.last_hidden_state[real], atol=1e-5, rtol=1e-5)
    assert states is not None and probs is not None
    for got, exp in zip(states, want.hidden_states, strict=True):
        torch.testing.assert_close(got[real], exp[real], atol=1e-5, rtol=1e-5)
    for got, exp in zip(probs, want.attentions, strict=True):
        torch.testing.assert_close(got, exp, atol=1e-5, rtol=1e-5)


def test_pre_ln_rotary_final_norm_is_esm() -> None:
    from transformers import EsmConfig, EsmModel

    cfg = EsmConfig(vocab_size=40, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=37, max_position_embeddings=64, position_embedding_type="rotary",
                    token_dropout=False, emb_layer_norm_before=False, pad_token_id=1, mask_token_id=2,
                    layer_norm_eps=1e-5,
                    attn_implementation="eager")
    ref = EsmModel(cfg, add_pooling_layer=False).eval()
    rotary = [k for k in ref.state_dict() if "inv_freq" in k]  # a buffer: the frequencies themselves
    ref.load_state_dict(random_state_dict(ref, seed=2, skip=rotary), strict=False)
    esm_layout = {**BERT_LAYOUT, "attn_norm": "attention.LayerNorm", "ffn_norm": "LayerNorm",
                  "final_norm": "encoder.emb_layer_norm_after"}
    net = Net(**TINY, norm="pre", final_norm=True, positions="rotary", type_vocab_size=0, embed_norm=False,
              eps=1e-5)
    state = {k: v for k, v in ref.state_dict().items() if "contact_head" not in k and "rotary" not in k}
    stack = _filled(BlockStack(net, esm_layout), state)
    ids, mask = _batch()
    real = mask.bool()
    with torch.no_grad():
        want = ref(ids, attention_mask=mask, output_attentions=True)
        last, _, probs = stack(ids, mask, output_attentions=True)
    torch.testing.assert_close(last[real], want.last_hidden_state[real], atol=1e-5, rtol=1e-5)
    assert probs is not None
    for got, exp in zip(probs, want.attentions, strict=True):  # padded queries differ: ESM zeroes them first
        torch.testing.assert_close(got[mask.bool()[:, None, :, None].expand_as(got)],
                                   exp[mask.bool()[:, None, :, None].expand_as(exp)], atol=1e-5, rtol=1e-5)


def _reference_alibi_glu(state: dict[str, torch.Tensor], net: Net, ids: torch.Tensor,
                         mask: torch.Tensor) -> torch.Tensor:
    """Post-LN BERT with ALiBi, a fused QKV projection and a GELU-gated feed-forward, written out plainly."""
    def ln(x: torch.Tensor, name: str) -> torch.Tensor:
        return F.layer_norm(x, (net.hidden,), state[f"{name}.weight"], state[f"{name}.bias"], net.eps)

    def lin(x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, state[f"{name}.weight"], state[f"{name}.bias"])

    x = state["embeddings.word_embeddings.weight"][ids] + state["embeddings.token_type_embeddings.weight"][0]
    x = ln(x, "embeddings.LayerNorm")
    n, t, _ = x.shape
    slopes = torch.tensor([2 ** (-8 * (i + 1) / net.heads) for i in range(net.heads)])
    dist = (torch.arange(t)[None, :] - torch.arange(t)[:, None]).abs()
    bias = -slopes[:, None, None] * dist + (1 - mask[:, None, None, :].float()) * -1e30
    for i in range(net.layers):
        pre = f"encoder.layer.{i}."
        q, k, v = lin(x, pre + "attention.self.Wqkv").split(net.hidden, dim=-1)
        q, k, v = (z.view(n, t, net.heads, -1).transpose(1, 2) for z in (q, k, v))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(net.head_dim) + bias, dim=-1) @ v
        x = ln(x + lin(a.transpose(1, 2).reshape(n, t, -1), pre + "attention.output.dense"),
               pre + "attention.output.LayerNorm")
        h = lin(x, pre + "intermediate.dense")
        h = F.gelu(h[..., :net.intermediate]) * h[..., net.intermediate:]
        x = ln(x + lin(h, pre + "output.dense"), pre + "output.LayerNorm")
    return x


def test_post_ln_alibi_fused_qkv_gated_equals_a_plain_reference() -> None:
    net = Net(**TINY, positions="alibi", qkv="fused", ffn="gated")
    with torch.device("meta"):
        shapes = BlockStack(net)
    state = random_state_dict(shapes, seed=3)
    assert "encoder.layer.0.attention.self.Wqkv.weight" in state
    assert state["encoder.layer.0.intermediate.dense.weight"].shape == (2 * 37, 32)
    stack = BlockStack(net)
    stack.load_state_dict(state)
    ids, mask = _batch()
    real = mask.bool()
    with torch.no_grad():
        last, _, _ = stack.eval()(ids, mask)
        want = _reference_alibi_glu(state, net, ids, mask)
    torch.testing.assert_close(last[real], want[real], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("heads", [4, 8, 12, 6])
def test_alibi_slopes_are_the_papers(heads: int) -> None:
    slopes = alibi_slopes(heads)
    if heads & (heads - 1) == 0:  # a power of two: 2^(-8 i / n)
        torch.testing.assert_close(slopes, torch.tensor([2 ** (-8 * (i + 1) / heads) for i in range(heads)]))
    else:  # the closest power of two, then every other slope of twice as many
        p = 2 ** math.floor(math.log2(heads))
        assert slopes[:p].tolist() == alibi_slopes(p).tolist()
        assert slopes[p:].tolist() == alibi_slopes(2 * p)[0::2][: heads - p].tolist()
