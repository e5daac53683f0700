"""`backprop explain --format html`: the worked solution as one self-contained HTML page.

The page holds the program, the point, the circuit drawn as cs231n's notes draw it (render/circuit_svg.py:
values in green above each wire, gradients in red below), then the same forward and backward steps as the
text and Markdown formats (their parts come from explain_parts.py, written by explain.py's TextDialect, so
each line reads as the text one does), the answer and the notes.

Self-contained: inline CSS and inline SVG only; no script, no external stylesheet, font or image, and a
Content-Security-Policy that forbids them besides, so the page makes no request when opened. Everything
taken from the user (the program with its comments, names) is escaped with `escape` where it lands, so a
comment holding `</pre><script>` shows as text. With vectors and matrices the picture is left out (the page
says so): the steps are the text format's, each with its shapes. Nothing is computed here.
"""
from __future__ import annotations

from ..base.numbers import DEFAULT_DIGITS
from ..engine.compute import Result
from ..teaching.steps import Worked
from .circuit_svg import GRAD_COLOR, MAX_NODES, VALUE_COLOR, circuit_svg, drawn_count, escape, words_for
from .explain import TextDialect, backward_heading, intro_sentences, note_sentences
from .explain_parts import backward_parts, forward_parts, nothing_backward, number_text, unreached_note

# default-src 'none': no script, no request of any kind; only the page's own <style> applies
POLICY = "default-src 'none'; style-src 'unsafe-inline'"

STYLE = f"""
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827;
  max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.5; }}
h1 {{ font-size: 1.6rem; margin-bottom: 0.5rem; }}
h2 {{ font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #e5e7eb; padding-bottom: 0.2rem; }}
pre, code, .eq {{ font-family: ui-monospace, Menlo, Consolas, monospace; }}
pre.program {{ background: #f9fafb; border: 1px solid #e5e7eb; padding: 0.75rem 1rem; overflow-x: auto;
  white-space: pre; }}
.figure {{ overflow-x: auto; border: 1px solid #e5e7eb; border-radius: 6px; padding: 0.5rem; }}
.caption {{ font-size: 0.9rem; color: #4b5563; }}
ol.steps li {{ margin: 0.25rem 0; }}
.eq {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
.value {{ color: {VALUE_COLOR}; font-weight: 600; }}
.grad {{ color: {GRAD_COLOR}; font-weight: 600; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #e5e7eb; padding: 0.25rem 0.75rem; }}
td.number {{ text-align: right; font-family: ui-monospace, Menlo, Consolas, monospace; }}
.note {{ border-left: 3px solid #d97706; padding-left: 0.75rem; color: #374151; }}
pre.steps {{ white-space: pre; overflow-x: auto; }}
"""


def sentence(text: str) -> str:
    """A sentence for HTML: `code` spans as <code>, everything escaped (a sentence may quote the program)."""
    pieces = " ".join(text.split()).split("`")
    if len(pieces) % 2 == 0:  # an unmatched backtick: all of it as text
        return escape(text)
    return "".join(f"<code>{escape(p)}</code>" if k % 2 else escape(p) for k, p in enumerate(pieces))


def _page(title: str, body) -> str:
    return "\n".join(_page_lines(title, body)) + "\n"


def _page_lines(title: str, body):
    """The page's lines around `body` (an iterable of lines, read as it goes)."""
    yield from [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(title)}</h1>",
    ]
    yield from body
    yield from ["</main>", "</body>", "</html>"]


def _program(source: str) -> list[str]:
    lines = [line.rstrip() for line in source.strip("\n").splitlines() if line.strip()]
    return ["<h2>Program</h2>", f'<pre class="program">{escape(chr(10).join(lines))}</pre>']


def _equation(parts: list[str], cls: str, note: str | None = None) -> str:
    """One step: its chain of equalities, the last part (the number it finds) coloured."""
    head = escape(" = ".join(parts[:-1]) + " = ") if len(parts) > 1 else ""
    line = f'<span class="eq">{head}<span class="{cls}">{escape(parts[-1])}</span></span>'
    return f"<li>{line}{f' ({escape(note)})' if note else ''}</li>"


def _picture(result: Result, worked: Worked, digits: int | None) -> list[str]:
    out = ["<h2>The circuit</h2>"]
    count = drawn_count(result)
    if count > MAX_NODES:
        out.append(f"<p>The picture is left out: this program has {count:,} nodes, and the page draws circuits of "
                   f"at most {MAX_NODES} (<code>backprop eval … --graph svg</code> draws a graph of any size with "
                   "Graphviz). The steps below are complete.</p>")
        return out
    label = escape(worked.output_label)
    out += [
        f'<div class="figure">{circuit_svg(result, words_for(result, digits, worked.decimals))}</div>',
        f'<p class="caption">Each gate is a node of the program, with its label above it (as the steps call it). On the '
        f'wire leaving a node: its value <span class="value">above, in green</span>, and its gradient '
        f'∂{label}/∂node <span class="grad">below, in red</span>. A wire that forks feeds several gates: the '
        "gradient under it is the sum of what flows back along each branch.</p>",
    ]
    return out


