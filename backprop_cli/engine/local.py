"""Local derivatives: d node / d argument for every edge that can carry a gradient.

An edge carries a gradient when its argument is *active* (an input, or
computed from one) and its node lies on a path to the output. Edges
into plain constants are never differentiated, so `a^2` at a = -3 needs no
log(-3). Nodes sitting exactly on a kink (relu or abs at 0, a max/min tie) are
recorded with their one-sided derivatives: there the gradient is a convention.
"""
from __future__ import annotations

from typing import Sequence

from ..base.errors import MathError
from ..base.records import FrozenRecord, set_field
from .arithmetic import FLOAT, TINY, OutOfRange
from .forward import node_error
from .ops import OPS, DomainError, rule_message
from .tape import INPUT, Tape


class Kink(FrozenRecord):
    """A differentiated node sitting exactly on its kink (a frozen record, as a dataclass would be)."""

    __slots__ = __match_args__ = ("node", "op", "used", "one_sided", "convention")
    node: int  # position in the tape
    op: str
    used: tuple  # the conventional derivative used, per argument
    one_sided: tuple  # (left, right) per argument
    convention: str  # whose convention `used` follows (conventions.py): ops.py's rules are PyTorch's

    def __init__(self, node: int, op: str, used: tuple, one_sided: tuple, convention: str = "pytorch") -> None:
        set_field(self, "node", node)
        set_field(self, "op", op)
        set_field(self, "used", used)
        set_field(self, "one_sided", one_sided)
        set_field(self, "convention", convention)


def active_nodes(tape: Tape) -> list[bool]:
    """Nodes whose gradient is computed: inputs, and anything computed from them. A named node computed
    from constants alone (`n = 2`, `c = sqrt(2)`) is a constant too: `x^n` needs no derivative in n."""
    active = [False] * len(tape.nodes)
    for i, node in enumerate(tape.nodes):
        args = node.args
        if node.op == INPUT:
            active[i] = True
        elif len(args) == 2:
            active[i] = active[args[0]] or active[args[1]]
        elif args:
            active[i] = any(active[a] for a in args)
    active[tape.output] = True  # d out / d out = 1, even for a constant program
    return active


def ancestors(tape: Tape, node: int) -> list[bool]:
    """Per node: is `node` computed from it? (`node` itself counts.) One backward sweep."""
    nodes = tape.nodes
    reach = [False] * len(nodes)
    reach[node] = True
    for i in range(node, -1, -1):
        if reach[i]:
            for a in nodes[i].args:
                reach[a] = True
    return reach


def reaches_output(tape: Tape) -> list[bool]:
    """Nodes on some path to the output (the rest get gradient 0 without any work)."""
    return ancestors(tape, tape.output)


def local_partials(tape: Tape, values: Sequence, arithmetic=FLOAT) -> tuple[list, list[bool], list[Kink]]:
    """Per node: a tuple of d node / d arg (None where not needed), or None for leaves and idle nodes."""
    nodes = tape.nodes
    active, needed = structure(tape)
    # looked up per call: OPS is the one table (and tests swap entries in it)
    rules_of = {name: (op.partials, op.branch is not None) for name, op in OPS.items()}
    partials: list = [None] * len(nodes)
    branching: list[int] = []  # differentiated nodes of relu, abs, max, min: perhaps on a kink
    try:
        if arithmetic is FLOAT:
            _float_partials(nodes, values, active, needed, rules_of, partials, branching)
        else:
            _partials(nodes, values, active, needed, rules_of, partials, branching, arithmetic.coerce)
    except _Failed as failed:
        i, err = failed.args
        if isinstance(err, OverflowError) and arithmetic is FLOAT:
            raise OutOfRange from None  # math.pow or math.exp overflowed inside a rule: wide decimals may not
        raise _node_failure(tape, i, values, err) from None
    return partials, list(active), _kinks(tape, values, partials, branching)


def structure(tape: Tape):
    """What the sweeps need to know of the graph, computed once per tape: (active, needed).

    needed lists the nodes whose local derivatives are taken (active operations on a path to
    the output), in tape order, each as (i, op, a, b): its arguments a and b, b = -1 for one
    argument (and (i, op, args, -2) for more). It depends on the graph only, not on the point,
    so it is kept on the (immutable) tape: the same graph evaluated again (--check, a
    benchmark's repeated sweeps) does not redo it."""
    cached = tape.__dict__.get("_structure")
    if cached is None:
        active = active_nodes(tape)
        reach = reaches_output(tape)
        needed = []
        for i, (node, a, r) in enumerate(zip(tape.nodes, active, reach)):
            args = node.args
            if args and a and r:
                if len(args) == 2:
                    needed.append((i, node.op, args[0], args[1]))
                elif len(args) == 1:
                    needed.append((i, node.op, args[0], -1))
                else:
                    needed.append((i, node.op, args, -2))
        cached = (active, needed)
        object.__setattr__(tape, "_structure", cached)  # a cache, not a field: eq, hash and replace() ignore it
    return cached


