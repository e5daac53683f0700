"""`backprop explain` as text and Markdown: the worked solution the way a textbook writes it.

Pure functions from steps.Worked (or single steps) to strings. Every line is a
chain of equalities, each form once: the definition, the symbolic form, the
numbers, the result. The parts of each line come from explain_parts.py; the LaTeX
version (explain_latex.py) builds the same lines from the same parts.

Text:
    e = a + b = 5 + 1 = 6
    ∂g/∂e = ∂g/∂f · ∂f/∂e = (1/d) · c = (-1/3) · (-2) = 2/3
    ∂v6/∂b = ∂v6/∂v3·∂v3/∂b + ∂v6/∂v5·∂v5/∂b = v5·1 + v3·1 = 7·1 + 2·1 = 9
"""
from __future__ import annotations

import re
import textwrap

from ..base.numbers import DEFAULT_DIGITS
from ..engine.conventions import LABELS
from ..teaching.steps import BackwardStep, ForwardStep, Term, Worked
from .explain_parts import (
    NumberCache, Piece, backward_parts, forward_parts, nothing_backward, number_text, unnamed_sentence,
    unreached_note,
)
from .missing import cause_lines

PROSE_WIDTH = 80  # sentences wrap here; equations never do
_PLACEHOLDER = re.compile(r"\{(\d+|out)\}")
_ATOM = re.compile(r"[A-Za-z0-9_.]+")
_PARTIAL = re.compile(r"∂[^\s/]+/∂[^\s/]+")
_SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")
_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\((.*)\)")



# ---------------------------------------------------------------------------------------------
# Plain text

def _needs_parens_as_number(text: str, before: str, after: str) -> bool:
    """Whether a number substituted for a placeholder between `before` and `after` needs parentheses."""
    if before in "(," and after in "),":
        return False  # a function's argument, or already in parentheses
    if before == "" and after == "":
        return False
    if text.startswith("≈"):
        return True
    if text.startswith("-") and (before in tuple("+-*/^·") or after == "^"):
        return True
    if "/" in text and (before in tuple("*/^·") or after in tuple("/^")):
        return True
    if _SCIENTIFIC.search(text) and (before == "^" or after == "^"):
        return True
    return False


def substitute_text(template: str, texts, out: str | None = None, numbers: bool = True) -> str:
    """Put texts (and `out`) into a template's {0}, {1}, {out}; with `numbers`, parenthesise where needed.

    `{0} * {1}` with `6`, `-2` gives `6 * (-2)`: parentheses only where the reading would change or blur.
    """
    pieces = []
    last = 0
    for match in _PLACEHOLDER.finditer(template):
        key = match.group(1)
        text = out if key == "out" else texts[int(key)]
        before = template[:match.start()].rstrip()[-1:]
        after = template[match.end():].lstrip()[:1]
        if numbers and _needs_parens_as_number(text, before, after):
            text = f"({text})"
        pieces.append(template[last:match.start()])
        pieces.append(text)
        last = match.end()
    pieces.append(template[last:])
    return "".join(pieces)


def _balanced_call(text: str) -> bool:
    """`exp(x)`, `sqrt(v3)`: a single call whose parentheses enclose the rest."""
    match = _CALL.fullmatch(text)
    if match is None:
        return False
    depth = 0
    for ch in match.group(1):
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _symbol_piece(text: str, piecewise: bool = False) -> Piece:
    if piecewise:
        return Piece(text, False, False)
    atomic = bool(_ATOM.fullmatch(text) or _PARTIAL.fullmatch(text) or _balanced_call(text))
    return Piece(text, atomic, not text.startswith("-"))


class TextDialect:
    """How the parts are written in plain text (and, escaped, in Markdown)."""

    def __init__(self, digits: int | None = DEFAULT_DIGITS, decimals: bool = False) -> None:
        self.digits = digits
        self.decimals = decimals  # exact values as decimals (0.6), not fractions (3/5)
        self.number = NumberCache(self._number)

    def label(self, label: str) -> str:
        return label

    def literal(self, text: str) -> str:
        return text

    def _number(self, value) -> Piece:
        text = number_text(value, self.digits, self.decimals)
        return Piece(text, not (text.startswith("-") or "/" in text or "≈" in text), not text.startswith("-"))

    def operand(self, value, literal: str | None) -> str:
        return literal if literal is not None else self.number(value).text

    def expression(self, template: str, labels) -> str:
        return substitute_text(template, list(labels), numbers=False)

    def substitute(self, template: str, texts) -> str:
        return substitute_text(template, list(texts))

    def partial(self, out: str, node: str) -> str:
        return f"∂{out}/∂{node}"

    def dot(self, tight: bool) -> str:
        return "·" if tight else " · "

    def paren(self, text: str) -> str:
        return f"({text})"

    def local(self, term: Term) -> Piece:
        return _symbol_piece(term.local_symbolic, term.piecewise)

    def symbolic(self, text: str) -> Piece:
        return _symbol_piece(text)

    def substitute_local(self, term: Term) -> str:
        values = [self.operand(v, lit) for v, lit in zip(term.operands, term.operand_literals)]
        return substitute_text(term.local_template, values, out=self.number(term.consumer_value).text)


