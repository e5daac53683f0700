"""Random well-formed backprop programs, for the property, oracle and fuzz suites.

A program is generated as a syntax tree (backprop_cli.language.syntax_tree) and written out by
backprop_cli.language.printer, so the suites exercise the parser on exactly the text a
person could type. Every operation and function of the operation table is drawn
(the suites check that they all were), inputs are shared between uses, and
named intermediates are assigned, used again, and sometimes left unused.

The choices come from a `Source`: a seeded random.Random (the SymPy oracle runs a
fixed, reproducible stream of programs) or Hypothesis's `draw` (the property
tests, which shrink a failure to a small program).

With safe=True the operands of log, sqrt, / and ^ are steered into their domains
(log(exp(u)), sqrt(u*u + 1), ...), so most programs evaluate; with safe=False
anything goes and math errors (exit 4) are expected too. With arithmetic=p, an
operation is an operator (+ - * / ^, signs) with probability p, and some products
and quotients get a number as coefficient or divisor (2*x, x/2): formulas as a
course writes them, which tests/as_typed.py then writes as people type them.
"""
from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from backprop_cli.language.syntax_tree import Apply, Assign, Name, Number, Program, Span
from backprop_cli.engine.ops import OPS
from backprop_cli.language.printer import print_program

NOWHERE = Span(0, 0)
# The operators are the grammar's; the functions are whatever the operation table has, so a new
# function is generated (and must get a SymPy counterpart in test_sympy_oracle.py) without edits here.
OPERATORS = ("add", "sub", "mul", "div", "pow", "neg", "pos")
FUNCTIONS = {name: op.arity for name, op in sorted(OPS.items()) if op.is_function}
UNARY_FUNCTIONS = tuple(name for name, arity in FUNCTIONS.items() if arity == 1)
BINARY_FUNCTIONS = tuple(name for name, arity in FUNCTIONS.items() if arity == 2)
EVERY_OP = OPERATORS + tuple(FUNCTIONS)
# every operation a program can write (`copy` is made by the tape for `y = x`, never written)
assert set(EVERY_OP) == {name for name in OPS if name != "copy"}, "an operator the grammar lacks?"
# functions whose value at a rational point is rational, so --exact stays exact through them
RATIONAL_OPS = OPERATORS + tuple(f for f in ("relu", "abs", "max", "min", "step", "sign") if f in FUNCTIONS)
NUMBERS = ("0", "1", "2", "3", "7", "10", "0.5", ".25", "1.5", "2.", "1e-3", "2.5e1", "3E-1", "0.125", "12")
# what formulas from a course are mostly made of (generate's arithmetic=p): products twice as often, and roots
ARITHMETIC = OPERATORS + ("mul", "sqrt")
NONZERO = tuple(n for n in NUMBERS if float(n) != 0)
RESERVED = frozenset(OPS) | {"pi"}
COMMENTED = "commented"
COMMENTS = ("# the output", "#", "# ∂f/∂x = ?", "# [bold]x[/bold] (((", "# a = b; c", "#日本語 ✓", "# tab\there")


class Source:
    """Where the choices come from."""

    def integer(self, low: int, high: int) -> int:  # inclusive
        raise NotImplementedError

    def real(self, low: float, high: float) -> float:
        raise NotImplementedError

    def choice(self, options):
        return options[self.integer(0, len(options) - 1)]

    def chance(self, p: float) -> bool:
        return self.real(0.0, 1.0) < p


class RandomSource(Source):
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low, high):
        return self.rng.randint(low, high)

    def real(self, low, high):
        return self.rng.uniform(low, high)


class HypothesisSource(Source):
    def __init__(self, draw) -> None:
        from hypothesis import strategies as st

        self.draw, self.st = draw, st

    def integer(self, low, high):
        return self.draw(self.st.integers(low, high))

    def real(self, low, high):
        return self.draw(self.st.floats(low, high, allow_nan=False, allow_infinity=False))


