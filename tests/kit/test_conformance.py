"""The core's conformance suite passes on a family made from nothing but a spec table (inner pytest run)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dnallm_zoo._discovery import ZooPluginManager

pytest_plugins = ["pytester"]


def test_conformance_suite_passes_on_a_spec_table_family(
    pytester: pytest.Pytester, zoo_isolated: ZooPluginManager
) -> None:
    pytester.makeconftest(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})

        import spec_table_family
        from dnallm_zoo.testing import registered

        registered(spec_table_family.family, name="kitdemo")
    """))
    pytester.makepyfile(test_kitdemo_conformance="""
        from dnallm_zoo.testing import conformance_suite

        TestConformance = conformance_suite(plugin="kitdemo", models="kitdemo-*")
    """)
    # a subprocess: an in-process run would drop the torch modules it imports from sys.modules, and
    # importing them again later fails (their operators stay registered in the C++ library)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "not device", "-v")
    result.assert_outcomes(passed=8 * 3)
    result.stdout.fnmatch_lines([
        "*TestConformance*::test_strict_load?kitdemo-4mer? PASSED*",
        "*TestConformance*::test_save_round_trip?kitdemo-bpe? PASSED*",
        "*TestConformance*::test_long_input?kitdemo-4mer-promoter? PASSED*",
    ])
