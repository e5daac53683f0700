"""The Rich console, set up by the conventions: --color, NO_COLOR, FORCE_COLOR, TERM=dumb, not a TTY.

Colour, in order of precedence (the first that applies decides):

1. `--color always` or `--color never`: what the user asked for on this command line;
2. `NO_COLOR` set and not empty: no colour (https://no-color.org); on a terminal bold and
   dim text remain, since they are not colour;
3. `FORCE_COLOR` set and not empty: colour, even in a pipe or on a dumb terminal
   (https://force-color.org);
4. standard output is not a terminal (a pipe, a file): plain text, no escape sequences;
5. `TERM=dumb` (or `unknown`): plain text;
6. otherwise colour.

Plain output is stable: 80 columns wide (or `COLUMNS`), whatever the size of the terminal
the command happens to run in, so a pipe or a file gets the same text every time. Text is
never read as Rich markup, so user text such as `[x]` prints as written. Where standard
output cannot encode the renderers' symbols (`PYTHONIOENCODING=ascii`, an old terminal),
∂, →, ≈ and friends are spelled in ASCII and boxes are drawn with ASCII characters.
"""
from __future__ import annotations

import errno
import os
import sys

from rich.console import Console

# What the renderers' few non-ASCII symbols become on a terminal that cannot encode them.
ASCII_FALLBACK = str.maketrans({
    "∂": "d", "→": "->", "≈": "~", "×": "x", "—": "-", "·": "*", "✓": "ok", "✗": "X", "≤": "<=", "∛": "cbrt ",
    "ε": "eps", "−": "-", "…": "...", "│": "|", "├": "+", "└": "`", "─": "-",
})

PLAIN_WIDTH = 80  # the width of output that does not go to a terminal, unless COLUMNS says otherwise


class _AsciiWriter:
    """A text stream that spells the renderers' symbols in ASCII (Rich draws ASCII boxes by itself)."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.encoding = "ascii"

    def write(self, text: str) -> int:
        return self._stream.write(text.translate(ASCII_FALLBACK).encode("ascii", "replace").decode("ascii"))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # Rich's own handling exits with status 1, which here means "a check failed": let
        # backprop_cli.cli.main() end quietly instead.
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def can_encode(stream, sample: str = "∂→─") -> bool:
    try:
        sample.encode(getattr(stream, "encoding", None) or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def write_text(text: str, stream=None) -> None:
    """Write plain text (DOT, Mermaid) to standard output, in ASCII where it cannot take more."""
    stream = stream or sys.stdout
    if not can_encode(stream, text):
        text = text.translate(ASCII_FALLBACK)
        encoding = getattr(stream, "encoding", None) or "ascii"
        text = text.encode(encoding, "replace").decode(encoding)
    stream.write(text)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def colour_decision(color: str, environ=None, isatty: bool = False) -> str:
    """"colour", "styles" (bold and dim, no colour) or "plain", by the precedence in the module docstring."""
    environ = os.environ if environ is None else environ
    if color == "always":
        return "colour"
    if color == "never":
        return "plain"
    if environ.get("NO_COLOR", ""):
        return "styles" if isatty and environ.get("TERM", "").lower() not in ("dumb", "unknown") else "plain"
    if environ.get("FORCE_COLOR", ""):
        return "colour"
    if not isatty or environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return "plain"
    return "colour"


def make_console(color: str = "auto", file=None) -> Console:
    file = file or sys.stdout
    tty = _isatty(file)
    if not can_encode(file):
        file = _AsciiWriter(file)
    decision = colour_decision(color, os.environ, tty)
    common = dict(file=file, highlight=False, emoji=False, markup=False)
    columns = os.environ.get("COLUMNS", "")
    if (not tty and not columns.isdigit()) or (columns.isdigit() and int(columns) == 0):
        # not the width of whatever terminal standard error is on; and COLUMNS=0 would make Rich print nothing
        common["width"] = PLAIN_WIDTH
    if decision == "plain":
        return _Console(force_terminal=False, no_color=True, color_system=None, **common)
    if decision == "styles":
        return _Console(force_terminal=True, no_color=True, color_system="standard", **common)
    dumb = os.environ.get("TERM", "").lower() in ("dumb", "unknown")
    return _Console(force_terminal=True, no_color=False, color_system="standard" if dumb else "auto", **common)