@dataclass
class Generated:
    program: Program
    text: str
    inputs: list[str]  # the input names, in order of first use
    values: dict[str, float] = field(default_factory=dict)  # a point to evaluate at
    ops: set = field(default_factory=set)  # the operations it uses


def identifier(source: Source, taken: set) -> str:
    """A fresh name: a single letter (bound as -x), `e`, or a longer one like w_2 or E_o1."""
    while True:
        kind = source.integer(0, 3)
        if kind == 0:
            name = source.choice(string.ascii_letters)
        elif kind == 1:
            name = source.choice(("e", "x", "y", "z", "a", "b", "c", "d", "f", "g", "h", "L"))
        else:
            first = source.choice(string.ascii_letters + "_")
            rest = "".join(source.choice(string.ascii_letters + string.digits + "_")
                           for _ in range(source.integer(1, 4)))
            name = first + rest
        if name not in taken and name not in RESERVED:
            taken.add(name)
            return name


def _apply(op: str, *args) -> Apply:
    """A call of op (an operation key) as the language writes it: log_base is log(x, b)."""
    return Apply(OPS[op].spelled if op in FUNCTIONS else op, tuple(args), NOWHERE, is_call=op in FUNCTIONS)


def _number(text: str) -> Number:
    return Number(text, NOWHERE)


class _Builder:
    def __init__(self, source: Source, safe: bool, rational: bool, max_depth: int, arithmetic: float) -> None:
        self.source, self.safe, self.rational, self.max_depth = source, safe, rational, max_depth
        self.arithmetic = arithmetic
        self.ops: set = set()
        self.operations = RATIONAL_OPS if rational else EVERY_OP
        self.arithmetic_ops = OPERATORS if rational else ARITHMETIC

    def leaf(self, scope: list[str]):
        s = self.source
        roll = s.integer(0, 9)
        if roll < 6 and scope:
            return Name(s.choice(scope), NOWHERE)
        if roll == 9 and not self.rational:
            return Name("pi", NOWHERE)
        return _number(s.choice(NUMBERS))

    def positive(self, u):
        """An expression of u that is > 0 wherever u is finite."""
        kind = self.source.integer(0, 2 if not self.rational else 1)
        if kind == 0:
            return _apply("add", _apply("mul", u, u), _number(self.source.choice(("1", "0.5", "2"))))
        if kind == 1:
            return _apply("add", _apply("abs", u), _number(self.source.choice(("1", "0.25", "3"))))
        return _apply("exp", _apply("tanh", u))

    def track(self, node):
        if isinstance(node, Apply):
            self.ops.add(node.op)
        return node

    def expression(self, scope: list[str], depth: int = 0):
        s = self.source
        if depth >= self.max_depth or s.chance(0.25 + 0.15 * depth):
            return self.leaf(scope)
        # arithmetic=p draws an operator (+ - * / ^ and signs) with probability p, as formulas from a course
        # are written; 0 (the default) draws no extra choice, so the seeded streams stay as they were
        if self.arithmetic and s.chance(self.arithmetic):
            op = s.choice(self.arithmetic_ops)
        else:
            op = s.choice(self.operations)
        self.ops.add(op)
        sub = lambda: self.expression(scope, depth + 1)  # noqa: E731
        if op in FUNCTIONS and OPS[op].variadic:
            return _apply(op, *(sub() for _ in range(s.integer(1, 4))))
        if op in FUNCTIONS and FUNCTIONS[op] != 1:
            args = [sub() for _ in range(FUNCTIONS[op])]
            return _apply(op, *args)
        if op in ("neg", "pos") or op in FUNCTIONS:
            u = sub()
            if self.safe and op in ("log", "sqrt"):
                u = self.track(self.positive(u))
            elif self.safe and op == "exp":
                u = self.track(_apply("tanh", u)) if s.chance(0.5) else u
            return _apply(op, u)
        left, right = sub(), sub()
        if self.arithmetic and op in ("mul", "div") and s.chance(0.3):
            # a coefficient (2*x, 1/2*x) or a divisor (x/2) that is a number, as formulas have them
            number = _number(s.choice(NONZERO))
            if op == "div":
                return _apply(op, left, number)
            if s.chance(0.3):
                number = self.track(_apply("div", number, _number(s.choice(NONZERO))))
            return _apply(op, number, right)
        if self.safe and op == "div":
            right = self.track(self.positive(right))
            if s.chance(0.5):
                right = self.track(_apply("neg", right))
        if op == "pow" and (self.safe or self.rational):
            if self.rational or s.chance(0.6):
                k = s.integer(-3, 4)
                right = _number(str(k)) if k >= 0 else self.track(_apply("neg", _number(str(-k))))
                if k < 0:
                    left = self.track(self.positive(left))
            else:
                left = self.track(self.positive(left))
                right = self.track(_apply("tanh", right))
        return _apply(op, left, right)


