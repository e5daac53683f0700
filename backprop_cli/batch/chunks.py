"""A CSV points file read a piece at a time (`eval --batch` with NumPy), so memory stays bounded whatever the
file's size: each piece is a few MiB of whole lines, read into a matrix by points.py's readers (pyarrow's
CSV reader when the `[batch]` extra is installed, else NumPy's) and evaluated before the next is read.

The pieces end at line ends, and each knows the line number of its first row, so a malformed row is
reported with its line in the file as when the file is read whole. A piece the fast readers refuse (a
quote, a blank line, a malformed row) is read line by line by points.py, as a whole file would be.

One line longer than BACKPROP_MAX_BATCH_BYTES is refused (`--batch /dev/zero` ends); the file as a whole
has no limit here.
"""
from __future__ import annotations

import os
from typing import Iterator

from ..base.errors import UsageError
from ..language.limits import DEFAULT_MAX_BATCH_BYTES, MAX_BATCH_BYTES_VARIABLE, LimitError
from . import points
from .points import Rows

CHUNK_VARIABLE = "BACKPROP_BATCH_CHUNK"  # bytes of CSV per piece (tests set it small to cross many pieces)
DEFAULT_CHUNK = 4 << 20  # 4 MiB, about 65,000 rows of 7 inputs: arrays that stay in the processor's cache


def chunk_bytes() -> int:
    text = os.environ.get(CHUNK_VARIABLE, "")
    try:
        return max(int(text), 1) if text else DEFAULT_CHUNK
    except ValueError:
        raise UsageError(f"{CHUNK_VARIABLE} is {text!r}: give a number of bytes, such as 4194304") from None


def _line_limit() -> int:
    text = os.environ.get(MAX_BATCH_BYTES_VARIABLE, "")
    return int(text) if text.isdigit() else DEFAULT_MAX_BATCH_BYTES


class Lines:
    """A binary stream read in pieces of whole lines; `done` counts the bytes read so far (for progress).

    Each piece is a bytearray the stream is read into in place, cut at its last line end without a copy (only
    the part line after it is copied, to start the next piece): 65 MB of CSV are not copied twice more."""

    def __init__(self, stream, where: str, size: int, head: bytes = b"") -> None:
        self.stream = stream
        self.where = where
        self.size = size
        self.limit = _line_limit()
        self.carry = bytearray(head)  # read already (to tell CSV from JSON Lines)
        self.done = len(head)
        self.ended = False

    def _too_long(self) -> LimitError:
        return LimitError(f"a line of {self.where} holds more than {self.limit:,} bytes, the limit for one row "
                          f"of --batch (set {MAX_BATCH_BYTES_VARIABLE} to allow more)")

    def line(self) -> bytes:
        """The next line, without its end (the header)."""
        while b"\n" not in self.carry and not self.ended:
            self._read(max(self.size, 1 << 16))
            if len(self.carry) > self.limit:
                raise self._too_long()
        end = self.carry.find(b"\n")
        if end < 0:
            line, self.carry = bytes(self.carry), bytearray()
            return line
        line, self.carry = bytes(self.carry[:end]), self.carry[end + 1:]
        return line

    def pieces(self) -> Iterator[bytearray]:
        """The rest, a piece of about `size` bytes of whole lines at a time."""
        while True:
            while not self.ended and len(self.carry) < self.size:
                self._read(self.size)
            if self.ended:
                if self.carry:
                    yield self.carry
                return
            end = self.carry.rfind(b"\n", 0, self.size + 1)
            if end < 0:
                end = self.carry.find(b"\n")
                while end < 0 and not self.ended:  # one line longer than a piece
                    if len(self.carry) > self.limit:
                        raise self._too_long()
                    self._read(self.size)
                    end = self.carry.find(b"\n")
                if max(end, len(self.carry) if end < 0 else 0) > self.limit:
                    raise self._too_long()
                if end < 0:
                    continue
            piece = self.carry
            self.carry = piece[end + 1:]
            del piece[end + 1:]  # in place: the piece's memory is not copied
            yield piece

    def _read(self, count: int) -> None:
        """Up to `count` more bytes onto the carry, read straight into its memory where the stream can."""
        have = len(self.carry)
        readinto = getattr(self.stream, "readinto", None)
        if readinto is None:
            data = self.stream.read(count)
            got = len(data) if data else 0
            self.carry += data or b""
        else:
            buffer = bytearray(have + count)
            buffer[:have] = self.carry
            with memoryview(buffer) as view, view[have:] as target:
                got = readinto(target) or 0
            del buffer[have + got:]
            self.carry = buffer
        if not got:
            self.ended = True
            return
        self.done += got


def csv_chunks(lines: Lines, names: list[str], np, parse=None) -> Iterator[Rows]:
    """The rows of each piece after the header (line 1), their line numbers those of the file."""
    first_line = 2
    for piece in lines.pieces():
        newlines = piece.count(b"\n")
        rows = points.fast_csv(piece, names, np, first_line, parse, newlines)
        if rows is None:
            rows = points.slow_csv(points.decode(piece, lines.where), names, first_line)
            rows.matrix = np.array(rows.values, dtype=np.float64).reshape(len(rows.values), len(names))
        first_line += newlines
        yield rows


def open_points(batch: str):
    """The binary stream of the points (`-`: standard input) and how to name it in a message."""
    import sys

    if batch == "-":
        if sys.stdin is None:
            raise UsageError("--batch - reads the points from standard input, but standard input is closed")
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream (tests): its text, encoded
            import io

            stream = io.BytesIO(sys.stdin.read().encode())
        return stream, "standard input"
    try:
        return open(batch, "rb"), batch
    except OSError as err:
        raise UsageError(f"cannot read the --batch file {batch}: {err.strerror or err}") from None
