"""dnallm-zoo plugin for Plant DNABERT (zhangtaolab, Molecular Plant 2025): 3 base models, 27 classifiers.

Cheap to import: the spec table and the family object only; torch and transformers load with a model.
"""

from __future__ import annotations

from dnallm_zoo import kit

from .specs import ENCODER, FAMILY, all_specs

__all__ = ["family"]

#: the plugin (entry point ``plant_dnabert = "dnallm_zoo_plant_dnabert:family"``): the 30 models, tiny
#: checkpoints in each hub layout, and directories claimed by their tokenizer files
family = kit.Family(
    FAMILY, all_specs(), encoder=ENCODER,
    checkpoint="dnallm_zoo_plant_dnabert.checkpoint:write_test_checkpoint",
    match="dnallm_zoo_plant_dnabert.layout:match",
)
