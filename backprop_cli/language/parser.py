"""Text -> syntax tree: grammar/backprop.lark's LALR(1) parser, building `nodes` as it reduces.

One grammar (grammar.py finds it), two engines for it:

- fast_parser.py drives the tables Lark computed from the grammar ahead of time,
  without importing Lark;
- anything the fast path does not accept (every syntax error) is parsed again by
  Lark itself (lark_parser.py), imported only then, which says what is wrong
  with a caret under the spot.

Both run the same callbacks, one per grammar alias, and neither recurses, so
10,000 nested parentheses parse as easily as one.
"""
from __future__ import annotations

from ..base.errors import program_error
from ..base.gc_pause import paused_gc
from . import fast_parser
from .lark_parser import parse_lark
from .brackets import still_open
from .build import READINGS, NotAProduct, Unreadable
from .grammar import join_lines
from .limits import check_source
from .printer import precedence, print_expression
from .syntax_tree import Apply, Program


def _statements(source: str, engine: str = "auto"):
    """The parsed statements; engine "lark" forces Lark (the tests compare the two)."""
    tables = fast_parser.tables() if engine != "lark" else None
    try:
        if tables is not None:
            try:
                del READINGS[:]
                return fast_parser.parse_fast(source, tables)
            except fast_parser.NotAccepted:
                pass
            # A new line inside brackets continues the line (grammar.py). Text with one fails above, at the new
            # line (a separator is never allowed there); joined, it is read again, with the same spans. Only
            # such text pays for the joining.
            joined = join_lines(source)
            if joined is not source:
                try:
                    del READINGS[:]
                    return fast_parser.parse_fast(joined, tables)
                except fast_parser.NotAccepted:
                    pass
        del READINGS[:]
        return parse_lark(source)
    except Unreadable as err:
        raise program_error(source, err.span.start, err.span.end, err.message) from None
    except NotAProduct as err:
        left, right = err.left, err.right
        first, second = source[left.start:left.end], source[right.start:right.end]
        if err.kind == "list":
            raise program_error(
                source, right.start, right.end,
                f"{first} and {second} side by side are not a product: a list is never a factor of a product "
                f"without '*'; write {first} * {second}", still_open(source, right.start)) from None
        if err.kind == "transpose":
            raise program_error(
                source, right.start, right.end,
                f"{first} and {second} side by side are not a product: write {first} @ {second} for the matrix "
                f"product, or {first} * {second} elementwise", still_open(source, right.start)) from None
        raise program_error(
            source, right.start, right.end,
            f"{first} and {second} side by side are not a product: a product without '*' follows only "
            f"a number or ')' (2x, 2(a+b), (a+b)(c+d)), and two names side by side are never one; "
            f"write {first}*{second}", still_open(source, right.start)) from None


def _reading(source: str, product, left, right) -> str:
    """`1/2x is read as (1 / 2) * x; for 1 / (2 * x) write 1/(2x)`."""
    typed = source[product.span.start:product.span.end]
    numerator, divisor = left.args
    other = f"{source[numerator.span.start:numerator.span.end]}/({source[divisor.span.start:right.span.end]})"
    factor = print_expression(right)
    if precedence(right) <= precedence(product):
        factor = f"({factor})"
    meant = print_expression(Apply("div", (numerator, Apply("mul", (divisor, right), product.span)), product.span))
    return (f"{typed} is read as ({print_expression(left)}) * {factor}: a product without '*' binds as '*' "
            f"does; for {meant} write {other}")


def parse(source: str) -> Program:
    """Parse program text into a Program, or raise ProgramError pointing at the mistake."""
    check_source(source)  # length, nesting and content limits (limits.py), before any parsing
    with paused_gc():
        statements = _statements(source)
        notes = tuple(_reading(source, *reading) for reading in READINGS)
        del READINGS[:]
    if not statements:
        raise program_error(source, 0, 1, "the program is empty: there is no expression to differentiate")
    return Program(statements, source, notes)