class _Failed(Exception):
    """(node, the exception its derivative rule raised, or None for a non-finite result)."""


def _node_failure(tape: Tape, i: int, values: Sequence, err):
    if isinstance(err, MathError):
        return node_error(tape, i, values, err.message)
    return node_error(tape, i, values, failure_text(tape, i, err))


def failure_text(tape: Tape, i: int, err: Exception, lead: str = "the derivative does not exist: ") -> str:
    """What a derivative rule of node i raising `err` means: `the derivative does not exist: sqrt has an
    infinite derivative at 0` (DomainError, in the program's labels, after `lead`), else that it is not finite."""
    if isinstance(err, DomainError):
        labels = [tape.label(a) for a in tape.nodes[i].args]
        return f"{lead}{rule_message(err, labels, tape.expression(i))}"
    return f"the derivative of {tape.nodes[i].op} is not finite here"


_FAILURES = (DomainError, MathError, ZeroDivisionError, OverflowError, ValueError)
# Rules written with integer constants (add's 1, sub's -1) give the same float objects every time,
# not a new one per node: a million-node graph keeps a million fewer floats.
_FLOAT_OF = {1: 1.0, -1: -1.0}


def _float_partials(nodes, values, active, needed, rules_of, partials, branching) -> None:
    """The float sweep, unrolled for one and two arguments (nearly every node). A derivative that is
    infinite, NaN or subnormal in floats raises OutOfRange: the computation is redone in wide decimals,
    which either find an ordinary number or name the node whose derivative does not fit a float."""
    i = -1
    try:
        for i, op, a, b in needed:
            rules, branches = rules_of[op]
            if branches:
                branching.append(i)
            out = values[i]
            if b >= 0:
                x = values[a]
                y = values[b]
                if active[a]:
                    d = rules[0](x, y, out)
                    if type(d) is not float:
                        d = _FLOAT_OF.get(d) or float(d)
                    if d - d or (-TINY < d < TINY and d):
                        raise OutOfRange
                else:
                    d = None
                if active[b]:
                    e = rules[1](x, y, out)
                    if type(e) is not float:
                        e = _FLOAT_OF.get(e) or float(e)
                    if e - e or (-TINY < e < TINY and e):
                        raise OutOfRange
                else:
                    e = None
                partials[i] = (d, e)
            elif b == -1:
                if active[a]:
                    d = rules[0](values[a], out)
                    if type(d) is not float:
                        d = _FLOAT_OF.get(d) or float(d)
                    if d - d or (-TINY < d < TINY and d):
                        raise OutOfRange
                else:
                    d = None
                partials[i] = (d,)
            else:
                operands = [values[k] for k in a]
                row = []
                for rule, k in zip(rules, a):
                    d = None
                    if active[k]:
                        d = float(rule(*operands, out))
                        if d - d or (-TINY < d < TINY and d):
                            raise OutOfRange
                    row.append(d)
                partials[i] = tuple(row)
    except _FAILURES as err:
        raise _Failed(i, err) from None


def _partials(nodes, values, active, needed, rules_of, partials, branching, coerce) -> None:
    """Any arithmetic (exact fractions): each local derivative normalised by the arithmetic."""
    i = -1
    try:
        for i, op, _, _ in needed:
            node = nodes[i]
            rules, branches = rules_of[op]
            if branches:
                branching.append(i)
            operands = [values[a] for a in node.args]
            row = []
            for rule, a in zip(rules, node.args):
                d = None
                if active[a]:
                    d = coerce(rule(*operands, values[i]))
                    if type(d) is float and (d - d or (-TINY < d < TINY and d)):
                        raise OutOfRange
                row.append(d)
            partials[i] = tuple(row)
    except _FAILURES as err:
        raise _Failed(i, err) from None


def _kinks(tape: Tape, values: Sequence, partials: Sequence, branching: Sequence[int]) -> list[Kink]:
    """The differentiated nodes of relu, abs, max and min that sit exactly on their kink."""
    kinks: list[Kink] = []
    for i in branching:
        node = tape.nodes[i]
        op = OPS[node.op]
        if op.branch(*(values[a] for a in node.args)) == 0:
            args = [values[a] for a in node.args]
            sides = op.one_sided(*args) if callable(op.one_sided) else op.one_sided  # leaky_relu's depend on its slope
            kinks.append(Kink(i, node.op, partials[i], sides))
    return kinks
