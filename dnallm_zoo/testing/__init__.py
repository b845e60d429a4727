"""The conformance kit: the checks every family's models pass, tiny checkpoints, a toy family, pytest glue.

A plugin's tests need one line (the pytest plugin ``dnallm_zoo`` is registered automatically)::

    from dnallm_zoo.testing import conformance_suite

    TestConformance = conformance_suite(plugin="dnabert")

`run_checks(model)` runs the same checks outside pytest (``dnallm-zoo check MODEL``). Importing
this package is cheap (no torch); the names below are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from .checkpoints import make_test_checkpoint, planted_defects, write_weights_copy
    from .checks import (
        CHECKS,
        CheckResult,
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
        run_checks,
    )
    from .helpers import load_test_module, one_torch_thread
    from .pytest_plugin import conformance_suite
    from .registration import registered
    from .toy import ToyEncoder, ToyPlugin, write_toy_checkpoint

_LAZY = {
    "CHECKS": ".checks",
    "CheckResult": ".checks",
    "CheckSkipped": ".checks",
    "ModelUnderTest": ".checks",
    "ToyEncoder": ".toy",
    "ToyPlugin": ".toy",
    "check_attentions": ".checks",
    "check_batch_invariance": ".checks",
    "check_determinism": ".checks",
    "check_device": ".checks",
    "check_long_input": ".checks",
    "check_save_round_trip": ".checks",
    "check_shapes": ".checks",
    "check_strict_load": ".checks",
    "check_tokenizer": ".checks",
    "conformance_suite": ".pytest_plugin",
    "load_test_module": ".helpers",
    "one_torch_thread": ".helpers",
    "make_test_checkpoint": ".checkpoints",
    "planted_defects": ".checkpoints",
    "registered": ".registration",
    "run_checks": ".checks",
    "write_toy_checkpoint": ".toy",
    "write_weights_copy": ".checkpoints",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = [
    "CHECKS",
    "CheckResult",
    "CheckSkipped",
    "ModelUnderTest",
    "ToyEncoder",
    "ToyPlugin",
    "check_attentions",
    "check_batch_invariance",
    "check_determinism",
    "check_device",
    "check_long_input",
    "check_save_round_trip",
    "check_shapes",
    "check_strict_load",
    "check_tokenizer",
    "conformance_suite",
    "load_test_module",
    "make_test_checkpoint",
    "one_torch_thread",
    "planted_defects",
    "registered",
    "run_checks",
    "write_toy_checkpoint",
    "write_weights_copy",
]
