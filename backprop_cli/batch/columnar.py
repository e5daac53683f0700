"""pyarrow for `eval --batch` (the `[batch]` extra; imported only here, only by a batch that uses it):
CSV read into float64 columns, CSV written by Arrow's writer, and Parquet read and written.

Chosen by measurement on 1,000,000 rows of 7 inputs (65 MB; issue 16, a shared 2-core machine): reading,
pyarrow.csv 0.26-0.31 s in 4 MiB pieces against np.loadtxt 0.42 s (pandas' C reader is faster, 0.12 s,
but its default float parser is not correctly rounded, and pandas is no dependency); writing 8 million
numbers, pyarrow.csv 0.75 s against Python's %r 2.9 s and np.savetxt 4.3 s. Writing is most of the work.

Arrow's CSV writer lays numbers out its own way (shortest.py); `load` checks on a probe that the installed
pyarrow writes exactly what shortest.csv_rows writes, and uses it for CSV only if so.
"""
from __future__ import annotations

import math

from ..base.errors import UsageError
from .points import Rows

PARQUET_SUFFIXES = (".parquet", ".pq")
WIDEST = 25  # bytes of CSV a number can take: 24 characters (-2.2250738585072014e-308) and a comma or line end
_PROBE = [1.0, -2.5, 0.1, 1e-5, 1.5e-7, 123456789.0, 1e10, 2.0 ** 53, 1 / 3, 5e-324, 2.2250738585072014e-308,
          1.7976931348623157e308, 0.0, 1e15, 12345678901.5, -1e-100]


class Arrow:
    """The pyarrow modules and whether its CSV writer writes shortest.py's bytes."""

    def __init__(self, pa, csv, np) -> None:
        self.pa = pa
        self.csv = csv
        self.writes_csv = _writes_like_us(self, np)

    def parse(self, text: bytes, names: list[str]):
        """A CSV body of numbers (points.fast_csv has checked its bytes) as a float64 matrix, or None. A blank
        line is an error here (not skipped), so the rows read are the body's lines, one for one."""
        pa, csv = self.pa, self.csv
        try:
            table = csv.read_csv(
                pa.py_buffer(text),
                read_options=csv.ReadOptions(column_names=names, block_size=max(len(text) + 1, 1 << 20)),
                parse_options=csv.ParseOptions(ignore_empty_lines=False),
                convert_options=csv.ConvertOptions(column_types={name: pa.float64() for name in names},
                                                   null_values=[], strings_can_be_null=False))
        except (pa.ArrowException, ValueError):
            return None
        if any(column.null_count for column in table.columns):
            return None
        import numpy as np

        matrix = np.empty((table.num_rows, len(names)), order="F")  # a column per input, as evaluated
        for k, column in enumerate(table.columns):
            at = 0
            for chunk in column.chunks:
                matrix[at:at + len(chunk), k] = _numbers_of(chunk, np)
                at += len(chunk)
        return matrix

    def csv_bytes(self, columns: list, masks: list) -> bytes:
        """Rows of CSV (no header) for float64 columns, each with its mask: True leaves the field empty."""
        return bytes(self.csv_buffer(columns, masks))

    def csv_buffer(self, columns: list, masks: list):
        """csv_bytes' rows in an Arrow buffer (written to standard output or the file as they are, not copied).

        The writer writes into memory of the largest size the rows can take (a number is at most 24 characters,
        -2.2250738585072014e-308, and a comma or a line end), never through a Python file object: it would take
        the interpreter lock for each 1,024 rows, and wait for it while the next piece is evaluated."""
        import io

        pa, csv = self.pa, self.csv
        table = pa.Table.from_arrays([self.array(column, mask) for column, mask in zip(columns, masks)],
                                     names=[str(k) for k in range(len(columns))])
        options = csv.WriteOptions(include_header=False)
        try:
            buffer = pa.allocate_buffer(table.num_rows * max(table.num_columns, 1) * WIDEST + 64)
            writer = pa.FixedSizeBufferWriter(buffer)
            csv.write_csv(table, writer, options)
            return buffer.slice(0, writer.tell())
        except (pa.ArrowException, OSError):  # no room after all (a pyarrow that writes otherwise): a growing buffer
            sink = io.BytesIO()
            csv.write_csv(table, sink, options)
            return sink.getvalue()

    def array(self, column, mask):
        """A float64 NumPy column as an Arrow array (its memory shared), null where `mask` is True."""
        import numpy as np

        pa = self.pa
        column = np.ascontiguousarray(column, dtype=np.float64)
        nulls = int(np.count_nonzero(mask))
        valid = pa.py_buffer(np.packbits(~mask, bitorder="little")) if nulls else None
        return pa.Array.from_buffers(pa.float64(), len(column), [valid, pa.py_buffer(column)], null_count=nulls)


def _numbers_of(chunk, np):
    """A float64 Arrow array as a NumPy view of its memory (what a null holds is undefined: see _nulls_of).
    (Not to_numpy(): in pyarrow 26 that imports pandas when it is installed, a quarter of a second.)"""
    data = chunk.buffers()[1]
    if data is None or not len(chunk):
        return np.zeros(len(chunk))
    return np.frombuffer(data, dtype=np.float64, count=len(chunk), offset=8 * chunk.offset)


