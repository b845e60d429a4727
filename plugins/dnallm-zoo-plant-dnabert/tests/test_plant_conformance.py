"""The core's conformance checks on Plant DNABERT's tiny checkpoints.

By default three models: the BPE and single-base models and the 6-mer promoter classifier, which
between them cover each tokenizer kind, the masked-LM and the classifier head (the other
classifiers differ only in their labels, which test_plant_encoder.py covers). The whole family
with PLANT_DNABERT_FULL_CONFORMANCE=1 (ten times longer).
"""

from __future__ import annotations

import os

from dnallm_zoo.testing import conformance_suite

PLUGIN = "plant_dnabert"

if os.environ.get("PLANT_DNABERT_FULL_CONFORMANCE", "") not in ("", "0"):
    TestConformance = conformance_suite(plugin=PLUGIN)
else:
    TestConformanceBPE = conformance_suite(plugin=PLUGIN, models="plant-dnabert-bpe")
    TestConformanceSinglebase = conformance_suite(plugin=PLUGIN, models="plant-dnabert-singlebase")
    TestConformance6merClassifier = conformance_suite(plugin=PLUGIN,
                                                     models="plant-dnabert-6mer-promoter")
