"""Rich tables for `backprop eval`: forward pass, backward pass, inputs, check, kinks.

Every cell is a rich.text.Text, so user text such as `[x]` is never read as markup.
"""
from __future__ import annotations

from rich import box
from rich.console import Group
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from ..base.numbers import format_number
from ..base.undefined import Undefined
from ..engine.compute import Result
from ..engine.conventions import LABELS
from ..engine.finite_differences import CheckReport
from .missing import missing_lines

VALUE_STYLE = "cyan"
GRAD_STYLE = "magenta"
BAD_STYLE = "bold red"
GOOD_STYLE = "green"
UNDEFINED_STYLE = "yellow"


def _number(value, digits: int | None, style: str) -> Text:
    """A number's cell; an undefined entry's word ("undefined", "too large") stands out."""
    return Text(format_number(value, digits), style=UNDEFINED_STYLE if type(value) is Undefined else style)


def _table(title: str, *columns: tuple[str, str]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  title_style="bold")
    for header, justify in columns:
        table.add_column(header, justify=justify, overflow="fold")  # never cut a number short with …
    return table


def whole_words(table: Table) -> Table:
    """Keep numbers whole: no column narrower than the longest word in it. Rich then wraps a cell between
    words (`v3:` / `1.0000000000000001e-15`) and never folds a number across lines, which would change how
    it reads; a table too wide for the terminal is printed wider instead (the commands print uncropped)."""
    for column in table.columns:
        texts = [str(column.header), *map(str, column.cells)]
        column.min_width = max((cell_len(word) for text in texts for word in text.split()), default=None)
    return table


def _lines(lines: list[str], style: str = "") -> Text:
    return Text("\n".join(lines), style=style)


TITLE_WIDTH = 60  # characters of the program shown in a title; a longer one is shortened with "..."


def program_title(source: str) -> str:
    """The program on one line, for a title: its lines (blank lines and whole-line comments left out, so a
    file's trailing newline does not show) joined with '; ', shortened if long."""
    lines = [line.strip() for line in source.splitlines()]
    text = "; ".join(line for line in lines if line and not line.startswith("#"))
    return text if len(text) <= TITLE_WIDTH else text[:TITLE_WIDTH - 3].rstrip() + "..."


def headline(result: Result, digits: int | None, from_program: tuple = ()) -> Text:
    """`y = 8   (5 nodes, 1 input)`; `from_program` names the inputs whose value the program gave (`x = 3`)."""
    tape = result.tape
    name = tape.output_name or program_title(tape.source) or tape.nodes[tape.output].id
    text = Text()
    text.append(f"{name} = ", style="bold")
    text.append(format_number(result.value, digits),
                style="bold " + (UNDEFINED_STYLE if type(result.value) is Undefined else VALUE_STYLE))
    nodes, inputs = len(tape.nodes), len(tape.inputs)
    given = ""
    if from_program:
        values = ", ".join(f"{name} = {format_number(result.values[tape.inputs[name]], digits)}"
                           for name in from_program)
        given = f"; {values} from the program"
    text.append(f"   ({nodes} node{'s' * (nodes != 1)}, {inputs} input{'s' * (inputs != 1)}{given})", style="dim")
    for note in tape.notes:  # how something that could be misread was read (1/2x is (1/2)*x)
        text.append(f"\nnote: {note}", style="dim")
    return text


def forward_table(result: Result, digits: int | None) -> Table:
    tape = result.tape
    table = _table("Forward pass", ("node", "left"), ("name", "left"), ("operation", "left"), ("value", "right"))
    for i, node in enumerate(tape.nodes):
        table.add_row(
            Text(node.id), Text(node.display_name or ""), Text(tape.expression(i)),
            _number(result.values[i], digits, VALUE_STYLE),
        )
    return whole_words(table)


def backward_table(result: Result, digits: int | None) -> Table:
    """One row per node, output first: what it received, its gradient, and what it sends on."""
    tape = result.tape
    table = _table(
        "Backward pass (reverse mode)",
        ("node", "left"), ("upstream", "left"), ("gradient", "right"),
        ("local ∂node/∂arg", "left"), ("contribution", "left"),
    )
    received = result.received()
    for i in range(len(tape.nodes) - 1, -1, -1):
        node = tape.nodes[i]
        if result.grads[i] is None:
            continue
        if i == tape.output:
            upstream = ["1 (seed)" if type(result.grads[i]) is not Undefined else "none (no output value)"]
        elif received[i]:
            upstream = [f"{tape.label(c)}: {format_number(v, digits)}" for c, v in received[i]]
        else:
            upstream = ["none"]
        local, sent = [], []
        if result.partials[i] is not None:
            for a, d, c in zip(node.args, result.partials[i], result.contributions[i]):
                if d is not None:
                    local.append(f"{tape.label(a)}: {format_number(d, digits)}")
                    sent.append(f"→ {tape.label(a)}: {format_number(c, digits)}")
        table.add_row(
            Text(f"{node.id} {node.display_name}" if node.display_name else node.id),
            _lines(upstream),
            _number(result.grads[i], digits, GRAD_STYLE),
            _lines(local), _lines(sent),
        )
    return whole_words(table)


