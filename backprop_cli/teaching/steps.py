"""The worked solution as data: every forward step and every chain-rule step, ready to print.

`forward_steps` and `backward_steps` turn a compute.Result into records that say
everything a textbook line says (labels, the operation as written, operand
values, local derivatives written symbolically and their values, products,
sums) so that renderers (render/explain.py) and the homework grader (`check`)
only format, never compute. Nothing here formats numbers or knows about text,
Markdown or LaTeX.

Nodes are referred to by their labels: their names, the literal for constants,
or, for intermediates the program does not name, the id (v3) in the steps `check`
shows, and in a worked solution a short name numbered in the order they are
computed, with no gaps (u1, u2, ...: `key_labels`). A local derivative is its
rule from ops.py with the literal operands put in and simplified
(engine/symbolic/tidy.py): `2*v2`, not `2*v2^(2 - 1)`.

It stays one module (about 300 lines): the forward steps, the backward steps
and the Worked record that holds both share the labelling of nodes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..base.errors import UsageError
from ..base.undefined import Undefined
from ..engine.compute import Result
from ..engine.conventions import DEFAULT, LABELS
from ..engine.local import reaches_output
from ..engine.ops import CONSTANTS, OPS
from ..engine.symbolic.tidy import tidy_rule
from ..engine.tape import CONST, INPUT, Tape

INPUT_STEP = "input"
CONSTANT_STEP = "constant"
OPERATION_STEP = "operation"


@dataclass(frozen=True)
class ForwardStep:
    """One line of the forward pass: `label = expression = substituted = value`."""

    node: int  # position in the tape
    id: str  # v1, v2, ...
    label: str  # the name, or the id for an unnamed node
    name: str | None
    kind: str  # "input" (a given value), "constant" (a named literal: k = 2) or "operation"
    op: str  # "input", "const" or a key of ops.OPS
    expression: str  # the operation over its operands' labels: "a + b", "exp(v3)"; for inputs the name
    template: str | None  # ops.OPS[op].template, "{0} + {1}", for substituting operands (None for leaves)
    operand_labels: tuple[str, ...]
    operands: tuple  # the operands' values
    operand_literals: tuple  # per operand: the literal as written ("0.5") for a number, else None
    value: object


@dataclass(frozen=True)
class Term:
    """One chain-rule product: ∂out/∂consumer · ∂consumer/∂node, for one argument edge."""

    consumer: int  # the node that uses this one
    consumer_label: str
    argument: int  # which argument of the consumer (a node used twice by one consumer has two terms)
    upstream: object  # ∂out/∂consumer, a number
    upstream_symbolic: str | None  # ∂out/∂consumer written over labels when short ("1/d"), "1" for the output
    local_symbolic: str  # ∂consumer/∂node from the operation's rule, over operand labels: "c", "-f/d^2"
    local: object  # its value
    product: object  # upstream × local
    local_template: str  # the rule as in ops.OPS[op].derivative_text[argument]: "-{0}/{1}^2"
    operand_labels: tuple[str, ...]  # the consumer's operands
    operands: tuple  # their values, to substitute into local_template
    operand_literals: tuple  # per operand: the literal as written for a number, else None
    consumer_value: object  # for {out} in a template
    from_output: bool  # the consumer is the output: upstream is the seed 1, the product is the local
    piecewise: bool  # the rule reads "1 if x > 0, else 0": no values are substituted into it


@dataclass(frozen=True)
class BackwardStep:
    """One line of the backward pass: ∂out/∂node as the sum of its terms. The output's step has none (seed 1)."""

    node: int
    id: str
    label: str
    name: str | None
    terms: tuple[Term, ...]
    gradient: object
    symbolic: str | None  # the gradient over labels when it is short ("1/d", "c"), else None
    is_output: bool
    output_label: str
    reaches_output: bool  # False: the node does not affect the output, its gradient is 0


@dataclass(frozen=True)
class KinkNote:
    node: int
    label: str
    expression: str
    sides: tuple  # per differentiated argument: (argument label, left, right, used)
    convention: str = "pytorch"  # whose convention `used` is (engine/conventions.py)


@dataclass(frozen=True)
class Inexact:
    """In --exact mode, the first node where a value or a derivative is not rational."""

    node: int
    id: str
    label: str
    expression: str
    what: str  # "value" or "derivative"


