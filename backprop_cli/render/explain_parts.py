"""The parts of a worked solution's lines, shared by every format (text, Markdown, LaTeX).

A line of `backprop explain` is a chain of equalities: the definition, the
symbolic form, the numbers, the result. This module cuts each step
(teaching/steps.py) into those parts; a dialect (TextDialect in explain.py,
LatexDialect in explain_latex.py) says how each piece is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..base.numbers import DEFAULT_DIGITS, decimal_text, format_number
from ..base.undefined import Undefined
from ..teaching.steps import CONSTANT_STEP, INPUT_STEP, BackwardStep, ForwardStep, Worked

# ---------------------------------------------------------------------------------------------
# Numbers

# An exact decimal is written in full up to this many significant digits (or --digits, if more): 0.044253432 is
# 0.123 * 0.456 * 0.789 to the last digit. A longer one (0.345584192064786, as long as a float's digits), and one
# that does not terminate (2/3), is rounded to --digits as a float is.
EXACT_DECIMAL_DIGITS = 12


def number_text(value, digits: int | None = DEFAULT_DIGITS, decimals: bool = False) -> str:
    """A number of a worked solution: as format_number writes it (a fraction as 2/3), but with `decimals` an
    exact value as a decimal: exactly where it terminates (0, -0.6, 0.125), else rounded (0.666667)."""
    if not decimals or not isinstance(value, Fraction):
        return format_number(value, digits)
    text = decimal_text(value)
    if text is not None and _significant(text) <= max(EXACT_DECIMAL_DIGITS, digits or 0):
        return text
    try:
        return format_number(float(value), digits)
    except OverflowError:  # beyond any float: approximately, as format_number writes a long fraction
        return format_number(value, digits)


class NumberCache:
    """What a dialect wrote for each number lately: a node's value is written in its own line and again in
    each of its consumers' (and a gradient in the lines below), and writing a number is a fifth of a worked
    solution's time. Bounded, so a long solution holds only the last few thousand; only exact fractions and
    floats other than zero and NaN are kept (0.0 and -0.0 are equal keys, as NaN is no key)."""

    SIZE = 4096

    def __init__(self, write) -> None:
        self.write = write  # value -> what is written
        self.written: dict = {}

    def __call__(self, value):
        kind = type(value)
        if kind is Fraction or (kind is float and value == value and value != 0):
            key = (kind, value)
            done = self.written.get(key)
            if done is None:
                if len(self.written) >= self.SIZE:
                    self.written.clear()
                done = self.written[key] = self.write(value)
            return done
        return self.write(value)


def _significant(text: str) -> int:
    """The significant digits of a decimal as decimal_text writes it (`-0.0125` has 3, `1.5e-7` 2)."""
    return len(text.lstrip("-").split("e")[0].replace(".", "").strip("0")) or 1


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


def nothing_backward(worked: Worked) -> str:
    """What the backward pass says when it has no step."""
    if type(worked.output_value) is Undefined:
        return f"none: the output {worked.output_label} is {worked.output_value.word}, so it has no derivatives"
    return "nothing to differentiate"


def unreached_note(step: BackwardStep) -> str | None:
    """Why a step has no terms although it is not the output."""
    if step.is_output or step.terms:
        return None
    return f"{step.label} does not affect {step.output_label}"


def unnamed_sentence(worked, name, code) -> str:
    """How the unnamed intermediates are called (u1, u2, ...) and which node ids they are in `backprop eval`;
    `name` writes a label, `code` a piece of code, in the format at hand."""
    names = ", ".join(name(label) for label in worked.unnamed)
    sentence = f"Intermediate results the program does not name are numbered in the order they are computed: {names}"
    if worked.unnamed_ids:
        sentence += f" ({code(', '.join(worked.unnamed_ids))} in {code('backprop eval')})"
    sentence += "."
    if worked.output_label in worked.unnamed:
        sentence += f" The output is {name(worked.output_label)}."
    return sentence
