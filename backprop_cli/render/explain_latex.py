"""`backprop explain --format latex`: the worked solution as a LaTeX document that compiles as is.

The lines are the ones of the text format (explain_parts.py cuts them into parts);
here each piece is written in LaTeX. Expressions are not translated by string
replacement: an operation's template, a derivative rule or a short symbolic
gradient is parsed with the language's own grammar and printed from its tree,
so `-{0}/{1}^2` becomes `\\frac{-f}{d^{2}}` and parentheses appear exactly
where precedence needs them. The trees are a few nodes deep (templates and
rules, never user programs), so printing them recursively is safe.

Names: `E_o1` is `E_{o1}`, `x1` is `x_{1}`, `out` is `\\mathit{out}`, ids `v3` are `v_{3}`.
Only amsmath is needed; the document is plain ASCII.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..base.errors import ProgramError
from ..base.numbers import DEFAULT_DIGITS, format_number
from ..language.parser import parse
from ..language.syntax_tree import Name, Number
from ..teaching.steps import INPUT_STEP, Term, Worked
from .explain_parts import Piece, backward_part_terms, forward_parts, unreached_note

_PLACEHOLDER = re.compile(r"\{(\d+|out)\}")
_DIGITS_TAIL = re.compile(r"([A-Za-z]+)(\d+)")
_NUMBER = re.compile(r"(≈)?(-)?(?:(\d+)/(\d+)|(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?)")

ATOM, POWER, UNARY, PRODUCT, SUM, LOOSE = 5, 4, 3, 2, 1, 0

_FUNCTIONS = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "tanh": r"\tanh",
    "max": r"\max", "min": r"\min", "sigmoid": r"\operatorname{sigmoid}", "relu": r"\operatorname{relu}",
    "sign": r"\operatorname{sign}",
}


@dataclass(frozen=True)
class Tex:
    """A printed piece of math: its text, how tightly it binds, and whether it starts with a sign."""

    text: str
    prec: int
    signed: bool = False


# ---------------------------------------------------------------------------------------------
# Text mode and names

_TEXT_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "^": r"\^{}",
    "_": r"\_", "%": r"\%", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def escape_text(text: str) -> str:
    """Text for LaTeX's text mode; characters outside ASCII (which pdflatex may lack) become '?'."""
    out = []
    for ch in text:
        if ch in _TEXT_SPECIAL:
            out.append(_TEXT_SPECIAL[ch])
        elif ch == "∂":
            out.append(r"$\partial$")
        elif ch == "·":
            out.append(r"$\cdot$")
        elif ch == "≈":
            out.append(r"$\approx$")
        elif ord(ch) < 128 and (ch.isprintable() or ch == "\t"):
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def _base(text: str) -> str:
    return text if len(text) == 1 else rf"\mathit{{{text}}}"


def latex_name(label: str) -> str:
    """A label in math mode: E_o1 -> E_{o1}, x1 -> x_{1}, rate -> \\mathit{rate}; numbers as numbers."""
    if label == "pi":
        return r"\pi"
    if _NUMBER.fullmatch(label):
        return latex_number_text(label).text
    base, sep, sub = label.partition("_")
    if sep and base and sub:
        return f"{_base(base)}_{{{sub.replace('_', chr(92) + '_')}}}"
    match = _DIGITS_TAIL.fullmatch(label)
    if match:
        return f"{_base(match.group(1))}_{{{match.group(2)}}}"
    return _base(label.replace("_", "\\_"))


