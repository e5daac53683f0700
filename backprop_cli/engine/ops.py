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
from fractions import Fraction
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
    # per argument: (left, right) derivatives at the kink (or a function of the arguments giving them)
    one_sided: tuple[tuple, ...] | Callable = ()
    is_function: bool = False  # called by name in the language: exp(x)
    # a nonzero result can round to 0 or to a subnormal in floats (1e-200 * 1e-200, exp(-800)): the
    # sweeps then redo the computation in wide decimals (arithmetic.OutOfRange)
    underflows: bool = False
    # trailing parameters that may be left out, as the literal filled in: leaky_relu(x) is leaky_relu(x, 0.01)
    defaults: tuple[str, ...] = ()
    # d out / d arg per argument, in the language over {0}, {1} and {out}: "-{0}/{1}^2", "step({0})";
    # for an operation of any number of arguments, a function (k, n) -> that text
    symbolic_partials: tuple[str, ...] | Callable = ()
    # any number of arguments, at least `arity` (max, min, sum, mean, logsumexp): partials and derivative_text
    # are then PerArgument sequences, made for argument k on demand
    variadic: bool = False
    # the name the language writes it with, when the key differs (log_base is log(x, base))
    spelling: str = ""
    # where the function is defined, and where its derivative is, for the function reference (docs/language.md)
    domain: str = "every real number"
    # the names of its arguments, one each, for arguments given by keyword as PyTorch names them:
    # F.leaky_relu(x, negative_slope=0.2); () when no argument may be given by keyword
    keywords: tuple[str, ...] = ()

    @property
    def spelled(self) -> str:
        return self.spelling or self.name

    def template_for(self, count: int) -> str:
        """How a node of `count` arguments is written: "{0} + {1}", "max({0}, {1}, {2})"."""
        if not self.variadic:
            return self.template
        return f"{self.name}({', '.join(f'{{{k}}}' for k in range(count))})"

    def symbolic_partial(self, k: int, count: int) -> str:
        rule = self.symbolic_partials
        return rule(k, count) if callable(rule) else rule[k]


class PerArgument:
    """The rules (or texts) of an operation of any number of arguments: item k is made for argument k when
    first asked for. Indexes like a tuple; iterating goes on for ever, so zip it with the arguments."""

    def __init__(self, make: Callable) -> None:
        self._make = make
        self._made: dict = {}

    def __getitem__(self, k: int):
        if k not in self._made:
            self._made[k] = self._make(k)
        return self._made[k]

    def __iter__(self):
        k = 0
        while True:
            yield self[k]
            k += 1


def _function(name, value, partials, derivative_text, branch=None, one_sided=(), symbolic_partials=(),
              underflows=False, defaults=(), domain="every real number", keywords=()):
    arity = len(partials)
    args = ", ".join(f"{{{i}}}" for i in range(arity))
    return Op(name, arity, value, partials, f"{name}({args})", derivative_text, branch, one_sided, True,
              symbolic_partials=symbolic_partials, underflows=underflows, defaults=defaults, domain=domain,
              keywords=keywords)


def _reduction(name, value, partial, derivative_text, symbolic, branch=None, one_sided=(), underflows=False):
    """An operation of one or more arguments: partial(k, *args, out) is d out / d args[k]."""
    return Op(name, 1, value, PerArgument(lambda k: (lambda *a: partial(k, *a))), "", PerArgument(derivative_text),
              branch, one_sided, True, underflows=underflows, symbolic_partials=symbolic, variadic=True)


def _split_at_ties(k, *args):
    """max's and min's derivative: 1 for the argument that is the result, shared equally at a tie (PyTorch)."""
    *operands, out = args
    if operands[k] != out:
        return 0
    tied = sum(1 for a in operands if a == out)
    return 1 if tied == 1 else Fraction(1, tied)


def _ties(*args) -> int:
    """The branch of max and min: 0 (on the kink) when two or more arguments share the result."""
    best = max(args)
    return 0 if sum(1 for a in args if a == best) > 1 else 1


def _ties_low(*args) -> int:
    best = min(args)
    return 0 if sum(1 for a in args if a == best) > 1 else 1


def _tie_sides(high: bool):
    """One-sided derivatives at a tie: moving a tied argument towards the winning side makes it the result."""
    def sides(*args):
        best = max(args) if high else min(args)
        return tuple(((0, 1) if high else (1, 0)) if a == best else (0, 0) for a in args)

    return sides


