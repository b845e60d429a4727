"""DNABERT (v1) for dnallm-zoo: a spec table on the kit's stock family (no torch at import)."""

from __future__ import annotations

from dnallm_zoo import kit

from .layout import ALPHABET, HUB_EXTRAS, REMOTE_MODULES
from .specs import ENCODER, FAMILY, SPECS

__all__ = ["SPECS", "family"]

#: the plugin (entry point ``dnabert = "dnallm_zoo_dnabert:family"``): dnabert-3 .. dnabert-6 and
#: dnabert-demo; the packaged demo directory is claimed by its spec (weights.path)
family = kit.StockFamily(
    FAMILY, SPECS, encoder=ENCODER, alphabet=ALPHABET, model_types=("bert", None),
    remote_modules=REMOTE_MODULES, config=HUB_EXTRAS,
)