def latex_number_text(text: str) -> Tex:
    """`2/3` -> \\frac{2}{3}, `-1.5e-07` -> -1.5 \\times 10^{-7}, `≈1.2e+50` -> \\approx ..."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return Tex(rf"\text{{{escape_text(text)}}}", ATOM)
    approx, minus, top, bottom, decimal, exponent = match.groups()
    if top is not None:
        body, prec = rf"\frac{{{top}}}{{{bottom}}}", POWER
    elif exponent is not None:
        power = exponent.lstrip("+")
        power = ("-" if power.startswith("-") else "") + (power.lstrip("-").lstrip("0") or "0")
        body = f"{decimal} \\times 10^{{{power}}}" if decimal not in ("1", "1.") else f"10^{{{power}}}"
        prec = PRODUCT if "times" in body else POWER
    else:
        body, prec = decimal, ATOM
    if minus:
        body, prec = "-" + body, min(prec, UNARY)
    if approx:
        return Tex(r"\approx " + body, LOOSE, False)
    return Tex(body, prec, bool(minus))


# ---------------------------------------------------------------------------------------------
# Expressions: parse with the grammar, print from the tree

def _wrap(piece: Tex) -> str:
    return rf"\left({piece.text}\right)"


def _emit(node, leaf) -> Tex:
    if isinstance(node, Number):
        return latex_number_text(node.text)
    if isinstance(node, Name):
        found = leaf(node.name)
        return found if found is not None else Tex(latex_name(node.name), ATOM)
    args = [_emit(a, leaf) for a in node.args]
    op = node.op
    if op in ("add", "sub"):
        left, right = args
        needs = right.signed or right.prec < (PRODUCT if op == "sub" else SUM)
        sign = "+" if op == "add" else "-"
        r = _wrap(right) if needs else right.text
        left_text = _wrap(left) if left.prec < SUM else left.text
        return Tex(f"{left_text} {sign} {r}", SUM, left.signed and left.prec >= SUM)
    if op == "mul":
        left, right = args
        left_text = _wrap(left) if left.prec < PRODUCT else left.text
        right_text = _wrap(right) if right.prec < UNARY or right.signed else right.text
        return Tex(f"{left_text} \\cdot {right_text}", PRODUCT, left.signed and left.prec >= PRODUCT)
    if op == "div":
        left, right = args
        return Tex(rf"\frac{{{left.text}}}{{{right.text}}}", POWER)
    if op == "pow":
        base, exponent = args
        base_text = _wrap(base) if base.prec < ATOM or base.signed else base.text
        return Tex(f"{base_text}^{{{exponent.text}}}", POWER)
    if op in ("neg", "pos"):
        (operand,) = args
        text = _wrap(operand) if operand.prec < PRODUCT or operand.signed else operand.text
        return Tex(("-" if op == "neg" else "+") + text, UNARY, True)
    if op == "copy":
        return args[0]
    inner = ", ".join(a.text for a in args)
    if op == "sqrt":
        return Tex(rf"\sqrt{{{inner}}}", ATOM)
    if op == "abs":
        return Tex(rf"\left|{inner}\right|", ATOM)
    name = _FUNCTIONS.get(op, rf"\operatorname{{{escape_text(op)}}}")
    return Tex(rf"{name}\left({inner}\right)", ATOM)


@lru_cache(maxsize=256)
def _template_tree(template: str):
    """A template's tree, with {0}, {1}, {out} read as the names _p0, _p1, _pout; None if it is not an expression."""
    text = _PLACEHOLDER.sub(lambda m: f"_p{m.group(1)}", template)
    try:
        program = parse(text)
    except ProgramError:
        return None
    return program.statements[0] if len(program.statements) == 1 else None


@lru_cache(maxsize=4096)
def _expression_tree(text: str):
    try:
        program = parse(text)
    except ProgramError:
        return None
    return program.statements[0] if len(program.statements) == 1 else None


def _placeholder_leaf(leaves: list[Tex], out: Tex | None):
    def leaf(name: str):
        if name == "_pout":
            return out
        if name.startswith("_p") and name[2:].isdigit() and int(name[2:]) < len(leaves):
            return leaves[int(name[2:])]
        return None

    return leaf


def _piecewise(template: str, leaves: list[Tex], out: Tex | None) -> Tex:
    """`1 if {0} > 0, else 0` as a cases environment."""
    rows = []
    for piece in template.split(", "):
        otherwise = piece.startswith("else ")
        value, _, condition = piece.removeprefix("else ").partition(" if ")
        value_tex = latex_template(value, leaves, out).text
        if otherwise:
            cond = r"\text{otherwise}"
        elif _PLACEHOLDER.search(condition) and re.fullmatch(r"\{\w+\} [<>=]+ \S+", condition):
            left, comparison, right = condition.split(" ")
            cond = (rf"\text{{if }} {latex_template(left, leaves, out).text} {comparison} "
                    rf"{latex_template(right, leaves, out).text}")
        else:
            cond = rf"\text{{if {escape_text(condition)}}}"
        rows.append(f"{value_tex} & {cond}")
    return Tex(r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}", LOOSE)


def latex_template(template: str, leaves: list[Tex], out: Tex | None = None) -> Tex:
    """An operation's template or derivative rule with its placeholders filled by `leaves`."""
    if " if " in template:
        return _piecewise(template, leaves, out)
    tree = _template_tree(template)
    if tree is None:
        return Tex(rf"\text{{{escape_text(template)}}}", ATOM)
    return _emit(tree, _placeholder_leaf(leaves, out))


def latex_expression(text: str) -> Tex:
    """An expression over labels (`1/d`, `f`) in LaTeX."""
    tree = _expression_tree(text)
    if tree is None:
        return Tex(rf"\text{{{escape_text(text)}}}", ATOM)
    return _emit(tree, lambda name: None)


# ---------------------------------------------------------------------------------------------
# The dialect the shared line builders write with

def _piece(tex: Tex) -> Piece:
    return Piece(tex.text, tex.prec >= UNARY and not tex.signed, not tex.signed and tex.prec >= SUM)