def forward_line(step: ForwardStep, digits: int | None = DEFAULT_DIGITS, decimals: bool = False,
                 dialect: TextDialect | None = None) -> str:
    """`e = a + b = 5 + 1 = 6` (`dialect`: one TextDialect for many lines, which remembers numbers written)"""
    return " = ".join(forward_parts(step, dialect or TextDialect(digits, decimals)))


def backward_line(step: BackwardStep, digits: int | None = DEFAULT_DIGITS, decimals: bool = False,
                  dialect: TextDialect | None = None) -> str:
    """`∂g/∂e = ∂g/∂f · ∂f/∂e = (1/d) · c = (-1/3) · (-2) = 2/3`"""
    line = " = ".join(backward_parts(step, dialect or TextDialect(digits, decimals)))
    note = unreached_note(step)
    return f"{line}   ({note})" if note else line


def _given(worked: Worked, digits) -> str:
    return ", ".join(f"{name} = {number_text(value, digits, worked.decimals)}"
                     for name, value in worked.inputs) or "no inputs"


def _program_lines(source: str) -> list[str]:
    return [line.rstrip() for line in source.strip("\n").splitlines() if line.strip()]


def intro_sentences(worked: Worked) -> list[str]:
    """What a reader needs before the steps: how what could be misread was read, how calls of the program's
    functions are worked out, how unnamed nodes are called."""
    out = [f"Note: {reading}." for reading in worked.readings]
    if worked.functions:
        example = f" (`{worked.calls[0]}`)" if worked.calls else ""
        out.append("A call of a function is worked out as the nodes of its body, with the call's arguments for "
                   f"its parameters; the node that is its result is called by the call{example}.")
    if worked.unnamed:
        out.append(unnamed_sentence(worked, str, lambda ids: f"`{ids}`"))
    return out


def backward_heading(worked: Worked) -> str:
    if worked.wrt is None:
        return f"the chain rule, from the output {worked.output_label} down to every input"
    return f"the chain rule, only along the paths from the output {worked.output_label} to {worked.wrt}"


def note_sentences(worked: Worked, digits) -> list[str]:
    """Where numbers are missing and why, the exactness note (with --exact) and the kink notes, as sentences."""
    out = cause_lines(worked.missing, worked.output_label, len(worked.inputs))
    number = lambda value: number_text(value, digits, worked.decimals)  # noqa: E731
    if worked.exact and not worked.decimals:
        if worked.inexact is None:
            out.append("exact: every value and gradient above is an exact fraction.")
        else:
            lost = worked.inexact
            what = "its derivative is not rational" if lost.what == "derivative" else "not rational"
            out.append(f"exact until {lost.label} = {lost.expression}: {what}, so it and what depends on it are shown "
                       "as floats; the fractions shown are exact.")
    for kink in worked.kinks:
        sides = "; ".join(
            f"∂{kink.label}/∂{arg}: left {number(left)}, right {number(right)}, used {number(used)}"
            for arg, left, right, used in kink.sides
        )
        out.append(f"note: {kink.label} = {kink.expression} sits exactly on its kink, where the derivative is a "
                   f"convention ({LABELS[kink.convention]}), not a fact. One-sided derivatives: {sides}.")
    return out


def text_lines(worked: Worked, digits: int | None = DEFAULT_DIGITS):
    """The text format's lines, one at a time, each step's made as it is written (Worked's Steps): the worked
    solution of a long program is never held whole, as records or as text (issue 16)."""
    program = _program_lines(worked.source)
    if len(program) == 1:
        yield f"Program: {program[0].strip()}"
    else:
        yield "Program:"
        yield from (f"  {line}" for line in program)
    del program
    yield f"Given:   {_given(worked, digits)}"
    if len(worked.functions) == 1:
        yield f"Function: {worked.functions[0]}"
    elif worked.functions:
        yield "Functions:"
        yield from (f"  {definition}" for definition in worked.functions)
    for sentence in intro_sentences(worked):
        yield from textwrap.wrap(sentence, PROSE_WIDTH, break_on_hyphens=False)
    yield ""
    yield "Forward pass: the value of every node, in order"
    d = TextDialect(digits, worked.decimals)
    if worked.computed:
        yield from (f"  {forward_line(s, dialect=d)}" for s in worked.computed)
    else:
        yield "  (nothing to compute: the output is an input)"
    yield ""
    yield f"Backward pass: {backward_heading(worked)}"
    if worked.backward:
        yield from (f"  {backward_line(s, dialect=d)}" for s in worked.backward)
    else:
        yield f"  ({nothing_backward(worked)})"
    yield ""
    number = lambda value: number_text(value, digits, worked.decimals)  # noqa: E731
    yield f"Answer: {worked.output_label} = {number(worked.output_value)}"
    width = max((len(f"∂{worked.output_label}/∂{label}") for label, _ in worked.answers), default=0)
    for label, gradient in worked.answers:
        lhs = f"∂{worked.output_label}/∂{label}"
        yield f"  {lhs:<{width}} = {number(gradient)}"
    notes = note_sentences(worked, digits)
    if notes:
        yield ""
        for sentence in notes:
            yield from textwrap.wrap(sentence, PROSE_WIDTH, break_on_hyphens=False, break_long_words=False)


