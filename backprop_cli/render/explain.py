"""`backprop explain` as text and Markdown: the worked solution the way a textbook writes it.

Pure functions from steps.Worked (or single steps) to strings. Every line is a
chain of equalities, each form once: the definition, the symbolic form, the
numbers, the result. The LaTeX version (render/explain_latex.py) builds the
same lines from the same parts.

Text:
    e = a + b = 5 + 1 = 6
    ∂g/∂e = ∂g/∂f · ∂f/∂e = (1/d) · c = (-1/3) · (-2) = 2/3
    ∂v6/∂b = ∂v6/∂v3·∂v3/∂b + ∂v6/∂v5·∂v5/∂b = v5·1 + v3·1 = 7·1 + 2·1 = 9
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from ..steps import CONSTANT_STEP, INPUT_STEP, BackwardStep, ForwardStep, Term, Worked
from .numbers import DEFAULT_DIGITS, format_number

PROSE_WIDTH = 80  # sentences wrap here; equations never do
_PLACEHOLDER = re.compile(r"\{(\d+|out)\}")
_ATOM = re.compile(r"[A-Za-z0-9_.]+")
_PARTIAL = re.compile(r"∂[^\s/]+/∂[^\s/]+")
_SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")
_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\((.*)\)")


# ---------------------------------------------------------------------------------------------
# The parts of a line, shared by every format: a dialect says how each piece is written.

@dataclass(frozen=True)
class Piece:
    """A written expression, and whether it can stand as a factor / a later term of a sum without parentheses."""

    text: str
    factor_safe: bool
    sum_safe: bool


def dedupe(parts: list) -> list:
    """Drop a part equal to the one before it: `∂f/∂e = c = -2`, never `= -2 = -2`."""
    out: list = []
    for part in parts:
        if not out or out[-1] != part:
            out.append(part)
    return out


def forward_parts(step: ForwardStep, d) -> list[str]:
    """`[label, expression, substituted, value]`, without repeats."""
    if step.kind == INPUT_STEP:
        return [d.label(step.label), d.number(step.value).text]
    if step.kind == CONSTANT_STEP:
        return dedupe([d.label(step.label), d.literal(step.expression), d.number(step.value).text])
    values = [d.operand(v, lit) for v, lit in zip(step.operands, step.operand_literals)]
    return dedupe([
        d.label(step.label),
        d.expression(step.template, step.operand_labels),
        d.substitute(step.template, values),
        d.number(step.value).text,
    ])


def _terms(pieces: list[Piece], d) -> tuple[str, ...]:
    """The terms of a sum, a later term that starts with a minus sign in parentheses."""
    return tuple(piece.text if k == 0 or piece.sum_safe else d.paren(piece.text) for k, piece in enumerate(pieces))


def _factor(piece: Piece, d) -> str:
    return piece.text if piece.factor_safe else d.paren(piece.text)


def backward_part_terms(step: BackwardStep, d) -> list[tuple[str, ...]]:
    """The parts of a backward line, each as the terms of its sum (one term unless the node feeds several).

    Parts: ∂out/∂node, the chain rule, the symbolic form, the numbers, the result;
    equal neighbours are written once. A node used by the output alone is just its
    local derivative with the values substituted: `∂g/∂d = -f/d^2 = -(-12)/(-3)^2 = 4/3`.
    """
    out = step.output_label
    lhs = (d.partial(out, step.label),)
    result = (d.number(step.gradient).text,)
    if step.is_output or not step.terms:
        return [lhs, result]
    terms = step.terms
    if len(terms) == 1 and terms[0].from_output:
        t = terms[0]
        local = d.local(t)
        parts = [lhs, (d.paren(local.text) if t.piecewise else local.text,)]
        if not t.piecewise:
            parts.append((d.substitute_local(t),))
        parts.append(result)
        return dedupe(parts)
    dot = d.dot(tight=len(terms) > 1)
    chain, symbolic, numbers = [], [], []
    for t in terms:
        local = d.local(t)
        local_value = d.number(t.local)
        if t.from_output:
            chain.append(local)
            symbolic.append(local)
            numbers.append(local_value)
            continue
        chain.append(Piece(f"{d.partial(out, t.consumer_label)}{dot}{d.partial(t.consumer_label, step.label)}",
                           True, True))
        upstream = (d.symbolic(t.upstream_symbolic) if t.upstream_symbolic is not None
                    else Piece(d.partial(out, t.consumer_label), True, True))
        # a product starts with a factor that is unsigned or in parentheses, so it never needs more
        symbolic.append(Piece(f"{_factor(upstream, d)}{dot}{_factor(local, d)}", True, True))
        numbers.append(Piece(f"{_factor(d.number(t.upstream), d)}{dot}{_factor(local_value, d)}", True, True))
    return dedupe([lhs, _terms(chain, d), _terms(symbolic, d), _terms(numbers, d), result])


def backward_parts(step: BackwardStep, d) -> list[str]:
    """The parts of a backward line as strings: `[∂g/∂e, ∂g/∂f · ∂f/∂e, (1/d) · c, (-1/3) · (-2), 2/3]`."""
    return dedupe([" + ".join(terms) for terms in backward_part_terms(step, d)])


def unreached_note(step: BackwardStep) -> str | None:
    """Why a step has no terms although it is not the output."""
    if step.is_output or step.terms:
        return None
    return f"{step.label} does not affect {step.output_label}"


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

    def __init__(self, digits: int | None = DEFAULT_DIGITS) -> None:
        self.digits = digits

    def label(self, label: str) -> str:
        return label

    def literal(self, text: str) -> str:
        return text

    def number(self, value) -> Piece:
        text = format_number(value, self.digits)
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


def forward_line(step: ForwardStep, digits: int | None = DEFAULT_DIGITS) -> str:
    """`e = a + b = 5 + 1 = 6`"""
    return " = ".join(forward_parts(step, TextDialect(digits)))


def backward_line(step: BackwardStep, digits: int | None = DEFAULT_DIGITS) -> str:
    """`∂g/∂e = ∂g/∂f · ∂f/∂e = (1/d) · c = (-1/3) · (-2) = 2/3`"""
    line = " = ".join(backward_parts(step, TextDialect(digits)))
    note = unreached_note(step)
    return f"{line}   ({note})" if note else line


def _given(worked: Worked, digits) -> str:
    return ", ".join(f"{name} = {format_number(value, digits)}" for name, value in worked.inputs) or "no inputs"


def _program_lines(source: str) -> list[str]:
    return [line.rstrip() for line in source.strip("\n").splitlines() if line.strip()]


def intro_sentences(worked: Worked) -> list[str]:
    """What a reader needs before the steps: how unnamed nodes are called."""
    out = []
    if worked.unnamed:
        ids = ", ".join(worked.unnamed)
        sentence = (f"Intermediate results the program does not name are called by their node ids "
                    f"(as in `backprop eval`): {ids}.")
        if worked.output_label == worked.output_id:
            sentence += f" The output is {worked.output_id}."
        out.append(sentence)
    return out


def backward_heading(worked: Worked) -> str:
    if worked.wrt is None:
        return f"the chain rule, from the output {worked.output_label} down to every input"
    return f"the chain rule, only along the paths from the output {worked.output_label} to {worked.wrt}"


def note_sentences(worked: Worked, digits) -> list[str]:
    """The exactness note (with --exact) and the kink notes, as sentences."""
    out = []
    if worked.exact:
        if worked.inexact is None:
            out.append("exact: every value and gradient above is an exact fraction.")
        else:
            lost = worked.inexact
            what = "its derivative is not rational" if lost.what == "derivative" else "not rational"
            out.append(f"exact until {lost.id} = {lost.expression}: {what}, so it and what depends on it are shown "
                       "as floats; the fractions shown are exact.")
    for kink in worked.kinks:
        sides = "; ".join(
            f"∂{kink.label}/∂{arg}: left {format_number(left, digits)}, right {format_number(right, digits)}, "
            f"used {format_number(used, digits)}"
            for arg, left, right, used in kink.sides
        )
        out.append(f"note: {kink.label} = {kink.expression} sits exactly on its kink, where the derivative is a "
                   f"convention (PyTorch's), not a fact. One-sided derivatives: {sides}.")
    return out


def render_text(worked: Worked, digits: int | None = DEFAULT_DIGITS) -> str:
    lines = []
    program = _program_lines(worked.source)
    if len(program) == 1:
        lines.append(f"Program: {program[0].strip()}")
    else:
        lines.append("Program:")
        lines += [f"  {line}" for line in program]
    lines.append(f"Given:   {_given(worked, digits)}")
    for sentence in intro_sentences(worked):
        lines += textwrap.wrap(sentence, PROSE_WIDTH, break_on_hyphens=False)
    lines.append("")
    lines.append("Forward pass: the value of every node, in order")
    computed = [s for s in worked.forward if s.kind != INPUT_STEP]
    lines += [f"  {forward_line(s, digits)}" for s in computed] or ["  (nothing to compute: the output is an input)"]
    lines.append("")
    lines.append(f"Backward pass: {backward_heading(worked)}")
    lines += [f"  {backward_line(s, digits)}" for s in worked.backward] or ["  (nothing to differentiate)"]
    lines.append("")
    lines.append(f"Answer: {worked.output_label} = {format_number(worked.output_value, digits)}")
    width = max((len(f"∂{worked.output_label}/∂{label}") for label, _ in worked.answers), default=0)
    for label, gradient in worked.answers:
        lhs = f"∂{worked.output_label}/∂{label}"
        lines.append(f"  {lhs:<{width}} = {format_number(gradient, digits)}")
    notes = note_sentences(worked, digits)
    if notes:
        lines.append("")
        for sentence in notes:
            lines += textwrap.wrap(sentence, PROSE_WIDTH, break_on_hyphens=False, break_long_words=False)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Markdown: the same lines, escaped, under headings and in numbered lists.

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~!])")


def escape_markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_sentence(text: str) -> str:
    """A sentence with `code` spans kept as code and the rest escaped."""
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unmatched backtick: escape everything
        return escape_markdown(text)
    return "".join(f"`{p}`" if k % 2 else escape_markdown(p) for k, p in enumerate(pieces))


def _fence(source: str) -> list[str]:
    # tildes, longer than any run of them in the program, so the output can itself sit in a ``` block
    fence = "~" * max([3] + [len(run) + 1 for run in re.findall("~+", source)])
    return [fence, *source.strip("\n").splitlines(), fence]


def render_markdown(worked: Worked, digits: int | None = DEFAULT_DIGITS) -> str:
    md = escape_markdown
    out = [f"## Worked solution: {md(worked.output_label)} and its gradient", ""]
    out += ["Program:", "", *_fence(worked.source), ""]
    out += [f"**Given:** {md(_given(worked, digits))}", ""]
    for sentence in intro_sentences(worked):
        out += [markdown_sentence(sentence), ""]
    out += ["### Forward pass", "", "The value of every node, in order:", ""]
    computed = [s for s in worked.forward if s.kind != INPUT_STEP]
    if computed:
        out += [f"{k}. {md(forward_line(s, digits))}" for k, s in enumerate(computed, 1)]
    else:
        out.append("Nothing to compute: the output is an input.")
    heading = backward_heading(worked)
    out += ["", "### Backward pass", "", md(heading[0].upper() + heading[1:]) + ":", ""]
    if worked.backward:
        out += [f"{k}. {md(backward_line(s, digits))}" for k, s in enumerate(worked.backward, 1)]
    else:
        out.append("Nothing to differentiate.")
    out += ["", "### Answer", "", "| quantity | value |", "| --- | ---: |",
            f"| {md(worked.output_label)} | {md(format_number(worked.output_value, digits))} |"]
    for label, gradient in worked.answers:
        out.append(f"| {md(f'∂{worked.output_label}/∂{label}')} | {md(format_number(gradient, digits))} |")
    for sentence in note_sentences(worked, digits):
        out += ["", f"> {markdown_sentence(sentence)}"]
    return "\n".join(out) + "\n"


def render(worked: Worked, fmt: str = "text", digits: int | None = DEFAULT_DIGITS) -> str:
    """The worked solution in `fmt`: text, markdown or latex."""
    if fmt == "text":
        return render_text(worked, digits)
    if fmt == "markdown":
        return render_markdown(worked, digits)
    if fmt == "latex":
        from .explain_latex import render_latex

        return render_latex(worked, digits)
    raise ValueError(f"unknown format {fmt!r}")
