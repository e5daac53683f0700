"""Program text from where the user put it: the PROGRAM argument, standard input (`-`, or no program at all
when standard input is not a terminal, as bc and jq do), or --file PATH.

Reads at most the longest program allowed (limits.py), so `--file /dev/zero` ends with a clear error, and
decodes UTF-8, dropping a byte-order mark.
"""
from __future__ import annotations

import sys

from ..base.errors import UsageError
from .limits import read_limited

NO_PROGRAM = ("no program given: write it as the first argument, pipe it to standard input (or use - for it), "
              "or use --file PATH")


def read_program(program: str | None, file: str | None, stdin_busy: bool = False) -> str:
    """The program text: the argument, standard input for `-`, the file given with --file, or, with none of
    those, standard input when it is not a terminal and not `stdin_busy` (taken by `--answers -`, `--batch -`)."""
    if file is not None:
        try:
            with open(file, "rb") as handle:
                data = read_limited(handle, file)  # never more than the longest program allowed (/dev/zero)
        except OSError as err:
            raise UsageError(f"cannot read the program file {file}: {err.strerror or err}") from None
        return _decode(data, file)
    if program is None:
        text = None if stdin_busy else _piped_program()
        if text is None:
            raise UsageError(NO_PROGRAM)
        return text
    if program == "-":
        if sys.stdin is None:  # started with standard input closed (`<&-`)
            raise UsageError("the program is to be read from standard input, but standard input is closed")
        return _read_stdin()
    return program


def _read_stdin() -> str:
    return _decode(read_limited(sys.stdin.buffer, "standard input") if hasattr(sys.stdin, "buffer")
                   else sys.stdin.read().encode(), "standard input")


def stdin_may_hold_program() -> bool:
    """Whether standard input may hold a piped program: open, readable, and not a terminal (nobody is typing
    a program there)."""
    stdin = sys.stdin
    if stdin is None:
        return False
    try:
        return not stdin.isatty() and stdin.readable()
    except (OSError, ValueError):  # closed, or not a real stream
        return False


def _piped_program() -> str | None:
    """The program piped to standard input (`echo "x^3" | backprop eval -x 2`), or None when standard input
    cannot hold one (stdin_may_hold_program) or holds only blanks."""
    if not stdin_may_hold_program():
        return None
    text = _read_stdin()
    return text if text.strip() else None


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")  # a byte-order mark (Windows editors write one) is not part of the program
    except UnicodeDecodeError as err:
        raise UsageError(f"the program in {where} is not UTF-8 text (byte {err.start})") from None
