"""Building syntax tree nodes as the parser reduces: one callback per grammar alias.

Both parsers (the generated tables of fast_parser.py and Lark in
lark_parser.py) call the same callbacks with the same children. A token is
anything with .group(), .start() and .end(): a regex match on the fast path, a
LarkToken on Lark's. Every other child is a node.
"""
from __future__ import annotations

from sys import intern as _intern

from .syntax_tree import Apply, Assign, Name, Number, Span


class LarkToken:
    """A Lark token seen through the interface of a regex match."""

    __slots__ = ("value", "start_pos", "end_pos")

    def __init__(self, token) -> None:
        self.value, self.start_pos, self.end_pos = str(token), token.start_pos, token.end_pos

    def group(self) -> str:
        return self.value

    def start(self) -> int:
        return self.start_pos

    def end(self) -> int:
        return self.end_pos


NODE_TYPES = (Number, Name, Apply, Assign)


def _number(children):
    (token,) = children
    return Number(token.group(), Span(token.start(), token.end()))


def _name(children):
    (token,) = children  # one string per distinct name, however often it is used
    text = token.group()
    return Name(_intern(_NAME_READINGS.get(text, text)), Span(token.start(), token.end()))


_NAME_READINGS = {"π": "pi"}  # names written as math writes them, read as the language's own
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def _superscript_pow(children):  # x² is x^2, x⁻¹ is x^-1: the same tree as the ASCII spelling
    base, token = children
    text = token.group()
    sign = text[0] if text[0] in "⁺⁻" else ""
    start, end = token.start(), token.end()
    exponent = Number(text[len(sign):].translate(_SUPERSCRIPT_DIGITS), Span(start + len(sign), end))
    if sign:
        exponent = Apply("neg" if sign == "⁻" else "pos", (exponent,), Span(start, end))
    return Apply("pow", (base, exponent), Span(base.span.start, end))


def _root(children):  # √x and √(x) are sqrt(x)
    sign, operand = children
    return Apply("sqrt", (operand,), Span(sign.start(), operand.span.end), is_call=True)


def _atom(children):  # "(" expr ")": the parentheses widen the span and add nothing else
    inner, span = children[1], Span(children[0].start(), children[-1].end())
    if type(inner) is Apply:
        return Apply(inner.op, inner.args, span, inner.is_call)
    return type(inner)(inner.text if type(inner) is Number else inner.name, span)


def _call(children):
    func = children[0]
    args = tuple(c for c in children[2:-1] if isinstance(c, NODE_TYPES))
    return Apply(func.group(), args, Span(func.start(), children[-1].end()), is_call=True)


def _assign(children):
    target, _, expr = children
    start = target.start()
    return Assign(target.group(), Span(start, target.end()), expr, Span(start, expr.span.end))


def _binary(op):
    def build(children):
        left, _, right = children
        return Apply(op, (left, right), Span(left.span.start, right.span.end))

    return build


def _unary(op):
    def build(children):
        sign, operand = children
        return Apply(op, (operand,), Span(sign.start(), operand.span.end))

    return build


def _start(children):
    return tuple(c for c in children if isinstance(c, NODE_TYPES))


# One callback per grammar alias (or rule name); rules named _... are inlined into their parent.
CALLBACKS = {
    "number": _number, "name": _name, "atom": _atom, "call": _call, "assign": _assign, "start": _start,
    "add": _binary("add"), "sub": _binary("sub"), "mul": _binary("mul"), "div": _binary("div"),
    "pow": _binary("pow"), "neg": _unary("neg"), "pos": _unary("pos"),
    "superscript_pow": _superscript_pow, "root": _root,
}
