"""A fresh virtual environment holding only the core (built from this checkout), for install tests.

The core's wheel is built from a copy of the sources (setuptools writes build/ and egg-info next to them, so
the shared checkout stays untouched). Third-party packages (torch, transformers, pytest, ...) are not
downloaded: a .pth file points at links to this environment's own site-packages, leaving out every
dnallm-zoo distribution and editable-install hook. Nothing is fetched from an index (``--no-index``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache")


def run(cmd: list[str], *, cwd: Path | None = None, timeout: int = 300, check: bool = True
        ) -> subprocess.CompletedProcess[str]:
    """Run without this interpreter's environment leaking in (PYTHONPATH, VIRTUAL_ENV, DNALLM_ZOO_*).

    Give `cwd` outside the checkout: ``python -c`` puts the working directory first on sys.path.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith("DNALLM_ZOO_")}
    env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "HF_HUB_OFFLINE": "1"})
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    if check:
        tail = f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{tail}"
    return proc


def copy_project(src: Path, dst: Path) -> Path:
    """A copy of a project directory without caches or build leftovers."""
    shutil.copytree(src, dst, ignore=_IGNORE)
    return dst


def _dependencies_dir(tmp: Path) -> Path:
    """Links to this environment's site-packages entries, without any dnallm-zoo distribution."""
    site = Path(sysconfig.get_paths()["purelib"])
    deps = tmp / "deps"
    deps.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("dnallm_zoo", "dnallm-zoo", "__editable__", "_dnallm")) or name.endswith(".pth"):
            continue
        (deps / entry.name).symlink_to(entry)
    return deps


@dataclass(frozen=True)
class CoreOnlyEnv:
    """A venv with the core's wheel installed and nothing else of the zoo."""

    root: Path
    wheels: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def script(self, name: str) -> Path:
        return self.root / "bin" / name

    def pip_install(self, *targets: str | Path) -> subprocess.CompletedProcess[str]:
        """pip install projects or requirements, offline, finding dnallm-zoo among the built wheels."""
        return run([sys.executable, "-m", "pip", "--python", str(self.python), "install", "--no-index",
                    "--no-build-isolation", "--find-links", str(self.wheels), *map(str, targets)],
                   cwd=self.root.parent)

    def zoo_distributions(self) -> list[str]:
        """The dnallm-zoo distributions (and their locations) this environment sees."""
        code = ("import importlib.metadata as md\n"
                "for d in md.distributions():\n"
                "    if d.metadata['Name'].lower().startswith('dnallm'):\n"
                "        print(d.metadata['Name'], d.locate_file(''))")
        return run([str(self.python), "-c", code], cwd=self.root.parent).stdout.split("\n")


def make_core_only_env(tmp: Path) -> CoreOnlyEnv:
    """Build the core's wheel and install it alone into a new venv under `tmp`."""
    wheels = tmp / "wheels"
    src = copy_project_core(tmp / "src" / "dnallm-zoo")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(wheels), str(src)])
    root = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(root)])
    env = CoreOnlyEnv(root, wheels)
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = run([str(env.python), "-c", where], cwd=tmp)
    (Path(purelib.stdout.strip()) / "zoo_test_deps.pth").write_text(str(_dependencies_dir(tmp)) + "\n")
    env.pip_install("dnallm-zoo")
    return env


def copy_project_core(dst: Path) -> Path:
    """pyproject.toml, README.md, LICENSE and the package of the core: what its wheel is built from."""
    dst.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, dst)
    shutil.copytree(ROOT / "dnallm_zoo", dst / "dnallm_zoo", ignore=_IGNORE)
    return dst
