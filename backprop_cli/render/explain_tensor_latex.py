"""`backprop explain --format latex` of a program with vectors and matrices: a document that compiles as is.

The lines of the text format (explain_tensor_parts.py cuts them into parts), each piece in LaTeX: a
tensor as a `bmatrix` (a vector as a column, as the textbooks write `W x`; a big one abbreviated with
`\\cdots` and `\\vdots` and its shape under it, as the tables abbreviate it), `W @ x` as `W x`, `Wᵀ` as
`W^{\\top}`, an elementwise product as `\\odot`, and the shapes of each step beside it in text. Only amsmath
is needed; the document is plain ASCII.
"""
from __future__ import annotations

import itertools
import re

from ..base.numbers import DEFAULT_DIGITS
from ..engine.conventions import LABELS
from ..engine.tensor.shapes import element_text, shape_text
from ..teaching.tensor_steps import UPSTREAM, TensorTerm, TensorWorked
from .explain_parts import number_text, unnamed_sentence
from .explain_latex import _rows
from .explain_tensor import TensorTextDialect, joined, split_prose
from .explain_tensor_parts import (
    answer_rows, backward_written, element_left_out, element_part_terms, forward_parts, forward_shapes,
)
from .latex import (
    ATOM, PRODUCT, UNARY, Tex, escape_text, latex_expression, latex_name, latex_number_text, latex_template,
)
from .tensor_text import KEEP_LAST, KEEP_OUTER, abbreviated

_ELEMENT_LABEL = re.compile(r"(.+?)(\[[-0-9, ]*\])")
_RULE_TOKEN = re.compile(r"\{(\w+)\}|ᵀ|[·⊙−+/Σ()\[\],-]|[A-Za-z_]+|\d+(?:\.\d+)?|\s+")
_OPERATOR_TEX = {"·": r" \cdot ", "⊙": r" \odot ", "−": " - ", "-": " - ", "+": " + ", "/": " / ", "Σ": r"\sum ",
                 "(": r"\left(", ")": r"\right)", "ᵀ": r"^{\top}", ",": ", ", "[": "[", "]": "]"}
_FUNCTION_TEX = {"exp": r"\exp", "log": r"\log"}


# ---------------------------------------------------------------------------------------------
# Tensors as matrices

def _rows_of(nested, shape: tuple, abbreviated: bool) -> list[list]:
    """A matrix's rows of entries (numbers, or None for a gap) as the bmatrix shows them: a vector as a
    column; of an abbreviated one, its first rows and columns with a gap after."""
    if len(shape) == 1:
        keep = KEEP_LAST if abbreviated else shape[0]
        rows = [[x] for x in nested[:keep]]
        return rows + ([[None]] if keep < shape[0] else [])
    rows_kept = KEEP_OUTER if abbreviated else shape[0]
    columns_kept = KEEP_LAST if abbreviated else shape[1]
    rows = [[*row[:columns_kept], *([None] if columns_kept < shape[1] else [])] for row in nested[:rows_kept]]
    if rows_kept < shape[0]:
        rows.append([None] * len(rows[0]))
    return rows


def _bmatrix(rows: list[list], write) -> str:
    """The rows as a bmatrix: a gap in a row is \\cdots, the row of gaps under the rows shown \\vdots (and
    \\ddots in the corner when columns are left out too)."""
    column_gap = len(rows[0]) > 1 and rows[0][-1] is None
    cells = []
    for row in rows:
        if all(x is None for x in row):
            cells.append(" & ".join([r"\vdots"] * (len(row) - column_gap) + [r"\ddots"] * column_gap))
        else:
            cells.append(" & ".join(r"\cdots" if x is None else write(x) for x in row))
    return r"\begin{bmatrix}" + r" \\ ".join(cells) + r"\end{bmatrix}"


def matrix_tex(nested, shape: tuple, write) -> str:
    """A tensor as a bmatrix (`write` writes a number); more than two axes as a row of matrices, a big
    tensor abbreviated with its shape under it."""
    if not shape:
        return write(nested)
    short = abbreviated(shape)
    if len(shape) <= 2:
        text = _bmatrix(_rows_of(nested, shape, short), write)
    else:
        blocks = [(nested, shape)]  # the leading axes unrolled, with no recursion over the dimensions
        while len(blocks[0][1]) > 2:
            keep = KEEP_OUTER if short else blocks[0][1][0]
            blocks = [(item, s[1:]) for value, s in blocks for item in value[:keep]]
        inner = [_bmatrix(_rows_of(value, s, short), write) for value, s in blocks]
        text = r"\begin{bmatrix}" + " & ".join(inner + ([r"\cdots"] if short else [])) + r"\end{bmatrix}"
    if short:
        times = r" \times "
        text = rf"\underset{{{times.join(map(str, shape))}}}{{{text}}}"
    return text


