"""The worked solution of a program with vectors and matrices, as data: explain at tensor level.

`tensor_worked(result, wrt)` turns an engine/tensor_compute.TensorResult into a `TensorWorked`, the
tensor counterpart of steps.Worked:

- forward steps: each node's expression over its operands' labels, their values and shapes, and its value
  and shape (`v3 = W @ x`, `(2, 2) @ (2,) -> (2,)`);
- backward steps: each node's gradient as the sum, over the nodes that use it, of the local rule at tensor
  level from the tensor table (`∂L/∂W = ∂L/∂v3 · xᵀ`), with the numbers it takes, an elementwise
  rule's local derivative element by element (`∂L/∂v6 ⊙ (1 - tanh(v5)^2)`, the second factor's values),
  and the shapes of a matrix product (`(2, 1) · (1, 2) -> (2, 2)`);
- with `wrt` an element (`W[1, 0]`), the backward steps on the paths to W, then that element's gradient
  as the sum over the elements it reaches (`∂L/∂W[1, 0] = ∂L/∂v3[1] · x[0]`).

Values are nested lists of numbers (a number for a scalar) in the number system of the computation; the
renderers (render/explain_tensor*.py) write them, in full or abbreviated, and compute nothing.
"""
from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from ..base.errors import UsageError
from ..base.records import LazyTuple
from ..engine.ops import CONST, INPUT, OPS
from ..engine.tensor import shapes as sh
from ..engine.tensor.elements import element_partials, elementwise_partial, factor_shapes
from ..engine.tensor.rules import TENSOR_OPS
from ..engine.tensor_compute import TensorResult
from ..engine.symbolic.tidy import tidy_rule
from .steps import CONSTANT_STEP, OPERATION_STEP, Inexact, key_labels, resolve_wrt, unnamed_nodes

UPSTREAM = "∂L/∂{out}"  # the upstream gradient in the table's rule texts (engine/tensor/op.py)
_SUMMED = re.compile(r", summed to the shape \([0-9, ]*\)$")
_ELEMENT = re.compile(r"(.+?)\[([-+0-9,\s]*)\]")


@dataclass(frozen=True)
class TensorForwardStep:
    """`label = expression = numbers = value`, with the shapes `(2, 2) @ (2,) -> (2,)`."""

    node: int
    id: str
    label: str
    name: str | None
    kind: str  # steps.CONSTANT_STEP (a named literal) or steps.OPERATION_STEP
    expression: str  # over the operands' labels: "W @ x", "sum(v6)"
    template: str | None  # "{0} @ {1}" (None for a constant)
    operand_labels: tuple[str, ...]
    operands: tuple  # their values, nested lists
    operand_literals: tuple  # per operand: the literal as written for a constant ("[1, 2]", "0.5"), else None
    operand_shapes: tuple
    value: object
    shape: tuple


@dataclass(frozen=True)
class TensorTerm:
    """What one consumer sends back to the node: its local rule for that argument at tensor level."""

    consumer: int
    consumer_label: str
    argument: int  # which argument of the consumer
    rule: str  # the rule's right side over {0}, {1}, {out} and ∂L/∂{out}: "∂L/∂{out} · {1}ᵀ"
    # an elementwise operation: ops.py's derivative over the operands ("1 - tanh({0})^2"), and its value
    # element by element in the consumer's shape (None when it is 1 or -1: the rule is ±∂L/∂{out})
    local_template: str | None
    local: object
    summed_to: tuple | None  # the argument's shape, when the product was summed back to it (broadcasting)
    upstream: object  # ∂L/∂consumer
    operand_labels: tuple[str, ...]  # the consumer's operands
    operands: tuple
    operand_literals: tuple
    operand_shapes: tuple
    consumer_value: object
    consumer_shape: tuple
    factors: tuple | None  # a matrix product's shapes: (left, right, product, argument); None otherwise
    contribution: object  # the term's value, in the node's shape
    from_output: bool  # the consumer is the output: the upstream is the seed 1


@dataclass(frozen=True)
class TensorBackwardStep:
    """∂out/∂node as the sum of its terms; the output's step has none (the seed 1)."""

    node: int
    id: str
    label: str
    name: str | None
    shape: tuple
    terms: Sequence[TensorTerm]  # Steps: each made when read
    gradient: object
    is_output: bool
    output_label: str


