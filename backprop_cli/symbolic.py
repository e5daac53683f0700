"""Derivatives as formulas: symbol-to-symbol backpropagation.

Reverse mode run on expressions instead of numbers. The program's tape is
copied into an expression graph (a DAG in which equal subexpressions are one
node), then swept backwards in tape order: every edge's local derivative is the
operation's `symbolic_partials` rule from ops.py (written in the language
itself and parsed with the tool's own parser), and each node's adjoint is the
sum of upstream × local over its uses, built as expressions too. The result,
d output / d input for every input, is again a graph: it can be printed as a
formula, evaluated at a point, or differentiated again (second.py).

The graph is simplified as it is built, so a person can read it: constants are
folded (exactly, as fractions), 0 and 1 vanish from sums and products, signs
are pulled to the front (`-c/d^2`, never `c*(-1)/d^2`), products lean left
with their constant first (`2*a*b`), and `x*(1/y)` becomes `x/y`. When printed,
a subexpression used more than once and longer than SHARE_LIMIT characters is
named once (`t1 = ...;`, or by the program's own name for it) instead of
repeated, so a formula never grows faster than the graph.

Everything is loops over the tape or the graph in creation order (which is a
topological order) and explicit stacks: nothing recurses on the size of the
program.
"""
from __future__ import annotations

import decimal
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Mapping

from .arithmetic import EXACT, FLOAT, MAX_EXACT_BITS
from .errors import BackpropError, MathError
from .ops import CONSTANTS, FUNCTIONS, OPS, DomainError
from .tape import CONST, INPUT, Tape

# A shared subexpression longer than this (in characters) is named in a formula rather than repeated.
SHARE_LIMIT = 12

_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5
_BINARY_PREC = {"add": _SUM, "sub": _SUM, "mul": _PRODUCT, "div": _PRODUCT}
_SYMBOL = {"add": " + ", "sub": " - ", "mul": "*", "div": "/"}
_OVERHEAD = {"add": 3, "sub": 3, "mul": 1, "div": 1, "neg": 1, "pow": 1}  # characters an operation adds
# Placeholder names for a rule's operands while it is parsed: valid names no program input can clash with.
_ARG_NAMES = ("__arg0", "__arg1")
_OUT_NAME = "__out"


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
        rule = _RULES.get(op)
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


def _add(g: Graph, x: int, y: int):
    if g.is_value(x, 0):
        return y
    if g.is_value(y, 0):
        return x
    if g.is_op(y, "neg"):
        return g.apply("sub", x, g.args[y][0])
    if g.is_op(x, "neg"):
        return g.apply("sub", y, g.args[x][0])
    cy, cx = g.rational(y), g.rational(x)
    if cy is not None and cy < 0:
        return g.apply("sub", x, g.const(-cy))
    if cx is not None and cx < 0:
        return g.apply("sub", y, g.const(-cx))
    if x == y:
        return g.apply("mul", g.const(2), x)
    if g.is_op(y, "add") or g.is_op(y, "sub"):
        a, b = g.args[y]
        return g.apply(g.op[y], g.apply("add", x, a), b)  # sums lean left: x + a + b
    return None


def _sub(g: Graph, x: int, y: int):
    if g.is_value(y, 0):
        return x
    if g.is_value(x, 0):
        return g.apply("neg", y)
    if x == y:
        return g.zero
    if g.is_op(y, "neg"):
        return g.apply("add", x, g.args[y][0])
    cy = g.rational(y)
    if cy is not None and cy < 0:
        return g.apply("add", x, g.const(-cy))
    if g.is_op(x, "neg"):
        return g.apply("neg", g.apply("add", g.args[x][0], y))
    return None


def _neg(g: Graph, x: int):
    if g.is_op(x, "neg"):
        return g.args[x][0]
    if g.is_op(x, "sub"):
        a, b = g.args[x]
        return g.apply("sub", b, a)
    return _flip_a_difference(g, x)


_FLIP_DEPTH = 6  # how far down a product's left spine a minus sign is looked for a difference to absorb it


def _flip_a_difference(g: Graph, x: int):
    """-x for a product x with a factor a - b (near its start): x with that factor written b - a, or None."""
    spine: list[int] = []
    found = None
    i = x
    for _ in range(_FLIP_DEPTH):
        if g.op[i] not in ("mul", "div"):
            break
        spine.append(i)
        left, right = g.args[i]
        if g.is_op(right, "sub"):
            found = (len(spine) - 1, 1)
        if g.is_op(left, "sub"):
            found = (len(spine) - 1, 0)
        i = left
    if found is None:
        return None
    level, side = found  # the deepest difference: the first a reader meets
    node = spine[level]
    args = list(g.args[node])
    a, b = g.args[args[side]]
    args[side] = g.apply("sub", b, a)
    rebuilt = g.apply(g.op[node], *args)
    for parent in reversed(spine[:level]):
        rebuilt = g.apply(g.op[parent], rebuilt, g.args[parent][1])
    return rebuilt