class LatexDialect:
    def __init__(self, digits: int | None = DEFAULT_DIGITS) -> None:
        self.digits = digits

    def number_tex(self, value) -> Tex:
        return latex_number_text(format_number(value, self.digits))

    def number(self, value) -> Piece:
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


def _align(rows: list[str]) -> list[str]:
    if not rows:
        return []
    body = [f"  {row} \\\\" for row in rows[:-1]] + [f"  {rows[-1]}"]
    return [r"\begin{align*}", *body, r"\end{align*}"]


def _program_block(source: str) -> list[str]:
    lines = [line.rstrip() for line in source.strip("\n").splitlines() if line.strip()]
    if not lines:
        return []
    body = [r"\texttt{" + escape_text(line).replace(" ", "~") + "}" for line in lines]
    return [r"\noindent Program:\\", *[f"\\quad {line}\\\\" for line in body[:-1]], f"\\quad {body[-1]}", ""]


def render_latex(worked: Worked, digits: int | None = DEFAULT_DIGITS) -> str:
    d = LatexDialect(digits)
    out_label = worked.output_label
    lines = [
        "% The worked solution printed by `backprop explain --format latex`. Compile as is: pdflatex FILE.tex",
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
        "",
        rf"\section*{{Worked solution: ${latex_name(out_label)}$ and its gradient}}",
        "",
    ]
    lines += _program_block(worked.source)
    given = ", ".join(f"${latex_name(name)} = {d.number_tex(value).text}$" for name, value in worked.inputs)
    lines += [rf"\noindent Given: {given or 'no inputs'}.", ""]
    lines += _intro(worked)
    lines += [r"\subsection*{Forward pass}", "", "The value of every node, in order:"]
    forward_rows = [_rows([(p,) for p in forward_parts(s, d)], split=False)[0]
                    for s in worked.forward if s.kind != INPUT_STEP]
    lines += _align(forward_rows) or ["", "Nothing to compute: the output is an input."]
    lines += ["", r"\subsection*{Backward pass}", "", _backward_heading(worked) + ":"]
    backward_rows = []
    for step in worked.backward:
        backward_rows += _rows(backward_part_terms(step, d), unreached_note(step))
    lines += _align(backward_rows) or ["", "Nothing to differentiate."]
    lines += ["", r"\subsection*{Answer}", ""]
    answer_rows = [f"{latex_name(out_label)} &= {d.number_tex(worked.output_value).text}"]
    answer_rows += [f"{d.partial(out_label, label)} &= {d.number_tex(g).text}" for label, g in worked.answers]
    lines += _align(answer_rows)
    for sentence in _notes(worked, d):
        lines += ["", r"\noindent " + sentence]
    lines += ["", r"\end{document}"]
    return "\n".join(lines) + "\n"


def _backward_heading(worked: Worked) -> str:
    out = f"${latex_name(worked.output_label)}$"
    if worked.wrt is None:
        return f"The chain rule, from the output {out} down to every input"
    return f"The chain rule, only along the paths from the output {out} to ${latex_name(worked.wrt)}$"


def _math(text: str) -> str:
    return f"${text}$"


def _intro(worked: Worked) -> list[str]:
    if not worked.unnamed:
        return []
    ids = ", ".join(_math(latex_name(i)) for i in worked.unnamed)
    sentence = (rf"Intermediate results the program does not name are called by their node ids "
                rf"(as in \texttt{{backprop eval}}): {ids}.")
    if worked.output_label == worked.output_id:
        sentence += f" The output is {_math(latex_name(worked.output_id))}."
    return [sentence, ""]


def _node_definition(node_id: str, label: str, expression: str) -> str:
    return _math(f"{latex_name(label if label != node_id else node_id)} = {latex_expression(expression).text}")


def _notes(worked: Worked, d: LatexDialect) -> list[str]:
    out = []
    if worked.exact:
        if worked.inexact is None:
            out.append("Exact: every value and gradient above is an exact fraction.")
        else:
            lost = worked.inexact
            what = "its derivative is not rational" if lost.what == "derivative" else "not rational"
            out.append(f"Exact until {_node_definition(lost.id, lost.id, lost.expression)}: {what}, so it and what "
                       "depends on it are shown as decimals; the fractions shown are exact.")
    for kink in worked.kinks:
        sides = "; ".join(
            f"{_math(d.partial(kink.label, arg))}: left {_math(d.number_tex(left).text)}, "
            f"right {_math(d.number_tex(right).text)}, used {_math(d.number_tex(used).text)}"
            for arg, left, right, used in kink.sides
        )
        out.append(f"Note: {_node_definition(kink.label, kink.label, kink.expression)} sits exactly on its kink, "
                   f"where the derivative is a convention (PyTorch's), not a fact. One-sided derivatives: {sides}.")
    return out
