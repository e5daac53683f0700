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
from .limits import check_source
from .syntax_tree import Program


def _statements(source: str, engine: str = "auto"):
    """The parsed statements; engine "lark" forces Lark (the tests compare the two)."""
    tables = fast_parser.tables() if engine != "lark" else None
    if tables is not None:
        try:
            return fast_parser.parse_fast(source, tables)
        except fast_parser.NotAccepted:
            pass
    return parse_lark(source)


def parse(source: str) -> Program:
    """Parse program text into a Program, or raise ProgramError pointing at the mistake."""
    check_source(source)  # length, nesting and content limits (limits.py), before any parsing
    with paused_gc():
        statements = _statements(source)
    if not statements:
        raise program_error(source, 0, 1, "the program is empty: there is no expression to differentiate")
    return Program(statements, source)
