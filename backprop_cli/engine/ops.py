"""The operation table: the only file that knows calculus.

Each operation is one `Op` entry: its arity, how its value is computed, one
local-derivative rule per argument, how it is written, and (for the non-smooth
ones) which side of its kink the arguments are on. The evaluators in forward.py
and reverse.py only look entries up; adding a function means adding one entry
(and, when its numbers need care, a kernel in functions.py).

Rules are written once for floats, exact fractions and wide decimals: plain
arithmetic, and the kernels of functions.py (exact where a value is rational,
accurate at the edges of float range).

Non-smooth points follow PyTorch: relu'(0) = 0, abs'(0) = 0, and max/min split
the gradient evenly between tied arguments.

`symbolic_partials` are the same local derivatives written in the language
itself (over the placeholders {0}, {1} for the arguments and {out} for the
node's value), so that they parse with the tool's own parser and derivatives
can be built as formulas and differentiated again (symbolic.py, second.py).
Their values agree with `partials` everywhere, kinks included: that is why the
language has `step` (relu's derivative, step(0) = 0) and `sign` (abs's
derivative, sign(0) = 0), and why max/min use (1 +- sign(x - y))/2, which is
1/2 at a tie. step and sign jump at 0; their derivative is 0 on both sides
(PyTorch's convention), and the jump itself is flagged like a kink.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

from . import functions as fn
from .functions import HALF, DomainError, power, rule_message  # noqa: F401 (used as ops.DomainError...)


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    value: Callable  # (*args) -> value
    partials: tuple[Callable, ...]  # one per argument: (*args, out) -> d out / d arg
    template: str  # how the node is written, "{0} + {1}"
    derivative_text: tuple[str, ...]  # d out / d arg written with operand names {0}, {1}, {out}
    branch: Optional[Callable] = None  # (*args) -> -1, 0, +1; 0 means on the kink
    one_sided: tuple[tuple, ...] = ()  # per argument: (left, right) derivatives at the kink
    is_function: bool = False  # called by name in the language: exp(x)
    # a nonzero result can round to 0 or to a subnormal in floats (1e-200 * 1e-200, exp(-800)): the
    # sweeps then redo the computation in wide decimals (arithmetic.OutOfRange)
    underflows: bool = False
    # d out / d arg per argument, in the language over {0}, {1} and {out}: "-{0}/{1}^2", "step({0})"
    symbolic_partials: tuple[str, ...] = ()


def _function(name, value, partials, derivative_text, branch=None, one_sided=(), symbolic_partials=(),
              underflows=False):
    arity = len(partials)
    args = ", ".join(f"{{{i}}}" for i in range(arity))
    return Op(name, arity, value, partials, f"{name}({args})", derivative_text, branch, one_sided, True,
              symbolic_partials=symbolic_partials, underflows=underflows)


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("add", 2, lambda x, y: x + y, (lambda x, y, o: 1, lambda x, y, o: 1), "{0} + {1}", ("1", "1"),
           symbolic_partials=("1", "1")),
        Op("sub", 2, lambda x, y: x - y, (lambda x, y, o: 1, lambda x, y, o: -1), "{0} - {1}", ("1", "-1"),
           symbolic_partials=("1", "-1")),
        Op("mul", 2, lambda x, y: x * y, (lambda x, y, o: y, lambda x, y, o: x), "{0} * {1}", ("{1}", "{0}"),
           symbolic_partials=("{1}", "{0}"), underflows=True),
        Op(
            "div", 2, fn.div,
            (lambda x, y, o: 1 / y, fn.d_div_denominator),
            "{0} / {1}", ("1/{1}", "-{0}/{1}^2"),
            symbolic_partials=("1/{1}", "-{0}/{1}^2"), underflows=True,
        ),
        Op("neg", 1, lambda x: -x, (lambda x, o: -1,), "-{0}", ("-1",), symbolic_partials=("-1",)),
        Op("pos", 1, lambda x: x, (lambda x, o: 1,), "+{0}", ("1",), symbolic_partials=("1",)),
        Op("pow", 2, power, (fn.d_pow_base, fn.d_pow_exponent), "{0}^{1}", ("{1}*{0}^({1} - 1)", "{0}^{1}*log({0})"),
           symbolic_partials=("{1}*{0}^({1} - 1)", "{out}*log({0})"), underflows=True),
        Op("copy", 1, lambda x: x, (lambda x, o: 1,), "{0}", ("1",), symbolic_partials=("1",)),
        _function("exp", fn.exp, (lambda x, o: o,), ("exp({0})",), symbolic_partials=("{out}",), underflows=True),
        _function("log", fn.log, (lambda x, o: 1 / x,), ("1/{0}",), symbolic_partials=("1/{0}",)),
        _function("sqrt", fn.sqrt, (fn.d_sqrt,), ("1/(2*sqrt({0}))",), symbolic_partials=("1/(2*{out})",)),
        _function("sin", fn.sin, (lambda x, o: fn.cos(x),), ("cos({0})",), symbolic_partials=("cos({0})",)),
        _function("cos", fn.cos, (lambda x, o: -fn.sin(x),), ("-sin({0})",), symbolic_partials=("-sin({0})",)),
        _function("tan", fn.tan, (lambda x, o: 1 + o * o,), ("1 + tan({0})^2",), symbolic_partials=("1 + {out}^2",)),
        _function("sinh", fn.sinh, (lambda x, o: fn.cosh(x),), ("cosh({0})",), symbolic_partials=("cosh({0})",)),
        _function("cosh", fn.cosh, (lambda x, o: fn.sinh(x),), ("sinh({0})",), symbolic_partials=("sinh({0})",)),
        # the formulas avoid 1 - tanh^2 and 1 - sigmoid, which cancel to 0 where tanh and sigmoid round
        # to 1 (x = 20, x = 40): the formula must give the gradient it stands for
        _function("tanh", fn.tanh, (fn.d_tanh,), ("1 - tanh({0})^2",), symbolic_partials=("1/cosh({0})^2",)),
        _function("sigmoid", fn.sigmoid, (fn.d_sigmoid,), ("sigmoid({0})*(1 - sigmoid({0}))",),
                  symbolic_partials=("{out}*sigmoid(-{0})",), underflows=True),
        _function(
            "relu", lambda x: x if x > 0 else 0, (lambda x, o: 1 if x > 0 else 0,),
            ("1 if {0} > 0, else 0",), branch=fn.sign, one_sided=((0, 1),), symbolic_partials=("step({0})",),
        ),
        _function(
            "abs", abs, (lambda x, o: fn.sign(x),),
            ("sign({0})",), branch=fn.sign, one_sided=((-1, 1),), symbolic_partials=("sign({0})",),
        ),
        _function(
            "max", lambda x, y: x if x >= y else y,
            (lambda x, y, o: 1 if x > y else 0 if x < y else HALF, lambda x, y, o: 1 if y > x else 0 if y < x else HALF),
            ("1 if {0} > {1}, 0 if {0} < {1}, 1/2 if equal", "1 if {1} > {0}, 0 if {1} < {0}, 1/2 if equal"),
            branch=fn.compare, one_sided=((0, 1), (0, 1)),
            symbolic_partials=("(1 + sign({0} - {1}))/2", "(1 - sign({0} - {1}))/2"),
        ),
        _function(
            "min", lambda x, y: x if x <= y else y,
            (lambda x, y, o: 1 if x < y else 0 if x > y else HALF, lambda x, y, o: 1 if y < x else 0 if y > x else HALF),
            ("1 if {0} < {1}, 0 if {0} > {1}, 1/2 if equal", "1 if {1} < {0}, 0 if {1} > {0}, 1/2 if equal"),
            branch=fn.compare, one_sided=((1, 0), (1, 0)),
            symbolic_partials=("(1 - sign({0} - {1}))/2", "(1 + sign({0} - {1}))/2"),
        ),
        # relu's and abs's derivatives, so that derivative formulas can be written in the language
        _function(
            "step", lambda x: 1 if x > 0 else 0, (lambda x, o: 0,),
            ("0",), branch=fn.sign, one_sided=((0, 0),), symbolic_partials=("0",),
        ),
        _function(
            "sign", fn.sign, (lambda x, o: 0,),
            ("0",), branch=fn.sign, one_sided=((0, 0),), symbolic_partials=("0",),
        ),
    )
}

# Named constants of the language. `e` is deliberately not here: it is an ordinary variable.
CONSTANTS: dict[str, float] = {"pi": math.pi}

FUNCTIONS = tuple(sorted(name for name, op in OPS.items() if op.is_function))
