"""Where `eval --batch` writes its rows, a block (a piece of the input) at a time: CSV (by pyarrow's writer
when the extra is installed and writes shortest.py's bytes, else by shortest.csv_rows: the same bytes),
Parquet (columnar.py), or JSON Lines (the keys of `eval --json`, numbers as Python's repr), to standard
output or to the --out file.
"""
from __future__ import annotations

import sys
from typing import NamedTuple

from ..base.errors import UsageError
from .shortest import csv_rows, shortest


class Block(NamedTuple):
    """The rows of one piece: `table` rows x (value, gradients) (NumPy, or lists without it), `inputs` the
    input columns when they are copied; `failed` maps a row to its message (the row is left empty),
    `malformed` the failed rows whose inputs could not be read (left empty too)."""

    lines: list
    table: object
    inputs: object
    failed: dict
    malformed: set


class _Output:
    """Standard output or the --out file, written as bytes (text first flushed)."""

    def __init__(self, out: str | None) -> None:
        self.path = out
        if out is None or out == "-":
            self.text = sys.stdout
            self.binary = getattr(sys.stdout, "buffer", None)
            self.owned = False
        else:
            try:
                self.binary = open(out, "wb")
            except OSError as err:
                raise UsageError(f"cannot write --out {out}: {err.strerror or err}") from None
            self.text = None
            self.owned = True

    def write_text(self, text: str) -> None:
        if self.binary is None:
            self.text.write(text)
        else:
            self.write_bytes(text.encode())

    def write_bytes(self, data) -> None:
        """`data`: bytes, or any buffer of them (an Arrow buffer)."""
        if self.binary is None:
            self.text.write(bytes(data).decode())
            return
        if self.text is not None:
            self.text.flush()
        self.binary.write(data)

    def close(self) -> None:
        if self.owned:
            self.binary.close()
        elif self.binary is not None:
            self.binary.flush()


def open_sink(kind: str, out: str | None, input_names: list, grads: list, arrow, np):
    header = [*input_names, "value", *(f"grad_{name}" for name in grads)]
    if kind == "parquet":
        from .columnar import ParquetSink, need

        return _Columns(ParquetSink(need(arrow, f"writing Parquet ({out})"), out, header), len(input_names), np)
    output = _Output(out)
    if kind == "jsonl":
        return _JsonLines(output, grads)
    output.write_text(",".join(header) + "\n")
    if arrow is not None and arrow.writes_csv:
        return _Columns(_ArrowCsv(arrow, output), len(input_names), np)
    return _TextCsv(output, len(input_names), np)


class _TextCsv:
    def __init__(self, output: _Output, width_in: int, np) -> None:
        self.output = output
        self.width_in = width_in
        self.np = np

    def write(self, block: Block, workers=None) -> None:
        np = self.np
        table = block.table
        width = (len(table[0]) if table else 0) if np is None else table.shape[1]
        if block.inputs is not None:
            table = np.hstack([block.inputs, table]) if np is not None else \
                [i + t for i, t in zip(block.inputs, table)]
        empty = {}
        for r in block.failed:
            inputs = "" if block.inputs is None or r in block.malformed else \
                ",".join(shortest(x) for x in (block.inputs[r].tolist() if np is not None else block.inputs[r])) + ","
            empty[r] = (inputs or "," * self.width_in) + "," * (width - 1) + "\n"
        total = self.width_in + (width if np is None else table.shape[1] - self.width_in)
        self.output.write_text(csv_rows(table, total if np is None else table.shape[1], np, empty))

    def close(self) -> None:
        self.output.close()


class _ArrowCsv:
    """pyarrow's CSV writer; a block is formatted in a worker thread while the next is computed, and the
    bytes are written in order (at most two blocks wait: memory stays bounded)."""

    def __init__(self, arrow, output: _Output) -> None:
        self.arrow = arrow
        self.output = output
        self.pending: list = []

    def write(self, columns: list, masks: list, workers=None) -> None:
        if workers is None:
            self.output.write_bytes(self.arrow.csv_buffer(columns, masks))
            return
        self.pending.append(workers.submit(self.arrow.csv_buffer, columns, masks))
        while len(self.pending) > 1:
            self.output.write_bytes(self.pending.pop(0).result())

    def close(self) -> None:
        while self.pending:
            self.output.write_bytes(self.pending.pop(0).result())
        self.output.close()


class _Columns:
    """A block as columns with null masks, for pyarrow's CSV writer and for Parquet."""

    def __init__(self, writer, width_in: int, np) -> None:
        self.writer = writer
        self.width_in = width_in
        self.np = np

    def write(self, block: Block, workers=None) -> None:
        np = self.np
        count = len(block.lines)
        failed = np.zeros(count, dtype=bool)
        failed[list(block.failed)] = True
        malformed = np.zeros(count, dtype=bool)
        malformed[list(block.malformed)] = True
        columns, masks = [], []
        if block.inputs is not None:
            columns += list(block.inputs.T)
            masks += [malformed] * block.inputs.shape[1]
        columns += list(block.table.T)
        masks += [failed] * block.table.shape[1]
        if isinstance(self.writer, _ArrowCsv):
            self.writer.write(columns, masks, workers)
        else:
            self.writer.write(columns, masks)

    def close(self) -> None:
        self.writer.close()


class _JsonLines:
    """{"value": ..., "gradient": {...}} a row, the keys of `eval --json`; a failed row
    {"value": null, "gradient": null, "line": N, "error": "..."}."""

    def __init__(self, output: _Output, grads: list) -> None:
        import json

        self.json = json
        self.output = output
        gradient = ", ".join(f"{json.dumps(name)}: %r" for name in grads)
        self.format = '{"value": %r, "gradient": {' + gradient + "}}\n"

    def write(self, block: Block, workers=None) -> None:
        table = block.table
        numbers = table if isinstance(table, list) else table.tolist()
        if not block.failed:
            self.output.write_text((self.format * len(numbers)) % tuple(x for row in numbers for x in row))
            return
        dumps = self.json.dumps
        self.output.write_text("".join(
            dumps({"value": None, "gradient": None, "line": line, "error": block.failed[r]}) + "\n"
            if r in block.failed else self.format % tuple(row)
            for r, (line, row) in enumerate(zip(block.lines, numbers))))

    def close(self) -> None:
        self.output.close()
