"""Limits that protect the machine: how long a program may be, how deeply it may nest, what it may contain.

- Length: at most BACKPROP_MAX_PROGRAM_CHARS characters (default 1,000,000). Time and
  memory grow linearly with the program, so this bounds both. Programs read from a file
  or standard input are read at most this far (4 bytes a character), never further, so
  `--file /dev/zero` fails fast instead of filling the memory.
- Nesting: parentheses (a function call's included) and brackets (lists, indexing),
  counted together, at most BACKPROP_MAX_DEPTH deep (default 100,000). Nothing in
  backprop recurses over a program, so this is generous. A list literal is bounded by
  the length: a million numbers need a longer program than the default allows.
- Nodes: at most BACKPROP_MAX_NODES (default 2,000,000) once the calls of the program's
  own functions are expanded (engine/tape.py checks it before expanding each call). A
  function that calls another twice doubles with each level (f2(x) = f1(x)*f1(x), ...),
  so a short program could otherwise ask for more nodes than the machine holds. A
  program without functions is bounded by its length: about one node a character.
- Points for `eval --batch`: at most BACKPROP_MAX_BATCH_BYTES bytes (default 1 GiB),
  read no further, so `--batch /dev/zero` fails fast too.
- Content: comments may hold any text except control characters and the invisible
  Unicode characters that reorder or split a line (bidirectional overrides, line
  separators). Comments are echoed in the output, and such characters would let the
  displayed program differ from the one computed, or drive the terminal.

A program over a limit is a program error (exit 3) whose message names the limit and
the environment variable that raises it; an environment variable that is not a
positive whole number is a usage error (exit 2). Exact arithmetic has its own size
limit, checked before each value is computed (arithmetic.MAX_EXACT_BITS).
"""
from __future__ import annotations

import os
import re

from ..base.errors import ProgramError, UsageError, program_error

DEFAULT_MAX_PROGRAM_CHARS = 1_000_000
DEFAULT_MAX_DEPTH = 100_000
MAX_CHARS_VARIABLE = "BACKPROP_MAX_PROGRAM_CHARS"
MAX_DEPTH_VARIABLE = "BACKPROP_MAX_DEPTH"
BYTES_PER_CHAR = 4  # the longest UTF-8 encoding of one character

_COMMENT = re.compile(r"#[^\n]*")
# In comments: C0 controls but tab (and the \r of a \r\n line end), DEL, C1 controls,
# bidirectional marks, embeddings, overrides and isolates, and the line/paragraph separators.
# Lone surrogates are bytes that were not UTF-8 (Python keeps them so in command-line arguments).
_FORBIDDEN_IN_COMMENT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]|\r(?!\n|$)"
)
_DEPTH_STEP = {ord("("): 1, ord(")"): -1, ord("["): 1, ord("]"): -1}


class LimitError(ProgramError):
    """A program beyond one of the limits above: exit 3."""

    kind = "limit exceeded"


def _setting(variable: str, default: int) -> int:
    text = os.environ.get(variable)
    if text is None or text.strip() == "":
        return default
    if not re.fullmatch(r"[0-9]+", text.strip()) or int(text) < 1:
        raise UsageError(f"{variable} must be a positive whole number, not {text!r}")
    return int(text)


def max_program_chars() -> int:
    return _setting(MAX_CHARS_VARIABLE, DEFAULT_MAX_PROGRAM_CHARS)


def max_depth() -> int:
    return _setting(MAX_DEPTH_VARIABLE, DEFAULT_MAX_DEPTH)


DEFAULT_MAX_NODES = 2_000_000
MAX_NODES_VARIABLE = "BACKPROP_MAX_NODES"


def max_nodes() -> int:
    return _setting(MAX_NODES_VARIABLE, DEFAULT_MAX_NODES)


def too_many_nodes(source: str, span, call: str, limit: int) -> LimitError:
    """The error for a call whose expansion would take the program past `limit` nodes, with a caret under it."""
    error = program_error(source, span.start, span.end, f"with {call} expanded the program would have more "
                          f"than {limit:,} nodes, the limit (its functions call functions, which multiplies "
                          f"their nodes; set {MAX_NODES_VARIABLE} to allow more)")
    limit_error = LimitError(error.message)
    limit_error.line, limit_error.column = error.line, error.column
    return limit_error


def _too_long(what: str, limit: int) -> LimitError:
    return LimitError(f"{what}, more than the limit of {limit:,} characters for a program "
                      f"(set {MAX_CHARS_VARIABLE} to allow longer programs)")


def read_limited(stream, where: str) -> bytes:
    """Read a binary stream to its end, but never more than the longest program allowed (4 bytes a character)."""
    limit = max_program_chars()
    most = limit * BYTES_PER_CHAR
    # In pieces of at most a MiB: `read(most + 1)` sets aside `most` bytes first (400 MB for a limit of
    # 100 million characters), whatever the program's length.
    pieces, size = [], 0
    while size <= most:
        piece = stream.read(min(_READ_PIECE, most + 1 - size))
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    if size > most:
        raise _too_long(f"{where} holds more than {most:,} bytes", limit)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


_READ_PIECE = 1 << 20


DEFAULT_MAX_BATCH_BYTES = 1 << 30  # 1 GiB of points for `eval --batch`
MAX_BATCH_BYTES_VARIABLE = "BACKPROP_MAX_BATCH_BYTES"


def read_batch_limited(stream, where: str) -> bytes:
    """Read a --batch file to its end, but never past BACKPROP_MAX_BATCH_BYTES (`--batch /dev/zero` ends)."""
    limit = _setting(MAX_BATCH_BYTES_VARIABLE, DEFAULT_MAX_BATCH_BYTES)
    data = stream.read(limit + 1) or b""
    if len(data) > limit:
        raise LimitError(f"{where} holds more than {limit:,} bytes of points, the limit for --batch "
                         f"(set {MAX_BATCH_BYTES_VARIABLE} to allow more)")
    return data


def _first_too_deep(source: str, limit: int) -> int | None:
    """Where parentheses and brackets first nest deeper than `limit`, ignoring comments; None if they never do."""
    if source.count("(") + source.count("[") <= limit:
        return None
    code = _COMMENT.sub(lambda m: " " * len(m.group()), source)
    depth = 0
    for pos, char in enumerate(code):
        step = _DEPTH_STEP.get(ord(char))
        if step:
            depth += step
            if depth > limit:
                return pos
    return None


def check_source(source: str) -> None:
    """Refuse a program over a limit, before any parsing is done."""
    limit = max_program_chars()
    if len(source) > limit:
        raise _too_long(f"the program has {len(source):,} characters", limit)
    if "#" in source:
        for comment in _COMMENT.finditer(source):
            bad = _FORBIDDEN_IN_COMMENT.search(comment.group())
            if bad is not None:
                pos = comment.start() + bad.start()
                code = ord(source[pos])
                if 0xDC80 <= code <= 0xDCFF:
                    raise program_error(source, pos, pos + 1, f"byte 0x{code - 0xDC00:02X} in a comment is not "
                                        "UTF-8 text; the program must be UTF-8")
                raise program_error(source, pos, pos + 1, f"character U+{code:04X} in a comment: comments "
                                    "may hold any text but control characters and invisible characters that "
                                    "reorder or split lines")
    depth = max_depth()
    pos = _first_too_deep(source, depth)
    if pos is not None:
        what = "parentheses and brackets" if "[" in source else "parentheses"
        error = program_error(source, pos, pos + 1, f"{what} nest more than {depth:,} deep here "
                              f"(set {MAX_DEPTH_VARIABLE} to allow deeper nesting)")
        raise LimitError(error.message)
