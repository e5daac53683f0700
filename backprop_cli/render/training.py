"""Output of `backprop step` and `backprop optimize`: tables, a plot of the value, and JSON records.

A tensor program's inputs get a shape column, and each vector or matrix is written as the eval tables
write it (tensor_tables.nested_text: in full when small, else its shape and its first elements); in
JSON it is nested lists. A program of numbers is shown as it always was.
"""
from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..base.numbers import format_number, json_number
from .tables import whole_words

VALUE_STYLE = "cyan"
GRAD_STYLE = "magenta"
FIXED_STYLE = "dim"

SPARK_UNICODE = "▁▂▃▄▅▆▇█"
SPARK_ASCII = "_.-:=+*#"
PLOT_WIDTH = 60


def _table(title: str, *columns: tuple[str, str]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  title_style="bold")
    for header, justify in columns:
        table.add_column(header, justify=justify)
    return table


def _n(value, digits, style=None) -> Text:
    return Text(format_number(value, digits), style=style or "")


def input_shapes(tape) -> dict | None:
    """Each input's shape for a tensor program (its tables get a shape column), None for a program of numbers."""
    if not tape.tensor:
        return None
    return {name: tape.nodes[i].shape for name, i in tape.inputs.items()}


def _cell(value, digits, style, shapes, name) -> Text:
    """A number, or a vector or matrix written as the eval tables write it; a gradient None is an index's."""
    if shapes is None:
        return _n(value, digits, style)
    if value is None:
        return Text("none (an index)", style=FIXED_STYLE)
    from .tensor_tables import nested_text

    return Text(nested_text(value, digits, shapes[name]), style=style or "")


def _difference(after, before):
    """after - before, element by element for nested lists (the change a step made)."""
    if type(after) is not list:
        return after - before
    from ..engine.values import nested
    from ..training.optimizers import elements

    shape, new = elements(after)
    return nested(shape, [a - b for a, b in zip(new, elements(before)[1])])


def _shape_column(shapes) -> tuple:
    return (("shape", "left"),) if shapes is not None else ()


def _shape_cell(shapes, name) -> tuple:
    if shapes is None:
        return ()
    from ..engine.tensor.shapes import shape_text

    return (Text(shape_text(shapes[name])),)


# -- backprop step -------------------------------------------------------------------------------

def step_view(label: str, stepped, names, lr: float, ascent: bool, digits: int | None,
              shapes: dict | None = None) -> Group:
    before, after = stepped.before, stepped.after
    moved = set(names)
    sign = "+" if ascent else "-"
    head = Text()
    head.append(f"{label}: ", style="bold")
    head.append(format_number(before.value, digits), style=VALUE_STYLE)
    head.append(" → ")
    head.append(format_number(after.value, digits), style="bold " + VALUE_STYLE)
    kind = "ascent" if ascent else "descent"
    head.append(f"   (one {kind} step, x {sign} {format_number(lr, digits)} × ∂{label}/∂x)", style="dim")
    table = _table("Inputs", ("input", "left"), *_shape_column(shapes), ("before", "right"),
                   (f"∂{label}/∂input", "right"), ("change", "right"), ("after", "right"))
    for name, old in before.inputs.items():
        cells = (Text(name), *_shape_cell(shapes, name), _cell(old, digits, VALUE_STYLE, shapes, name),
                 _cell(before.gradient[name], digits, GRAD_STYLE, shapes, name))
        if name in moved:
            new = after.inputs[name]
            table.add_row(*cells, _cell(_difference(new, old), digits, None, shapes, name),
                          _cell(new, digits, "bold " + VALUE_STYLE, shapes, name))
        else:
            table.add_row(*cells, Text("fixed", style=FIXED_STYLE), _cell(old, digits, VALUE_STYLE, shapes, name))
    parts = [head, Text(""), whole_words(table)]
    if stepped.worse:
        parts.append(_warning(f"the step {'lowered' if ascent else 'raised'} {label} from "
                              f"{format_number(before.value, digits)} to {format_number(after.value, digits)}",
                              stepped.suggestion))
    return Group(*parts)


def _warning(what: str, suggestion) -> Text:
    """The note under the output of a step or a run that made the value worse: what happened, and the learning
    rate as the likely cause, with a smaller one to try (training/watch.py found it)."""
    text = Text()
    text.append("warning: ", style="bold yellow")
    text.append(what + (f"; {suggestion.text()}" if suggestion is not None else ""))
    return text


def diverging_note(label: str, finish, digits: int | None) -> Text | None:
    """`warning: out grew at each of steps 1 to 100 (from 9 to 5.06947e256): the run diverges; the learning rate
    ...`, for a run that watch.diverging flagged; None for a healthy run, and for one that stopped on a number
    that is not finite (its error says it)."""
    growth = finish.diverging
    if growth is None or finish.failure is not None:
        return None
    verb = "fell" if growth.ascent else "grew"
    return _warning(f"{label} {verb} at each of steps {growth.first} to {growth.last} (from "
                    f"{format_number(growth.before, digits)} to {format_number(growth.after, digits)}): "
                    f"the run is diverging", finish.suggestion)


