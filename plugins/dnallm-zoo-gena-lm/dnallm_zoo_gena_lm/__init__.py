"""GENA-LM (AIRI) for dnallm-zoo: no torch at import.

`family`: the pre-layer-norm BERT checkpoints, their network built from the kit's blocks (`encoder.py`);
`bigbird`: `gena-lm-bigbird-base-t2t`, a spec on the kit's transformers-native BigBird.
"""

from __future__ import annotations

from dnallm_zoo import kit

from .specs import BERT_SPECS, BIGBIRD_SPEC, ENCODER, FAMILY, FAMILY_BIGBIRD, SPECIALS

__all__ = ["bigbird", "family"]

family = kit.StockFamily(
    FAMILY, BERT_SPECS, encoder=ENCODER, specials=SPECIALS,
    checkpoint="dnallm_zoo_gena_lm.checkpoint:write_checkpoint", match="dnallm_zoo_gena_lm.layout:match",
)
bigbird = kit.StockFamily(
    FAMILY_BIGBIRD, [BIGBIRD_SPEC], specials=SPECIALS,
    checkpoint="dnallm_zoo_gena_lm.checkpoint:write_checkpoint",
)
