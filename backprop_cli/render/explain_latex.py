"""`backprop explain --format latex`: the worked solution as a LaTeX document that compiles as is.

The lines are the ones of the text format (explain_parts.py cuts them into parts);
here each piece is written in LaTeX (latex.py writes names, numbers and
expressions). Only amsmath is needed; the document is plain ASCII.
"""
from __future__ import annotations

from ..base.numbers import DEFAULT_DIGITS
from ..engine.conventions import LABELS
from ..teaching.steps import Term, Worked
from .explain_parts import (
    NumberCache, Piece, backward_part_terms, forward_parts, nothing_backward, number_text, unnamed_sentence,
    unreached_note,
)
from .missing import cause_lines
from .latex import (
    ATOM, LOOSE, POWER, SUM, UNARY, Tex, escape_text, latex_expression, latex_name, latex_number_text, latex_template,
)

# ---------------------------------------------------------------------------------------------
# The dialect the shared line builders write with

def _piece(tex: Tex) -> Piece:
    return Piece(tex.text, tex.prec >= UNARY and not tex.signed, not tex.signed and tex.prec >= SUM)


class LatexDialect:
    def __init__(self, digits: int | None = DEFAULT_DIGITS, decimals: bool = False) -> None:
        self.digits = digits
        self.decimals = decimals
        self.number_tex = NumberCache(self._number_tex)
        self.number = NumberCache(self._number)

    def _number_tex(self, value) -> Tex:
        return latex_number_text(number_text(value, self.digits, self.decimals))

    def _number(self, value) -> Piece:
        tex = self.number_tex(value)
        return Piece(tex.text, tex.prec >= POWER and not tex.signed, not tex.signed and tex.prec > LOOSE)

    def _operand(self, value, literal) -> Tex:
        return latex_number_text(literal) if literal is not None else self.number_tex(value)

    def label(self, label: str) -> str:
        return latex_name(label)

    def literal(self, text: str) -> str:
        return latex_name(text)

    def operand(self, value, literal):
        return self._operand(value, literal)

    def expression(self, template: str, labels) -> str:
        return latex_template(template, [Tex(latex_name(x), ATOM) for x in labels]).text

    def substitute(self, template: str, values) -> str:
        return latex_template(template, list(values)).text

    def partial(self, out: str, node: str) -> str:
        return rf"\frac{{\partial {latex_name(out)}}}{{\partial {latex_name(node)}}}"

    def dot(self, tight: bool) -> str:
        return r" \cdot "

    def paren(self, text: str) -> str:
        return rf"\left({text}\right)"

    def local(self, term: Term) -> Piece:
        leaves = [Tex(latex_name(x), ATOM) for x in term.operand_labels]
        tex = latex_template(term.local_template, leaves, Tex(latex_name(term.consumer_label), ATOM))
        return _piece(tex)

    def symbolic(self, text: str) -> Piece:
        return _piece(latex_expression(text))

    def substitute_local(self, term: Term) -> str:
        leaves = [self._operand(v, lit) for v, lit in zip(term.operands, term.operand_literals)]
        return latex_template(term.local_template, leaves, self.number_tex(term.consumer_value)).text


# ---------------------------------------------------------------------------------------------
# The document

TERMS_PER_ROW = 3


def _rows(parts: list[tuple[str, ...]], note: str | None = None, split: bool = True) -> list[str]:
    """align* rows for one line: `lhs &= ...`.

    A short line is one row; a full chain (rule, symbols, numbers, result) continues
    on a second row; a sum over several uses puts each form on a row of its own,
    TERMS_PER_ROW terms a row, so a wide line still fits the page.
    """
    lhs, rest = parts[0][0], parts[1:]
    suffix = rf" \quad \text{{({escape_text(note)})}}" if note else ""
    if not split or (len(rest) <= 3 and all(len(p) == 1 for p in rest)):
        return [f"{lhs} &= {' = '.join(' + '.join(p) for p in rest)}{suffix}"]
    if all(len(p) == 1 for p in rest):
        return [f"{lhs} &= {' = '.join(p[0] for p in rest[:2])}", f"&= {' = '.join(p[0] for p in rest[2:])}{suffix}"]
    rows = []
    for k, terms in enumerate(rest):
        for start in range(0, len(terms), TERMS_PER_ROW):
            chunk = " + ".join(terms[start:start + TERMS_PER_ROW])
            head = (lhs + " " if k == 0 and start == 0 else "") + ("&= " if start == 0 else r"&\quad + ")
            rows.append(head + chunk)
    rows[-1] += suffix
    return rows


def _align(rows, some: bool):
    """An align* environment around `rows` (an iterable, read once, as it goes), or [] when there are none
    (`some` says whether there are: the rows may be made only as they are written)."""
    if not some:
        return []
    return _aligned(iter(rows))


def _aligned(rows):
    yield r"\begin{align*}"
    last = next(rows)
    for row in rows:
        yield f"  {last} \\\\"
        last = row
    yield f"  {last}"
    yield r"\end{align*}"


def _program_block(source: str) -> list[str]:
    lines = [line.rstrip() for line in source.strip("\n").splitlines() if line.strip()]
    if not lines:
        return []
    body = [r"\texttt{" + escape_text(line).replace(" ", "~") + "}" for line in lines]
    return [r"\noindent Program:\\", *[f"\\quad {line}\\\\" for line in body[:-1]], f"\\quad {body[-1]}", ""]


