"""The syntax tree: small frozen records built by the parser, each with its source span.

Operators and function calls are both `Apply` nodes: `op` is the grammar's rule
name for operators ('add', 'neg', 'pow', ...) and the function's name for calls
('exp', 'max', ...). Whether a function exists is checked when lowering to the tape.
Vectors and matrices add three operators (`A @ B` is 'matmul', `W.T` and `Wᵀ`
'transpose', a list `[a, b]` 'stack', nesting for a matrix) and one record,
`Index` (`x[0]`, `W[:, 0]`), whose items are expressions or `Slice`s.

The records behave as frozen, slotted dataclasses do (see records.py), without
the cost of creating dataclasses each time `backprop` starts.
"""
from __future__ import annotations

from typing import Union

from ..base.records import FrozenRecord as _Record
from ..base.records import set_field as _set


class Span(_Record):
    __slots__ = __match_args__ = ("start", "end")
    start: int
    end: int

    def __init__(self, start: int, end: int) -> None:
        _set(self, "start", start)
        _set(self, "end", end)


class Number(_Record):
    __slots__ = __match_args__ = ("text", "span")
    text: str  # as written, so exact mode can read 0.1 as 1/10
    span: Span

    def __init__(self, text: str, span: Span) -> None:
        _set(self, "text", text)
        _set(self, "span", span)


class Name(_Record):
    __slots__ = __match_args__ = ("name", "span")
    name: str
    span: Span

    def __init__(self, name: str, span: Span) -> None:
        _set(self, "name", name)
        _set(self, "span", span)


class Apply(_Record):
    __slots__ = __match_args__ = ("op", "args", "span", "is_call", "keywords")
    op: str
    args: tuple["Expr", ...]
    span: Span
    is_call: bool  # written as name(args), so unknown names are reported as functions
    # The names of the last len(keywords) arguments, given by keyword (`leaky_relu(x, negative_slope=0.2)`
    # has args (x, 0.2) and keywords (Name negative_slope,)); which parameter each one is, is decided when
    # lowering (engine/tape.py), where the functions' parameters are known.
    keywords: tuple["Name", ...]

    def __init__(self, op: str, args: tuple, span: Span, is_call: bool = False, keywords: tuple = ()) -> None:
        _set(self, "op", op)
        _set(self, "args", args)
        _set(self, "span", span)
        _set(self, "is_call", is_call)
        _set(self, "keywords", keywords)


class Slice(_Record):
    """`start:stop:step` inside an index, any part left out (None): `x[1:3]`, `x[::-1]`, `W[:, 0]`."""

    __slots__ = __match_args__ = ("start", "stop", "step", "span")
    start: "Expr | None"
    stop: "Expr | None"
    step: "Expr | None"
    span: Span

    def __init__(self, start, stop, step, span: Span) -> None:
        _set(self, "start", start)
        _set(self, "stop", stop)
        _set(self, "step", step)
        _set(self, "span", span)


class Index(_Record):
    """`target[items]`: `x[0]`, `W[1, 0]`, `W[:, 0]`, `x[k]`. Each item is an expression (a number, a signed
    number, a name such as an integer input) or a Slice; what each may be is checked when lowering."""

    __slots__ = __match_args__ = ("target", "items", "span")
    target: "Expr"
    items: tuple  # of Expr and Slice, at least one
    span: Span

    def __init__(self, target, items: tuple, span: Span) -> None:
        _set(self, "target", target)
        _set(self, "items", tuple(items))
        _set(self, "span", span)


Expr = Union[Number, Name, Apply, Index]


class Assign(_Record):
    __slots__ = __match_args__ = ("name", "name_span", "expr", "span")
    name: str
    name_span: Span
    expr: Expr
    span: Span

    def __init__(self, name: str, name_span: Span, expr: Expr, span: Span) -> None:
        _set(self, "name", name)
        _set(self, "name_span", name_span)
        _set(self, "expr", expr)
        _set(self, "span", span)


class Define(_Record):
    """A function of the program's own: `f(x) = x^2 + 1`. Not a value: a call of it is expanded into the
    nodes of its body, its parameters bound to the call's arguments, when the program is lowered."""

    __slots__ = __match_args__ = ("name", "name_span", "params", "body", "span")
    name: str
    name_span: Span
    params: tuple[Name, ...]  # distinct plain names, each with its span
    body: Expr
    span: Span

    def __init__(self, name: str, name_span: Span, params: tuple, body: Expr, span: Span) -> None:
        _set(self, "name", name)
        _set(self, "name_span", name_span)
        _set(self, "params", params)
        _set(self, "body", body)
        _set(self, "span", span)


Statement = Union[Assign, Define, Number, Name, Apply, Index]


class Program(_Record):
    __slots__ = __match_args__ = ("statements", "source", "notes")
    statements: tuple[Statement, ...]
    source: str
    # How the parser read what could be misread, one sentence each, for the output to show:
    # `1/2x is read as (1 / 2) * x ...` for every implicit product right after a '/'.
    notes: tuple[str, ...]

    def __init__(self, statements: tuple, source: str, notes: tuple = ()) -> None:
        _set(self, "statements", statements)
        _set(self, "source", source)
        _set(self, "notes", tuple(notes))
