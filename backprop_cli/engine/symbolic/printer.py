"""Writing the expression graph as a formula in the tool's own language, which the tool reads back.

A subexpression used more than once and longer than SHARE_LIMIT characters is
named once (`t1 = ...;`, or by the program's own name for it) instead of
repeated, so a formula never grows faster than the graph. Parentheses are
written only where precedence needs them. The walk is an explicit stack.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Mapping

from ...base.numbers import decimal_text
from ..ops import OPS
from ..tape import CONST, INPUT
from .graph import Graph

# A shared subexpression longer than this (in characters) is named in a formula rather than repeated.
SHARE_LIMIT = 12

_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5
_BINARY_PREC = {"add": _SUM, "sub": _SUM, "mul": _PRODUCT, "div": _PRODUCT}
_SYMBOL = {"add": " + ", "sub": " - ", "mul": "*", "div": "/"}
_OVERHEAD = {"add": 3, "sub": 3, "mul": 1, "div": 1, "neg": 1, "pow": 1}  # characters an operation adds


@dataclass(frozen=True)
class Formula:
    """A formula in the tool's language: definitions of shared parts, then the expression."""

    definitions: tuple[tuple[str, str], ...]  # (name, expression), in order
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
        self.named: dict[int, str] = {}
        self.order: list[int] = []
        self._minus: dict[int, bool] = {}  # _leading_minus, remembered
        if share_limit is None:
            return
        order = self._reachable(root)
        uses: dict[int, int] = {i: 0 for i in order}
        for i in order:
            for a in graph.args[i]:
                uses[a] += 1
        # Decide, children first, which nodes are named: shared, and too long to repeat.
        size: dict[int, int] = {}
        used_names: set[str] = set()
        counter = 0
        for i in order:  # increasing ids: arguments before their users
            op = graph.op[i]
            if op == INPUT:
                size[i] = len(graph.payload[i])
                continue
            if op == CONST:
                size[i] = len(constant_text(graph.payload[i])[0])
                continue
            inner = sum(len(self.named[a]) if a in self.named else size[a] for a in graph.args[i])
            # the length of its text, give or take parentheses
            size[i] = inner + _OVERHEAD.get(op, len(op) + 2 * len(graph.args[i]))
            # shared and too long to repeat, or shared and named by the program itself (h, not its formula)
            if i != root and uses[i] >= 2 and (size[i] > share_limit or i in names):
                name = names.get(i)
                if name is None or name in used_names:
                    while True:
                        counter += 1
                        name = f"t{counter}"
                        if name not in reserved and name not in used_names:
                            break
                used_names.add(name)
                self.named[i] = name
        self.order = order

    def _reachable(self, root: int) -> list[int]:
        seen = {root}
        stack = [root]
        while stack:
            i = stack.pop()
            for a in self.g.args[i]:
                if a not in seen:
                    seen.add(a)
                    stack.append(a)
        return sorted(seen)

    def formula(self) -> Formula:
        definitions = [(self.named[i], self.write(i, define=True)) for i in self.order if i in self.named]
        return Formula(tuple(definitions), self.write(self.root, define=True))

    def _shape(self, i: int, define: bool = False) -> tuple[int, bool]:
        """(precedence, starts with a minus sign) of node i as written inline."""
        g = self.g
        negated = False
        while True:  # down a chain of minus signs (the rules never build one) by a loop, not recursion
            if (i in self.named and not define) or g.op[i] == INPUT:
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
        out: list[str] = []
        length = 0
        stack: list = [(root, 0, define)]
        while stack:
            if limit is not None and length > limit:
                break
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
                length += len(item)
                continue
            i, need, defining = item
            op = g.op[i]
            if i in self.named and not defining:
                out.append(self.named[i])
                length += len(out[-1])
                continue
            if op == INPUT:
                out.append(g.payload[i])
                length += len(out[-1])
                continue
            prec, _ = self._shape(i, defining)
            parens = prec < need
            if op == CONST:
                text = constant_text(g.payload[i])[0]
                out.append(f"({text})" if parens else text)
                length += len(out[-1])
                continue
            pieces: list = []
            args = g.args[i]
            if op in _BINARY_PREC:
                left_need = _BINARY_PREC[op]
                pieces = [(args[0], left_need, False), _SYMBOL[op], (args[1], left_need + 1, False)]
            elif op == "neg":
                inner_prec, inner_minus = self._shape(args[0])
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
            if parens:
                pieces = ["("] + pieces + [")"]
            stack.extend(reversed(pieces))
        return "".join(out)

    def _leading_minus(self, i: int) -> bool:
        """Whether node i, written inline, begins with a minus sign (walks down left operands).

        Remembered for every node the walk passes, so that writing a whole formula walks each left spine once.
        """
        g = self.g
        known = self._minus
        path: list[int] = []
        while True:
            if i in known:
                answer = known[i]
                break
            path.append(i)
            op = g.op[i]
            if i in self.named or op == INPUT:
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