def _short_decimal(value: Fraction) -> bool:
    """A fraction that reads well as a decimal (0.5, 0.25, 0.125), so it can stay a factor."""
    text = _decimal_text(value)
    return text is not None and len(text) <= 6


def _mul(g: Graph, x: int, y: int):
    if g.is_value(x, 0) or g.is_value(y, 0):
        return g.zero
    if g.is_value(x, 1):
        return y
    if g.is_value(y, 1):
        return x
    if g.is_value(x, -1):
        return g.apply("neg", y)
    if g.is_value(y, -1):
        return g.apply("neg", x)
    if g.is_op(x, "neg"):
        return g.apply("neg", g.apply("mul", g.args[x][0], y))
    if g.is_op(y, "neg"):
        return g.apply("neg", g.apply("mul", x, g.args[y][0]))
    cx, cy = g.rational(x), g.rational(y)
    if cy is not None and cx is None:
        return g.apply("mul", y, x)  # the constant first: 2*x
    if cx is not None:
        if cx < 0:
            return g.apply("neg", g.apply("mul", g.const(-cx), y))
        if g.is_op(y, "mul") and g.rational(g.args[y][0]) is not None:
            return g.apply("mul", g.const(cx * g.rational(g.args[y][0])), g.args[y][1])
        if g.is_op(y, "div") and g.rational(g.args[y][0]) is not None:
            return g.apply("div", g.const(cx * g.rational(g.args[y][0])), g.args[y][1])
        if cx.denominator != 1 and not _short_decimal(cx):
            return g.apply("div", g.apply("mul", g.const(cx.numerator), y), g.const(cx.denominator))
    if g.is_op(y, "div") and g.is_value(g.args[y][0], 1):
        return g.apply("div", x, g.args[y][1])  # x*(1/y) -> x/y
    if g.is_op(x, "div"):
        a, b = g.args[x]
        return g.apply("div", g.apply("mul", a, y), b)  # a/b*y -> a*y/b
    if g.is_op(y, "div"):
        a, b = g.args[y]
        return g.apply("div", g.apply("mul", x, a), b)  # x*(a/b) -> x*a/b
    if g.is_op(y, "mul"):
        a, b = g.args[y]
        return g.apply("mul", g.apply("mul", x, a), b)  # products lean left: x*a*b
    if x == y:
        return g.apply("pow", x, g.const(2))
    for base, other in ((x, y), (y, x)):
        if g.is_op(other, "pow") and g.args[other][0] == base:
            k = g.rational(g.args[other][1])
            if k is not None and k.denominator == 1:
                return g.apply("pow", base, g.const(k + 1))
    return None


def _div(g: Graph, x: int, y: int):
    if g.is_value(y, 1):
        return x
    if g.is_value(x, 0):
        return g.zero
    if g.is_value(y, -1):
        return g.apply("neg", x)
    if g.is_op(x, "neg"):
        return g.apply("neg", g.apply("div", g.args[x][0], y))
    if g.is_op(y, "neg"):
        return g.apply("neg", g.apply("div", x, g.args[y][0]))
    cx, cy = g.rational(x), g.rational(y)
    if cx is not None and cx < 0:
        return g.apply("neg", g.apply("div", g.const(-cx), y))
    if cy is not None and cy < 0:
        return g.apply("neg", g.apply("div", x, g.const(-cy)))
    if cy is not None and cy != 0 and g.is_op(x, "mul"):
        k = g.rational(g.args[x][0])
        if k is not None and (k / cy).denominator == 1:
            return g.apply("mul", g.const(k / cy), g.args[x][1])
    if g.is_op(y, "mul") and g.rational(g.args[y][0]) is not None:
        top, bottom = _leading_constant(g, x), g.rational(g.args[y][0])
        if top is not None:  # 2*x/(2*y) -> x/y: the constants cancel
            rest = g.one if g.rational(x) is not None else g.args[x][1]
            return g.apply("div", g.apply("mul", g.const(top / bottom), rest), g.args[y][1])
    if g.is_op(x, "div"):
        a, b = g.args[x]
        return g.apply("div", a, g.apply("mul", b, y))  # a/b/y -> a/(b*y)
    if g.is_op(y, "div"):
        a, b = g.args[y]
        return g.apply("div", g.apply("mul", x, b), a)  # x/(a/b) -> x*b/a
    return None


def _leading_constant(g: Graph, i: int):
    """K for a constant K or a product K*rest; else None."""
    if g.rational(i) is not None:
        return g.rational(i)
    if g.is_op(i, "mul"):
        return g.rational(g.args[i][0])
    return None


