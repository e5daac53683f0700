"""The one exception family of backprop, and the exit code each member maps to.

Exit codes (documented in docs/exit-codes.md):
    0 success, 1 a check failed, 2 usage error, 3 syntax or program error,
    4 math error, 70 internal error (a bug), 130 interrupted.
"""
from __future__ import annotations

OK = 0
CHECK_FAILED = 1
USAGE = 2
SYNTAX = 3
MATH = 4
INTERNAL = 70
INTERRUPTED = 130


class BackpropError(Exception):
    """An error meant for the user: a message and the exit code it maps to; `line` and `column` (1-based) of
    the spot in the program text it points at, None where it points at none."""

    exit_code = INTERNAL
    kind = "error"
    line: int | None = None
    column: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(BackpropError):
    """Bad bindings or options: a value missing, unused, repeated or not a number."""

    exit_code = USAGE
    kind = "usage error"


class ProgramError(BackpropError):
    """The program text is not valid: a syntax error, an unknown function, a name assigned twice."""

    exit_code = SYNTAX
    kind = "syntax error"


class MathError(BackpropError):
    """A value or derivative that does not exist as a finite real number at the point."""

    exit_code = MATH
    kind = "math error"


EXCERPT_CONTEXT = 40  # characters shown either side of an error's spot on a long line


def caret_excerpt(source: str, pos: int, end: int | None = None) -> str:
    """The source line holding `pos`, with carets under pos..end; tabs kept so carets line up."""
    pos = max(0, min(pos, len(source)))
    line_start = source.rfind("\n", 0, pos) + 1
    line_end = source.find("\n", pos)
    if line_end == -1:
        line_end = len(source)
    line = source[line_start:line_end].rstrip("\r")
    column = pos - line_start
    width = max(1, min((end if end is not None else pos + 1), line_end) - pos)
    if len(line) > 2 * EXCERPT_CONTEXT:  # a long line: show a window around the spot, not all of it
        left = max(0, column - EXCERPT_CONTEXT)
        right = min(len(line), column + max(width, 1) + EXCERPT_CONTEXT)
        width = min(width, right - column)
        line = ("..." if left else "") + line[left:right] + ("..." if right < len(line) else "")
        column = column - left + (3 if left else 0)
    pad = "".join("\t" if ch == "\t" else " " for ch in line[:column])
    return f"  {line}\n  {pad}{'^' * width}"


def line_and_column(source: str, pos: int) -> tuple[int, int]:
    """1-based line and column of character offset `pos`."""
    line = source.count("\n", 0, pos) + 1
    column = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return line, column


def program_error(source: str, pos: int, end: int | None, message: str, details: str = "",
                  kind: type = ProgramError) -> BackpropError:
    """A ProgramError (or another `kind`: a UsageError for shapes that do not fit the values given) whose
    message points at source[pos:end] with a caret; `details` (lines) follow the caret."""
    line, column = line_and_column(source, pos)
    text = f"{message} (line {line}, column {column})\n{caret_excerpt(source, pos, end)}"
    error = kind(text + (f"\n{details}" if details else ""))
    error.line, error.column = line, column  # for the JSON error document (cli.py)
    return error


class MissingToolError(UsageError):
    """An outside program the requested output needs (Graphviz's `dot`) is not installed: exit 2."""

    kind = "missing tool"