class Steps:
    """Steps made as they are read: each pass over it works them out again from the Result, one at a time, so
    a worked solution of 100,000 nodes is never held whole (the renderers write each line as it comes: issue
    16). Its length is known before the first step is made (the progress bar's total, `if worked.backward`)."""

    __slots__ = ("_make", "_count")

    def __init__(self, make, count: int) -> None:
        self._make = make  # () -> an iterator over the steps
        self._count = count

    def __iter__(self):
        return iter(self._make())

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"<Steps: {self._count}>"


@dataclass(frozen=True)
class Worked:
    """Everything a worked solution prints, in order."""

    source: str
    output: int
    output_id: str
    output_label: str
    output_value: object
    inputs: tuple  # (name, value) in order of first use
    forward: Steps  # of ForwardStep: the given values, then the computed nodes (made as they are read)
    backward: Steps  # of BackwardStep (made as they are read)
    answers: tuple  # (label, gradient): the inputs, then named intermediates; with wrt only that one
    wrt: str | None
    exact: bool
    inexact: Inexact | None
    kinks: tuple[KinkNote, ...]
    unnamed: tuple[str, ...]  # the labels of the unnamed intermediates the steps refer to (u1, u2, ...)
    readings: tuple[str, ...] = ()  # how what could be misread was read (Tape.notes: `1/2x is read as ...`)
    # the functions the program defines and calls, once each (`f(x) = x^2 + 1`): the steps show their calls
    # expanded into the nodes of their bodies, each result labelled with its call
    functions: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()  # the labels of those results among the steps (`f(a)`), in order
    # where numbers are missing at this point and why (engine/undefined.py's Causes); a step's number there
    # is an Undefined with its reason; with the output undefined there are no backward steps
    missing: tuple = ()
    unnamed_ids: tuple[str, ...] = ()  # their node ids (v3, v5: as `backprop eval` calls them), in the same order
    # exact values written as decimals (explain's default: 0.6, 2/3 rounded to 0.666667), not as fractions
    decimals: bool = False
    computed: Steps | None = None  # the forward steps but the given values (made as they are read)

    def __post_init__(self) -> None:
        if self.computed is None:  # a Worked written out by hand, its steps in tuples: found from them
            count = sum(1 for s in self.forward if s.kind != INPUT_STEP)
            steps = Steps(lambda: (s for s in self.forward if s.kind != INPUT_STEP), count)
            object.__setattr__(self, "computed", steps)


def _literal(tape: Tape, i: int):
    node = tape.nodes[i]
    if node.op == CONST and node.text not in CONSTANTS:
        return node.text
    return None


def _label(tape: Tape, i: int) -> str:
    """The label of node i, but the id for an unnamed constant that is the output (so `2` is `v1 = 2`)."""
    node = tape.nodes[i]
    if i == tape.output and node.op == CONST and node.name is None:
        return node.id
    return tape.label(i)


def tape_labels(tape: Tape) -> list[str]:
    """Every node's label as the tables write it: its name, call, literal, or id (v3)."""
    return [_label(tape, i) for i in range(len(tape.nodes))]


KEY_PREFIXES = ("u", "t", "s", "r", "q", "p")  # the first whose names the program does not use already


def unnamed_nodes(tape: Tape) -> list[int]:
    """The nodes a worked solution names itself, in evaluation order: the computed nodes without a name or a
    call (and an unnamed constant that is the output)."""
    return [i for i, node in enumerate(tape.nodes) if node.display_name is None
            and (node.op not in (INPUT, CONST) or (i == tape.output and node.op == CONST))]


def key_labels(tape: Tape) -> list[str]:
    """Every node's label in a worked solution: as tape_labels, but the unnamed intermediates numbered u1, u2,
    u3... in evaluation order (no gaps where inputs and constants have ids), with another letter when the
    program already uses one of those names."""
    labels = tape_labels(tape)
    unnamed = unnamed_nodes(tape)
    if not unnamed:
        return labels
    taken = set(tape.named) | {label for label in labels} | {f.split("(", 1)[0] for f in tape.functions}
    prefix = next((p for p in KEY_PREFIXES if not any(f"{p}{k}" in taken for k in range(1, len(unnamed) + 1))),
                  None)
    while prefix is None or any(f"{prefix}{k}" in taken for k in range(1, len(unnamed) + 1)):
        prefix = (prefix or KEY_PREFIXES[0]) + KEY_PREFIXES[0]
    for k, i in enumerate(unnamed, 1):
        labels[i] = f"{prefix}{k}"
    return labels


