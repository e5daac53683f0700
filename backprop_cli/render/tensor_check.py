"""`eval --check` on vectors and matrices: the table of the finite-difference check and its notes.

One row per input that has a gradient: how many of its elements were checked, the element that took the
most of its tolerance (a failed one when any failed) with its gradient, its finite difference and their
relative error, and the verdict. The notes say why elements failed (at most FAILED_LISTED per input),
which inputs were sampled and with what seed, and the rule. The same lines, as plain text, go to standard
error under a --graph picture. Nothing here computes: the numbers are the report's
(engine/tensor_finite_differences.py).
"""
from __future__ import annotations

from rich.table import Table
from rich.text import Text

from ..base.numbers import format_number
from .tables import BAD_STYLE, GOOD_STYLE, GRAD_STYLE, _table, whole_words

FAILED_LISTED = 5  # elements per input whose failure is told in a note; --json lists every element checked
NOTE_STYLE = "yellow"


def _count(n: int) -> str:
    return f"{n:,}"


def check_table(report, digits: int | None) -> Table:
    table = _table("Finite-difference check, element by element", ("input", "left"), ("checked", "right"),
                   ("worst", "left"), ("gradient", "right"), ("finite diff.", "right"), ("rel. error", "right"), ("check", "left"))
    for name, c in report.inputs.items():
        if c.ok is None:  # an index: no gradient
            continue
        worst = c.worst()
        cells = [Text("—")] * 4
        if worst is not None:
            index, e = worst
            cells = [Text(e.name), Text(format_number(e.analytic, digits), style=GRAD_STYLE),
                     Text(format_number(e.numeric, digits)), Text(format_number(e.rel_error, 2))]
        failed = len(c.failed())
        verdict = "ok" if c.ok else f"{_count(failed)} FAILED" if failed else "FAILED"
        table.add_row(Text(name), Text(f"{_count(c.checked)} of {_count(c.size)}"),
                      *cells, Text(verdict, style=GOOD_STYLE if c.ok else BAD_STYLE))
    whole_words(table)
    for column in (table.columns[1], table.columns[-1]):  # `309 of 2,048` and `3 FAILED` on one line
        column.min_width = max(len(str(cell)) for cell in (column.header, *column.cells))
    return table


def note_lines(report, digits: int | None) -> list[tuple[str, str]]:
    """(line, style) for each note of the check: reasons, failed elements, the sample, the verdict."""
    lines = []
    for name, c in report.inputs.items():
        if c.ok is None:
            continue
        if c.reason:
            lines.append((f"check {name}: {c.reason}", GOOD_STYLE if c.ok else BAD_STYLE))
        told = [(index, e) for index, e in c.elements if e.reason or not e.ok]
        for index, e in told[:FAILED_LISTED]:
            if e.ok:
                lines.append((f"check {e.name}: {e.reason}", GOOD_STYLE))
            else:
                why = f" ({e.reason})" if e.reason else ""
                lines.append((f"check {e.name}: FAILED: reverse mode {format_number(e.analytic, digits)}, finite "
                              f"difference {format_number(e.numeric, digits)}{why}", BAD_STYLE))
        if len(told) > FAILED_LISTED:
            more = len(told) - FAILED_LISTED
            lines.append((f"check {name}: {_count(more)} more element{'s' * (more != 1)} with a note like these "
                          "(--json lists every element checked)", BAD_STYLE if not c.ok else GOOD_STYLE))
    sampled = report.sampled
    if sampled:
        which = ", ".join(f"{name} ({_count(report.inputs[name].checked)} of {_count(report.inputs[name].size)})"
                          for name in sampled)
        if report.sample is not None:
            why = f"--sample {_count(report.sample)} checks that many elements of each input"
        else:
            total = sum(c.size for c in report.inputs.values() if c.ok is not None)
            why = (f"the inputs hold {_count(total)} numbers, more than the {_count(report.limit)} checked by "
                   "default (--sample N checks N of each input)")
        lines.append((f"check: elements chosen at random with seed {report.seed} (--seed S draws others) from "
                      f"{which}: {why}", NOTE_STYLE))
    checked = report.checked
    failed = sum(len(c.failed()) for c in report.inputs.values())
    counted = f"{_count(failed)} of {_count(checked)}" if failed else _count(checked)
    verdict = "passed" if report.ok else "FAILED"
    on = f" on {counted} element{'s' * (checked != 1)}" if checked else ""
    lines.append((f"finite-difference check {verdict}{on} (central "
                  f"differences, tolerance: abs error <= {format_number(report.atol, 3)} + "
                  f"{format_number(report.rtol, 3)} × |gradient| + rounding error)",
                  GOOD_STYLE if report.ok else BAD_STYLE))
    return lines


def check_notes(report, digits: int | None) -> list[Text]:
    return [Text(line, style=style) for line, style in note_lines(report, digits)]
