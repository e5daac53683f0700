"""The syntax tree: small frozen records built by the parser, each with its source span.

Operators and function calls are both `Apply` nodes: `op` is the grammar's rule
name for operators ('add', 'neg', 'pow', ...) and the function's name for calls
('exp', 'max', ...). Whether a function exists is checked when lowering to the tape.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Number:
    text: str  # as written, so exact mode can read 0.1 as 1/10
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Apply:
    op: str
    args: tuple["Expr", ...]
    span: Span
    is_call: bool = False  # written as name(args), so unknown names are reported as functions


Expr = Union[Number, Name, Apply]


@dataclass(frozen=True, slots=True)
class Assign:
    name: str
    name_span: Span
    expr: Expr
    span: Span


Statement = Union[Assign, Number, Name, Apply]


@dataclass(frozen=True, slots=True)
class Program:
    statements: tuple[Statement, ...]
    source: str