def _expression(tape: Tape, i: int, labels: list[str]) -> str:
    """Node i written in source form over its arguments' labels: `e * c`, `exp(u1)`."""
    node = tape.nodes[i]
    if node.op in (INPUT, CONST):
        return tape.expression(i)
    return OPS[node.op].template_for(len(node.args)).format(*(labels[a] for a in node.args))


def _untracked(items, what: str = "", total: int | None = None, unit: str = ""):
    return items  # the default `track`: no progress bar (the command passes render/progress.py's)


def forward_steps(result: Result, labels: list[str] | None = None, track=_untracked) -> list[ForwardStep]:
    """The given values first (inputs, in order of first use), then every computed node in evaluation order.

    Unnamed literals are not steps of their own: they appear in the expressions that use them. `labels` (one
    per node, key_labels) are how nodes are called; by default as the tables call them (tape_labels).
    `track(items, what)` wraps the loop over the nodes (a progress bar's, render/progress.py).
    """
    return list(iter_forward_steps(result, labels, track))


def iter_forward_steps(result: Result, labels: list[str] | None = None, track=_untracked, given: bool = True):
    """forward_steps one at a time, as they are made; without the given values unless `given`."""
    tape = result.tape
    labels = labels or tape_labels(tape)
    if given:
        for name, i in tape.inputs.items():
            yield ForwardStep(i, tape.nodes[i].id, name, name, INPUT_STEP, INPUT, name, None, (), (), (),
                              result.values[i])
    for i, node in track(enumerate(tape.nodes), "forward steps", len(tape.nodes)):
        if node.op == INPUT:
            continue
        if node.op == CONST:
            if node.name is None and i != tape.output:
                continue
            yield ForwardStep(i, node.id, labels[i], node.name, CONSTANT_STEP, CONST, node.text, None,
                              (), (), (), result.values[i])
            continue
        yield ForwardStep(
            i, node.id, labels[i], node.name, OPERATION_STEP, node.op, _expression(tape, i, labels),
            OPS[node.op].template_for(len(node.args)),
            tuple(labels[a] for a in node.args), tuple(result.values[a] for a in node.args),
            tuple(_literal(tape, a) for a in node.args), result.values[i],
        )


def _computed_nodes(tape: Tape) -> list[int]:
    """The nodes iter_forward_steps makes a step of after the given values (in evaluation order)."""
    return [i for i, node in enumerate(tape.nodes) if node.op != INPUT
            and (node.op != CONST or node.name is not None or i == tape.output)]


def resolve_wrt(tape: Tape, wrt: str, grads=None) -> int:
    """The node `wrt` names: an input or named intermediate, an unnamed one by its name in a worked solution
    (u1, key_labels), or a node id (v3); else a UsageError."""
    named = tape.named
    if wrt in named:
        return named[wrt]
    if wrt[:1] in KEY_PREFIXES:
        labels = key_labels(tape)
        for i in unnamed_nodes(tape):
            if labels[i] == wrt and (grads is None or grads[i] is not None):
                return i
    for i, node in enumerate(tape.nodes):
        if node.id == wrt and (grads is None or grads[i] is not None):
            return i
    names = ", ".join(named) or "none"
    raise UsageError(f"--wrt {wrt}: the program has no input or named intermediate {wrt} "
                     f"(the names are: {names}; unnamed nodes can be given by their names in the worked solution, "
                     "as in u1, or by id, as in v3)")


def slice_steps(result: Result, steps: list[BackwardStep], wrt: str) -> list[BackwardStep]:
    """backward_steps(result, wrt=wrt) from the steps of backward_steps(result) (computed once): the same
    steps, since every node's terms are worked out whatever `wrt` keeps. check slices one list per wrong
    answer instead of working out the chain rule over the whole tape again for each (issue 16)."""
    keep = _on_paths(result.tape, resolve_wrt(result.tape, wrt, result.grads))
    return [step for step in steps if keep[step.node]]


def _on_paths(tape: Tape, target: int) -> list[bool]:
    """Nodes on some path from the output down to `target`: they depend on target and reach the output."""
    n = len(tape.nodes)
    depends = [False] * n
    depends[target] = True
    for i in range(target + 1, n):
        depends[i] = any(depends[a] for a in tape.nodes[i].args)
    keep = [d and r for d, r in zip(depends, reaches_output(tape))]
    keep[tape.output] = True
    keep[target] = True
    return keep


