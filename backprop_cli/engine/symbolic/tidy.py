"""A derivative rule written the way a textbook writes it once its constant operands are known.

The rules of ops.py are written over placeholders (`{1}*{0}^({1} - 1)` for d x^n / d x). A worked
solution puts the program's literals into them: for `v2^2` the rule reads `2*{0}^(2 - 1)`, which a
person writes `2*{0}`. `tidy_rule` is that one printer pass, shared by every rule and every format
(teaching/steps.py and teaching/tensor_steps.py call it; the renderers only substitute): the literal
operands go into the rule, constant parts are folded exactly (`2 - 1` is 1; a quotient only when it is a
whole number, so `1/2` stays), and the neutral pieces go: `x^1` is `x`, `x^0` is 1, `1*x` and `x/1` are
`x`, `0*x` is 0, `0 + x` and `x - 0` are `x`, `-(-x)` is `x`, `x - (-y)` is `x + y`, `x + (-y)` is `x - y`.

A rule nothing applies to comes back exactly as written (`1/(2*sqrt({0}))` keeps its form), so only the
rules a literal makes reducible change. A rule is a few nodes (the table's text and a number literal per
operand), but the walk is still an explicit stack.
"""
from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from ...base.errors import BackpropError
from ...base.numbers import decimal_text
from ...language.syntax_tree import Apply, Name, Number

_PLACEHOLDER = re.compile(r"\{(\d+|out)\}")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")  # a literal, or a number given signed
_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5
_BINARY = {"add": (_SUM, " + "), "sub": (_SUM, " - "), "mul": (_PRODUCT, "*"), "div": (_PRODUCT, "/"),
           "pow": (_POWER, "^")}
_LARGEST_POWER = 64  # a constant power folded only up to this exponent: 2^64 is a number, 10^400 is not


class _Const:
    """A number in a rule: its exact value and how it is written (the literal as the program wrote it)."""

    __slots__ = ("value", "text")

    def __init__(self, value: Fraction, text: str | None = None) -> None:
        self.value = value
        self.text = text if text is not None else _written(value)


def _written(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return decimal_text(value) or f"{value.numerator}/{value.denominator}"


def tidy_rule(template: str, literals=()) -> str:
    """`template` (over {0}, {1}, {out}) with each operand whose literal is given (a number as the program wrote
    it; None for any other operand) put in, and simplified; unchanged where nothing simplifies."""
    return _tidy(template, tuple(lit if lit is not None and _NUMBER.fullmatch(lit) else None for lit in literals))


@lru_cache(maxsize=1024)
def _tidy(template: str, literals: tuple) -> str:
    if " if " in template:  # a piecewise rule is words around formulas: written as it is
        return template
    tree = _parse(template)
    if tree is None:
        return template
    try:
        built, changed = _simplify(tree, literals)
    except _Unsupported:  # an index, a matrix product: not a scalar rule
        return template
    return _print(built) if changed else template


def _parse(template: str):
    from ...language.parser import parse  # only for a worked solution

    try:
        program = parse(_PLACEHOLDER.sub(lambda m: f"_p{m.group(1)}", template))
    except BackpropError:
        return None
    return program.statements[0] if len(program.statements) == 1 else None


def _children(node) -> tuple:
    return node.args if isinstance(node, Apply) else ()


def _simplify(tree, literals: tuple):
    """The tree as nested tuples (op, args...), ("name", text) and _Const leaves, simplified bottom-up; and
    whether anything changed."""
    changed = False
    done: list = []
    stack: list = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, Number):
            try:
                done.append(_Const(Fraction(node.text), node.text))
            except (ValueError, ZeroDivisionError):
                done.append(("name", node.text))
        elif isinstance(node, Name):
            placeholder = node.name[2:] if node.name.startswith("_p") else None
            if placeholder is not None and placeholder.isdigit() and int(placeholder) < len(literals) \
                    and literals[int(placeholder)] is not None:
                text = literals[int(placeholder)]
                done.append(_Const(Fraction(text), text))
                changed = True
            elif placeholder is not None and (placeholder.isdigit() or placeholder == "out"):
                done.append(("name", "{" + placeholder + "}"))
            else:
                done.append(("name", node.name))
        elif not isinstance(node, Apply) or (not node.is_call and node.op not in _BINARY
                                             and node.op not in ("neg", "pos")):
            raise _Unsupported
        elif ready:
            count = len(node.args)
            args = done[len(done) - count:]
            del done[len(done) - count:]
            term = (node.op, *args) if not node.is_call else ("call", node.op, *args)
            simpler = _rule(term)
            if simpler is not term:
                changed = True
            done.append(simpler)
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(_children(node)))
    return done[0], changed


