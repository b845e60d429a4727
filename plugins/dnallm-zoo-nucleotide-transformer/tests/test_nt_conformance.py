"""The core's conformance checks on NT's tiny checkpoints: one v1, one v2, AgroNT (the others differ
only in shape, which the checkpoint's config.json decides). All nine with NT_FULL_CONFORMANCE=1."""

from __future__ import annotations

import os

from dnallm_zoo.testing import conformance_suite

PLUGIN = "nucleotide_transformer"

if os.environ.get("NT_FULL_CONFORMANCE", "") not in ("", "0"):
    TestConformance = conformance_suite(plugin=PLUGIN)
else:
    TestConformanceV1 = conformance_suite(plugin=PLUGIN, models="nt-v1-500m-human-ref")
    TestConformanceV2 = conformance_suite(plugin=PLUGIN, models="nt-v2-50m-multi-species")
    TestConformanceAgroNT = conformance_suite(plugin=PLUGIN, models="agront-1b")