@dataclass(frozen=True)
class ElementTerm:
    """∂L/∂c[at] · ∂c[at]/∂node[element], for one element of a consumer c the element reaches."""

    consumer_label: str
    at: tuple
    upstream: object  # ∂L/∂c[at]
    local_text: str | None  # the partial over the operands' elements ("x[0]", "1"); None: only its number
    local: object
    product: object


@dataclass(frozen=True)
class ElementStep:
    """The gradient of one element (`--wrt W[1, 0]`): the sum of its terms."""

    label: str
    at: tuple
    terms: tuple[ElementTerm, ...]
    gradient: object


@dataclass(frozen=True)
class TensorKinkNote:
    node: int
    label: str
    expression: str
    at: tuple  # the element of the node on the kink (() for a scalar node)
    sides: tuple  # per operand element meeting there: (its label, left, right, used)
    convention: str


@dataclass(frozen=True)
class TensorWorked:
    """Everything a worked solution at tensor level prints, in order (the fields of steps.Worked, and shapes)."""

    source: str
    output: int
    output_id: str
    output_label: str
    output_value: object
    output_shape: tuple
    inputs: tuple  # (name, value, shape) in order of first use
    forward: Sequence[TensorForwardStep]  # Steps: each made when read
    backward: Sequence[TensorBackwardStep]
    element: ElementStep | None  # with --wrt NAME[i, j]
    # (label, gradient or None for an index, shape (None for an element)): the inputs, then named intermediates
    answers: Sequence[tuple]  # Steps: each made when read
    wrt: str | None
    exact: bool
    inexact: Inexact | None
    kinks: tuple[TensorKinkNote, ...]
    unnamed: tuple[str, ...]
    readings: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    no_gradient: tuple[str, ...] = ()  # the inputs used only as indices (x[k]): no gradient flows to them
    missing: tuple = ()  # a tensor computation keeps no Undefined: a missing number is an error
    tensor: bool = True
    unnamed_ids: tuple[str, ...] = ()  # the node ids of the unnamed intermediates (as `backprop eval` calls them)
    decimals: bool = False  # exact values written as decimals (explain's default), not fractions


# -- --wrt --------------------------------------------------------------------------------------------------

def parse_wrt(tape, wrt: str) -> tuple[int, tuple | None]:
    """The node `--wrt` names (an input, a named intermediate or an id) and the element, when one is given
    (`W[1, 0]`, `x[-1]`); a UsageError for a name the program lacks or an element its shape does not have."""
    match = _ELEMENT.fullmatch(wrt.strip())
    name = match.group(1).strip() if match else wrt
    try:
        node = resolve_wrt(tape, name)
    except UsageError as err:  # the message names the option as given: --wrt q[0]
        raise UsageError(err.message.replace(f"--wrt {name}:", f"--wrt {wrt}:", 1)) from None
    if match is None:
        return node, None
    shape = tape.nodes[node].shape
    try:
        index = tuple(int(part) for part in match.group(2).split(",")) if match.group(2).strip() else ()
    except ValueError:
        index = None
    if index is None or len(index) != len(shape):
        raise UsageError(f"--wrt {wrt}: an element of {name} takes {len(shape)} whole-number "
                         f"ind{'ex' if len(shape) == 1 else 'ices'}, as {name}{sh.element_text((0,) * len(shape))} "
                         f"({name} has shape {sh.shape_text(shape)})" if shape else
                         f"--wrt {wrt}: {name} is a number (shape ()), which has no elements: give --wrt {name}")
    element = []
    for axis, (i, n) in enumerate(zip(index, shape)):
        if not -n <= i < n:
            raise UsageError(f"--wrt {wrt}: the index {i} is out of range for axis {axis} of {name}, of size {n} "
                             f"({name} has shape {sh.shape_text(shape)})")
        element.append(i % n)
    return node, tuple(element)


def check_wrt(tape, wrt: str, no_gradient=frozenset()) -> None:
    """--wrt checked before any arithmetic: a name the program has, an element its shape has, not an index."""
    node, _ = parse_wrt(tape, wrt)
    name = tape.nodes[node].name
    if name in no_gradient:
        raise UsageError(f"--wrt {wrt}: {name} is used only as an index, which has no gradient")


# -- the steps ----------------------------------------------------------------------------------------------