def _max_formula(k: int, n: int, high: bool = True) -> str:
    if n == 2:  # (1 + sign(x - y))/2: 1/2 at a tie
        sign = "+" if (k == 0) == high else "-"
        return f"(1 {sign} sign({{0}} - {{1}}))/2"
    hits = [f"(1 - abs(sign({{{j}}} - {{out}})))" for j in range(n)]
    return f"{hits[k]}/({' + '.join(hits)})"


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
        _function("log", fn.log, (lambda x, o: 1 / x,), ("1/{0}",), symbolic_partials=("1/{0}",), domain="x > 0"),
        _function("sqrt", fn.sqrt, (fn.d_sqrt,), ("1/(2*sqrt({0}))",), symbolic_partials=("1/(2*{out})",), domain="x >= 0 (derivative: x > 0)"),
        _function("sin", fn.sin, (lambda x, o: fn.cos(x),), ("cos({0})",), symbolic_partials=("cos({0})",)),
        _function("cos", fn.cos, (lambda x, o: -fn.sin(x),), ("-sin({0})",), symbolic_partials=("-sin({0})",)),
        _function("tan", fn.tan, (lambda x, o: 1 + o * o,), ("1 + tan({0})^2",), symbolic_partials=("1 + {out}^2",),
                  domain="x not an odd multiple of pi/2"),
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
        # -- any number of arguments: one node, so a tie among three splits the gradient in three (PyTorch)
        _reduction("max", lambda *a: max(a), _split_at_ties,
                   lambda k: f"1 if {{{k}}} is the largest, shared equally at a tie, else 0",
                   lambda k, n: _max_formula(k, n), branch=_ties, one_sided=_tie_sides(True)),
        _reduction("min", lambda *a: min(a), _split_at_ties,
                   lambda k: f"1 if {{{k}}} is the smallest, shared equally at a tie, else 0",
                   lambda k, n: _max_formula(k, n, high=False), branch=_ties_low, one_sided=_tie_sides(False)),
        _reduction("sum", lambda *a: fn.total(a), lambda k, *a: 1, lambda k: "1", lambda k, n: "1"),
        _reduction("mean", lambda *a: fn.total(a) / len(a) if len(a) > 1 else a[0],
                   lambda k, *a: Fraction(1, len(a) - 1), lambda k: "1/n", lambda k, n: f"1/{n}"),
        _reduction("logsumexp", fn.logsumexp, fn.d_logsumexp, lambda k: f"exp({{{k}}} - {{out}})",
                   lambda k, n: f"exp({{{k}}} - {{out}})", underflows=True),
        # -- inverse trigonometric and hyperbolic functions
        _function("asin", fn.asin, (fn.d_asin,), ("1/sqrt(1 - {0}^2)",),
                  symbolic_partials=("1/sqrt((1 - {0})*(1 + {0}))",), domain="-1 <= x <= 1 (derivative: -1 < x < 1)"),
        _function("acos", fn.acos, (lambda x, o: -fn.d_asin(x, o),), ("-1/sqrt(1 - {0}^2)",),
                  symbolic_partials=("-1/sqrt((1 - {0})*(1 + {0}))",), domain="-1 <= x <= 1 (derivative: -1 < x < 1)"),
        _function("atan", fn.atan, (fn.d_atan,), ("1/(1 + {0}^2)",), symbolic_partials=("1/(1 + {0}^2)",)),
        _function("atan2", fn.atan2, (fn.d_atan2_y, fn.d_atan2_x), ("{1}/({0}^2 + {1}^2)", "-{0}/({0}^2 + {1}^2)"),
                  symbolic_partials=("{1}/hypot({0}, {1})^2", "-{0}/hypot({0}, {1})^2"), domain="every (y, x) (derivative: not at (0, 0))"),
        _function("asinh", fn.asinh, (fn.d_asinh,), ("1/sqrt({0}^2 + 1)",), symbolic_partials=("1/hypot({0}, 1)",)),
        _function("acosh", fn.acosh, (fn.d_acosh,), ("1/sqrt({0}^2 - 1)",),
                  symbolic_partials=("1/sqrt(({0} - 1)*({0} + 1))",), domain="x >= 1 (derivative: x > 1)"),
        _function("atanh", fn.atanh, (fn.d_atanh,), ("1/(1 - {0}^2)",), symbolic_partials=("1/((1 - {0})*(1 + {0}))",), domain="-1 < x < 1"),
        # -- logarithms, exponentials, roots and distances
        Op("log_base", 2, fn.log_base, (fn.d_log_base_x, fn.d_log_base_base), "log({0}, {1})",
           ("1/({0}*log({1}))", "-log({0})/({1}*log({1})^2)"), is_function=True, spelling="log",
           domain="x > 0; base > 0, base != 1",
           symbolic_partials=("1/({0}*log({1}))", "-log({0})/({1}*log({1})^2)")),
        _function("log2", fn.log2, (fn.d_log_in(2),), ("1/({0}*log(2))",),
                  symbolic_partials=("1/({0}*log(2))",), domain="x > 0"),
        _function("log10", fn.log10, (fn.d_log_in(10),), ("1/({0}*log(10))",),
                  symbolic_partials=("1/({0}*log(10))",), domain="x > 0"),
        _function("log1p", fn.log1p, (fn.d_log1p,), ("1/(1 + {0})",), symbolic_partials=("1/(1 + {0})",), domain="x > -1"),
        _function("expm1", fn.expm1, (fn.d_expm1,), ("exp({0})",), symbolic_partials=("exp({0})",)),
        _function("cbrt", fn.cbrt, (fn.d_cbrt,), ("1/(3*cbrt({0})^2)",), symbolic_partials=("1/(3*{out}^2)",), domain="every real number (derivative: x != 0)"),
        _function("hypot", fn.hypot, (fn.d_hypot_x, fn.d_hypot_y), ("{0}/hypot({0}, {1})", "{1}/hypot({0}, {1})"),
                  symbolic_partials=("{0}/{out}", "{1}/{out}"), domain="every (x, y) (derivative: not at (0, 0))"),
        _function("erf", fn.erf, (fn.d_erf,), ("2/sqrt(pi)*exp(-{0}^2)",), symbolic_partials=("2/sqrt(pi)*exp(-{0}^2)",),
                  underflows=True),
        # -- activations, with PyTorch's definitions and defaults
        _function("softplus", fn.softplus, (fn.d_softplus_x, fn.d_softplus_beta),
                  ("sigmoid({1}*{0})", "({0}*sigmoid({1}*{0}) - softplus({0}, {1}))/{1}"),
                  symbolic_partials=("sigmoid({1}*{0})", "({0}*sigmoid({1}*{0}) - {out})/{1}"), underflows=True,
                  defaults=("1",), domain="every x; beta > 0", keywords=("input", "beta")),
        _function("leaky_relu", fn.leaky_relu, (fn.d_leaky_relu_x, fn.d_leaky_relu_slope),
                  ("1 if {0} > 0, else {1}", "0 if {0} > 0, else {0}"), branch=lambda x, s: fn.sign(x),
                  one_sided=lambda x, s: ((s, 1), (0, 0)),
                  symbolic_partials=("step({0}) + {1}*(1 - step({0}))", "{0}*(1 - step({0}))"), underflows=True,
                  defaults=("0.01",), keywords=("input", "negative_slope")),
        _function("elu", fn.elu, (fn.d_elu_x, fn.d_elu_alpha),
                  ("1 if {0} > 0, else {1}*exp({0})", "0 if {0} > 0, else expm1({0})"), branch=lambda x, a: fn.sign(x),
                  one_sided=lambda x, a: ((a, 1), (0, 0)),
                  symbolic_partials=("step({0}) + {1}*exp({0})*(1 - step({0}))", "expm1({0})*(1 - step({0}))"),
                  defaults=("1",), keywords=("input", "alpha")),
        _function("silu", fn.silu, (fn.d_silu,), ("sigmoid({0})*(1 + {0}*(1 - sigmoid({0})))",),
                  symbolic_partials=("sigmoid({0}) + {0}*sigmoid({0})*sigmoid(-{0})",), underflows=True),
        _function("gelu", fn.gelu, (fn.d_gelu,), ("Phi({0}) + {0}*phi({0})",),
                  symbolic_partials=("(1 + erf({0}/sqrt(2)))/2 + {0}*exp(-{0}^2/2)/sqrt(2*pi)",)),
        # -- rounding: derivative 0 away from the jumps; a node exactly on a jump is flagged like a kink
        _function("floor", fn.floor, (lambda x, o: 0,), ("0",), branch=fn.on_integer, one_sided=((0, 0),),
                  symbolic_partials=("0",)),
        _function("ceil", fn.ceil, (lambda x, o: 0,), ("0",), branch=fn.on_integer, one_sided=((0, 0),),
                  symbolic_partials=("0",)),
        _function("round", fn.round_half_even, (lambda x, o: 0,), ("0",), branch=fn.on_half, one_sided=((0, 0),),
                  symbolic_partials=("0",)),
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

# The two leaves of a tape, beside the operations: a value given (an input) and a literal (a constant).
INPUT = "input"
CONST = "const"

# Named constants of the language. `e` is deliberately not here: it is an ordinary variable.
CONSTANTS: dict[str, float] = {"pi": math.pi, "tau": math.tau}

# Other names for functions, as courses and libraries write them: each is read as the function it names.
ALIASES: dict[str, str] = {"ln": "log", "swish": "silu"}
# A function whose meaning depends on how many arguments it is given: log(x, base) is its own operation.
BY_COUNT: dict[tuple[str, int], str] = {("log", 2): "log_base", ("ln", 2): "log_base"}

FUNCTIONS = tuple(sorted({op.spelled for op in OPS.values() if op.is_function}))  # as the language writes them
