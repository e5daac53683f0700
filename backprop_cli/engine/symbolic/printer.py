"""Writing the expression graph as a formula in the tool's own language, which the tool reads back.

A subexpression used more than once and longer than SHARE_LIMIT characters is
named once (`t1 = ...;`, or by the program's own name for it) instead of
repeated, so a formula never grows faster than the graph. Parentheses are
written only where precedence needs them. The walk is an explicit stack.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import compress
from typing import Mapping

from ...base.numbers import decimal_text
from ...base.records import LazyTuple
from ..ops import OPS
from ..tape import CONST, INPUT
from .graph import Graph

# A shared subexpression longer than this (in characters) is named in a formula rather than repeated.
SHARE_LIMIT = 12

_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5
_BINARY_PREC = {"add": _SUM, "sub": _SUM, "mul": _PRODUCT, "div": _PRODUCT}
_SYMBOL = {"add": " + ", "sub": " - ", "mul": "*", "div": "/"}
_OVERHEAD = {"add": 3, "sub": 3, "mul": 1, "div": 1, "neg": 1, "pow": 1}  # characters an operation adds


class Definitions(LazyTuple):
    """A formula's shared parts, (name, expression) pairs in order, each written when it is read.

    The table of `eval --symbolic` shows a few of a big formula's parts and counts the rest: a 100,000-node
    program's ten formulas have 450,000 parts, and writing them all was most of the command's time and
    memory (issue 16). Equal to the tuple of its pairs."""

    __slots__ = ("_printer",)

    def __init__(self, printer: _Printer) -> None:
        self._printer = printer

    def __len__(self) -> int:
        return len(self._printer.named_nodes)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(self[j] for j in range(*k.indices(len(self))))
        i = self._printer.named_nodes[k]
        return self._printer.name(i), self._printer.write(i, define=True)

    def __iter__(self):
        printer = self._printer
        return ((printer.name(i), printer.write(i, define=True)) for i in printer.named_nodes)


@dataclass(frozen=True)
class Formula:
    """A formula in the tool's language: definitions of shared parts, then the expression."""

    definitions: Sequence[tuple[str, str]]  # (name, expression), in order: a tuple, or Definitions
    expression: str

    @property
    def statements(self) -> list[str]:
        return [f"{name} = {text}" for name, text in self.definitions] + [self.expression]

    @property
    def text(self) -> str:
        """One line that the tool parses back: `t1 = a + b; t1*c/t1^2`."""
        return "; ".join(self.statements)

    def __str__(self) -> str:
        return self.text


@lru_cache(maxsize=1024)  # a formula holds a few distinct constants, each written many times
def constant_text(value) -> tuple[str, int]:
    """How a constant is written, and its precedence: `2`, `0.5`, `-3` (a unary minus), `1/3` (a quotient)."""
    if not isinstance(value, Fraction):
        return str(value), _ATOM
    text = decimal_text(value)
    if text is None:
        return f"{value.numerator}/{value.denominator}", _PRODUCT
    return text, (_UNARY if value < 0 else _ATOM)


