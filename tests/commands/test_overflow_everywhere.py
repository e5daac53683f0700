"""Issue 11: every command fed the same overflowing point exits 4 and says a number is too large.

sqrt(x)*y at x = 1e-300, y = 1e200: every value is an ordinary float, but d/dx = y/(2*sqrt(x)) = 5e349 is
not. Whatever the command, it exits 4 (a math error) and says a number is too large for a 64-bit float:
eval, explain and check show the rest with that entry as "too large" and the reason under it (issue 13:
undefined is local), the others stop with the message. Never an internal error (exit 70), never `inf` or
`nan` in a table or a JSON document.
"""
from __future__ import annotations

import pytest

PROGRAM = "sqrt(x)*y"
POINT = ["-x", "1e-300", "-y", "1e200"]

COMMANDS = {
    "eval tables": ["eval", PROGRAM, *POINT],
    "eval --json": ["eval", PROGRAM, *POINT, "--json"],
    "eval --check": ["eval", PROGRAM, *POINT, "--check"],
    "eval --symbolic --json": ["eval", PROGRAM, *POINT, "--symbolic", "--json"],
    "eval --direction": ["eval", PROGRAM, *POINT, "--direction", "x=1"],
    "eval --direction (its own overflow)": ["eval", "x*y", "-x", "2", "-y", "3", "--direction", "x=1e308,y=1e308"],
    "eval --graph tree": ["eval", PROGRAM, *POINT, "--graph", "tree"],
    "eval --graph dot": ["eval", PROGRAM, *POINT, "--graph", "dot"],
    # (explain computes exactly by default, where 5e349 is a number: its floats are --float)
    "explain --float": ["explain", PROGRAM, *POINT, "--float"],
    "explain --float --format latex": ["explain", PROGRAM, *POINT, "--float", "--format", "latex"],
    "check": ["check", PROGRAM, *POINT, "--expect", "x=1"],
    "check --json": ["check", PROGRAM, *POINT, "--expect", "x=1", "--json"],
    "hessian": ["hessian", PROGRAM, *POINT],
    "hessian --json": ["hessian", PROGRAM, *POINT, "--json"],
    "step": ["step", PROGRAM, *POINT, "--lr", "0.1"],
    "step --json": ["step", PROGRAM, *POINT, "--lr", "0.1", "--json"],
    "optimize": ["optimize", PROGRAM, *POINT, "--steps", "3"],
    "optimize --json": ["optimize", PROGRAM, *POINT, "--steps", "3", "--json"],
}


@pytest.mark.parametrize("argv", list(COMMANDS.values()), ids=list(COMMANDS))
def test_every_command_exits_4_and_says_what_is_too_large(cli, argv):
    run = cli(*argv)
    assert run.code == 4, (run.code, run.out, run.err)
    assert "too large for a 64-bit float" in run.err + " ".join(run.out.split()), (run.out, run.err)
    assert "internal error" not in run.err
    for bad in ("inf", "nan", "Infinity", "NaN"):
        assert bad not in run.out.replace("information", ""), run.out


@pytest.mark.parametrize("numpy", [True, False], ids=["with NumPy", "without NumPy"])
def test_batch_reports_the_row(cli, monkeypatch, numpy, tmp_path):
    if numpy:
        pytest.importorskip("numpy")
    else:
        import builtins

        real = builtins.__import__

        def no_numpy(name, *args, **kwargs):
            if name == "numpy" or name.startswith("numpy."):
                raise ImportError("no numpy here")
            return real(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_numpy)
    points = tmp_path / "points.csv"
    points.write_text("x,y\n1e-300,1e200\n4,9\n")
    run = cli("eval", PROGRAM, "--batch", str(points))
    assert run.code == 4, (run.out, run.err)
    assert "line 2" in run.err and "too large" in run.err
    rows = run.out.splitlines()
    assert rows[0] == "value,grad_x,grad_y" and rows[2] == "18,2.25,2" and "inf" not in run.out


def test_exact_mode_has_the_exact_answer(cli):
    """Under --exact the gradient 5e349 is an exact integer: shown exactly, never as a float that overflows."""
    from conftest import strict_json

    run = cli("eval", PROGRAM, *POINT, "--exact", "--json")
    assert run.code == 0
    doc = strict_json(run.out)
    assert doc["gradient"]["x"] is None and doc["exact"]["gradient"]["x"] == "5" + "0" * 349
