"""`backprop explain` of a program with vectors and matrices, as text and Markdown.

Pure functions from tensor_steps.TensorWorked to strings, laid out as the scalar worked solution
(explain.py) is, each step with its shapes beside it:

    v3 = W @ x = [[0.1, 0.2], [0.3, 0.4]] @ [1, 2] = [0.5, 1.1]   (2, 2) @ (2,) -> (2,)
    ∂L/∂W = ∂L/∂v3 · xᵀ                                          (2, 1) · (1, 2) -> (2, 2)
          = [0.786448, 0.150527] · [1, 2]ᵀ
          = [[0.786448, 1.5729], [0.150527, 0.301054]]

A step of at most SHAPE_COLUMN characters is one line; a longer one puts each form after the second on a
line of its own, under the first `=`. Tensors are written as the eval tables write them (tensor_text.py): in full up to 16
numbers, else with their shape and their first elements.
"""
from __future__ import annotations

import re
import textwrap

from ..base.numbers import DEFAULT_DIGITS
from ..engine.conventions import LABELS
from ..engine.tensor.shapes import element_text, shape_text
from ..teaching.tensor_steps import UPSTREAM, TensorTerm, TensorWorked
from .explain import (PROSE_WIDTH, _fence, _program_lines, escape_markdown, intro_sentences, markdown_intro,
                      markdown_sentence)
from .explain_parts import number_text
from .explain_tensor_parts import (
    answer_rows, backward_texts, element_left_out, element_part_terms, forward_parts, forward_shapes,
)
from .tensor_text import abbreviated, nested_text

WIDTH = 100  # an element's sum longer than this puts each of its forms on a line of its own
SHAPE_COLUMN = 64  # the shapes of one-line steps line up at most this far to the right
_PLACEHOLDER = re.compile(r"\{(\d+|out|g)\}")
_OPERATORS = tuple("+-*/^·⊙−@")
_PLAIN_SYMBOL = re.compile(r"[\w.\[\], ]+")
_CALL = re.compile(r"(\w+)\(([^()]*)\)")
_SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


def _needs_parens(text: str, before: str, after: str) -> bool:
    """Whether a number put between `before` and `after` needs parentheses (a tensor never does)."""
    if text.startswith(("[", "(", "∂")) or (before in "(," and after in "),"):
        return False
    signed = text.startswith(("-", "≈"))
    if signed and (before in _OPERATORS or after in _OPERATORS or after == "ᵀ"):
        return True
    fraction = "/" in text or _SCIENTIFIC.search(text)
    return bool(fraction) and (before in ("*", "/", "^", "·", "⊙") or after in ("/", "^", "ᵀ"))


def fill(template: str, texts: dict, numbers: bool = True) -> str:
    """A template's {0}, {1}, {out}, {g} replaced by `texts`; with `numbers`, parenthesised where needed."""
    pieces, last = [], 0
    for match in _PLACEHOLDER.finditer(template):
        text = texts[match.group(1)]
        before = template[:match.start()].rstrip()[-1:]
        after = template[match.end():].lstrip()[:1]
        if numbers and _needs_parens(text, before, after):
            text = f"({text})"
        pieces += [template[last:match.start()], text]
        last = match.end()
    return "".join(pieces) + template[last:]


def split_prose(rule: str) -> tuple[str, str]:
    """A rule's formula and the words after it (`, copied along the summed axes`, ` at [k], 0 elsewhere`)."""
    depth = 0
    for k, ch in enumerate(rule):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0 and (rule.startswith(", ", k) or rule.startswith(" at ", k)):
            return rule[:k], rule[k:]
    return rule, ""


def shape_texts(template: str, shapes, labels, write) -> dict:
    """What each placeholder of a template stands for in its shapes: the operand's shape, written by
    `write`, but the label of an index (`{0}[{1}]`: the shape of {0}, then k)."""
    inside = set(re.findall(r"\[[^\]]*\{(\d+)\}", template))
    return {str(k): labels[k] if str(k) in inside else write(s) for k, s in enumerate(shapes)}