def _short_symbolic(upstream: str | None, local: str) -> str | None:
    """∂out/∂node over labels, for a node with a single term, without any algebra: only factors of 1 drop."""
    if upstream is None:
        return None
    if upstream == "1":
        return local
    if local == "1":
        return upstream
    return None


def backward_steps(result: Result, wrt: str | None = None, labels: list[str] | None = None,
                   track=_untracked) -> list[BackwardStep]:
    """The chain rule node by node, in backward order from the output (seed 1) down to the inputs.

    Every differentiated node is a step (constants are not); with `wrt`, only the
    nodes on the paths from the output down to that name (or id). Each local
    derivative is its rule with the literal operands put in, simplified (tidy_rule). `track`: as forward_steps.
    """
    keep = _kept(result, wrt)  # an unknown wrt is a UsageError here, before any step
    return list(_iter_backward_steps(result, keep, labels, track))


def _kept(result: Result, wrt: str | None) -> list[bool] | None:
    """Which nodes the backward steps keep with `wrt` (those on its paths to the output); None: all."""
    return _on_paths(result.tape, resolve_wrt(result.tape, wrt, result.grads)) if wrt is not None else None


def _backward_nodes(result: Result, keep: list[bool] | None) -> list[int]:
    """The nodes _iter_backward_steps makes a step of, in its order (none where the output is undefined)."""
    if type(result.values[result.tape.output]) is Undefined:
        return []
    grads = result.grads
    return [i for i in range(len(grads) - 1, -1, -1) if grads[i] is not None and (keep is None or keep[i])]


def _iter_backward_steps(result: Result, keep: list[bool] | None, labels: list[str] | None = None,
                         track=_untracked):
    """backward_steps one at a time, as they are made; `keep` from _kept."""
    tape = result.tape
    labels = labels or tape_labels(tape)
    nodes = tape.nodes
    output = tape.output
    output_label = labels[output]
    if type(result.values[output]) is Undefined:
        return  # no value, no derivatives: there is no chain rule to apply
    reach = reaches_output(tape)
    received = result.received()
    # nodes on a kink whose derivative is not the rule's value there (ops.py's rules are PyTorch's) but another
    # convention's: their rule is written with it, so no line evaluates `1 if x > 0, else 0` at 0 to 1
    conventional = {k.node: LABELS[k.convention] for k in result.kinks if k.convention != DEFAULT}
    symbolic: list[str | None] = [None] * len(nodes)
    for i in track(range(len(nodes) - 1, -1, -1), "backward steps"):
        if result.grads[i] is None:
            continue
        node = nodes[i]
        terms = []
        if i == output:
            symbolic[i] = "1"
        else:
            position: dict[int, int] = {}  # consumer -> next argument slot, for a node used twice by one consumer
            for consumer, product in received[i]:
                cnode = nodes[consumer]
                start = position.get(consumer, 0)
                k = next(k for k in range(start, len(cnode.args)) if cnode.args[k] == i
                         and result.contributions[consumer][k] is not None)
                position[consumer] = k + 1
                literals = tuple(_literal(tape, a) for a in cnode.args)
                template = tidy_rule(OPS[cnode.op].derivative_text[k], literals)
                if consumer in conventional:  # "JAX's convention if on the kink, else sign(x)"
                    template = (f"{conventional[consumer]} convention if on the kink, "
                                + (template if " if " in template else f"else {template}"))
                operand_labels = tuple(labels[a] for a in cnode.args)
                terms.append(Term(
                    consumer=consumer,
                    consumer_label=labels[consumer],
                    argument=k,
                    upstream=result.grads[consumer],
                    upstream_symbolic=symbolic[consumer],
                    local_symbolic=template.format(*operand_labels, out=labels[consumer]),
                    local=result.partials[consumer][k],
                    product=product,
                    local_template=template,
                    operand_labels=operand_labels,
                    operands=tuple(result.values[a] for a in cnode.args),
                    operand_literals=literals,
                    consumer_value=result.values[consumer],
                    from_output=consumer == output,
                    piecewise=" if " in template,
                ))
            if len(terms) == 1 and not terms[0].piecewise:
                symbolic[i] = _short_symbolic(terms[0].upstream_symbolic, terms[0].local_symbolic)
            received[i] = None  # read once: let it go
        if keep is not None and not keep[i]:
            continue
        yield BackwardStep(
            node=i, id=node.id, label=labels[i], name=node.name, terms=tuple(terms),
            gradient=result.grads[i], symbolic=symbolic[i], is_output=i == output, output_label=output_label,
            reaches_output=reach[i],
        )


