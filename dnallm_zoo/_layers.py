"""Which layers a request names: indices (negative from the end), lists of them, or "all", checked up front.

Hidden states are numbered as transformers' `hidden_states` tuple: 0 is the embedding output, 1..L the
output of each of the L layers, -1 the last. Attention weights are numbered as its `attentions` tuple:
0..L-1, the weights of layer 1..L, -1 the last. A request is resolved to non-negative indices before any
model work, so a layer the model does not have is an `InputError` naming it and the model's range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from .errors import InputError

__all__ = ["LayerRequest", "parse_layers", "resolve_layers"]

#: one index, several, or every one
LayerRequest = int | Sequence[int] | Literal["all"]


def resolve_layers(request: LayerRequest, count: int, *, what: str, model: str) -> tuple[int, ...]:
    """Non-negative indices into a tuple of `count` entries (`what` names them in errors), in request order.

    Duplicates (e.g. -1 and L on the same model) are kept once, at their first place.
    """
    if isinstance(request, str):
        if request != "all":
            raise InputError(f"layers={request!r}: give an index, a list of indices or 'all'")
        return tuple(range(count))
    items = [request] if isinstance(request, int) else list(request)
    if not items:
        raise InputError(f"no {what} asked for: give at least one index, or 'all'")
    bad = [i for i in items if isinstance(i, bool) or not isinstance(i, int) or not -count <= i < count]
    if bad:
        raise InputError(
            f"layer {', '.join(map(repr, bad))} out of range: {model} has {count} {what} "
            f"(0 to {count - 1}, or -{count} to -1 from the end)"
        )
    out: list[int] = []
    for i in items:
        j = i % count
        if j not in out:
            out.append(j)
    return tuple(out)


def parse_layers(text: str) -> int | tuple[int, ...] | Literal["all"]:
    """The command line's form: '-1' (one index), '0,6,-1' or '-1,' (a list), or 'all'."""
    text = text.strip()
    if text.lower() == "all":
        return "all"
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"--layer {text!r}: give integers separated by commas (0,6,-1) or 'all'") from None
    if not values:
        raise InputError(f"--layer {text!r}: give at least one index, or 'all'")
    return values[0] if len(values) == 1 and "," not in text else tuple(values)