def _pow(g: Graph, x: int, y: int):
    if g.is_value(y, 1):
        return x
    if g.is_value(y, 0) or g.is_value(x, 1):
        return g.one
    k2 = g.rational(y)
    if k2 is not None and k2 < 0 and k2.denominator == 1:
        return g.apply("div", g.one, g.apply("pow", x, g.const(-k2)))  # x^-2 -> 1/x^2
    if g.is_op(x, "pow") and k2 is not None and k2.denominator == 1:
        k1 = g.rational(g.args[x][1])
        if k1 is not None and k1.denominator == 1:
            return g.apply("pow", g.args[x][0], g.const(k1 * k2))
    return None


_RULES = {"add": _add, "sub": _sub, "neg": _neg, "mul": _mul, "div": _div, "pow": _pow}


# -- the rules of ops.py, parsed once --------------------------------------------------------------

@lru_cache(maxsize=None)
def _rule_tape(op: str, k: int) -> Tape:
    """ops.OPS[op].symbolic_partials[k] parsed by the tool's own parser, over placeholder inputs."""
    from .parser import parse
    from .tape import lower

    text = OPS[op].symbolic_partials[k].format(*_ARG_NAMES[:OPS[op].arity], out=_OUT_NAME)
    return lower(parse(text))


def local_derivative(g: Graph, op: str, k: int, args, out: int) -> int:
    """d op(args) / d args[k] as a node of g, from the operation's rule in ops.py."""
    rule = _rule_tape(op, k)
    binding = dict(zip(_ARG_NAMES, args))
    binding[_OUT_NAME] = out
    built: list[int] = []
    for node in rule.nodes:
        if node.op == INPUT:
            built.append(binding[node.name])
        elif node.op == CONST:
            built.append(g.literal(node.text))
        else:
            built.append(g.apply(node.op, *(built[a] for a in node.args)))
    return built[rule.output]


# -- differentiation ---------------------------------------------------------------------------

@dataclass
class Derivatives:
    """The program as an expression graph, with d output / d input for every input."""

    graph: Graph
    output: int  # the output's node
    gradient: dict[str, int]  # input name -> the node of d output / d input
    names: dict[int, str]  # graph node -> the name the program gives it (named intermediates)
    reserved: frozenset[str]  # names a formula may not invent (the program's, the functions, the constants)


def copy_tape(tape: Tape, graph: Graph | None = None) -> tuple[Graph, list[int]]:
    """The tape as an expression graph: one graph node per tape node (equal subexpressions shared)."""
    graph = graph or Graph()
    primal: list[int] = []
    for node in tape.nodes:
        if node.op == INPUT:
            primal.append(graph.input(node.name))
        elif node.op == CONST:
            primal.append(graph.literal(node.text))
        else:
            primal.append(graph.apply(node.op, *(primal[a] for a in node.args)))
    return graph, primal


def reverse(graph: Graph, ops, args, primal, output: int) -> list:
    """Symbolic reverse mode over a list of operations in evaluation order.

    ops[i] and args[i] describe step i (args are step positions), primal[i] is its graph node.
    Returns the adjoint node of every step (None where it is 0).
    """
    adjoint: list = [None] * len(primal)
    adjoint[output] = graph.one
    depends = graph.depends
    for i in range(output, -1, -1):
        upstream = adjoint[i]
        op = ops[i]
        if upstream is None or op in (INPUT, CONST):
            continue
        operands = [primal[a] for a in args[i]]
        for k, a in enumerate(args[i]):
            if not depends[primal[a]]:
                continue  # a constant argument: never differentiated
            local = local_derivative(graph, op, k, operands, primal[i])
            term = graph.apply("mul", upstream, local)
            adjoint[a] = term if adjoint[a] is None else graph.apply("add", adjoint[a], term)
    return adjoint


def differentiate_symbolically(tape: Tape) -> Derivatives:
    """d output / d input for every input of the tape, as nodes of one expression graph."""
    graph, primal = copy_tape(tape)
    nodes = tape.nodes
    adjoint = reverse(graph, [n.op for n in nodes], [n.args for n in nodes], primal, tape.output)
    gradient = {name: graph.zero if adjoint[i] is None else adjoint[i] for name, i in tape.inputs.items()}
    names: dict[int, str] = {}
    for i, node in enumerate(nodes):
        if node.name is not None and node.op != INPUT and graph.op[primal[i]] not in (INPUT, CONST):
            names.setdefault(primal[i], node.name)
    reserved = frozenset(tape.named) | frozenset(FUNCTIONS) | frozenset(CONSTANTS) | frozenset(OPS)
    return Derivatives(graph, primal[tape.output], gradient, names, reserved)


# -- formulas ----------------------------------------------------------------------------------

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


