"""`--graph FORMAT [--out FILE]` of `backprop eval`: which picture, and where it goes.

- `tree`, `dot`, `mermaid` print to standard output, or write FILE with --out;
  `svg` and `png` need --out (they are drawn by Graphviz's `dot`).
- With --graph the picture replaces the tables. Notes that are not part of the
  picture (a --check verdict, Graphviz warnings, Mermaid size limits, where and
  why numbers are undefined) go to standard error, so standard output holds only
  the picture; a failed --check still exits 1 (and an undefined number 4).
- On a terminal, a big graph shows a progress bar on standard error while it is computed and drawn
  (`graph_progress`, render/progress.py), cleared before the picture is written; never with --json.
- With --json, standard output stays one JSON document: it gains a "graph" key,
  {"format": "dot", "text": "digraph ..."} (or {"format": ..., "file": FILE}
  when --out wrote it). `--graph tree` has no JSON form and is a usage error there.
- `dot` and `mermaid` are written a chunk of lines at a time as they are made (graph_text.dot_lines), so a
  graph of 100,000 nodes is never held as one string (but with --json, where the text is a JSON string).
- `svg` and `png` draw at most PICTURE_NODES nodes, those nearest the output, and fewer where long edges
  would make Graphviz's layout slow (LAYOUT_BUDGET); the edges cut off end in one node that counts the
  rest, and a note on standard error (and the JSON's "graph" key) says so. Graphviz's layout grows far
  faster than the graph: on bench/scale.py's chain, 300 nodes took 2.5 s, 500 nodes 22 s and 1,000 did
  not end in minutes; within the cap, a picture of any program is laid out in about a second. The cap is
  its own, not --max-rows: the tables' cost grows with their rows, the picture's about as the square.

The renderers are imported here only when a picture is asked for.
"""
from __future__ import annotations

import sys

from ..base.errors import UsageError

GRAPH_FORMATS = ("tree", "dot", "mermaid", "svg", "png")
IMAGE_FORMATS = ("svg", "png")  # as in render.graph_image, which is not imported until a picture is drawn
# A picture draws at most PICTURE_NODES nodes, and as many as keep graph_text.layout_span within LAYOUT_BUDGET.
# Graphviz 2.43 lays out (processor time): bench/scale.py's chain 273 nodes in 0.6 s, its MLP 70 nodes in
# 0.75 s, `x*1 + x*2 + ... + x*399` 155 nodes in 1.1 s; at a span of 3,600, 4.6 s, and of 7,300, 80 s.
PICTURE_NODES = 300
LAYOUT_BUDGET = 1500


def check_graph_options(graph: str | None, out: str | None, as_json: bool) -> None:
    """Usage errors found before any work; for pictures, that `dot` is installed."""
    if graph is None:
        if out is not None:
            raise UsageError("--out FILE writes a picture of the graph: use it with --graph FORMAT")
        return
    if graph in IMAGE_FORMATS:
        if out is None:
            raise UsageError(f"--graph {graph} writes a file: give it with --out FILE (e.g. --out graph.{graph})")
        from ..render.graph_image import find_dot

        find_dot(graph)
    if graph == "tree" and as_json:
        raise UsageError("--graph tree is drawn for a terminal and has no JSON form; "
                         "with --json use --graph dot or --graph mermaid")


def graph_progress(ctx, graph: str | None, as_json: bool):
    """The progress bar of a --graph picture, open until the command ends (click closes it), or None without
    --graph. Opened before the program is read, so the whole run counts towards the half second."""
    if graph is None:
        return None
    from ..render.progress import Progress

    return ctx.with_resource(Progress("backprop eval --graph", as_json))


def _note(message: str) -> None:
    sys.stderr.write(f"backprop: note: {message}\n")