def latex_lines(worked: Worked, digits: int | None = DEFAULT_DIGITS):
    """The LaTeX document's lines, one at a time, each step's made as it is written (as explain.text_lines)."""
    d = LatexDialect(digits, worked.decimals)
    out_label = worked.output_label
    yield from [
        "% The worked solution printed by `backprop explain --format latex`. Compile as is: pdflatex FILE.tex",
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
        "",
        rf"\section*{{Worked solution: ${latex_name(out_label)}$ and its gradient}}",
        "",
    ]
    yield from _program_block(worked.source)
    given = ", ".join(f"${latex_name(name)} = {d.number_tex(value).text}$" for name, value in worked.inputs)
    yield from [rf"\noindent Given: {given or 'no inputs'}.", ""]
    yield from _functions(worked)
    yield from _intro(worked)
    yield from [r"\subsection*{Forward pass}", "", "The value of every node, in order:"]
    forward_rows = (_rows([(p,) for p in forward_parts(s, d)], split=False)[0] for s in worked.computed)
    yield from _align(forward_rows, bool(worked.computed)) or ["", "Nothing to compute: the output is an input."]
    yield from ["", r"\subsection*{Backward pass}", "", _backward_heading(worked) + ":"]
    backward_rows = (row for step in worked.backward
                     for row in _rows(backward_part_terms(step, d), unreached_note(step)))
    text = nothing_backward(worked)
    yield from _align(backward_rows, bool(worked.backward)) or ["", escape_text(text[0].upper() + text[1:]) + "."]
    yield from ["", r"\subsection*{Answer}", ""]
    answer_rows = [f"{latex_name(out_label)} &= {d.number_tex(worked.output_value).text}"]
    answer_rows += [f"{d.partial(out_label, label)} &= {d.number_tex(g).text}" for label, g in worked.answers]
    yield from _align(answer_rows, True)
    for sentence in _notes(worked, d):
        yield from ["", r"\noindent " + sentence]
    yield from ["", r"\end{document}"]


def render_latex(worked: Worked, digits: int | None = DEFAULT_DIGITS) -> str:
    """The LaTeX document as one text."""
    return "\n".join(latex_lines(worked, digits)) + "\n"


def _functions(worked: Worked) -> list[str]:
    """`Function: f(x) = x^2 + 1.` in math, each function the program defines and calls."""
    if not worked.functions:
        return []
    shown = []
    for definition in worked.functions:
        call, _, body = definition.partition(" = ")
        shown.append(_math(f"{latex_expression(call).text} = {latex_expression(body).text}"))
    heading = "Function" if len(shown) == 1 else "Functions"
    return [rf"\noindent {heading}: {', '.join(shown)}.", ""]


def _backward_heading(worked: Worked) -> str:
    out = f"${latex_name(worked.output_label)}$"
    if worked.wrt is None:
        return f"The chain rule, from the output {out} down to every input"
    return f"The chain rule, only along the paths from the output {out} to ${latex_name(worked.wrt)}$"


def _math(text: str) -> str:
    return f"${text}$"


def _intro(worked: Worked) -> list[str]:
    out = [rf"\noindent Note: {escape_text(reading)}." for reading in worked.readings]
    out += [""] if out else []
    if worked.functions:
        example = f" ({_math(latex_name(worked.calls[0]))})" if worked.calls else ""
        out += ["A call of a function is worked out as the nodes of its body, with the call's arguments for its "
                f"parameters; the node that is its result is called by the call{example}.", ""]
    if not worked.unnamed:
        return out
    sentence = unnamed_sentence(worked, lambda label: _math(latex_name(label)),
                                lambda code: rf"\texttt{{{escape_text(code)}}}")
    return [*out, sentence, ""]


def _node_definition(node_id: str, label: str, expression: str) -> str:
    return _math(f"{latex_name(label if label != node_id else node_id)} = {latex_expression(expression).text}")


def _notes(worked: Worked, d: LatexDialect) -> list[str]:
    out = [escape_text(line) for line in cause_lines(worked.missing, worked.output_label, len(worked.inputs))]
    if worked.exact and not worked.decimals:
        if worked.inexact is None:
            out.append("Exact: every value and gradient above is an exact fraction.")
        else:
            lost = worked.inexact
            what = "its derivative is not rational" if lost.what == "derivative" else "not rational"
            out.append(f"Exact until {_node_definition(lost.id, lost.label, lost.expression)}: {what}, so it and what "
                       "depends on it are shown as decimals; the fractions shown are exact.")
    for kink in worked.kinks:
        sides = "; ".join(
            f"{_math(d.partial(kink.label, arg))}: left {_math(d.number_tex(left).text)}, "
            f"right {_math(d.number_tex(right).text)}, used {_math(d.number_tex(used).text)}"
            for arg, left, right, used in kink.sides
        )
        out.append(f"Note: {_node_definition(kink.label, kink.label, kink.expression)} sits exactly on its kink, "
                   f"where the derivative is a convention ({LABELS[kink.convention]}), not a fact. "
                   f"One-sided derivatives: {sides}.")
    return out