def inputs_table(result: Result, digits: int | None, report: CheckReport | None = None) -> Table:
    columns = [("input", "left"), ("value", "right"), ("reverse mode", "right"), ("forward mode", "right")]
    if report is not None:
        columns += [("finite diff.", "right"), ("rel. error", "right"), ("check", "left")]
    table = _table("Inputs: gradient of the output", *columns)
    forward = result.forward_gradient or {}
    gradient = result.gradient()
    for name in result.tape.inputs:
        row = [
            Text(name),
            Text(format_number(result.inputs[name], digits), style=VALUE_STYLE),
            _number(gradient[name], digits, GRAD_STYLE),
            _number(forward.get(name), digits, GRAD_STYLE),
        ]
        if report is not None:
            c = report.inputs[name]
            row += [
                Text(format_number(c.numeric, digits)),
                Text(format_number(c.rel_error, 2)),
                _verdict(c.ok),
            ]
        table.add_row(*row)
    return whole_words(table)


def _verdict(ok: bool | None) -> Text:
    """--check's verdict on one input: ok, FAILED, or skipped (its gradient is undefined)."""
    if ok is None:
        return Text("skipped", style=UNDEFINED_STYLE)
    return Text("ok" if ok else "FAILED", style=GOOD_STYLE if ok else BAD_STYLE)


def kink_notes(result: Result, digits: int | None) -> list[Text]:
    """One note per node sitting exactly on its kink: the one-sided derivatives, and whose convention was used."""
    tape = result.tape
    out = []
    for kink in result.kinks:
        node = tape.nodes[kink.node]
        args = [tape.label(a) for a in node.args]
        sides = "; ".join(
            f"∂/∂{arg}: left {format_number(left, digits)}, right {format_number(right, digits)}, "
            f"used {format_number(used, digits)}"
            for arg, (left, right), used in zip(args, kink.one_sided, kink.used) if used is not None
        )
        out.append(Text(
            f"note: {node.id} = {tape.expression(kink.node)} sits exactly on its kink, where the derivative "
            f"is a convention ({LABELS[kink.convention]}), not a fact. One-sided derivatives: {sides}.",
            style="yellow",
        ))
    return out


def undefined_notes(result: Result) -> list[Text]:
    """Where numbers are missing, and why: one line per place (render/missing.py)."""
    return [Text(line, style=UNDEFINED_STYLE) for line in missing_lines(result)]


def exact_notes(result) -> list[Text]:
    """With --exact: that every number shown is an exact fraction, or where exactness ended (scalar and tensor
    results alike)."""
    if not result.exact:
        return []
    lost = result.first_inexact()
    if lost is None:
        return [Text("exact: every value and gradient above is an exact fraction.", style="green")]
    i, what = lost
    tape = result.tape
    return [Text(f"exact until {tape.nodes[i].id} = {tape.expression(i)}: its {what} is not rational, so it and "
                 "what depends on it are shown as floats; the fractions shown are exact.", style="yellow")]


def notes(result: Result, digits: int | None, report: CheckReport | None = None) -> list[Text]:
    out = []
    if result.forward_gradient is None:
        out.append(Text("note: forward mode was skipped: one pass per input over this many nodes is too slow; "
                        "the reverse-mode gradients above are complete.", style="yellow"))
    out += exact_notes(result)
    out += kink_notes(result, digits)
    out += undefined_notes(result)
    if report is not None:
        for name, c in report.inputs.items():
            if c.reason:
                out.append(Text(f"check {name}: {c.reason}", style=_verdict(c.ok).style))
        verdict = "passed" if report.ok else "FAILED"
        out.append(Text(
            f"finite-difference check {verdict} (central differences, tolerance: abs error <= "
            f"{format_number(report.atol, 3)} + {format_number(report.rtol, 3)} × |gradient| + rounding error)",
            style=GOOD_STYLE if report.ok else BAD_STYLE,
        ))
    return out


def eval_view(result: Result, digits: int | None, report: CheckReport | None = None,
              max_rows: int = 200, from_program: tuple = ()) -> Group:
    parts = [headline(result, digits, from_program), Text("")]
    nodes = len(result.tape.nodes)
    if nodes <= max_rows:
        parts += [forward_table(result, digits), Text(""), backward_table(result, digits), Text("")]
    elif max_rows > 0:
        parts += [Text(f"The forward and backward tables are left out: the graph has {nodes} nodes and the "
                       f"tables show at most {max_rows} (--max-rows N to raise it; --json has every node).",
                       style="dim"), Text("")]
    parts.append(inputs_table(result, digits, report))
    parts += notes(result, digits, report)
    return Group(*parts)