# ---------------------------------------------------------------------------------------------
# The dialect the shared line builders write with

class TensorLatexDialect:
    def __init__(self, digits: int | None = DEFAULT_DIGITS, decimals: bool = False) -> None:
        self.digits = digits
        self.decimals = decimals
        self.text = TensorTextDialect(digits, decimals)

    # values and names
    def number_tex(self, value) -> Tex:
        return latex_number_text(number_text(value, self.digits, self.decimals))

    def number(self, value) -> str:
        return self.number_tex(value).text

    def label(self, text: str) -> str:
        match = _ELEMENT_LABEL.fullmatch(text)
        return latex_name(match.group(1)) + match.group(2) if match else latex_name(text)

    def literal(self, text: str) -> str:
        return latex_expression(text).text

    def value_tex(self, nested, shape: tuple) -> Tex:
        if not shape:
            return self.number_tex(nested)
        return Tex(matrix_tex(nested, shape, self.number), ATOM)

    def value(self, nested, shape: tuple) -> str:
        return self.value_tex(nested, shape).text

    def operand(self, nested, shape: tuple, literal: str | None, label: str) -> Tex:
        """An operand in a form with numbers: its value, or its name when it is too big to write in full."""
        if abbreviated(shape):
            return Tex(latex_name(label), ATOM)
        return latex_number_text(literal) if literal is not None and not shape else self.value_tex(nested, shape)

    def partial(self, out: str, node: str) -> str:
        return rf"\frac{{\partial {self.label(out)}}}{{\partial {self.label(node)}}}"

    # forward
    def _template(self, template: str, leaves: list[Tex], shapes) -> str:
        text = latex_template(template, leaves).text
        if template == "{0} * {1}" and all(shapes):  # a product of two tensors is elementwise
            text = text.replace(r" \cdot ", r" \odot ", 1)
        return text

    def expression(self, template: str, labels, shapes) -> str:
        return self._template(template, [Tex(latex_name(x), ATOM) for x in labels], shapes)

    def substitute(self, template: str, leaves, shapes) -> str:
        return self._template(template, list(leaves), shapes)

    # shapes: written as the text format writes them, in text mode
    def shape(self, shape: tuple) -> str:
        return shape_text(shape)

    def template_shapes(self, template: str, shapes, labels) -> str:
        return self.text.template_shapes(template, shapes, labels)

    def arrow(self, chain):
        return self.text.arrow(chain)

    def product(self, factors, hadamard: bool):
        return self.text.product(factors, hadamard)

    def summed(self, text: str, shape: str) -> str:
        return self.text.summed(text, shape)

    def several(self, texts):
        return self.text.several(texts)

    # backward
    def _elementwise(self, term: TensorTerm, upstream: str, local: Tex) -> str:
        if term.local_template == "1":
            return upstream
        if term.local_template == "-1":
            return "-" + upstream
        times = r" \odot " if term.consumer_shape else r" \cdot "
        factor = local.text if local.prec >= UNARY and not local.signed else rf"\left({local.text}\right)"
        return f"{upstream}{times}{factor}"

    def _summed(self, term: TensorTerm) -> str:
        return "" if term.summed_to is None else rf"\text{{, summed to the shape {shape_text(term.summed_to)}}}"

    def _rule(self, term: TensorTerm, leaves: dict, prose_leaves: dict) -> str:
        """The rule's right side, token by token: {g}, {0}, {out} by `leaves`, the prose after it in text
        mode with `prose_leaves`."""
        rule = term.rule.replace(UPSTREAM, "{g}")
        if not term.consumer_shape:
            rule = rule.replace(" ⊙ ", " · ")
        head, prose = split_prose(rule)
        out = []
        tokens = [m.group(0) for m in _RULE_TOKEN.finditer(head)]
        for k, token in enumerate(tokens):
            if token.startswith("{"):
                out.append(leaves[token[1:-1]])
            elif token in _OPERATOR_TEX:
                out.append(_OPERATOR_TEX[token])
            elif token.isspace():
                out.append(" ")
            elif token[0].isalpha() or token[0] == "_":
                called = k + 1 < len(tokens) and tokens[k + 1] == "("
                out.append(_FUNCTION_TEX.get(token) or (rf"\operatorname{{{escape_text(token)}}}" if called
                                                        else latex_name(token)))
            else:
                out.append(token)
        text = re.sub(r" {2,}", " ", "".join(out)).strip()
        if prose:
            filled = re.sub(r"\{(\w+)\}", lambda m: prose_leaves[m.group(1)], prose)
            text += rf"\text{{{text_mode(filled)}}}"
        return text

    def term_symbolic(self, term: TensorTerm, out: str) -> str:
        upstream = self.partial(out, term.consumer_label)
        if term.local_template is not None:
            leaves = [Tex(latex_name(x), ATOM) for x in term.operand_labels]
            local = latex_template(term.local_template, leaves, Tex(latex_name(term.consumer_label), ATOM))
            return self._elementwise(term, upstream, local) + self._summed(term)
        leaves = {str(k): latex_name(x) for k, x in enumerate(term.operand_labels)}
        leaves.update(out=latex_name(term.consumer_label), g=upstream)
        prose = {str(k): x for k, x in enumerate(term.operand_labels)}
        return self._rule(term, leaves, prose) + self._summed(term)

    def term_numbers(self, term: TensorTerm, out: str) -> str:
        """The term with numbers; a tensor too big to write in full keeps its name."""
        big = abbreviated(term.consumer_shape)
        if big and term.local_template is not None:
            return self.term_symbolic(term, out)
        upstream = self.partial(out, term.consumer_label) if big else _factor(
            self.value_tex(term.upstream, term.consumer_shape))
        if term.local_template is not None:
            local = self.value_tex(term.local, term.consumer_shape) if term.local is not None else Tex("1", ATOM)
            return self._elementwise(term, upstream, local) + self._summed(term)
        operands = list(zip(term.operands, term.operand_shapes, term.operand_literals, term.operand_labels))
        leaves = {str(k): _factor(self.operand(*operand)) for k, operand in enumerate(operands)}
        leaves.update(out=latex_name(term.consumer_label) if big else
                      _factor(self.value_tex(term.consumer_value, term.consumer_shape)), g=upstream)
        prose = {str(k): self.text.operand(*operand) for k, operand in enumerate(operands)}
        return self._rule(term, leaves, prose) + self._summed(term)

    def in_sum(self, text: str, several: bool) -> str:
        prose = r"\text{" in text
        return rf"\left({text}\right)" if several and (prose or text.startswith("-")) else text

    def plus(self, terms) -> str:
        return " + ".join(terms)

    # an element's sum
    def times(self, left: str, right: str) -> str:
        return rf"{left} \cdot {right}"

    def factor(self, value) -> str:
        return _factor(self.number_tex(value))

    def element_symbol(self, text: str) -> str:
        return _factor(latex_expression(text))

    def ellipsis(self) -> str:
        return r"\cdots"

    # answers
    def none_index(self) -> str:
        return r"\text{none (an index)}"

    def no_effect(self, label: str, out: str) -> str:
        return rf"0 \quad \text{{({escape_text(label)} does not affect {escape_text(out)})}}"