def _rule(term: TensorTerm) -> str:
    """The rule over {g} (the upstream gradient), {0}, {1}, {out}; between numbers, ⊙ is a plain product."""
    rule = term.rule.replace(UPSTREAM, "{g}")
    return rule.replace(" ⊙ ", " · ") if not term.consumer_shape else rule


def _summed(term: TensorTerm) -> str:
    return "" if term.summed_to is None else f", summed to the shape {shape_text(term.summed_to)}"


class TensorTextDialect:
    """How the parts of a tensor step are written in plain text (and, escaped, in Markdown)."""

    def __init__(self, digits: int | None = DEFAULT_DIGITS, decimals: bool = False) -> None:
        self.digits = digits
        self.decimals = decimals  # exact values as decimals (0.6), not fractions (3/5)

    # values and names
    def label(self, text: str) -> str:
        return text

    def literal(self, text: str) -> str:
        return text

    def value(self, nested, shape: tuple) -> str:
        return nested_text(nested, self.digits, shape, self.number)

    def number(self, value) -> str:
        return number_text(value, self.digits, self.decimals)

    def operand(self, nested, shape: tuple, literal: str | None, label: str) -> str:
        """An operand in a form with numbers: its literal, its value, or its label when it is too big."""
        if abbreviated(shape):
            return label
        return literal if literal is not None else self.value(nested, shape)

    def partial(self, out: str, node: str) -> str:
        return f"∂{out}/∂{node}"

    # forward
    def expression(self, template: str, labels, shapes) -> str:
        return fill(template, {str(k): x for k, x in enumerate(labels)}, numbers=False)

    def substitute(self, template: str, texts, shapes) -> str:
        return fill(template, {str(k): x for k, x in enumerate(texts)})

    # shapes
    def shape(self, shape: tuple) -> str:
        return shape_text(shape)

    def template_shapes(self, template: str, shapes, labels) -> str:
        """`(2, 2) @ (2,)`; a call as `tanh: (2,)`, `sum: (3, 2), axis=0` (no parentheses around shapes); an
        index by its label, `(4,)[k]`."""
        call = _CALL.fullmatch(template)
        if call:
            template = f"{call.group(1)}: {call.group(2)}"
        return fill(template, shape_texts(template, shapes, labels, shape_text), numbers=False)

    def arrow(self, chain: list[str]) -> str:
        return " -> ".join(chain)

    def product(self, factors: list[str], hadamard: bool) -> str:
        return (" ⊙ " if hadamard else " · ").join(factors)

    def summed(self, text: str, shape: str) -> str:
        return f"{text}, summed to {shape}"

    def several(self, texts: list[str]) -> str:
        return "; ".join(texts)

    # backward
    def term_symbolic(self, term: TensorTerm, out: str) -> str:
        texts = {str(k): x for k, x in enumerate(term.operand_labels)}
        texts.update(out=term.consumer_label, g=self.partial(out, term.consumer_label))
        return fill(_rule(term), texts, numbers=False) + _summed(term)

    def term_numbers(self, term: TensorTerm, out: str) -> str:
        """The term with numbers; a tensor too big to write in full keeps its name."""
        big = abbreviated(term.consumer_shape)
        upstream = self.partial(out, term.consumer_label) if big else self.value(term.upstream, term.consumer_shape)
        if term.local_template in ("1", "-1"):
            sign = "-" if term.local_template == "-1" else ""
            text = sign + (f"({upstream})" if sign and upstream.startswith("-") else upstream)
        elif term.local is not None and big:
            return self.term_symbolic(term, out)
        elif term.local is not None:
            times = " ⊙ " if term.consumer_shape else " · "
            text = fill("{g}" + times + "{0}", {"g": upstream, "0": self.value(term.local, term.consumer_shape)})
        else:
            texts = {str(k): self.operand(v, s, lit, label) for k, (v, s, lit, label)
                     in enumerate(zip(term.operands, term.operand_shapes, term.operand_literals, term.operand_labels))}
            texts.update(out=term.consumer_label if big else self.value(term.consumer_value, term.consumer_shape),
                         g=upstream)
            text = fill(_rule(term), texts)
        return text + _summed(term)

    def in_sum(self, text: str, several: bool) -> str:
        """A term of a sum: in parentheses when it has words after it or starts with a minus sign."""
        return f"({text})" if several and (split_prose(text)[1] or text.startswith("-")) else text

    def plus(self, terms) -> str:
        return " + ".join(terms)

    # an element's sum
    def times(self, left: str, right: str) -> str:
        return f"{left} · {right}"

    def factor(self, value) -> str:
        text = self.number(value)
        return f"({text})" if text.startswith(("-", "≈")) or "/" in text else text

    def element_symbol(self, text: str) -> str:
        return text if _PLAIN_SYMBOL.fullmatch(text) and "/" not in text else f"({text})"

    def ellipsis(self) -> str:
        return "..."

    # answers
    def none_index(self) -> str:
        return "none (an index)"

    def no_effect(self, label: str, out: str) -> str:
        return f"0 ({label} does not affect {out})"


