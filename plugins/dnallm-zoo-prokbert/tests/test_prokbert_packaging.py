"""The built wheel, installed into a fresh virtual environment that has only the core, lists the models."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

PLUGIN = Path(__file__).resolve().parents[1]
ROOT = PLUGIN.parents[1]
IDS = ["prokbert-mini", "prokbert-mini-c", "prokbert-mini-long"]


def _copy_source(src: Path, dst: Path, package: str) -> Path:
    """pyproject.toml, README.md and the package, without caches or build leftovers.

    Building from a copy leaves the shared checkout untouched (setuptools writes build/ and
    egg-info next to the sources).
    """
    dst.mkdir(parents=True)
    shutil.copy(src / "pyproject.toml", dst)
    readme = src / "README.md"
    if readme.is_file():
        shutil.copy(readme, dst)
    else:  # the core's README may not exist yet; the build only needs the file
        (dst / "README.md").write_text(f"# {package}\n")
    shutil.copytree(src / package, dst / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dst


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "HF_HUB_OFFLINE": "1"})
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, **kwargs)
    assert run.returncode == 0, f"{cmd}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


def _dependencies_dir(tmp: Path) -> Path:
    """The third-party packages of this environment, without any dnallm-zoo distribution.

    Links to the entries of this venv's site-packages, leaving out the core, every plugin and the
    editable-install hooks: torch and friends are importable (no download), the zoo is not.
    """
    site = Path(sysconfig.get_paths()["purelib"])
    deps = tmp / "deps"
    deps.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("dnallm_zoo", "dnallm-zoo", "__editable__", "_dnallm")) or name.endswith(".pth"):
            continue
        (deps / entry.name).symlink_to(entry)
    return deps


def test_wheel_installs_into_core_only_env_and_lists_models(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    for src, package in ((PLUGIN, "dnallm_zoo_prokbert"), (ROOT, "dnallm_zoo")):
        copy = _copy_source(src, tmp_path / "src" / package, package)
        _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels), str(copy)])
    (wheel,) = wheels.glob("dnallm_zoo_prokbert-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (ep,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points = zf.read(ep).decode()
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = zf.read(meta).decode()
    assert "[dnallm_zoo]\nprokbert = dnallm_zoo_prokbert" in entry_points
    assert "Requires-Dist: dnallm-zoo" in metadata
    assert "dnallm_zoo_prokbert/py.typed" in names and "dnallm_zoo_prokbert/encoder.py" in names
    assert not any(n.startswith("tests/") or "/tests/" in n for n in names)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    (Path(purelib.stdout.strip()) / "zoo_test_deps.pth").write_text(str(_dependencies_dir(tmp_path)) + "\n")
    # the plugin's own requirement (dnallm-zoo) comes from the core's wheel; everything else is found
    # installed already, so nothing is downloaded
    _run([*pip, "--python", str(python), "install", "--no-index", "--find-links", str(wheels),
          "dnallm-zoo-prokbert"])

    code = (
        "import importlib.metadata as md, json, sys\n"
        "import dnallm_zoo, dnallm_zoo_prokbert\n"
        "print(json.dumps({'ids': [s.id for s in dnallm_zoo.list_models()],\n"
        "  'plugins': sorted({s.plugin for s in dnallm_zoo.list_models()}),\n"
        "  'files': [dnallm_zoo.__file__, dnallm_zoo_prokbert.__file__],\n"
        "  'dists': sorted(d.metadata['Name'] for d in md.distributions()\n"
        "                  if d.metadata['Name'].lower().startswith('dnallm')),\n"
        "  'heavy': [m for m in ('torch', 'transformers') if m in sys.modules]}))\n"
    )
    out = json.loads(_run([str(python), "-c", code], cwd=tmp_path).stdout)
    assert out["ids"] == IDS and out["plugins"] == ["prokbert"]  # the core alone, plus this plugin
    assert out["dists"] == ["dnallm-zoo", "dnallm-zoo-prokbert"]
    assert all(f.startswith(str(venv)) for f in out["files"]), out["files"]  # installed, not the checkout
    assert out["heavy"] == []
    if (venv / "bin" / "dnallm-zoo").exists() and (ROOT / "dnallm_zoo" / "cli.py").is_file():
        listing = _run([str(venv / "bin" / "dnallm-zoo"), "list"], cwd=tmp_path).stdout
        assert all(i in listing for i in IDS), listing


def test_sources_hold_what_the_wheel_needs() -> None:
    """pyproject names the entry point and the readme it packages; the package is typed."""
    text = (PLUGIN / "pyproject.toml").read_text()
    assert '[project.entry-points.dnallm_zoo]\nprokbert = "dnallm_zoo_prokbert:family"' in text
    assert 'dependencies = ["dnallm-zoo"]' in text
    assert (PLUGIN / "README.md").is_file() and (PLUGIN / "dnallm_zoo_prokbert" / "py.typed").is_file()
