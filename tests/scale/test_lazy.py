"""The Ray engine costs nothing until used: `import dnallm_zoo`, `dnallm_zoo.scale` and `dnallm-zoo list`
(and `embed --help`) import no ray."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from click.testing import CliRunner
import dnallm_zoo, dnallm_zoo.scale
from dnallm_zoo.cli import cli
assert CliRunner().invoke(cli, ["list"]).exit_code == 0
assert CliRunner().invoke(cli, ["embed", "--help"]).exit_code == 0
dnallm_zoo.scale.Engine  # the driver's names are cheap too
print(sorted(m for m in ("ray", "ray.data", "torch") if m in sys.modules))
"""


def test_listing_and_the_scale_package_import_no_ray() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True,
                         env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]", out.stderr