def _nulls_of(chunk, np):
    """Where an Arrow array is null (a bool array), from its validity bitmap."""
    valid = chunk.buffers()[0]
    if valid is None:
        return np.zeros(len(chunk), dtype=bool)
    bits = np.unpackbits(np.frombuffer(valid, dtype=np.uint8), bitorder="little")
    return bits[chunk.offset:chunk.offset + len(chunk)] == 0


def _writes_like_us(arrow: Arrow, np) -> bool:
    from .shortest import csv_rows

    table = np.column_stack([_PROBE, [-x for x in _PROBE]]) + 0.0  # -0.0 is never written (it is 0 by then)
    try:
        theirs = arrow.csv_bytes([table[:, 0], table[:, 1]], [np.zeros(len(table), dtype=bool)] * 2).decode()
    except Exception:  # any trouble in pyarrow: Python writes the rows
        return False
    return theirs == csv_rows(table, 2, np)


def load(np):
    """An Arrow, or None when pyarrow is not installed (or NumPy is not)."""
    if np is None:
        return None
    try:
        import pyarrow
        import pyarrow.csv
    except ImportError:
        return None
    return Arrow(pyarrow, pyarrow.csv, np)


def need(arrow, what: str):
    if arrow is None:
        raise UsageError(f"{what} needs pyarrow and NumPy, which are not installed: "
                         "pip install 'backprop-cli[batch]'")
    return arrow


# ---------------------------------------------------------------------------------------------
# Parquet

def parquet_reader(arrow, path: str, tape, constants: dict, rows_per_chunk: int):
    """(names, the batches of rows) of a Parquet file; a usage error for a file that is not one or whose
    columns are not the program's inputs or not numbers."""
    from .points import _columns

    pa = arrow.pa
    try:
        import pyarrow.parquet as pq

        handle = pq.ParquetFile(path)
    except FileNotFoundError:
        raise UsageError(f"cannot read the --batch file {path}: No such file or directory") from None
    except (pa.ArrowException, OSError, ValueError) as err:
        raise UsageError(f"cannot read the --batch file {path} as Parquet: {_first_line(err)}") from None
    schema = handle.schema_arrow
    names = list(schema.names)
    _columns(tape, names, constants, path)
    for field in schema:
        if not (pa.types.is_floating(field.type) or pa.types.is_integer(field.type)):
            raise UsageError(f"column {field.name} of {path} holds {field.type}, not numbers")

    def batches():
        first = 1
        try:
            for batch in handle.iter_batches(batch_size=rows_per_chunk):
                yield _parquet_rows(arrow, batch, names, first)
                first += batch.num_rows
        except (pa.ArrowException, OSError) as err:
            raise UsageError(f"cannot read the --batch file {path} as Parquet: {_first_line(err)}") from None

    return names, batches(), handle.metadata.num_rows


def _first_line(err) -> str:
    return (str(err).strip().splitlines() or ["unreadable"])[0]


def _parquet_rows(arrow, batch, names: list[str], first: int) -> Rows:
    """A batch's rows as a matrix; a row with a null, a NaN, an infinity or an integer that is no float64
    is malformed (its row number: 1 is the file's first row)."""
    import numpy as np

    pa = arrow.pa
    count = batch.num_rows
    matrix = np.empty((count, len(names)), order="F")
    bad = np.zeros(count, dtype=bool)
    why = {}
    for k, column in enumerate(batch.columns):
        try:
            floats = column.cast(pa.float64())  # a safe cast: an integer that a float64 would round raises
        except pa.ArrowInvalid:
            for r, value in enumerate(column.to_pylist()):
                if value is not None and float(value) != value:
                    why.setdefault(r, f"malformed row: {names[k]} is {value}, which a 64-bit float would round")
            floats = column.cast(pa.float64(), safe=False)
        matrix[:, k] = _numbers_of(floats, np)
        nulls = _nulls_of(floats, np) if floats.null_count else None
        if nulls is not None:
            matrix[nulls, k] = math.nan
        numbers = matrix[:, k]
        for r in np.flatnonzero(~np.isfinite(numbers)).tolist():
            text = "empty" if nulls is not None and nulls[r] else f"{float(numbers[r])!r}, not a finite number"
            why.setdefault(r, f"malformed row: {names[k]} is {text}")
    if not why:
        return Rows(names, None, range(first, first + count), [], matrix)
    bad[list(why)] = True
    problems = sorted((first + r, message) for r, message in why.items())
    return Rows(names, None, (np.flatnonzero(~bad) + first).tolist(), problems, matrix[~bad])


class ParquetSink:
    """Rows written to a Parquet file, a row group per chunk; failed rows are nulls."""

    def __init__(self, arrow, path: str, names: list[str]) -> None:
        import pyarrow.parquet as pq

        pa = arrow.pa
        self.arrow = arrow
        self.pa = pa
        self.names = names
        self.schema = pa.schema([(name, pa.float64()) for name in names])
        try:
            self.writer = pq.ParquetWriter(path, self.schema)
        except (pa.ArrowException, OSError) as err:
            raise UsageError(f"cannot write --out {path}: {_first_line(err)}") from None

    def write(self, columns: list, masks: list) -> None:
        arrays = [self.arrow.array(column, mask) for column, mask in zip(columns, masks)]
        self.writer.write_table(self.pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()
