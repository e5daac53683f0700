"""The expression graph of symbolic differentiation: a DAG in which equal subexpressions are one node.

Building a node looks it up first (hash-consing), folds constants exactly (as
fractions), and applies the simplification rules of simplify.py, so the graph
a derivative builds is already in the form a person reads. Node ids are
creation order, a topological order: every loop over the graph is a plain loop.
A rule returns what to build as a term (nested tuples), and `apply` builds it
with an explicit stack: no chain of rewrites recurses, however long the program.
"""
from __future__ import annotations

import math
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
        # the length of the node's left spine of operations of its own kind (sums: add and sub; products: mul and
        # div), 0 for any other node: how much re-associating it would rebuild (simplify.LEAN_LIMIT)
        self.spine: list[int] = []
        self._index: dict = {}
        self._literals: dict[str, int] = {}  # literal text -> its node (the rules' 1 and 2 are read once)
        self.zero = self.const(Fraction(0))
        self.one = self.const(Fraction(1))

    def __len__(self) -> int:
        return len(self.op)

    def seal(self) -> None:
        """Drop the lookup table of hash-consing (a key and an entry per node, about 150 bytes each) when
        only reading is left to do, as for the Hessian; building again makes it anew."""
        self._index = None

    def _node(self, op: str, args: tuple, payload=None) -> int:
        key = (op, args, payload)
        if self._index is None:  # sealed, and now built on again
            self._index = {(o, a, p): i for i, (o, a, p) in enumerate(zip(self.op, self.args, self.payload))}
        found = self._index.get(key)
        if found is not None:
            return found
        self.op.append(op)
        self.args.append(args)
        self.payload.append(payload)
        self.depends.append(op == INPUT or any(self.depends[a] for a in args))
        family = _FAMILY.get(op)
        if family is None:
            self.spine.append(0)
        else:
            left = args[0]
            self.spine.append(1 + self.spine[left] if _FAMILY.get(self.op[left]) == family else 1)
        node = len(self.op) - 1  # one int object for the table and the callers (ids past 256 are not shared)
        self._index[key] = node
        return node

    def input(self, name: str) -> int:
        return self._node(INPUT, (), name)

    def const(self, value) -> int:
        """A constant: a Fraction (or int), or the text of one that is not kept as a fraction (pi)."""
        if isinstance(value, int):
            value = Fraction(value)
        return self._node(CONST, (), value)

    def literal(self, text: str) -> int:
        """A constant as the program wrote it."""
        found = self._literals.get(text)
        if found is not None:
            return found
        if text in CONSTANTS:
            node = self.const(text)
        else:
            try:
                node = self.const(EXACT.literal(text))
            except (MathError, ValueError, ZeroDivisionError):
                node = self.const(text)  # too large to hold exactly: kept as written
        self._literals[text] = node
        return node

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
        built = self._step(op, args)
        return built if isinstance(built, int) else self._build(built)

    def _step(self, op: str, args) -> int | tuple:
        """op(args) for nodes args: a node, or the term a simplification rule rewrote it to."""
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

    def _build(self, term: tuple) -> int:
        """The node of a term (op, operand, ...) whose operands are nodes or terms, each built by _step.

        An explicit stack of frames [term, next operand, operands built so far]: a term a rule returns is
        built in the place of the one it rewrote, so its node goes to the same parent.
        """
        stack: list[list] = [[term, 1, []]]
        while True:
            frame = stack[-1]
            term, k, built = frame
            if k < len(term):
                frame[1] = k + 1
                operand = term[k]
                if isinstance(operand, tuple):
                    stack.append([operand, 1, []])
                else:
                    built.append(operand)
                continue
            node = self._step(term[0], built)
            if isinstance(node, tuple):
                stack[-1] = [node, 1, []]  # rewritten: build the new term in the same place
                continue
            stack.pop()
            if not stack:
                return node
            stack[-1][2].append(node)

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
        if not readable(result):
            return None  # 1e200*1e200 stays a product: the language cannot read 1e400 back
        return self.const(result)

    @staticmethod
    def readable(value: Fraction) -> bool:
        return readable(value)


_FAMILY = {"add": "sum", "sub": "sum", "mul": "product", "div": "product"}


def _float_or_none(value) -> float | None:
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def readable(value: Fraction) -> bool:
    """Whether a formula can hold the constant: the way printer.constant_text writes it (a decimal such as
    2.5e-7, or p/q) reads back as finite, non-zero floats, as every literal of the language must."""
    if value == 0:
        return True
    d = value.denominator
    d >>= (d & -d).bit_length() - 1  # the factors 2 out
    while d % 5 == 0:
        d //= 5
    if d == 1:  # written as a decimal: one literal, its value rounded to a float
        magnitude = _float_or_none(value)
        return magnitude is not None and magnitude != 0
    return _float_or_none(value.numerator) is not None and _float_or_none(value.denominator) is not None
