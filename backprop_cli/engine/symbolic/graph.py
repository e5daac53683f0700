"""The expression graph of symbolic differentiation: a DAG in which equal subexpressions are one node.

Building a node looks it up first (hash-consing), folds constants exactly (as
fractions), and applies the simplification rules of simplify.py, so the graph
a derivative builds is already in the form a person reads. Node ids are
creation order, a topological order: every loop over the graph is a plain loop.
"""
from __future__ import annotations

from fractions import Fraction

from ...base.errors import BackpropError, MathError
from ..arithmetic import EXACT, MAX_EXACT_BITS
from ..ops import CONSTANTS, OPS, DomainError
from ..tape import CONST, INPUT
from .simplify import RULES


class Graph:
    """An expression DAG, hash-consed: building the same operation on the same operands twice gives one node.

    Node ids are creation order, so arguments always have smaller ids than their users.
    `payload` is the input's name for inputs, and for constants either a Fraction (a
    rational, folded freely) or the literal's text (pi, or a number too large to hold exactly).
    """

    def __init__(self) -> None:
        self.op: list[str] = []
        self.args: list[tuple[int, ...]] = []
        self.payload: list = []
        self.depends: list[bool] = []  # depends on some input (so it has a non-zero derivative)
        self._index: dict = {}
        self.zero = self.const(Fraction(0))
        self.one = self.const(Fraction(1))

    def __len__(self) -> int:
        return len(self.op)

    def _node(self, op: str, args: tuple, payload=None) -> int:
        key = (op, args, payload)
        found = self._index.get(key)
        if found is not None:
            return found
        self.op.append(op)
        self.args.append(args)
        self.payload.append(payload)
        self.depends.append(op == INPUT or any(self.depends[a] for a in args))
        self._index[key] = len(self.op) - 1
        return len(self.op) - 1

    def input(self, name: str) -> int:
        return self._node(INPUT, (), name)

    def const(self, value) -> int:
        """A constant: a Fraction (or int), or the text of one that is not kept as a fraction (pi)."""
        if isinstance(value, int):
            value = Fraction(value)
        return self._node(CONST, (), value)

    def literal(self, text: str) -> int:
        """A constant as the program wrote it."""
        if text in CONSTANTS:
            return self.const(text)
        try:
            return self.const(EXACT.literal(text))
        except (MathError, ValueError, ZeroDivisionError):
            return self.const(text)  # too large to hold exactly: kept as written

    def rational(self, i: int):
        """The node's value if it is a rational constant, else None."""
        value = self.payload[i]
        return value if self.op[i] == CONST and isinstance(value, Fraction) else None

    def is_value(self, i: int, value) -> bool:
        return self.rational(i) == value

    def is_op(self, i: int, op: str) -> bool:
        return self.op[i] == op

    # -- building, with the simplifications ----------------------------------------------------

    def apply(self, op: str, *args: int) -> int:
        """The node op(args), simplified."""
        if op in ("pos", "copy"):
            return args[0]
        folded = self._fold(op, args)
        if folded is not None:
            return folded
        rule = RULES.get(op)
        if rule is not None:
            simpler = rule(self, *args)
            if simpler is not None:
                return simpler
        return self._node(op, tuple(args))

    def _fold(self, op: str, args) -> int | None:
        values = [self.rational(a) for a in args]
        if not values or any(v is None for v in values):
            return None
        try:
            result = OPS[op].value(*values)
        except (BackpropError, DomainError, ArithmeticError, ValueError):
            return None
        if isinstance(result, bool) or not isinstance(result, (int, Fraction)):
            return None  # irrational (a float): kept as an expression, exp(1) stays exp(1)
        result = Fraction(result)
        if max(result.numerator.bit_length(), result.denominator.bit_length()) > MAX_EXACT_BITS:
            return None
        return self.const(result)