# ---------------------------------------------------------------------------------------------
# Plain text

def _column(firsts) -> int:
    """Where the shapes start: after the longest first line that is short enough (`firsts` read as they come,
    none of them kept)."""
    return max((n for n in map(len, firsts) if n <= SHAPE_COLUMN), default=0) + 3


def _first(parts: list[str]) -> str:
    """A step's first line: the whole step when it is short, else its first two forms."""
    body = " = ".join(parts)
    return body if len(body) <= SHAPE_COLUMN else " = ".join(parts[:2])


def step_lines(parts: list[str], shapes: str, column: int, indent: str = "  ") -> list[str]:
    """A short step as one line `parts = ... = ...`, the shapes at `column`; a longer one with its first two
    forms and the shapes on a line, then each further form on a line of its own under the first `=`."""
    first = _first(parts)
    rest = parts[2:] if first != " = ".join(parts) else []
    if not shapes:
        head = f"{indent}{first}"
    else:
        head = f"{indent}{first:<{column}}{shapes}" if len(first) < column else f"{indent}{first}   {shapes}"
    under = " " * (len(parts[0]) + 1)
    return [head, *(f"{indent}{under}= {part}" for part in rest)]


def _section(steps, written):
    """The lines of `steps`, each written by `written(step) -> (parts, shapes)`, the shapes in one column.
    Two passes, the first for the column, so the steps and their texts are made and dropped one at a time
    (teaching/tensor_steps.Steps) rather than all held at once."""
    column = _column(_first(written(step)[0]) for step in steps)
    return _section_lines(steps, written, column)


def _section_lines(steps, written, column: int):
    for step in steps:
        parts, shapes = written(step)
        yield from step_lines(parts, shapes, column)


def joined(lines) -> str:
    """Lines, each ended by a new line, as one text. Joined in batches as they come: a worked solution of a
    100,000-node program has a million lines, and a str per line costs more than its characters (issue 16);
    the last new line goes into the same join (`text + "\\n"` would copy it all)."""
    chunks: list[str] = []
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= 4096:
            chunks.append("\n".join(batch))
            batch = []
    batch.append("")
    chunks.append("\n".join(batch))
    del batch
    return "\n".join(chunks)


def _row(body: str, shape: str, column: int) -> str:
    """`  body   shape`, the shape at `column` where the body is short enough."""
    if not shape:
        return f"  {body}"
    return f"  {body:<{column}}{shape}" if len(body) < column else f"  {body}   {shape}"


