"""Shared helpers for the test suite: the library in one call, the CLI in one call, and oracles.

The oracles are independent of the code under test: central finite differences
are computed here, and SymPy expressions are built from our tape node by node
(never by handing user text to sympify).
"""
from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import dataclass
from fractions import Fraction
from types import SimpleNamespace

import pytest
from sympy_ops import sympy_ops

from backprop_cli.cli import main
from backprop_cli.engine.compute import differentiate
from backprop_cli.language.parser import parse
from backprop_cli.engine.tape import CONST, INPUT, lower

# Environment variables that change how Rich and click render: none of them may leak in from the
# developer's terminal, or the output tests would depend on where they are run.
_RENDER_ENV = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM", "CLICOLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE",
               "TTY_INTERACTIVE")


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch, tmp_path_factory):
    for name in _RENDER_ENV:
        monkeypatch.delenv(name, raising=False)
    # the parser caches its tables under XDG_CACHE_HOME; keep that out of the real home directory
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def tape_of(source: str):
    return lower(parse(source))


def compute(source: str, **inputs):
    """Parse, lower and differentiate `source` at the given input values (floats)."""
    return differentiate(tape_of(source), {name: float(v) for name, v in inputs.items()})


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return strict_json(self.out)


def section(out: str, title: str) -> list[str]:
    """The indented lines under a text-format heading that starts with `title`."""
    lines = out.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(title))
    body = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        body.append(line[2:])
    return body


def strict_json(text: str):
    """json.loads that refuses NaN, Infinity and -Infinity (which Python's json accepts by default)."""

    def refuse(constant):
        raise AssertionError(f"the JSON contains {constant}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def cli(capsys):
    """Run `backprop ARGS...` through cli.main in-process; returns Run(code, out, err)."""

    def run(*argv: str) -> Run:
        capsys.readouterr()  # drop anything printed before
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def assert_one_paragraph_error(err: str, kind: str | None = None) -> None:
    """stderr of a failure: one paragraph, starting with 'backprop: ', no traceback."""
    assert err.startswith("backprop: "), err
    if kind is not None:
        assert err.startswith(f"backprop: {kind}"), err
    assert "Traceback" not in err, err
    body = err.rstrip("\n")
    assert body, err
    assert "\n\n" not in body, f"more than one paragraph:\n{err}"
    assert err.endswith("\n"), repr(err)


def central_difference(f, x: float, h: float | None = None) -> float:
    """Richardson-extrapolated central difference of f at x (error O(h^4))."""
    if h is None:
        h = 1e-3 * max(1.0, abs(x))

    def d(step):
        return (f(x + step) - f(x - step)) / (2 * step)

    return (4 * d(h / 2) - d(h)) / 3


def one_sided_differences(f, x: float, h: float = 2.0 ** -20) -> tuple[float, float]:
    """(left, right) difference quotients of f at x (a power-of-two step, so x +- h is exact)."""
    return (f(x) - f(x - h)) / h, (f(x + h) - f(x)) / h


# ---------------------------------------------------------------------------------------------
# SymPy oracle: an expression per tape node, built from the node's op, never from program text.

def sympy_constant(text: str):
    import sympy as sp

    if text == "pi":
        return sp.pi
    return sp.Rational(Fraction(text))


def tape_to_sympy(tape, cut: int | None = None):
    """SymPy expressions for every node of `tape`, and the input symbols.

    With `cut`, node `cut` is replaced by a fresh symbol, so differentiating the
    output by that symbol gives d output / d node (the reverse-mode adjoint).
    """
    import sympy as sp

    ops = sympy_ops()
    symbols = {name: sp.Symbol(name, real=True) for name in tape.inputs}
    exprs = []
    cut_symbol = None
    for i, node in enumerate(tape.nodes):
        if i == cut:
            cut_symbol = sp.Symbol(f"__node_{node.id}", real=True)
            exprs.append(cut_symbol)
        elif node.op == INPUT:
            exprs.append(symbols[node.name])
        elif node.op == CONST:
            exprs.append(sympy_constant(node.text))
        else:
            exprs.append(ops[node.op](*(exprs[a] for a in node.args)))
    return SimpleNamespace(exprs=exprs, symbols=symbols, cut=cut_symbol)


def sympy_gradient(tape, inputs: dict, names=None) -> dict:
    """d output / d name for each input and named node computed from an input, by SymPy, as floats (a named
    node computed from constants alone is a constant: the tool gives it no gradient)."""
    import sympy as sp

    whole = tape_to_sympy(tape)
    subs = {whole.symbols[k]: sp.Float(v, 30) for k, v in inputs.items()}
    out = {}
    computed_from_input = []
    for node in tape.nodes:  # structurally, as the tape has it (a - a is still computed from a)
        computed_from_input.append(node.op == INPUT or any(computed_from_input[a] for a in node.args))
    for i, node in enumerate(tape.nodes):
        if node.name is None or (names is not None and node.name not in names):
            continue
        if not computed_from_input[i] and i != tape.output:
            continue
        if node.op == INPUT:
            expr = sp.diff(whole.exprs[tape.output], whole.symbols[node.name])
            out[node.name] = float(expr.evalf(30, subs=subs))
        else:
            cut = tape_to_sympy(tape, cut=i)
            point = {cut.symbols[k]: sp.Float(v, 30) for k, v in inputs.items()}
            point[cut.cut] = whole.exprs[i].evalf(30, subs=subs)
            expr = sp.diff(cut.exprs[tape.output], cut.cut)
            out[node.name] = float(expr.evalf(30, subs=point))
    return out


def sympy_value(tape, inputs: dict) -> float:
    import sympy as sp

    whole = tape_to_sympy(tape)
    subs = {whole.symbols[k]: sp.Float(v, 30) for k, v in inputs.items()}
    return float(whole.exprs[tape.output].evalf(30, subs=subs))


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)


# ANSI SGR sequences, and the parameters among them that set a colour.
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colour_codes(text: str) -> list[str]:
    """The colour-setting SGR parameters in text (bold, dim and reset are not colours)."""
    found = []
    for match in SGR.finditer(text):
        params = [p for p in match.group(1).split(";") if p]
        k = 0
        while k < len(params):
            p = int(params[k])
            if p in (38, 48):  # extended colour: 38;5;n or 38;2;r;g;b
                found.append(";".join(params[k:k + (3 if params[k + 1:k + 2] == ["5"] else 5)]))
                k += 3 if params[k + 1:k + 2] == ["5"] else 5
                continue
            if 30 <= p <= 37 or 40 <= p <= 47 or 90 <= p <= 97 or 100 <= p <= 107:
                found.append(str(p))
            k += 1
    return found


def console_script() -> str | None:
    """The installed `backprop` script next to this interpreter, if there is one."""
    folder = os.path.dirname(sys.executable)
    for name in ("backprop", "backprop.exe"):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


@pytest.fixture
def helpers():
    """The module-level helpers, for test files (conftest is not meant to be imported)."""
    return SimpleNamespace(
        compute=compute, tape_of=tape_of, strict_json=strict_json, central_difference=central_difference,
        one_sided_differences=one_sided_differences, sympy_gradient=sympy_gradient, sympy_value=sympy_value,
        close=close, colour_codes=colour_codes, assert_one_paragraph_error=assert_one_paragraph_error,
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: builds and installs the package (a few seconds); runs by default")
