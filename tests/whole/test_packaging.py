"""The package as users get it: a wheel holding the grammar, installed into a fresh venv, run elsewhere."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from conftest import strict_json

ROOT = Path(__file__).resolve().parents[2]
GRAMMAR = ROOT / "grammar" / "backprop.lark"

pytestmark = pytest.mark.slow


def _clean_env() -> dict:
    """The environment without anything that would let a subprocess find the source checkout."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR", "COLUMNS")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    try:
        import build  # noqa: F401

        command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)]
    except ImportError:  # the test extras bring `build`; pip can build the wheel as well
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(ROOT)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=out, env=_clean_env())
    assert proc.returncode == 0, f"building the wheel failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    (path,) = out.glob("backprop_cli-*.whl")
    return path


def test_the_wheel_holds_the_grammar(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "backprop_cli/grammar/backprop.lark" in names
        assert "backprop_cli/py.typed" in names  # the public API's type hints are for type checkers (PEP 561)
        assert archive.read("backprop_cli/grammar/backprop.lark") == GRAMMAR.read_bytes()
        for module in ("__init__.py", "__main__.py", "cli.py", "language/parser.py", "engine/ops.py", "engine/tape.py", "engine/forward.py",
                       "engine/reverse.py", "commands/eval.py", "render/tables.py", "render/json_report.py"):
            assert f"backprop_cli/{module}" in names, module
        assert not [n for n in names if n.startswith("tests/")]
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert "backprop = backprop_cli.cli:run" in archive.read(entry_points).decode()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(archive.read(metadata).decode())
    runtime = sorted(
        requirement.split(";")[0].split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip().lower()
        for requirement in message.get_all("Requires-Dist") or []
        if "extra ==" not in requirement
    )
    assert runtime == ["click", "lark", "rich"]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (its dependencies come from the package index)."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, env=_clean_env())
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    proc = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True,
                          timeout=600, env=_clean_env())
    assert proc.returncode == 0, f"pip install of the wheel failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return venv


def test_the_installed_wheel_runs_from_another_directory(installed, tmp_path):
    bin_dir = installed / ("Scripts" if os.name == "nt" else "bin")
    elsewhere = tmp_path / "somewhere else"
    elsewhere.mkdir()
    proc = subprocess.run(
        [str(bin_dir / "backprop"), "eval", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--json"],
        capture_output=True, text=True, cwd=elsewhere, env=_clean_env(), timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    doc = strict_json(proc.stdout)
    assert doc["value"] == 4
    assert doc["gradient"] == pytest.approx({"a": 2 / 3, "b": 2 / 3, "c": -2, "d": 4 / 3}, abs=1e-12)

    # and it is the installed copy that ran, with the grammar from inside the package
    where = subprocess.run(
        [str(bin_dir / "python"), "-c",
         "import backprop_cli, backprop_cli.language.grammar as g; print(backprop_cli.__file__); print(g.grammar_path())"],
        capture_output=True, text=True, cwd=elsewhere, env=_clean_env(), timeout=60, check=True,
    ).stdout.splitlines()
    package_file, grammar = (Path(line).resolve() for line in where)
    assert installed.resolve() in package_file.parents
    assert grammar == package_file.parent / "grammar" / "backprop.lark"
    assert grammar.read_bytes() == GRAMMAR.read_bytes()


def test_the_installed_module_entry_point(installed, tmp_path):
    python = installed / ("Scripts" if os.name == "nt" else "bin") / "python"
    proc = subprocess.run([str(python), "-m", "backprop_cli", "eval", "(a+b"], capture_output=True, text=True,
                          cwd=tmp_path, env=_clean_env(), timeout=60)
    assert proc.returncode == 3
    assert proc.stderr.startswith("backprop: syntax error: expected ')'")
