"""Each conformance check passes on the toy family and fails, precisely, on a toy broken its way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import broken_toys as broken
import pytest

from dnallm_zoo._runtime import available_devices
from dnallm_zoo.testing import (
    CheckSkipped,
    ModelUnderTest,
    check_attentions,
    check_batch_invariance,
    check_determinism,
    check_device,
    check_long_input,
    check_save_round_trip,
    check_shapes,
    check_strict_load,
    check_tokenizer,
)
from dnallm_zoo.testing.toy import TOY_SPEC, ToyEncoder

Check = Callable[[ModelUnderTest], str]


def under_test(encoder: type[ToyEncoder], path: Path) -> ModelUnderTest:
    return ModelUnderTest(TOY_SPEC, encoder, path)


@pytest.mark.parametrize("check", [
    check_strict_load, check_tokenizer, check_shapes, check_batch_invariance, check_attentions,
    check_determinism, check_save_round_trip, check_long_input,
], ids=lambda c: c.__name__)
def test_each_check_passes_on_the_toy(check: Check, zoo_toy_checkpoint: Path) -> None:
    assert check(under_test(ToyEncoder, zoo_toy_checkpoint))


@pytest.mark.parametrize(("encoder", "check", "message"), [
    # strict loading
    (broken.LenientLoader, check_strict_load,
     r"lacking the tensor '.+' loaded without an error: .*not strict"),
    (broken.WrongErrorType, check_strict_load, r"raised ValueError .*not CheckpointError"),
    (broken.VagueError, check_strict_load, r"does not name '.+': this checkpoint is bad"),
    (broken.IgnoresEverything, check_strict_load, r"ignorable_keys pattern\(s\) \['\*'\]"),
    (broken.AltersWeights, check_strict_load, r"toy\.embed\.norm\.weight: the loaded tensor differs"),
    # tokenizer
    (broken.WrongPad, check_tokenizer, r"padded with ids \[1\], not the pad id 0"),
    (broken.OutOfVocab, check_tokenizer, r"outside the vocabulary"),
    (broken.NoSuffix, check_tokenizer, r"not prefix \[2\] \+ body \+ suffix \[3\]"),
    (broken.Forgiving, check_tokenizer,
     r"invalid sequence 'ACGT@ACGT' was accepted; expected InvalidSequenceError"),
    # shapes and dtypes
    (broken.DropsFirstToken, check_shapes,
     r"last_hidden_state is \(3, 33, 16\), expected \[B,S,H\] = \(3, 34, 16\)"),
    (broken.Float64Output, check_shapes, r"last_hidden_state is torch\.float64, the model is torch\.float32"),
    (broken.NoEmbeddingState, check_shapes, r"gave 2 hidden states, expected num_layers \+ 1 = 3"),
    # batch invariance
    (broken.IgnoresMask, check_batch_invariance, r"hidden_states\[1\] of a \d+-base sequence inside a batch"),
    # attention weights
    (broken.NoAttentions, check_attentions,
     r"output_attentions=True gave None attention tensors, expected one per layer \(2\)"),
    (broken.AttentionsOnPadding, check_attentions,
     r"attentions\[0\]: a real token gives .* of its weight to padding"),
    (broken.UnnormalisedAttentions, check_attentions,
     r"attentions\[0\]: a real token's weights over the real tokens sum to 1 ± 0\.5"),
    (broken.HeadsMerged, check_attentions,
     r"attentions\[0\] is \(3, 1, 34, 34\), expected \[B, heads, T, T\]"),
    # determinism
    (broken.Noisy, check_determinism, r"of two calls on one load: differs by"),
    (broken.TrainingMode, check_determinism, r"left the module in training mode"),
    # save round trip
    (broken.DropsTensorOnSave, check_save_round_trip,
     r"does not load back .*missing 1: toy\.embed\.norm\.bias"),
    (broken.RenamesOnSave, check_save_round_trip, r"does not load back .*unexpected .*model\.embed"),
    (broken.ForgetsVocab, check_save_round_trip, r"does not load back .*vocab\.txt"),
    # long input
    (broken.Truncating, check_long_input, r"54 bases give 34 tokens where count_tokens says 54: .*truncates"),
    (broken.TruncatingUncounted, check_long_input, r"still give only 34 tokens: the tokenizer truncates"),
    (broken.IgnoresLongPolicy, check_long_input,
     r"embed\(long='error'\) of a sequence of 54 bases .* was accepted"),
    (broken.FirstChunkOnly, check_long_input, r"was cut into chunks \[\(0, 34\)\]"),
], ids=lambda p: p.__name__ if isinstance(p, type) else None)
def test_each_check_catches_its_defect(encoder: type[ToyEncoder], check: Check, message: str,
                                       zoo_toy_checkpoint: Path) -> None:
    with pytest.raises(AssertionError, match=message):
        check(under_test(encoder, zoo_toy_checkpoint))


def test_the_defects_are_specific(zoo_toy_checkpoint: Path) -> None:
    """A broken toy fails its own check and passes the others (the checks do not overlap blindly)."""
    m = under_test(broken.IgnoresMask, zoo_toy_checkpoint)
    for check in (check_strict_load, check_tokenizer, check_shapes, check_determinism, check_save_round_trip):
        check(m)


def test_device_check_on_cpu(zoo_toy_checkpoint: Path) -> None:
    m = under_test(ToyEncoder, zoo_toy_checkpoint)
    assert check_device(m, "cpu", "float32") == "cpu/float32 is the reference"
    assert "relative error" in check_device(m, "cpu", "bfloat16")


@pytest.mark.parametrize(("encoder", "message"), [
    (broken.IgnoresDtype, r"asked for cpu/bfloat16, the model is on cpu in torch\.float32"),
    (broken.HalfPrecisionBug, r"cpu/bfloat16 differs from cpu/float32 by a relative error of"),
], ids=lambda p: p.__name__ if isinstance(p, type) else None)
def test_device_check_catches_dtype_defects(encoder: type[ToyEncoder], message: str,
                                            zoo_toy_checkpoint: Path) -> None:
    with pytest.raises(AssertionError, match=message):
        check_device(under_test(encoder, zoo_toy_checkpoint), "cpu", "bfloat16")


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_device_check_skips_what_is_absent(device: str, zoo_toy_checkpoint: Path) -> None:
    if device in available_devices():
        pytest.skip(f"this machine has {device}")
    with pytest.raises(CheckSkipped, match=f"no {device} on this machine"):
        check_device(under_test(ToyEncoder, zoo_toy_checkpoint), device, "float32")
