"""The core's conformance checks on Plant DNABERT's tiny checkpoints.

By default: one model per tokenizer kind and one fine-tuned classifier (the other 26 classifiers
differ only in their labels, which test_plant_encoder.py covers); the whole family with
PLANT_DNABERT_FULL_CONFORMANCE=1 (about 30 times longer).
"""

from __future__ import annotations

import os

from dnallm_zoo.testing import conformance_suite

PLUGIN = "plant_dnabert"

if os.environ.get("PLANT_DNABERT_FULL_CONFORMANCE", "") not in ("", "0"):
    TestConformance = conformance_suite(plugin=PLUGIN)
else:
    TestConformanceBPE = conformance_suite(plugin=PLUGIN, models="plant-dnabert-bpe")
    TestConformance6mer = conformance_suite(plugin=PLUGIN, models="plant-dnabert-6mer")
    TestConformanceSinglebase = conformance_suite(plugin=PLUGIN, models="plant-dnabert-singlebase")
    TestConformanceClassifier = conformance_suite(plugin=PLUGIN, models="plant-dnabert-6mer-promoter")