class _Printer:
    """Writes nodes of a graph in the language, naming shared parts; iterative throughout."""

    def __init__(self, graph: Graph, root: int, names: Mapping[int, str], reserved, share_limit: int | None) -> None:
        """share_limit None: name nothing (for the start of a node's text in a message)."""
        self.g = graph
        self.root = root
        # Which nodes are named, compactly: ten formulas of a 100,000-node program are held at once and
        # name 45,000 parts each, which as dicts of name strings took 60 MB (issue 16). marks[i] is 1 for
        # a named node; named_nodes are they in increasing order, and codes their names: 0 for the
        # program's own name (in `names`), k for `tk`.
        self.marks = bytearray(len(graph))
        self.named_nodes = array("q")
        self._codes = array("q")
        self._program_names = names
        self._minus: dict[int, bool] = {}  # _leading_minus, remembered
        if share_limit is None:
            return
        # Lists by node, not dicts: a gradient graph of 270,000 nodes (a 100,000-node program) is walked
        # once per input, and a dict entry costs several times a list slot in memory and in time.
        order = self._reachable(root)
        uses = [0] * len(graph)
        args_of = graph.args
        for i in order:
            for a in args_of[i]:
                uses[a] += 1
        # Decide, children first, which nodes are named: shared, and too long to repeat. size[i] is how many
        # characters node i adds to its users' text: its length, or its name's once it is named.
        size = [0] * len(graph)
        ops, payload, marks = graph.op, graph.payload, self.marks
        add_node, add_code = self.named_nodes.append, self._codes.append
        used_names: set[str] = set()
        counter = 0
        for i in order:  # increasing ids: arguments before their users
            op = ops[i]
            if op == INPUT:
                size[i] = len(payload[i])
                continue
            if op == CONST:
                size[i] = len(constant_text(payload[i])[0])
                continue
            args = args_of[i]
            length = _OVERHEAD.get(op)  # the length of its text, give or take parentheses
            if length is None:
                length = len(op) + 2 * len(args)
            for a in args:
                length += size[a]
            size[i] = length
            # shared and too long to repeat, or shared and named by the program itself (h, not its formula)
            if i != root and uses[i] >= 2 and (length > share_limit or i in names):
                name = names.get(i)
                code = 0
                if name is None or name in used_names:
                    while True:
                        counter += 1
                        name = f"t{counter}"
                        if name not in reserved and name not in used_names:
                            break
                    code = counter
                used_names.add(name)
                marks[i] = 1
                add_node(i)
                add_code(code)
                size[i] = len(name)

    def name(self, i: int) -> str:
        """The name of named node i."""
        code = self._codes[bisect_left(self.named_nodes, i)]
        return self._program_names[i] if code == 0 else f"t{code}"

    def _reachable(self, root: int) -> list[int]:
        """The nodes `root` depends on, itself included, in increasing order."""
        seen = bytearray(len(self.g))
        seen[root] = 1
        stack = [root]
        args_of = self.g.args
        while stack:
            for a in args_of[stack.pop()]:
                if not seen[a]:
                    seen[a] = 1
                    stack.append(a)
        return list(compress(range(len(seen)), seen))

    def formula(self) -> Formula:
        return Formula(Definitions(self), self.write(self.root, define=True))

    def _shape(self, i: int, define: bool = False) -> tuple[int, bool]:
        """(precedence, starts with a minus sign) of node i as written inline."""
        g = self.g
        negated = False
        while True:  # down a chain of minus signs (the rules never build one) by a loop, not recursion
            if (self.marks[i] and not define) or g.op[i] == INPUT:
                prec, minus = _ATOM, False
            elif g.op[i] == CONST:
                text, prec = constant_text(g.payload[i])
                minus = text.startswith("-")
            elif g.op[i] in _BINARY_PREC:
                prec, minus = _BINARY_PREC[g.op[i]], False  # the minus sign of a left operand is found by write()
            elif g.op[i] == "neg":
                i, define, negated = g.args[i][0], False, True
                continue
            elif g.op[i] == "pow":
                prec, minus = _POWER, False
            else:
                prec, minus = _ATOM, False
            if negated:
                return (_PRODUCT if prec == _PRODUCT else _UNARY), True
            return prec, minus

    def write(self, root: int, define: bool = False, limit: int | None = None) -> str:
        """The text of node `root` (its definition, if it is named and define is set); with `limit`, only
        about that many characters of it."""
        g = self.g
        ops, args_of, payload, marks, shape = g.op, g.args, g.payload, self.marks, self._shape
        out: list[str] = []
        emit = out.append
        length = 0  # counted only with a limit
        stack: list = [(root, 0, define)]
        pop, extend = stack.pop, stack.extend
        while stack:
            if limit is not None and length > limit:
                break
            item = pop()
            if type(item) is str:
                emit(item)
                if limit is not None:
                    length += len(item)
                continue
            i, need, defining = item
            op = ops[i]
            if marks[i] and not defining:
                text = self.name(i)
            elif op == INPUT:
                text = payload[i]
            elif op == CONST:
                text, prec = constant_text(payload[i])
                if prec < need:
                    text = f"({text})"
            else:
                args = args_of[i]
                prec = _BINARY_PREC.get(op)
                if prec is not None:  # what _shape says of a sum or a product written out
                    pieces = [(args[0], prec, False), _SYMBOL[op], (args[1], prec + 1, False)]
                else:
                    prec = shape(i, defining)[0]
                    if op == "neg":
                        inner_prec, inner_minus = shape(args[0])
                        if inner_prec >= _PRODUCT and not inner_minus and not self._leading_minus(args[0]):
                            pieces = ["-", (args[0], inner_prec, False)]
                        else:
                            pieces = ["-(", (args[0], 0, False), ")"]
                    elif op == "pow":
                        pieces = [(args[0], _ATOM, False), "^", (args[1], _UNARY, False)]
                    else:
                        pieces = [OPS[op].spelled if op in OPS else op, "("]  # log_base is written log(x, b)
                        for k, a in enumerate(args):
                            if k:
                                pieces.append(", ")
                            pieces.append((a, 0, False))
                        pieces.append(")")
                if prec < need:
                    pieces = ["(", *pieces, ")"]
                extend(reversed(pieces))
                continue
            emit(text)
            if limit is not None:
                length += len(text)
        return "".join(out)

    def _leading_minus(self, i: int) -> bool:
        """Whether node i, written inline, begins with a minus sign (walks down left operands).

        Remembered for every node the walk passes, so that writing a whole formula walks each left spine once.
        """
        g = self.g
        known = self._minus
        path: list[int] = []
        while True:
            answer = known.get(i)
            if answer is not None:
                break
            path.append(i)
            op = g.op[i]
            if self.marks[i] or op == INPUT:
                answer = False
                break
            if op == CONST:
                answer = constant_text(g.payload[i])[0].startswith("-")
                break
            if op == "neg":
                answer = True
                break
            if op in _BINARY_PREC:
                left = g.args[i][0]
                if self._shape(left)[0] < _BINARY_PREC[op]:
                    answer = False  # parenthesised
                    break
                i = left
                continue
            answer = False
            break
        for j in path:
            known[j] = answer
        return answer


def write_formula(graph, root: int, names: Mapping[int, str], reserved, share_limit: int = SHARE_LIMIT) -> Formula:
    """Node `root` of `graph` as a formula; `names` are the program's names for nodes, `reserved` names it may
    not invent."""
    return _Printer(graph, root, names, reserved, share_limit).formula()


def short_text(graph: Graph, i: int, limit: int = 60) -> str:
    """Node i written out, cut to `limit` characters (for messages)."""
    text = _Printer(graph, i, {}, frozenset(), share_limit=None).write(i, define=True, limit=limit)
    return text if len(text) <= limit else text[: limit - 3] + "..."