def _given_lines(worked: TensorWorked, d: TensorTextDialect) -> list[str]:
    if not worked.inputs:
        return ["Given:   no inputs"]
    rows = [(f"{name} = {d.value(value, shape)}", "" if abbreviated(shape) else shape_text(shape))
            for name, value, shape in worked.inputs]
    column = _column([body for body, _ in rows])
    return ["Given:"] + [_row(body, shape, column) for body, shape in rows]


def backward_heading(worked: TensorWorked) -> str:
    if worked.wrt is None:
        return f"the chain rule at tensor level, from the output {worked.output_label} down to every input"
    return (f"the chain rule at tensor level, only along the paths from the output {worked.output_label} "
            f"to {worked.element.label if worked.element else worked.wrt}")


def element_heading(worked: TensorWorked) -> str:
    step = worked.element
    name = step.label + element_text(step.at)
    consumers = list(dict.fromkeys(t.consumer_label for t in step.terms))
    where = ", ".join(consumers) or "nothing"
    return f"the element {name}: the sum over the elements of {where} it reaches"


def element_lines(worked: TensorWorked, d) -> list[str]:
    step = worked.element
    parts = [d.plus(terms) for terms in element_part_terms(step, worked.output_label, d)]
    lines = ["  " + " = ".join(parts)] if len(" = ".join(parts)) <= WIDTH - 2 else step_lines(parts, "", 0)
    left = element_left_out(step)
    return lines + ([f"  ({len(step.terms)} terms: {left} are written as ...)"] if left else [])


def note_sentences(worked: TensorWorked, d: TensorTextDialect) -> list[str]:
    """The exactness note (with --exact) and one note per element on a kink."""
    out = []
    if worked.exact and not worked.decimals:
        if worked.inexact is None:
            out.append("exact: every value and gradient above is an exact fraction.")
        else:
            lost = worked.inexact
            what = "its derivative is not rational" if lost.what == "derivative" else "not rational"
            out.append(f"exact until {lost.label} = {lost.expression}: {what}, so it and what depends on it are shown "
                       "as floats; the fractions shown are exact.")
    for kink in worked.kinks:
        sides = "; ".join(f"∂{kink.label}{element_text(kink.at) if kink.at else ''}/∂{source}: left "
                          f"{d.number(left)}, right {d.number(right)}, used {d.number(used)}"
                          for source, left, right, used in kink.sides)
        at = f" at {element_text(kink.at)}" if kink.at else ""
        out.append(f"note: {kink.label} = {kink.expression} sits exactly on its kink{at}, where the derivative is a "
                   f"convention ({LABELS[kink.convention]}), not a fact. One-sided derivatives: {sides}.")
    return out


def text_lines(worked: TensorWorked, digits: int | None = DEFAULT_DIGITS):
    """The worked solution in plain text, a line at a time: each step is made as its line is, and dropped
    (`backprop explain` writes them as they come, so a long program's text is never held whole)."""
    d = TensorTextDialect(digits, worked.decimals)
    program = _program_lines(worked.source)
    if len(program) == 1:
        yield f"Program: {program[0].strip()}"
    else:
        yield "Program:"
        yield from (f"  {p}" for p in program)
    yield from _given_lines(worked, d)
    if worked.functions:
        yield "Functions:" if len(worked.functions) > 1 else "Function:"
        yield from (f"  {definition}" for definition in worked.functions)
    for sentence in intro_sentences(worked):
        yield from textwrap.wrap(sentence, PROSE_WIDTH, break_on_hyphens=False)
    yield from ["", "Forward pass: the value of every node, in order (the shapes on the right)"]
    if worked.forward:
        yield from _section(worked.forward, lambda s: (forward_parts(s, d), forward_shapes(s, d)))
    else:
        yield "  (nothing to compute: the output is an input)"
    yield from ["", f"Backward pass: {backward_heading(worked)}"]
    yield from _section(worked.backward, lambda s: backward_texts(s, d))
    if worked.element is not None:
        yield from ["", element_heading(worked)[0].upper() + element_heading(worked)[1:]]
        yield from element_lines(worked, d)
    yield from ["", f"Answer: {worked.output_label} = {d.value(worked.output_value, worked.output_shape)}"]
    yield from _answer_lines(worked, d)
    notes = note_sentences(worked, d)
    if notes:
        yield ""
        for sentence in notes:
            yield from textwrap.wrap(sentence, PROSE_WIDTH, break_on_hyphens=False, break_long_words=False)