def _factor(tex: Tex) -> str:
    return tex.text if tex.prec >= PRODUCT and not tex.signed else rf"\left({tex.text}\right)"


# ---------------------------------------------------------------------------------------------
# The document

# the signs of vectors and matrices in text mode (a program's ⊙ and Wᵀ, a rule's −, the shapes' arrow),
# which latex.escape_text, for programs of numbers, leaves as `?`
_TEXT_MATH = {"⊙": r"$\odot$", "ᵀ": r"$^{\top}$", "−": "-", "→": r"$\to$"}


def text_mode(words: str) -> str:
    """Any text for LaTeX's text mode, the signs of vectors and matrices written as math."""
    return "".join(_TEXT_MATH.get(piece) or escape_text(piece) for piece in re.split("([⊙ᵀ−→])", words))


def _program_block(source: str) -> list[str]:
    lines = [line.rstrip() for line in source.strip("\n").splitlines() if line.strip()]
    if not lines:
        return []
    body = [r"\texttt{" + text_mode(line).replace(" ", "~") + "}" for line in lines]
    return [r"\noindent Program:\\", *[f"\\quad {line}\\\\" for line in body[:-1]], f"\\quad {body[-1]}", ""]


def _shapes(shapes: str) -> str:
    """The shapes of a step, in text beside it: `(2, 2) @ (2,) $\\to$ (2,)`."""
    return rf" && \text{{{text_mode(shapes.replace(' -> ', ' → '))}}}" if shapes else ""


def _step_rows(parts: list[str], shapes: str) -> list[str]:
    """`lhs &= first && shapes`, then `&= ...` a row for each further form."""
    rows = [f"{parts[0]} &= {parts[1]}{_shapes(shapes)}"]
    return rows + [f"&= {part}" for part in parts[2:]]


def _backward_rows(step, d: TensorLatexDialect) -> list[str]:
    part_terms, shapes = backward_written(step, d)
    return _step_rows([" + ".join(terms) for terms in part_terms], shapes)


def _align(rows):
    """An align* environment of `rows` (read as they come, one held back: the last has no `\\\\`); nothing
    for no rows."""
    rows = iter(rows)
    last = next(rows, None)
    if last is None:
        return
    yield r"\begin{align*}"
    for row in rows:
        yield f"  {last} \\\\"
        last = row
    yield f"  {last}"
    yield r"\end{align*}"


