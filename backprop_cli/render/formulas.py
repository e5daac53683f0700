"""Tables for --symbolic and --direction (eval), the Hessian (`backprop hessian`).

Every cell is a rich.text.Text, so user text is never read as Rich markup.
"""
from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..base.numbers import format_number
from ..base.undefined import Undefined
from .tables import whole_words

VALUE_STYLE = "cyan"
GRAD_STYLE = "magenta"


def _table(*columns: tuple[str, str]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header, justify in columns:
        table.add_column(header, justify=justify)
    return table


def _heading(text: str) -> Text:
    """A table's title on a line of its own (a Rich title would wrap to the width of a narrow table)."""
    return Text(text, style="bold")


FORMULA_LINES = 200  # the fewest lines of formulas eval shows before it elides: --max-rows raises it


def formulas_table(formulas: dict, output_label: str, max_rows: int | None = None) -> Group:
    """One row per input: d output / d input as a formula, then the shared parts it names (`where t1 = ...`).
    Past `max_rows` lines in all (eval's --max-rows, at least FORMULA_LINES), each formula's shared parts are elided in the middle
    and a line says so: a big program's formulas are thousands of lines, which Rich took most of
    `eval --symbolic`'s time to wrap (issue 16)."""
    table = _table(("input", "left"), (f"∂{output_label}/∂input", "left"))
    lines = sum(1 + len(formula.definitions) for formula in formulas.values())
    if max_rows is not None:  # (--max-rows 0 leaves out the node tables, not the formulas asked for)
        max_rows = max(max_rows, FORMULA_LINES)
    share = None if max_rows is None or lines <= max_rows else max(2, max_rows // max(len(formulas), 1) - 1)
    for name, formula in formulas.items():
        text = Text(formula.expression, style=GRAD_STYLE)
        definitions = formula.definitions
        if share is not None and len(definitions) > share:
            half = share // 2
            left_out = len(definitions) - 2 * half
            definitions = [*definitions[:half], None, *definitions[-half:]]
        for part in definitions:
            text.append(f"\n... {left_out:,} more shared parts" if part is None else f"\nwhere {part[0]} = {part[1]}")
        table.add_row(Text(name), text)
    notes = [] if share is None else [Text(
        f"The formulas have {lines:,} lines; the table shows about {max_rows} (--max-rows N to raise it; --json has "
        "every formula whole).", style="dim")]
    return Group(_heading("Derivatives as formulas"), table, *notes)


def directional_text(direction: dict, value, digits: int | None) -> Text:
    shown = ", ".join(f"{name}={format_number(v, digits)}" for name, v in direction.items())
    text = Text()
    text.append("Directional derivative", style="bold")
    text.append(f" along ({shown}): ")
    text.append(format_number(value, digits), style="bold " + GRAD_STYLE)
    if type(value) is Undefined:
        text.append(f": {value.reason}", style="yellow")
    return text


def extras_view(extras, output_label: str, digits: int | None, max_rows: int | None = None) -> Group:
    parts = []
    if extras.formulas is not None:
        parts += [Text(""), formulas_table(extras.formulas, output_label, max_rows)]
    if extras.direction is not None:
        parts += [Text(""), directional_text(extras.direction, extras.directional, digits)]
    return Group(*parts)


def output_label(tape) -> str:
    """How the output is called in headings: its name, or `out` for a bare expression."""
    return tape.output_name or "out"


def hessian_view(title: Text, label: str, names: list, matrix: list, gradient: dict, digits: int | None,
                 notes: list[Text]) -> Group:
    table = _table(("", "left"), *((name, "right") for name in names))
    for name, row in zip(names, matrix):
        table.add_row(Text(name, style="bold"), *(Text(format_number(v, digits), style=GRAD_STYLE) for v in row))
    grad = _table(("input", "left"), ("value", "right"), ("gradient", "right"))
    for name, (value, g) in gradient.items():
        grad.add_row(Text(name), Text(format_number(value, digits), style=VALUE_STYLE),
                     Text(format_number(g, digits), style=GRAD_STYLE))
    return Group(title, Text(""), _heading("Inputs and gradient"), whole_words(grad), Text(""),
                 _heading(f"Hessian: ∂/∂row (∂{label}/∂column)"), whole_words(table), *notes)


# -- backprop explain --symbolic: the formulas after the worked solution ---------------------------

# Longer statements are set verbatim in LaTeX, in \texttt: as one piece of math they would not break across
# lines, and printing them as math costs time quadratic in their length (each level copies its operands' text).
LATEX_MATH_LIMIT = 200


def _where(formula) -> str:
    return "; ".join(f"{name} = {text}" for name, text in formula.definitions)


def formulas_plain(formulas: dict, output_label: str) -> list[str]:
    lines = ["Derivatives as formulas, in the language of the program"]
    width = max((len(f"∂{output_label}/∂{name}") for name in formulas), default=0)
    for name, formula in formulas.items():
        lhs = f"∂{output_label}/∂{name}"
        lines.append(f"  {lhs:<{width}} = {formula.expression}")
        for definition_name, text in formula.definitions:
            lines.append(f"  {'':<{width}}   where {definition_name} = {text}")
    return lines


def formulas_markdown(formulas: dict, output_label: str) -> list[str]:
    from .explain import escape_markdown

    lines = ["### Derivatives as formulas", ""]
    for name, formula in formulas.items():
        line = f"- {escape_markdown(f'∂{output_label}/∂{name}')} = `{formula.expression}`"
        if formula.definitions:
            line += ", where " + ", ".join(f"`{n} = {text}`" for n, text in formula.definitions)
        lines.append(line)
    return lines


def _latex_statement(text: str) -> str:
    from .latex import escape_text, latex_expression

    if len(text) <= LATEX_MATH_LIMIT:
        return latex_expression(text).text
    return r"\texttt{" + escape_text(text) + "}"


def formulas_latex(formulas: dict, output_label: str) -> list[str]:
    from .latex import latex_name

    rows = []
    for name, formula in formulas.items():
        lhs = rf"\frac{{\partial {latex_name(output_label)}}}{{\partial {latex_name(name)}}}"
        rows.append(f"{lhs} &= {_latex_statement(formula.expression)}")
        for definition_name, text in formula.definitions:
            rows.append(rf"&\quad\text{{where }} {latex_name(definition_name)} = {_latex_statement(text)}")
    body = [f"  {row} \\\\" for row in rows[:-1]] + [f"  {rows[-1]}"] if rows else []
    return [r"\subsection*{Derivatives as formulas}", "", r"\begin{align*}", *body, r"\end{align*}"]


def with_formulas(lines, fmt: str, formulas: dict, output_label: str):
    """A worked solution's lines (explain.worked_lines, explain_html.html_lines) with the formulas added: at
    the end of text and Markdown, before LaTeX's closing `\\end{document}` and the HTML page's closing tags.
    The lines are passed on as they come, but for those closing ones, held back."""
    from collections import deque

    if fmt == "html":
        from .explain_html import formulas_html

        section, closing = formulas_html(formulas, output_label), 3  # </main>, </body>, </html>
    elif fmt == "latex":
        section, closing = ["", *formulas_latex(formulas, output_label)], 2  # "", \end{document}
    else:
        written = formulas_markdown if fmt == "markdown" else formulas_plain
        section, closing = ["", *written(formulas, output_label)], 0
    held: deque = deque()
    for line in lines:
        held.append(line)
        if len(held) > closing:
            yield held.popleft()
    yield from section
    yield from held