def render_text(worked: Worked, digits: int | None = DEFAULT_DIGITS) -> str:
    return document(text_lines(worked, digits))


def document(lines) -> str:
    """The lines of a format as one text (each ended by a new line), as the command writes them."""
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Markdown: the same lines, escaped, under headings and in numbered lists.

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~!&])")


def escape_markdown(text: str) -> str:
    """Text that Markdown shows as written: its punctuation (& too, or `&lt;` would show as <) escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_sentence(text: str) -> str:
    """A sentence with `code` spans kept as code and the rest escaped, on one line: a sentence may quote the
    program (a reading of 1/2x with a comment inside brackets), and a line break there would let a line of it
    start a list or a heading, and cut a code span so that its text is read as HTML."""
    text = " ".join(text.split())
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unmatched backtick: escape everything
        return escape_markdown(text)
    return "".join(f"`{p}`" if k % 2 else escape_markdown(p) for k, p in enumerate(pieces))


def markdown_intro(worked) -> list[str]:
    """The intro sentences in Markdown. A reading quotes the program, comments and all, so it is escaped
    whole (a backtick in a comment shows as one); the other sentences keep their `code`."""
    readings = len(worked.readings)  # intro_sentences puts them first
    return [escape_markdown(" ".join(s.split())) if k < readings else markdown_sentence(s)
            for k, s in enumerate(intro_sentences(worked))]


def _fence(source: str) -> list[str]:
    # tildes, longer than any run of them in the program, so the output can itself sit in a ``` block
    fence = "~" * max([3] + [len(run) + 1 for run in re.findall("~+", source)])
    return [fence, *source.strip("\n").splitlines(), fence]


def markdown_lines(worked: Worked, digits: int | None = DEFAULT_DIGITS):
    """The Markdown format's lines, one at a time (as text_lines)."""
    md = escape_markdown
    yield from [f"## Worked solution: {md(worked.output_label)} and its gradient", ""]
    yield from ["Program:", "", *_fence(worked.source), ""]
    yield from [f"**Given:** {md(_given(worked, digits))}", ""]
    if worked.functions:
        heading = "Function" if len(worked.functions) == 1 else "Functions"
        yield from [f"**{heading}:** " + ", ".join(f"`{definition}`" for definition in worked.functions), ""]
    for sentence in markdown_intro(worked):
        yield from [sentence, ""]
    number = lambda value: number_text(value, digits, worked.decimals)  # noqa: E731
    yield from ["### Forward pass", "", "The value of every node, in order:", ""]
    d = TextDialect(digits, worked.decimals)
    if worked.computed:
        yield from (f"{k}. {md(forward_line(s, dialect=d))}" for k, s in enumerate(worked.computed, 1))
    else:
        yield "Nothing to compute: the output is an input."
    heading = backward_heading(worked)
    yield from ["", "### Backward pass", "", md(heading[0].upper() + heading[1:]) + ":", ""]
    if worked.backward:
        yield from (f"{k}. {md(backward_line(s, dialect=d))}" for k, s in enumerate(worked.backward, 1))
    else:
        text = nothing_backward(worked)
        yield md(text[0].upper() + text[1:] + ".")
    yield from ["", "### Answer", "", "| quantity | value |", "| --- | ---: |",
                f"| {md(worked.output_label)} | {md(number(worked.output_value))} |"]
    for label, gradient in worked.answers:
        yield f"| {md(f'∂{worked.output_label}/∂{label}')} | {md(number(gradient))} |"
    for sentence in note_sentences(worked, digits):
        yield from ["", f"> {markdown_sentence(sentence)}"]


def render_markdown(worked: Worked, digits: int | None = DEFAULT_DIGITS) -> str:
    return document(markdown_lines(worked, digits))


def worked_lines(worked: Worked, fmt: str = "text", digits: int | None = DEFAULT_DIGITS):
    """The worked solution in `fmt` (text, markdown or latex) as its lines, one at a time: each step is made
    as its line is written (the progress bar, if any, is fed by the steps: teaching/steps.py's `track`)."""
    if fmt == "text":
        return text_lines(worked, digits)
    if fmt == "markdown":
        return markdown_lines(worked, digits)
    if fmt == "latex":
        from .explain_latex import latex_lines

        return latex_lines(worked, digits)
    raise ValueError(f"unknown format {fmt!r}")


def render(worked: Worked, fmt: str = "text", digits: int | None = DEFAULT_DIGITS) -> str:
    """The worked solution in `fmt`: text, markdown or latex, as one text."""
    return document(worked_lines(worked, fmt, digits))
