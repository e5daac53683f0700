"""The parts of a worked solution's lines at tensor level, shared by every format (text, Markdown, LaTeX).

As explain_parts.py does for numbers: a line is a chain of equalities (the definition, the symbolic form,
the numbers, the result), here with the shapes of the step beside it. In the form with numbers, a tensor
too big to write in full keeps its name (`v3 = X @ W1 = (32, 64) [[0.44, ...], ...]`): its value is
written, abbreviated, where it is a result. This module cuts each step of
teaching/tensor_steps.py into those parts; a dialect (TensorTextDialect in explain_tensor.py,
TensorLatexDialect in explain_tensor_latex.py) writes each piece: a tensor in full or abbreviated, a
rule's template filled with labels or numbers, a shape.
"""
from __future__ import annotations

from ..engine.tensor.shapes import element_text
from ..teaching.steps import CONSTANT_STEP
from ..teaching.tensor_steps import ElementStep, TensorBackwardStep, TensorForwardStep, TensorTerm, TensorWorked
from .explain_parts import dedupe
from .tensor_text import abbreviated

ELEMENT_TERMS = 8  # an element's sum shows at most this many terms (the first ones, then ..., and the last)


def forward_parts(step: TensorForwardStep, d) -> list[str]:
    """`[label, expression, numbers, value]`, without repeats."""
    if step.kind == CONSTANT_STEP:
        return dedupe([d.label(step.label), d.literal(step.expression), d.value(step.value, step.shape)])
    values = [d.operand(v, s, lit, label) for v, s, lit, label
              in zip(step.operands, step.operand_shapes, step.operand_literals, step.operand_labels)]
    return dedupe([
        d.label(step.label),
        d.expression(step.template, step.operand_labels, step.operand_shapes),
        d.substitute(step.template, values, step.operand_shapes),
        d.value(step.value, step.shape),
    ])


def forward_shapes(step: TensorForwardStep, d) -> str:
    """`(2, 2) @ (2,) -> (2,)`: the operation over its operands' shapes, and the result's."""
    if step.kind == CONSTANT_STEP:
        return d.shape(step.shape)
    return d.arrow([d.template_shapes(step.template, step.operand_shapes, step.operand_labels), d.shape(step.shape)])


def term_shapes(term: TensorTerm, d) -> str:
    """The shapes of one term: a matrix product's factors (`(2, 1) · (1, 3) -> (2, 3)`), an elementwise
    product's (`(2,) ⊙ (2,) -> (2,)`), else the upstream gradient's shape and the argument's."""
    argument = term.operand_shapes[term.argument]
    if term.factors is not None:
        left, right, product, shape = term.factors
        chain = [d.product([d.shape(left), d.shape(right)], hadamard=False), d.shape(product)]
        if shape != product:
            chain.append(d.shape(shape))
        return d.arrow(chain)
    if term.local is not None:
        chain = [d.product([d.shape(term.consumer_shape)] * 2, hadamard=bool(term.consumer_shape)),
                 d.shape(term.consumer_shape)]
    else:
        chain = [d.shape(term.consumer_shape)]
        if term.summed_to is None:
            chain.append(d.shape(argument))
    if term.summed_to is not None:
        return d.summed(d.arrow(chain), d.shape(term.summed_to))
    return d.arrow(chain)


def backward_written(step: TensorBackwardStep, d) -> tuple[list[tuple[str, ...]], str]:
    """A backward line's parts, each as the terms of its sum (one term unless the node feeds several): ∂out/∂node,
    the rules over labels, the rules over numbers, the result, equal neighbours written once; and its shapes.
    One pass over the terms, each made as it is read (tensor_steps.Steps)."""
    lhs = (d.partial(step.output_label, step.label),)
    result = (d.value(step.gradient, step.shape),)
    if step.is_output or not step.terms:
        return [lhs, result], d.shape(step.shape)
    several = len(step.terms) > 1
    symbolic, numbers, shapes = [], [], []
    for t in step.terms:
        symbolic.append(d.in_sum(d.term_symbolic(t, step.output_label), several))
        numbers.append(d.in_sum(d.term_numbers(t, step.output_label), several))
        shapes.append(term_shapes(t, d))
    return dedupe([lhs, tuple(symbolic), tuple(numbers), result]), d.several(shapes)


def backward_texts(step: TensorBackwardStep, d) -> tuple[list[str], str]:
    """A backward line's parts, each sum written out, and its shapes."""
    part_terms, shapes = backward_written(step, d)
    return dedupe([d.plus(terms) for terms in part_terms]), shapes


def _shown(terms: tuple) -> tuple[list, int]:
    """The terms an element's sum writes, and how many are left out (then written as one `...`)."""
    if len(terms) <= ELEMENT_TERMS:
        return list(terms), 0
    return [*terms[:ELEMENT_TERMS - 2], None, terms[-1]], len(terms) - ELEMENT_TERMS + 1


def element_part_terms(step: ElementStep, out: str, d) -> list[tuple[str, ...]]:
    """∂L/∂W[1, 0] = Σ ∂L/∂v3[i] · ∂v3[i]/∂W[1, 0] = Σ ∂L/∂v3[i] · x[0] = numbers = the gradient."""
    node = step.label + element_text(step.at)
    lhs = (d.partial(out, node),)
    result = (d.number(step.gradient),)
    if not step.terms:
        return [lhs, result]
    terms, _ = _shown(step.terms)
    chain, symbolic, numbers = [], [], []
    for t in terms:
        if t is None:
            chain.append(d.ellipsis())
            symbolic.append(d.ellipsis())
            numbers.append(d.ellipsis())
            continue
        consumer = t.consumer_label + (element_text(t.at) if t.at else "")
        upstream = d.partial(out, consumer)
        local = d.partial(consumer, node)
        chain.append(d.times(upstream, local))
        symbolic.append(d.times(upstream, d.element_symbol(t.local_text) if t.local_text is not None else local))
        numbers.append(d.times(d.factor(t.upstream), d.factor(t.local)))
    return dedupe([lhs, tuple(chain), tuple(symbolic), tuple(numbers), result])


def element_left_out(step: ElementStep) -> int:
    return _shown(step.terms)[1]


def answer_rows(worked: TensorWorked, d):
    """(∂out/∂name, its value, its shape) for each answer, one at a time; an index has none."""
    for label, gradient, shape in worked.answers:
        value = d.none_index() if gradient is None and label in worked.no_gradient else (
            d.value(gradient, shape) if gradient is not None else d.no_effect(label, worked.output_label))
        shown = "" if shape is None or abbreviated(shape) else d.shape(shape)  # an abbreviated value has its shape
        yield d.partial(worked.output_label, label), value, shown