def generate(source: Source, *, safe: bool = True, rational: bool = False, max_statements: int = 5,
             max_inputs: int = 4, max_depth: int = 4, arithmetic: float = 0.0) -> Generated:
    """A random program, the names of its inputs, and a point (input values) to evaluate it at."""
    taken: set = set()
    builder = _Builder(source, safe, rational, max_depth, arithmetic)
    inputs_pool = [identifier(source, taken) for _ in range(source.integer(1, max_inputs))]
    defined: list[str] = []
    statements = []
    count = source.integer(1, max_statements)
    for k in range(count):
        # intermediates are drawn twice as often as inputs, so they are shared
        scope = inputs_pool + defined + defined
        expr = builder.expression(scope)
        last = k == count - 1
        if not last or source.chance(0.6):
            name = identifier(source, taken)
            statements.append(Assign(name, NOWHERE, expr, NOWHERE))
            defined.append(name)
        else:
            statements.append(expr)
    program = Program(tuple(statements), "")
    separator = source.choice(("\n", "; ", ";", "\n", "\r\n", COMMENTED))
    if separator == COMMENTED:  # a comment at the end of each line, holding anything a comment may
        comment = source.choice(COMMENTS)
        text = print_program(program, separator=f"  {comment}\n") + f" {comment}"
    else:
        text = print_program(program, separator=separator)
    from backprop_cli.language.parser import parse
    from backprop_cli.engine.tape import lower

    tape = lower(parse(text))
    values = {}
    for name in tape.inputs:
        if rational:
            values[name] = float(source.choice(("-2", "-1.5", "-1", "-0.5", "0.25", "0.5", "1", "1.25", "2", "3")))
        else:
            values[name] = round(source.real(-2.5, 2.5), source.integer(1, 6)) or 0.75
    return Generated(program, text, list(tape.inputs), values, builder.ops)


def hypothesis_programs(**options):
    """A Hypothesis strategy of Generated programs."""
    from hypothesis import strategies as st

    @st.composite
    def programs(draw):
        return generate(HypothesisSource(draw), **options)

    return programs()


def seeded_programs(seed: int, count: int, **options):
    """`count` programs from a fixed seed: the same ones on every machine and every run."""
    source = RandomSource(random.Random(seed))
    for _ in range(count):
        yield generate(source, **options)


def value_text(value: float) -> str:
    """A binding's value as text the command line accepts (repr round-trips the float exactly)."""
    text = repr(float(value))
    return "0" if text in ("0.0", "-0.0") else text


def bindings(values: dict, source: Source | None = None) -> list[str]:
    """Command-line words binding `values`: -x VALUE for single letters (sometimes), NAME=VALUE otherwise."""
    words = []
    for name, value in values.items():
        text = value_text(value)
        if len(name) == 1 and (source is None or source.chance(0.7)):
            words += [f"-{name}", text]
        else:
            words.append(f"{name}={text}")
    return words