def _suggested(suggestion) -> float | None:
    return None if suggestion is None else json_number(suggestion.lr)


def step_document(tape, stepped, names, lr: float, ascent: bool) -> dict:
    before, after = stepped.before, stepped.after
    return {
        "program": tape.source,
        "output": tape.output_name,
        "lr": lr,
        "ascent": ascent,
        "update": list(names),
        "gradient": _numbers(before.gradient),
        "before": {"value": json_number(before.value), "inputs": _numbers(before.inputs)},
        "after": {"value": json_number(after.value), "inputs": _numbers(after.inputs)},
        "worse": stepped.worse,
        "suggested_lr": _suggested(stepped.suggestion),
    }


def _numbers(values: dict) -> dict:
    return {name: _json(v) for name, v in values.items()}


def _json(value):
    """A number as json_number writes it; a vector or matrix as nested lists of them; None (an index's
    gradient) as null."""
    if type(value) is not list:
        return None if value is None else json_number(value)
    from ..engine.values import nested
    from ..training.optimizers import elements

    shape, flat = elements(value)
    return nested(shape, [json_number(x) for x in flat])


# -- backprop optimize ---------------------------------------------------------------------------

def record_document(record) -> dict:
    """One JSON line per step: the point step k was taken from."""
    p = record.point
    return {"step": record.step, "value": json_number(p.value), "inputs": _numbers(p.inputs),
            "gradient": _numbers(p.gradient)}


STOPPED = {
    "steps": "ran every step",
    "gradient": "stopped: gradient norm <= --tol",
    "change": "stopped: change of the value <= --tol",
    "not finite": "stopped: step {next} leaves the finite numbers",
}


def summary_document(finish, settings, names, values: list) -> dict:
    return {"summary": {
        "optimizer": settings.optimizer,
        "hyperparameters": settings.describe(),
        "update": list(names),
        "steps": finish.steps,
        "stopped": finish.stopped,
        "start": {"value": json_number(finish.start.value), "inputs": _numbers(finish.start.inputs)},
        "final": {"value": json_number(finish.final.value), "inputs": _numbers(finish.final.inputs),
                  "gradient": _numbers(finish.final.gradient)},
        "diverging": finish.diverging is not None,
        "suggested_lr": _suggested(finish.suggestion),
    }}


def sparkline(values: list, unicode: bool = True, width: int = PLOT_WIDTH) -> str:
    """The values as one line of bars, low to high; at most `width` of them (evenly sampled)."""
    ramp = SPARK_UNICODE if unicode else SPARK_ASCII
    if len(values) > width:
        last = len(values) - 1
        values = [values[round(k * last / (width - 1))] for k in range(width)]
    low, high = min(values), max(values)
    if high == low:
        return ramp[len(ramp) // 2] * len(values)
    top = len(ramp) - 1
    return "".join(ramp[round((v - low) / (high - low) * top)] for v in values)


def settings_text(settings) -> str:
    parts = [f"lr {format_number(settings.lr, 6)}"]
    for key, value in settings.hyper.items():
        if isinstance(value, bool):
            if value:
                parts.append(key)
        else:
            parts.append(f"{key} {format_number(value, 6)}")
    if settings.weight_decay:
        parts.append(f"weight_decay {format_number(settings.weight_decay, 6)}")
    if settings.ascent:
        parts.append("ascent")
    return ", ".join(parts)


def optimize_view(label: str, finish, settings, names, values: list, digits: int | None, unicode: bool,
                  shapes: dict | None = None) -> Group:
    moved = set(names)
    head = Text()
    head.append(f"{settings.optimizer} ", style="bold")
    head.append(f"({settings_text(settings)})", style="dim")
    result = Text()
    result.append(f"{label}: ", style="bold")
    result.append(format_number(finish.start.value, digits), style=VALUE_STYLE)
    result.append(" → ")
    result.append(format_number(finish.final.value, digits), style="bold " + VALUE_STYLE)
    stopped = STOPPED[finish.stopped].format(next=finish.steps + 1)
    result.append(f" after {finish.steps} step{'s' * (finish.steps != 1)} ({stopped})", style="dim")
    low, high = min(values), max(values)
    plot = Text()
    plot.append(f"{label} at steps 0..{len(values) - 1}", style="bold")
    plot.append(f" (low {format_number(low, 4)}, high {format_number(high, 4)}):\n", style="dim")
    plot.append(sparkline(values, unicode), style=VALUE_STYLE)
    table = _table("Inputs", ("input", "left"), *_shape_column(shapes), ("start", "right"), ("final", "right"),
                   (f"∂{label}/∂input at the end", "right"))
    for name, start in finish.start.inputs.items():
        final = finish.final.inputs[name]
        table.add_row(Text(name), *_shape_cell(shapes, name), _cell(start, digits, VALUE_STYLE, shapes, name),
                      _cell(final, digits, "bold " + VALUE_STYLE, shapes, name) if name in moved
                      else Text("fixed", style=FIXED_STYLE),
                      _cell(finish.final.gradient[name], digits, GRAD_STYLE, shapes, name))
    note = diverging_note(label, finish, digits)
    return Group(head, result, Text(""), plot, Text(""), whole_words(table), *([note] if note else []))