class Steps(LazyTuple):
    """A worked solution's steps, each made when it is read: a renderer writes one and drops it, so the whole
    solution is never held as records (issue 16: a 100,000-node MLP's steps took 2.6 KiB a node). Equal to
    the tuple of its steps; `nodes` are what they are made of, in order (the nodes; a step's terms: their
    consumers, arguments and contributions)."""

    __slots__ = ("nodes", "_make")

    def __init__(self, nodes: Sequence, make) -> None:
        self.nodes, self._make = nodes, make

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(map(self._make, self.nodes[k]))
        return self._make(self.nodes[k])

    def __iter__(self):
        return map(self._make, self.nodes)


class _Nested:
    """Node i's value as nested lists, made when asked (`nested[i]`), not kept for every node."""

    __slots__ = ("_result",)

    def __init__(self, result: TensorResult) -> None:
        self._result = result

    def __getitem__(self, i: int):
        value = self._result.values[i]
        return None if value is None else self._result.nested(value)


def _literal(tape, i: int):
    node = tape.nodes[i]
    return node.text if node.op == CONST and node.name is None else None


def _expression(tape, i: int, labels: list[str]) -> str:
    """Node i over its arguments' labels: `W @ u1`, `sum(h, axis=0)`."""
    node = tape.nodes[i]
    if node.op in (INPUT, CONST):
        return tape.expression(i)
    return TENSOR_OPS[node.op].written(len(node.args), dict(node.params)).format(*(labels[a] for a in node.args))


def forward_steps(result: TensorResult, nested: list, labels: list[str] | None = None) -> list[TensorForwardStep]:
    """Every computed node and named constant, in evaluation order (unnamed literals appear in the expressions
    that use them); `labels` (steps.key_labels) are how nodes are called."""
    labels = labels or key_labels(result.tape)
    return [_forward_step(result, nested, labels, i) for i in _forward_nodes(result.tape)]


def _forward_nodes(tape) -> array:
    """In an array, not a list of ints: 36 bytes a node less."""
    return array("q", (i for i, node in enumerate(tape.nodes)
                       if not (node.op == INPUT or (node.op == CONST and node.name is None and i != tape.output))))


def _forward_step(result: TensorResult, nested, labels: list[str], i: int) -> TensorForwardStep:
    tape = result.tape
    node = tape.nodes[i]
    if node.op == CONST:
        return TensorForwardStep(i, node.id, labels[i], node.name, CONSTANT_STEP, node.text, None,
                                 (), (), (), (), nested[i], node.shape)
    template = TENSOR_OPS[node.op].written(len(node.args), dict(node.params))
    return TensorForwardStep(
        i, node.id, labels[i], node.name, OPERATION_STEP, _expression(tape, i, labels), template,
        tuple(labels[a] for a in node.args), tuple(nested[a] for a in node.args),
        tuple(_literal(tape, a) for a in node.args), tuple(tape.nodes[a].shape for a in node.args),
        nested[i], node.shape)


def _on_paths(result: TensorResult, target: int) -> list[bool]:
    """Nodes that depend on `target` and send a gradient towards the output (with target and the output)."""
    nodes = result.tape.nodes
    depends = [False] * len(nodes)
    depends[target] = True
    for i in range(target + 1, len(nodes)):
        depends[i] = any(depends[a] for a in nodes[i].args)
    keep = [d and g is not None for d, g in zip(depends, result.grads)]
    keep[result.tape.output] = keep[target] = True
    return keep


def _term(result: TensorResult, nested: list, consumer: int, k: int, contribution, labels: list[str]) -> TensorTerm:
    tape, B = result.tape, result.backend
    cnode = tape.nodes[consumer]
    op = TENSOR_OPS[cnode.op]
    shapes = [tape.nodes[a].shape for a in cnode.args]
    text = op.rule_text(shapes, dict(cnode.params))[k]
    rule = text.split(" = ", 1)[1]
    summed = _SUMMED.search(rule)
    rule = _SUMMED.sub("", rule)
    local_template = local = None
    if op.scalar is not None:
        written = OPS[op.scalar].derivative_text[min(k, len(OPS[op.scalar].derivative_text) - 1)]
        # the scalar rule with the literal operands put in and simplified (`2*u2`, not `2*u2^(2 - 1)`), in the
        # tensor rule too, where it stands after ⊙ (engine/tensor/elementwise.py)
        literals = tuple(_literal(tape, a) if not tape.nodes[a].shape else None for a in cnode.args)
        local_template = tidy_rule(written, literals)
        if local_template != written:
            rule = (UPSTREAM if local_template == "1" else f"-{UPSTREAM}" if local_template == "-1"
                    else rule.replace(f"({written})", f"({local_template})") if f"({written})" in rule
                    else rule.replace(written, f"({local_template})"))
        if local_template not in ("1", "-1"):
            args = [result.values[a] for a in cnode.args]
            local = B.tolist(elementwise_partial(B, cnode.op, args, result.values[consumer], k))
    return TensorTerm(
        consumer=consumer, consumer_label=labels[consumer], argument=k, rule=rule,
        local_template=local_template, local=local,
        summed_to=shapes[k] if summed else None, upstream=_gradient(result, consumer),
        operand_labels=tuple(labels[a] for a in cnode.args), operands=tuple(nested[a] for a in cnode.args),
        operand_literals=tuple(_literal(tape, a) for a in cnode.args), operand_shapes=tuple(shapes),
        consumer_value=nested[consumer], consumer_shape=cnode.shape,
        factors=factor_shapes(cnode.op, shapes, k), contribution=B.tolist(contribution),
        from_output=consumer == tape.output)