def _answer_lines(worked: TensorWorked, d: TensorTextDialect):
    """The answer's rows, the names padded to one width and the shapes in one column: three passes over the
    answers (made when read: tensor_steps.Steps), none of them kept."""
    width = max((len(lhs) for lhs, _, _ in answer_rows(worked, d)), default=0)

    def rows():
        return ((f"{lhs:<{width}} = {value}", shape) for lhs, value, shape in answer_rows(worked, d))

    column = _column(body for body, _ in rows())
    return (_row(body, shape, column) for body, shape in rows())


def render_text(worked: TensorWorked, digits: int | None = DEFAULT_DIGITS) -> str:
    """text_lines as one text."""
    return joined(text_lines(worked, digits))


# ---------------------------------------------------------------------------------------------
# Markdown: the same lines, escaped, one list item a step, the shapes as code

def _item(k: int, parts: list[str], shapes: str) -> str:
    return f"{k}. {escape_markdown(' = '.join(parts))} — `{shapes}`"


def markdown_lines(worked: TensorWorked, digits: int | None = DEFAULT_DIGITS):
    """The worked solution in Markdown, a line at a time (as text_lines)."""
    d = TensorTextDialect(digits, worked.decimals)
    md = escape_markdown
    yield from [f"## Worked solution: {md(worked.output_label)} and its gradient", ""]
    yield from ["Program:", "", *_fence(worked.source), ""]
    yield from ["**Given:**", ""]
    yield from (f"- {md(name)} = {md(d.value(value, shape))} — `{shape_text(shape)}`"
                for name, value, shape in worked.inputs)
    if not worked.inputs:
        yield "- no inputs"
    yield ""
    if worked.functions:
        heading = "Function" if len(worked.functions) == 1 else "Functions"
        yield from [f"**{heading}:** " + ", ".join(f"`{definition}`" for definition in worked.functions), ""]
    for sentence in markdown_intro(worked):
        yield from [sentence, ""]
    yield from ["### Forward pass", "", "The value of every node, in order, with the shapes:", ""]
    if worked.forward:
        yield from (_item(k, forward_parts(s, d), forward_shapes(s, d)) for k, s in enumerate(worked.forward, 1))
    else:
        yield "Nothing to compute: the output is an input."
    heading = backward_heading(worked)
    yield from ["", "### Backward pass", "", md(heading[0].upper() + heading[1:]) + ", with the shapes:", ""]
    yield from (_item(k, *backward_texts(s, d)) for k, s in enumerate(worked.backward, 1))
    if worked.element is not None:
        heading = element_heading(worked)
        yield from ["", f"### {md(heading[0].upper() + heading[1:])}", ""]
        yield from (md(line.strip()) for line in element_lines(worked, d))
    yield from ["", "### Answer", "", "| quantity | value | shape |", "| --- | ---: | --- |",
                f"| {md(worked.output_label)} | {md(d.value(worked.output_value, worked.output_shape))} | "
                f"`{shape_text(worked.output_shape)}` |"]
    yield from (f"| {md(lhs)} | {md(value)} | {f'`{shape}`' if shape else ''} |"
                for lhs, value, shape in answer_rows(worked, d))
    for sentence in note_sentences(worked, d):
        yield from ["", f"> {markdown_sentence(sentence)}"]


def render_markdown(worked: TensorWorked, digits: int | None = DEFAULT_DIGITS) -> str:
    """markdown_lines as one text."""
    return joined(markdown_lines(worked, digits))
