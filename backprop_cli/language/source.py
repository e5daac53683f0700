"""Program text from where the user put it: the PROGRAM argument, standard input (`-`), or --file PATH.

Reads at most the longest program allowed (limits.py), so `--file /dev/zero` ends with a clear error, and
decodes UTF-8, dropping a byte-order mark.
"""
from __future__ import annotations

import sys

from ..base.errors import UsageError
from .limits import read_limited


def read_program(program: str | None, file: str | None) -> str:
    """The program text: the argument, standard input for `-`, or the file given with --file."""
    if file is not None:
        try:
            with open(file, "rb") as handle:
                data = read_limited(handle, file)  # never more than the longest program allowed (/dev/zero)
        except OSError as err:
            raise UsageError(f"cannot read the program file {file}: {err.strerror or err}") from None
        return _decode(data, file)
    if program is None:
        raise UsageError("no program given: write it as the first argument, use - for standard input, or --file PATH")
    if program == "-":
        if sys.stdin is None:  # started with standard input closed (`<&-`)
            raise UsageError("the program is to be read from standard input, but standard input is closed")
        return _decode(read_limited(sys.stdin.buffer, "standard input") if hasattr(sys.stdin, "buffer")
                       else sys.stdin.read().encode(), "standard input")
    return program


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")  # a byte-order mark (Windows editors write one) is not part of the program
    except UnicodeDecodeError as err:
        raise UsageError(f"the program in {where} is not UTF-8 text (byte {err.start})") from None