class _Unsupported(Exception):
    pass


def _value(term) -> Fraction | None:
    return term.value if isinstance(term, _Const) else None


def _is(term, value) -> bool:
    return isinstance(term, _Const) and term.value == value


def _negated(term):
    """-term, folded for a number and a negation."""
    if isinstance(term, _Const):
        return _Const(-term.value)
    if isinstance(term, tuple) and term[0] == "neg":
        return term[1]
    return ("neg", term)


def _rule(term):
    """The simpler form of one operation over already simplified operands (the same tuple if none)."""
    op = term[0]
    if op == "pos":
        return term[1]
    if op == "neg":
        x = term[1]
        return _negated(x) if isinstance(x, _Const) or (isinstance(x, tuple) and x[0] == "neg") else term
    if op not in _BINARY:
        return term
    x, y = term[1], term[2]
    a, b = _value(x), _value(y)
    if a is not None and b is not None:
        folded = _fold(op, a, b)
        if folded is not None:
            return _Const(folded)
    if op == "add":
        if _is(x, 0):
            return y
        if _is(y, 0):
            return x
        if b is not None and b < 0 or isinstance(y, tuple) and y[0] == "neg":
            return ("sub", x, _negated(y))
    elif op == "sub":
        if _is(y, 0):
            return x
        if _is(x, 0):
            return _negated(y)
        if b is not None and b < 0 or isinstance(y, tuple) and y[0] == "neg":
            return ("add", x, _negated(y))
    elif op == "mul":
        if _is(x, 0) or _is(y, 0):
            return _Const(Fraction(0))
        if _is(x, 1):
            return y
        if _is(y, 1):
            return x
        if _is(x, -1):
            return _negated(y)
        if _is(y, -1):
            return _negated(x)
    elif op == "div":
        if _is(y, 1):
            return x
        if _is(x, 0) and not _is(y, 0):
            return _Const(Fraction(0))
    elif op == "pow":
        if _is(y, 1):
            return x
        if _is(y, 0):
            return _Const(Fraction(1))
    return term


def _fold(op: str, a: Fraction, b: Fraction) -> Fraction | None:
    """a op b for two numbers, where the result reads as well as the operation: + - * always, a quotient only
    when it is whole, a power only to a small whole exponent."""
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / b if b != 0 and (a / b).denominator == 1 else None
    if b.denominator == 1 and 0 <= b <= _LARGEST_POWER and (a != 0 or b > 0):
        return a ** int(b)
    return None


def _shape(term) -> tuple[int, bool]:
    """(precedence, starts with a minus sign) of a term as printed."""
    if isinstance(term, _Const):
        if term.value < 0:
            return _UNARY, True
        return (_PRODUCT if "/" in term.text else _ATOM), False
    op = term[0]
    if op == "neg":
        return _UNARY, True
    if op in _BINARY:
        return _BINARY[op][0], False
    return _ATOM, False


def _print(root) -> str:
    """The simplified tree in the style of ops.py's rules: `2*{0}`, `1 - tanh({0})^2`, `x^(-0.5)`."""
    out: list[str] = []
    stack: list = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        pieces = _pieces(item)
        stack.extend(reversed(pieces))
    return "".join(out)


def _pieces(term) -> list:
    if isinstance(term, _Const):
        if term.value < 0:
            return ["-", _Const(-term.value)]
        return [term.text]
    op = term[0]
    if op == "name":
        return [term[1]]
    if op == "call":
        return [term[1], "(", *_joined(term[2:]), ")"]
    if op == "neg":
        prec, _ = _shape(term[1])
        return ["-", *_wrapped(term[1], prec < _PRODUCT or _shape(term[1])[1])]
    level, symbol = _BINARY[op]
    x, y = term[1], term[2]
    (px, _), (py, sy) = _shape(x), _shape(y)
    if op == "pow":
        return [*_wrapped(x, px < _ATOM or _shape(x)[1]), symbol, *_wrapped(y, py < _ATOM)]
    if op in ("add", "sub"):
        right = py < (_PRODUCT if op == "sub" else _SUM) or sy
        return [*_wrapped(x, px < _SUM), symbol, *_wrapped(y, right)]
    right = py <= _PRODUCT or sy or (op == "div" and py < _POWER)
    return [*_wrapped(x, px < _PRODUCT), symbol, *_wrapped(y, right)]


def _joined(args) -> list:
    pieces: list = []
    for k, arg in enumerate(args):
        pieces += [", "] if k else []
        pieces.append(arg)
    return pieces


def _wrapped(term, parens: bool) -> list:
    return ["(", term, ")"] if parens else [term]
