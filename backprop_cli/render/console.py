"""The Rich console, set up by the conventions: --color, NO_COLOR, FORCE_COLOR, TERM=dumb, not a TTY."""
from __future__ import annotations

import sys

from rich.console import Console


# What the renderers' few non-ASCII symbols become on a terminal that cannot encode them.
ASCII_FALLBACK = str.maketrans({
    "∂": "d", "→": "->", "≈": "~", "×": "x", "—": "-", "·": "*", "✓": "ok", "✗": "X", "≤": "<=", "∛": "cbrt ",
    "ε": "eps", "−": "-",
})


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


def can_encode(stream, sample: str = "∂→─") -> bool:
    try:
        sample.encode(getattr(stream, "encoding", None) or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def make_console(color: str = "auto", file=None) -> Console:
    file = file or sys.stdout
    if not can_encode(file):
        file = _AsciiWriter(file)
    if color == "never":
        return Console(file=file, no_color=True, color_system=None, highlight=False, emoji=False)
    if color == "always":
        return Console(file=file, force_terminal=True, highlight=False, emoji=False)
    # auto: Rich honours NO_COLOR, FORCE_COLOR and TERM=dumb, and writes plain 80-column text to pipes.
    return Console(file=file, highlight=False, emoji=False)