def html_lines(worked: Worked, result: Result, digits: int | None = DEFAULT_DIGITS):
    """The page's lines, one at a time, each step's made as it is written (as explain.text_lines)."""
    title = f"Worked solution: {worked.output_label} and its gradient"
    return _page_lines(title, _body(worked, result, digits))


def render_html(worked: Worked, result: Result, digits: int | None = DEFAULT_DIGITS) -> str:
    """The worked solution of a program of numbers as an HTML page (see the module docstring)."""
    return "\n".join(html_lines(worked, result, digits)) + "\n"


def _body(worked: Worked, result: Result, digits: int | None):
    d = TextDialect(digits, worked.decimals)
    number = lambda value: number_text(value, digits, worked.decimals)  # noqa: E731
    yield from _program(worked.source)
    given = ", ".join(f"{name} = {number(value)}" for name, value in worked.inputs) or "no inputs"
    yield f"<p><b>Given:</b> {escape(given)}</p>"
    if worked.functions:
        heading = "Function" if len(worked.functions) == 1 else "Functions"
        yield f"<p><b>{heading}:</b> " + ", ".join(f"<code>{escape(f)}</code>" for f in worked.functions) + "</p>"
    readings = len(worked.readings)  # intro_sentences puts them first; they quote the program: all text
    yield from (f"<p>{escape(s) if k < readings else sentence(s)}</p>" for k, s in enumerate(intro_sentences(worked)))
    yield from _picture(result, worked, digits)

    yield from ["<h2>Forward pass</h2>", "<p>The value of every node, in order:</p>"]
    if worked.computed:
        yield '<ol class="steps">'
        yield from (_equation(forward_parts(s, d), "value") for s in worked.computed)
        yield "</ol>"
    else:
        yield "<p>Nothing to compute: the output is an input.</p>"
    heading = backward_heading(worked)
    yield from ["<h2>Backward pass</h2>", f"<p>{escape(heading[0].upper() + heading[1:])}:</p>"]
    if worked.backward:
        yield '<ol class="steps">'
        yield from (_equation(backward_parts(s, d), "grad", unreached_note(s)) for s in worked.backward)
        yield "</ol>"
    else:
        text = nothing_backward(worked)
        yield f"<p>{escape(text[0].upper() + text[1:])}.</p>"

    yield from ["<h2>Answer</h2>", "<table>", "<tr><th>quantity</th><th>value</th></tr>",
                f'<tr><td>{escape(worked.output_label)}</td><td class="number value">'
                f"{escape(number(worked.output_value))}</td></tr>"]
    for label, gradient in worked.answers:
        yield (f"<tr><td>{escape(f'∂{worked.output_label}/∂{label}')}</td>"
               f'<td class="number grad">{escape(number(gradient))}</td></tr>')
    yield "</table>"
    yield from (f'<p class="note">{sentence(s)}</p>' for s in note_sentences(worked, digits))


def tensor_html_lines(worked, digits: int | None = DEFAULT_DIGITS):
    """A program with vectors and matrices: the text format's steps, with their shapes, on a page, a line at a
    time; the circuit picture is drawn for programs of numbers only (backprop eval --graph svg draws these,
    with shapes)."""
    title = f"Worked solution: {worked.output_label} and its gradient"
    return _page_lines(title, _tensor_body(worked, digits))


def render_tensor_html(worked, digits: int | None = DEFAULT_DIGITS) -> str:
    """tensor_html_lines as one text."""
    from .explain_tensor import joined

    return joined(tensor_html_lines(worked, digits))


def _tensor_body(worked, digits: int | None):
    from .explain_tensor import text_lines

    yield ("<p>The circuit picture is drawn for programs of numbers; this one has vectors or matrices, so the "
           "page has the worked solution with its shapes (<code>backprop eval … --graph svg</code> draws its "
           "graph, each node with its shape).</p>")
    # the text format in a <pre>, its lines escaped one at a time (escape leaves a new line as it is): the
    # first after the tag, and the text's last new line before the closing one
    opening = '<pre class="steps">'
    for line in text_lines(worked, digits):
        yield opening + escape(line)
        opening = ""
    yield opening + "</pre>"


def formulas_html(formulas: dict, output_label: str) -> list[str]:
    """The lines of `--symbolic`'s formulas on the page (at the end of its main part: formulas.with_formulas)."""
    rows = []
    for name, formula in formulas.items():
        where = "".join(f", where <code>{escape(n)} = {escape(text)}</code>" for n, text in formula.definitions)
        rows.append(f"<li>{escape(f'∂{output_label}/∂{name}')} = <code>{escape(formula.expression)}</code>"
                    f"{where}</li>")
    return ["<h2>Derivatives as formulas</h2>", "<ul>", *rows, "</ul>"]