def _gradient(result: TensorResult, i: int):
    """Node i's gradient as nested lists, or None where no gradient reached it."""
    g = result.grads[i]
    return None if g is None else result.nested(g)


def backward_steps(result: TensorResult, nested: list, target: int | None = None,
                   labels: list[str] | None = None) -> list[TensorBackwardStep]:
    """The chain rule at tensor level, node by node from the output (seed 1) down to the inputs; with
    `target`, only the nodes on the paths from the output to it."""
    labels = labels or key_labels(result.tape)
    received = _Received(result)
    return [_backward_step(result, nested, labels, received, i) for i in _backward_nodes(result, target)]


def _backward_nodes(result: TensorResult, target: int | None) -> array:
    keep = _on_paths(result, target) if target is not None else None
    return array("q", (i for i in range(len(result.tape.nodes) - 1, -1, -1)
                       if result.grads[i] is not None and (keep is None or keep[i])))


class _Received:
    """Per node, the (consumer, argument) slots its gradient is the sum of, in the order the sweep sent them
    (engine/reverse.received, without a list of pairs for every node: two arrays and where each node's start)."""

    __slots__ = ("starts", "consumers", "arguments")

    def __init__(self, result: TensorResult) -> None:
        nodes = result.tape.nodes
        starts = array("q", bytes(8 * (len(nodes) + 1)))
        for i, sent in enumerate(result.contributions):
            if sent is not None:
                for a, c in zip(nodes[i].args, sent):
                    if c is not None:
                        starts[a + 1] += 1
        for i in range(len(nodes)):
            starts[i + 1] += starts[i]
        filled = array("q", starts[:-1])
        self.consumers, self.arguments = array("q", bytes(8 * starts[-1])), array("q", bytes(8 * starts[-1]))
        for i, sent in enumerate(result.contributions):
            if sent is not None:
                for k, (a, c) in enumerate(zip(nodes[i].args, sent)):
                    if c is not None:
                        self.consumers[filled[a]], self.arguments[filled[a]] = i, k
                        filled[a] += 1
        self.starts = starts

    def of(self, i: int) -> range:
        """Where node i's slots are in `consumers` and `arguments`."""
        return range(self.starts[i], self.starts[i + 1])


def _backward_step(result: TensorResult, nested, labels: list[str], received: _Received, i: int) -> TensorBackwardStep:
    tape = result.tape
    node = tape.nodes[i]
    # the terms, each made when read: a node such as an MLP's W feeds every layer (33,000 terms at 100,000 nodes,
    # some 2 KiB each as records)
    consumers, arguments = received.consumers, received.arguments
    terms = Steps(received.of(i) if i != tape.output else range(0),
                  lambda j: _term(result, nested, consumers[j], arguments[j],
                                  result.contributions[consumers[j]][arguments[j]], labels))
    return TensorBackwardStep(i, node.id, labels[i], node.name, node.shape, terms,
                              _gradient(result, i), i == tape.output, labels[tape.output])


