"""The function reference of docs/language.md, written from the operation table itself.

    python -m backprop_cli.engine.reference --markdown

One row per function as the language writes it: its arguments (with the defaults a call may leave
out), where it is defined, its derivative as `explain` writes it, and whether it has a kink or a jump
(whose derivative there is a convention: see engine/conventions.py and its table). A test fails when
docs/language.md and this output differ, so the reference cannot drift from the code.
"""
from __future__ import annotations

import sys

from .ops import ALIASES, BY_COUNT, CONSTANTS, OPS

_PARAMETERS = {1: ("x",), 2: ("x", "y")}
# the parameters' names: PyTorch's keywords where a call may give them so (ops.Op.keywords), with x for its input
_NAMED = {"atan2": ("y", "x"), "log_base": ("x", "base"), "softplus": ("x", "beta"),
          "leaky_relu": ("x", "negative_slope"), "elu": ("x", "alpha"), "hypot": ("x", "y")}


def _call(op) -> str:
    if op.variadic:
        return f"{op.spelled}(a, b, ...)"
    names = _NAMED.get(op.name, _PARAMETERS.get(op.arity, ()))
    shown = list(names)
    for k, default in enumerate(op.defaults):
        position = op.arity - len(op.defaults) + k
        shown[position] = f"{names[position]}={default}"
    return f"{op.spelled}({', '.join(shown)})"


def _derivatives(op) -> str:
    if op.variadic:
        return f"d/da: {op.derivative_text[0].format('a', out='out')}"
    names = _NAMED.get(op.name, _PARAMETERS.get(op.arity, ()))
    parts = []
    for k, name in enumerate(names):
        text = op.derivative_text[k].format(*names, out=_call(op))
        parts.append(f"d/d{name}: {text}" if op.arity > 1 else text)
    return "; ".join(parts)


def rows() -> list[list[str]]:
    out = []
    for op in sorted((op for op in OPS.values() if op.is_function), key=lambda op: (op.spelled, op.arity)):
        aliases = [alias for alias, name in ALIASES.items() if name == op.name]
        aliases += [name for (name, _), key in BY_COUNT.items() if key == op.name and name != op.spelled]
        also = f" (also {', '.join(aliases)})" if aliases else ""
        kink = "jump" if op.name in ("step", "sign", "floor", "ceil", "round") else "kink" if op.branch else ""
        out.append([_call(op), also, op.domain, _derivatives(op), kink])
    return out


def markdown() -> str:
    lines = ["| function | defined for | derivative | at a kink or jump |", "| --- | --- | --- | --- |"]
    for call, also, domain, derivative, kink in rows():
        lines.append(f"| `{call}`{also} | {domain} | `{derivative}` | {kink} |")
    lines.append("")
    lines.append("Constants: " + ", ".join(f"`{name}`" for name in CONSTANTS) + ". `e` is an ordinary variable. "
                 "In gelu's derivative, Phi and phi are the standard normal distribution and density.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.stderr.write("usage: python -m backprop_cli.engine.reference --markdown\n")
        sys.exit(2)
    sys.stdout.write(markdown())