def _decimal_text(value: Fraction) -> str | None:
    """The shortest exact decimal spelling of a fraction, or None if it has none (1/3)."""
    d = value.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return None
    places = max(twos, fives)
    digits = len(str(abs(value.numerator))) + places + 2
    exact = decimal.Context(prec=digits).divide(decimal.Decimal(value.numerator), decimal.Decimal(value.denominator))
    plain = format(exact, "f")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    scientific = format(exact.normalize(), "e").replace("e+", "e")
    if "e" in scientific:
        mantissa, exponent = scientific.split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        scientific = f"{mantissa}e{exponent}"
    return min((plain, scientific), key=len) if scientific != plain else plain


def constant_text(value) -> tuple[str, int]:
    """How a constant is written, and its precedence: `2`, `0.5`, `-3` (a unary minus), `1/3` (a quotient)."""
    if not isinstance(value, Fraction):
        return str(value), _ATOM
    text = _decimal_text(value)
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
            if i != root and uses[i] >= 2 and size[i] > share_limit:
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
        if (i in self.named and not define) or g.op[i] == INPUT:
            return _ATOM, False
        op = g.op[i]
        if op == CONST:
            text, prec = constant_text(g.payload[i])
            return prec, text.startswith("-")
        if op in _BINARY_PREC:
            return _BINARY_PREC[op], False  # the minus sign of a left operand is found by write()
        if op == "neg":
            inner, _ = self._shape(g.args[i][0])
            return (_PRODUCT if inner == _PRODUCT else _UNARY), True
        if op == "pow":
            return _POWER, False
        return _ATOM, False

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
                pieces = [op, "("]
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
        """Whether node i, written inline, begins with a minus sign (walks down left operands)."""
        g = self.g
        while True:
            if i in self.named or g.op[i] == INPUT:
                return False
            op = g.op[i]
            if op == CONST:
                return constant_text(g.payload[i])[0].startswith("-")
            if op == "neg":
                return True
            if op in _BINARY_PREC:
                left = g.args[i][0]
                if self._shape(left)[0] < _BINARY_PREC[op]:
                    return False  # parenthesised
                i = left
                continue
            return False


def formula(derivatives: Derivatives, node: int, share_limit: int = SHARE_LIMIT) -> Formula:
    """Node `node` of the derivatives' graph written as a formula in the language."""
    return _Printer(derivatives.graph, node, derivatives.names, derivatives.reserved, share_limit).formula()


def gradient_formulas(tape: Tape, share_limit: int = SHARE_LIMIT) -> dict[str, Formula]:
    """d output / d input for every input, as formulas."""
    d = differentiate_symbolically(tape)
    return {name: formula(d, node, share_limit) for name, node in d.gradient.items()}


# -- evaluating a graph at a point -------------------------------------------------------------

def evaluate(graph: Graph, roots, inputs: Mapping[str, object], arithmetic=FLOAT,
             what: str = "the formula") -> dict[int, object]:
    """The value of every node the roots need, at the given inputs."""
    needed: set[int] = set()
    stack = list(roots)
    while stack:
        i = stack.pop()
        if i in needed:
            continue
        needed.add(i)
        stack.extend(graph.args[i])
    values: dict[int, object] = {}
    for i in sorted(needed):
        op = graph.op[i]
        payload = graph.payload[i]
        try:
            if op == INPUT:
                values[i] = inputs[payload]
            elif op == CONST:
                if isinstance(payload, Fraction):
                    values[i] = arithmetic.coerce(payload)
                elif payload in CONSTANTS:
                    values[i] = arithmetic.constant(CONSTANTS[payload])
                else:
                    values[i] = arithmetic.literal(payload)
            else:
                value = arithmetic.coerce(OPS[op].value(*(values[a] for a in graph.args[i])))
                if isinstance(value, float) and value - value != 0:
                    raise OverflowError
                values[i] = value
        except DomainError as err:
            raise _graph_error(graph, i, values, what, str(err)) from None
        except MathError as err:
            raise _graph_error(graph, i, values, what, err.message) from None
        except OverflowError:
            reason = "the result is too large for a 64-bit float (overflow)"
            raise _graph_error(graph, i, values, what, reason) from None
        except (ZeroDivisionError, ValueError):
            raise _graph_error(graph, i, values, what, f"{op} is not defined here") from None
    return values


def short_text(graph: Graph, i: int, limit: int = 60) -> str:
    """Node i written out, cut to `limit` characters (for messages)."""
    text = _Printer(graph, i, {}, frozenset(), share_limit=None).write(i, define=True, limit=limit)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _graph_error(graph: Graph, i: int, values, what: str, reason: str) -> MathError:
    operands = ", ".join(
        f"{short_text(graph, a, 30)} = {values[a]!r}" for a in dict.fromkeys(graph.args[i])
        if graph.op[a] != CONST
    )
    where = f"{short_text(graph, i)}" + (f" where {operands}" if operands else "")
    return MathError(f"{what} cannot be evaluated here: {reason} in {where}")