def latex_lines(worked: TensorWorked, digits: int | None = DEFAULT_DIGITS):
    """The LaTeX document, a line at a time: each step is made as its rows are, and dropped."""
    d = TensorLatexDialect(digits, worked.decimals)
    out_label = worked.output_label
    yield from [
        "% The worked solution printed by `backprop explain --format latex`. Compile as is: pdflatex FILE.tex",
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\setcounter{MaxMatrixCols}{20}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
        "",
        rf"\section*{{Worked solution: ${latex_name(out_label)}$ and its gradient}}",
        "",
    ]
    yield from _program_block(worked.source)
    yield from [r"\noindent Given:" if worked.inputs else r"\noindent Given: no inputs.", ""]
    yield from _align(f"{d.label(name)} &= {d.value(value, shape)}{_shapes(shape_text(shape))}"
                      for name, value, shape in worked.inputs)
    yield from _intro(worked)
    yield from ["", r"\subsection*{Forward pass}", "", "The value of every node, in order, with the shapes:"]
    if worked.forward:
        yield from _align(row for s in worked.forward for row in _step_rows(forward_parts(s, d), forward_shapes(s, d)))
    else:
        yield from ["", "Nothing to compute: the output is an input."]
    heading = (f"The chain rule at tensor level, from the output ${latex_name(out_label)}$ down to every input"
               if worked.wrt is None else
               f"The chain rule at tensor level, only along the paths from the output ${latex_name(out_label)}$ to "
               f"${d.label(worked.element.label if worked.element else worked.wrt)}$")
    yield from ["", r"\subsection*{Backward pass}", "", heading + ", with the shapes:"]
    yield from _align(row for step in worked.backward for row in _backward_rows(step, d))
    if worked.element is not None:
        step = worked.element
        name = step.label + element_text(step.at)
        yield from ["", rf"\subsection*{{The element ${d.label(name)}$}}", "",
                    "The sum over the elements it reaches:"]
        yield from _align(_rows(element_part_terms(step, out_label, d)))
        left = element_left_out(step)
        if left:
            yield from ["", rf"\noindent ({len(step.terms)} terms: {left} are written as $\cdots$.)"]
    yield from ["", r"\subsection*{Answer}", ""]
    output = f"{latex_name(out_label)} &= {d.value(worked.output_value, worked.output_shape)}"
    answers = (f"{lhs} &= {value}{_shapes(shape)}" for lhs, value, shape in answer_rows(worked, d))
    yield from _align(itertools.chain([output], answers))
    for sentence in _notes(worked, d):
        yield from ["", r"\noindent " + sentence]
    yield from ["", r"\end{document}"]


def render_latex(worked: TensorWorked, digits: int | None = DEFAULT_DIGITS) -> str:
    """latex_lines as one text."""
    return joined(latex_lines(worked, digits))


def _intro(worked: TensorWorked) -> list[str]:
    out = [rf"\noindent Note: {escape_text(reading)}." for reading in worked.readings]
    if worked.functions:
        shown = []
        for definition in worked.functions:
            call, _, body = definition.partition(" = ")
            shown.append(f"${latex_expression(call).text} = {latex_expression(body).text}$")
        out += ["", rf"\noindent Function{'s' * (len(shown) > 1)}: {', '.join(shown)}."]
    if worked.unnamed:
        out += ["", unnamed_sentence(worked, lambda label: f"${latex_name(label)}$",
                                     lambda code: rf"\texttt{{{escape_text(code)}}}")]
    return out


def _notes(worked: TensorWorked, d: TensorLatexDialect) -> list[str]:
    out = []
    if worked.exact and not worked.decimals:
        if worked.inexact is None:
            out.append("Exact: every value and gradient above is an exact fraction.")
        else:
            lost = worked.inexact
            what = "its derivative is not rational" if lost.what == "derivative" else "not rational"
            out.append(f"Exact until ${latex_name(lost.label)} = {latex_expression(lost.expression).text}$: {what}, so "
                       "it and what depends on it are shown as decimals; the fractions shown are exact.")
    for kink in worked.kinks:
        at = element_text(kink.at) if kink.at else ""
        sides = "; ".join(f"${d.partial(kink.label + at, source)}$: left ${d.number(left)}$, right "
                          f"${d.number(right)}$, used ${d.number(used)}$" for source, left, right, used in kink.sides)
        where = f" at {at}" if at else ""
        out.append(f"Note: ${latex_name(kink.label)} = {latex_expression(kink.expression).text}$ sits exactly on its "
                   f"kink{where}, where the derivative is a convention ({LABELS[kink.convention]}), not a fact. "
                   f"One-sided derivatives: {sides}.")
    return out