def _kinks(result: Result, labels: list[str]) -> tuple[KinkNote, ...]:
    tape = result.tape
    notes = []
    for kink in result.kinks:
        node = tape.nodes[kink.node]
        sides = tuple(
            (labels[a], left, right, used)
            for a, (left, right), used in zip(node.args, kink.one_sided, kink.used) if used is not None
        )
        notes.append(KinkNote(kink.node, labels[kink.node], _expression(tape, kink.node, labels), sides,
                              kink.convention))
    return tuple(notes)


def _inexact(result: Result, labels: list[str]) -> Inexact | None:
    lost = result.first_inexact()
    if lost is None:
        return None
    i, what = lost
    tape = result.tape
    return Inexact(i, tape.nodes[i].id, labels[i], _expression(tape, i, labels), what)


_ID = re.compile(r"\bv\d+\b")


def _renamed(causes, tape: Tape, labels: list[str]) -> tuple:
    """The causes of missing numbers (engine/undefined.py, written with the tables' ids) with the unnamed
    intermediates called as the worked solution calls them (u1, not v2)."""
    from ..engine.undefined import Cause

    names = {tape.nodes[i].id: labels[i] for i in unnamed_nodes(tape)}

    def rename(text: str) -> str:
        return _ID.sub(lambda m: names.get(m.group(0), m.group(0)), text)

    out = []
    for cause in causes:
        missing = cause.missing
        out.append(Cause(Undefined(rename(missing.reason), missing.node, rename(missing.cause), missing.word),
                         tuple(rename(s) for s in cause.subjects), cause.output, cause.gradients))
    return tuple(out)


def worked_solution(result: Result, wrt: str | None = None, decimals: bool = False, track=_untracked) -> Worked:
    """The whole worked solution: forward steps, backward steps (limited to `wrt`), answers and notes; the
    unnamed intermediates called u1, u2, ... (key_labels). `decimals`: exact values are to be written as
    decimals, not fractions (the renderers read Worked.decimals). `track`: as forward_steps.

    The steps are made as they are read (Steps), each pass again; what is said before them (which unnamed
    nodes they show, how many there are) is found from the tape, without making them."""
    tape = result.tape
    labels = key_labels(tape)
    keep = _kept(result, wrt)
    computed = _computed_nodes(tape)
    backward_nodes = _backward_nodes(result, keep)
    given = len(tape.inputs)
    forward = Steps(lambda: iter_forward_steps(result, labels, track), given + len(computed))
    backward = Steps(lambda: _iter_backward_steps(result, keep, labels, track), len(backward_nodes))
    if wrt is not None:
        target = resolve_wrt(tape, wrt, result.grads)
        answers = ((labels[target], result.grads[target]),)
    else:
        gradient = result.gradient()
        order = list(tape.inputs) + [name for name in gradient if name not in tape.inputs]
        named = tape.named
        answers = tuple((name, gradient[name]) for name in order
                        if name in gradient and (named[name] != tape.output or name in tape.inputs))
    # the nodes the steps show: the forward steps' (the given values', the computed nodes') and their operands',
    # and the backward steps'
    shown = [False] * len(tape.nodes)
    for i in tape.inputs.values():
        shown[i] = True
    for i in computed:
        shown[i] = True
        for a in tape.nodes[i].args:
            shown[a] = True
    for i in backward_nodes:
        shown[i] = True
    del computed, backward_nodes
    unnamed = [i for i in unnamed_nodes(tape) if shown[i]]
    output = tape.output
    return Worked(
        source=tape.source, output=output, output_id=tape.nodes[output].id, output_label=labels[output],
        output_value=result.values[output], inputs=tuple(result.inputs.items()), forward=forward, backward=backward,
        answers=answers, wrt=wrt, exact=result.exact, inexact=_inexact(result, labels), kinks=_kinks(result, labels),
        unnamed=tuple(labels[i] for i in unnamed), readings=tape.notes, functions=tape.functions,
        calls=tuple(node.call for node, on in zip(tape.nodes, shown) if on and node.call and not node.name),
        missing=_renamed(result.causes(), tape, labels) if result.undefined else (),
        unnamed_ids=tuple(tape.nodes[i].id for i in unnamed), decimals=decimals,
        computed=Steps(lambda: iter_forward_steps(result, labels, track, given=False), len(forward) - given),
    )