def element_step(result: TensorResult, target: int, element: tuple, labels: list[str]) -> ElementStep:
    """The gradient of `element` of node `target` as the sum, over each consumer and each element of it the
    element reaches, of the upstream gradient there times the partial."""
    tape, B = result.tape, result.backend
    terms = []
    position: dict[int, int] = {}
    for consumer, _ in result.received()[target]:
        cnode = tape.nodes[consumer]
        start = position.get(consumer, 0)
        k = next(k for k in range(start, len(cnode.args)) if cnode.args[k] == target
                 and result.contributions[consumer][k] is not None)
        position[consumer] = k + 1
        args = [result.values[a] for a in cnode.args]
        upstream = result.flat(result.grads[consumer])
        operand_labels = [labels[a] for a in cnode.args]
        for partial in element_partials(B, cnode.op, args, result.values[consumer], dict(cnode.params), k, element):
            at = partial.at
            g = upstream[sh.positions(cnode.shape, at)[0] if cnode.shape else 0]
            text = None
            if partial.text is not None:
                text = partial.text.replace("{out}", labels[consumer])
                for m, label in enumerate(operand_labels):
                    text = text.replace(f"{{{m}}}", label)
            terms.append(ElementTerm(labels[consumer], at, g, text, partial.value, g * partial.value))
    gradient = result.flat(result.grads[target])[sh.positions(tape.nodes[target].shape, element)[0]]
    return ElementStep(labels[target], element, tuple(terms), gradient)


def _kinks(result: TensorResult, labels: list[str]) -> tuple[TensorKinkNote, ...]:
    tape = result.tape
    notes = []
    for kink in result.kinks:
        args = tape.nodes[kink.node].args
        sides = tuple((labels[args[k]] + (sh.element_text(index) if index else ""), left, right, used)
                      for (k, index), (left, right), used in zip(kink.sources, kink.one_sided, kink.used))
        notes.append(TensorKinkNote(kink.node, labels[kink.node], _expression(tape, kink.node, labels), kink.at, sides,
                                    kink.convention))
    return tuple(notes)


def _inexact(result: TensorResult, labels: list[str]) -> Inexact | None:
    lost = result.first_inexact()
    if lost is None:
        return None
    i, what = lost
    tape = result.tape
    return Inexact(i, tape.nodes[i].id, labels[i], _expression(tape, i, labels),
                   "derivative" if what == "gradient" else what)


def tensor_worked(result: TensorResult, wrt: str | None = None, decimals: bool = False) -> TensorWorked:
    """The whole worked solution at tensor level (see the module's docstring)."""
    tape = result.tape
    nested = _Nested(result)
    labels = key_labels(tape)
    target, element = parse_wrt(tape, wrt) if wrt is not None else (None, None)
    received = _Received(result)
    forward = Steps(_forward_nodes(tape), lambda i: _forward_step(result, nested, labels, i))
    backward = Steps(_backward_nodes(result, target), lambda i: _backward_step(result, nested, labels, received, i))
    step = None
    if element is not None and result.grads[target] is not None and target != tape.output:
        step = element_step(result, target, element, labels)
    if target is not None:
        gradient = _gradient(result, target)
        if element is not None and gradient is not None:
            gradient = result.flat(result.grads[target])[sh.positions(tape.nodes[target].shape, element)[0]]
        label = labels[target] + (sh.element_text(element) if element else "")
        answers = ((label, gradient, None if element else tape.nodes[target].shape),)
    else:
        # made when read, as the steps are: an MLP names every layer (33,000 gradients at 100,000 nodes)
        named = [(name, at) for name, at in tape.inputs.items()]
        named += [(node.name, i) for i, node in enumerate(tape.nodes)
                  if node.name and node.name not in tape.inputs and i != tape.output and result.grads[i] is not None]
        answers = Steps(named, lambda answer: (answer[0], None if answer[0] in result.no_gradient
                                               else _gradient(result, answer[1]), tape.nodes[answer[1]].shape))
    shown = set(forward.nodes) | set(backward.nodes)
    shown |= {a for i in forward.nodes for a in tape.nodes[i].args}
    unnamed = [i for i in unnamed_nodes(tape) if i in shown]
    output = tape.output
    return TensorWorked(
        source=tape.source, output=output, output_id=tape.nodes[output].id, output_label=labels[output],
        output_value=nested[output], output_shape=tape.nodes[output].shape,
        inputs=tuple((name, nested[at], tape.nodes[at].shape) for name, at in tape.inputs.items()),
        forward=forward, backward=backward, element=step, answers=answers, wrt=wrt, exact=result.exact,
        inexact=_inexact(result, labels), kinks=_kinks(result, labels), unnamed=tuple(labels[i] for i in unnamed),
        unnamed_ids=tuple(tape.nodes[i].id for i in unnamed), readings=tape.notes,
        functions=tape.functions, no_gradient=tuple(sorted(result.no_gradient)),
        calls=tuple(tape.nodes[i].call for i in sorted(shown) if tape.nodes[i].call and not tape.nodes[i].name),
        decimals=decimals)
