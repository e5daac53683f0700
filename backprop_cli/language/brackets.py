"""Where parentheses and brackets open in program text, for the syntax errors that concern them.

A new line inside parentheses or brackets continues the line (grammar.py), so a
bracket left open makes the next lines part of its statement, and the parser
stops somewhere after it: the errors say which bracket is still open.
"""
from __future__ import annotations

import re

from ..base.errors import line_and_column

# A bracket, or what to pass over: a comment, a string (on one line, as the grammar's STRING is).
_BRACKET_OR_SKIP = re.compile(r"[()\[\]]|#[^\n]*|'[^'\n]*'|\"[^\"\n]*\"")


def open_brackets(source: str, upto: int) -> list[int]:
    """The positions of the '(' and '[' still open at `upto`, innermost last. A closing bracket that closes
    nothing is passed over (the parser stops at the first one anyway)."""
    opened: list[int] = []
    for match in _BRACKET_OR_SKIP.finditer(source, 0, upto):
        char = match.group()
        if char in "([":
            opened.append(match.start())
        elif char in ")]" and opened:
            opened.pop()
    return opened


def where(source: str, pos: int) -> str:
    """`line 2, column 5`."""
    return "line {}, column {}".format(*line_and_column(source, pos))


def still_open(source: str, pos: int) -> str:
    """A line for under the caret when the innermost bracket open at `pos` was opened on an earlier line (so
    the line breaks since did not end its statement), else ''."""
    opened = open_brackets(source, pos)
    if not opened or "\n" not in source[opened[-1]:pos]:
        return ""
    at = opened[-1]
    return (f"the '{source[at]}' at {where(source, at)} is still open here: a line break inside parentheses or "
            f"brackets does not end a statement")