def _write(out: str, data) -> None:
    try:
        if isinstance(data, bytes):
            with open(out, "wb") as handle:
                handle.write(data)
        else:
            with open(out, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(data)
    except OSError as err:
        raise UsageError(f"cannot write {out}: {err.strerror or err}") from None


def _check_summary(report, digits: int | None) -> None:
    if getattr(report, "tensor", False):  # vectors and matrices: the notes of the check's table
        from ..render.tensor_check import note_lines

        for line, _ in note_lines(report, digits):
            _note(line)
        return
    from ..base.numbers import format_number

    for name, c in report.inputs.items():
        if c.ok is None:  # its gradient is undefined
            _note(f"check {name}: {c.reason}")
        elif not c.ok:
            reason = f" ({c.reason})" if c.reason else ""
            _note(f"check {name}: FAILED, finite difference {format_number(c.numeric)}{reason}")
    _note("finite-difference check " + ("passed" if report.ok else "FAILED"))


def emit_graph(result, graph: str, out: str | None, digits: int | None, color: str, json_doc: dict | None,
               report=None, progress=None) -> None:
    """Draw the graph in FORMAT and print it or write it to --out (see the module docstring); `progress`:
    graph_progress's bar, if any."""
    if progress is None:
        from ..render.progress import QUIET as progress
    if graph == "tree":
        from ..render.console import make_console
        from ..render.graph_tree import graph_tree

        progress.stage("drawing the tree")
        view = graph_tree(result, digits)
        if out is None:
            progress.output("writing the tree")
            make_console(color).print(view)
        else:
            try:
                with open(out, "w", encoding="utf-8", newline="\n") as handle:
                    make_console(color, file=handle).print(view)
            except OSError as err:
                raise UsageError(f"cannot write {out}: {err.strerror or err}") from None
    elif graph in IMAGE_FORMATS:
        _emit_image(result, graph, out, digits, json_doc, progress)
    else:
        from ..render.graph_text import dot_lines, mermaid_limit_note, mermaid_lines

        lines = (mermaid_lines if graph == "mermaid" else dot_lines)(result, digits, progress.track)
        if json_doc is not None and out is None:
            text = "".join(lines)
            characters = len(text)
            json_doc["graph"] = {"format": graph, "text": text}
        else:
            if out is None:
                progress.output()
            characters = _stream(lines, out)
            if json_doc is not None:
                json_doc["graph"] = {"format": graph, "file": out}
        limit = mermaid_limit_note(result, characters) if graph == "mermaid" else None
        if limit:
            _note(limit)
    if json_doc is None:  # (the JSON document has the reasons under "undefined")
        from ..render.missing import missing_lines

        for line in missing_lines(result):
            _note(line)
    if report is not None and json_doc is None:
        _check_summary(report, digits)



def _emit_image(result, graph: str, out: str, digits: int | None, json_doc: dict | None, progress) -> None:
    """An SVG or PNG picture, drawn by Graphviz; of a graph bigger than PICTURE_NODES, the nodes nearest the
    output, and one node counting the rest (said on standard error, and in the JSON's "graph" key)."""
    from ..render.graph_image import render_image
    from ..render.graph_text import cut_note, nearest_the_output, to_dot

    cut = nearest_the_output(result, PICTURE_NODES, LAYOUT_BUDGET)
    text = to_dot(result, digits, progress.track, cut)
    progress.stage("Graphviz draws the picture")
    image = render_image(text, graph)
    for line in image.warnings.splitlines():
        _note(f"dot: {line}")
    _write(out, image.data)
    if cut is not None:
        _note(cut_note(cut, graph))
    if json_doc is not None:
        json_doc["graph"] = {"format": graph, "file": out}
        if cut is not None:
            json_doc["graph"].update(nodes=cut.total, drawn=len(cut.drawn), note=cut_note(cut, graph))


_CHUNK = 1000  # lines written at once


def _stream(lines, out: str | None) -> int:
    """Write the lines to standard output (in ASCII where it cannot take more) or to the file `out`, a chunk
    at a time, so the whole text is never held; the number of characters written."""
    from itertools import islice

    from ..render.console import write_text

    characters = 0
    try:
        handle = sys.stdout if out is None else open(out, "w", encoding="utf-8", newline="\n")
        try:
            while True:
                chunk = "".join(islice(lines, _CHUNK))
                if not chunk:
                    return characters
                characters += len(chunk)
                if out is None:
                    write_text(chunk)
                else:
                    handle.write(chunk)
        finally:
            if out is not None:
                handle.close()
    except OSError as err:
        if out is None:
            raise
        raise UsageError(f"cannot write {out}: {err.strerror or err}") from None
