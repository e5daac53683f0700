"""The Rich console, set up by the conventions: --color, NO_COLOR, FORCE_COLOR, TERM=dumb, not a TTY."""
from __future__ import annotations

import sys

from rich.console import Console


def make_console(color: str = "auto", file=None) -> Console:
    file = file or sys.stdout
    if color == "never":
        return Console(file=file, no_color=True, color_system=None, highlight=False, emoji=False)
    if color == "always":
        return Console(file=file, force_terminal=True, highlight=False, emoji=False)
    # auto: Rich honours NO_COLOR, FORCE_COLOR and TERM=dumb, and writes plain 80-column text to pipes.
    return Console(file=file, highlight=False, emoji=False)
