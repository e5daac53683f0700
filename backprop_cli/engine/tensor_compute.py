"""One call from a tensor program and its input values to every value and gradient, or to its Jacobians.

compute.differentiate sends a program here when it has vectors or matrices (shaping.needs_tensors). The
tape is given its shapes (shaping.shaped), its leaves their values (inputs as bound; literals read in the
number system), and engine/tensor/sweeps.py does the rest: values, then, for a scalar output, the
gradient of every node by reverse mode, and by forward mode for programs whose inputs hold at most
FORWARD_MODE_ELEMENTS numbers in all. Values and gradients are the tensor engine's: arrays of the backend
it chose (pure Python, exact fractions under --exact; NumPy for big float work), or plain numbers for
scalars. A rule's failure becomes the usual error naming the node, with a caret: a MathError (log of a
negative element), or a UsageError for a value that does not fit (an index out of range).

`TensorResult` has the fields of compute.Result that the renderers read, and says how to read an array
(`nested`, `flat`); `jacobian` gives `JacobianResult`, d output / d input for every input.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import ClassVar, Mapping, Sequence

from ..base.errors import MathError, UsageError
from ..base.gc_pause import paused_gc
from ..base.records import FrozenRecord, set_field
from .arithmetic import FLOAT, WIDE, OutOfRange
from .conventions import DEFAULT, check_convention
from .ops import CONST, CONSTANTS, INPUT
from .shaping import index_only, located_error, rule_text, shaped
from .reverse import received
from .tape import Tape
from .tensor import pure, sweeps
from .tensor.backend import choose
from .tensor.rules import TENSOR_OPS
from .tensor.shapes import ShapeError, size
from .values import read_list

# Forward mode costs one sweep per input element; past this many elements in all it is skipped (the
# reverse-mode gradients are complete), as issue 14 asks: "up to 64".
FORWARD_MODE_ELEMENTS = 64


class ElementKink(FrozenRecord):
    """An element of a node sitting exactly on a kink of its operation (relu at 0, a tie of a max)."""

    __slots__ = __match_args__ = ("node", "op", "at", "sources", "used", "one_sided", "convention")
    node: int  # position in the tape
    op: str
    at: tuple  # the element of the node (() for a scalar node)
    sources: tuple  # (argument number, element of that argument) meeting there
    used: tuple  # the derivative used per source (PyTorch's)
    one_sided: tuple  # (left, right) per source
    convention: str

    def __init__(self, node, op, at, sources, used, one_sided, convention=DEFAULT) -> None:
        for name, value in zip(self.__slots__, (node, op, at, sources, used, one_sided, convention)):
            set_field(self, name, value)


class _Arrays:
    """What TensorResult and JacobianResult share: a node's shape, and their arrays as the renderers read them
    (`tape` and `backend` are fields of both)."""

    __slots__ = ()

    def shape(self, i: int) -> tuple:
        return self.tape.nodes[i].shape

    def nested(self, value):
        """An array as nested lists of numbers (a number as itself), for the renderers."""
        return self.backend.tolist(value)

    def flat(self, value) -> list:
        """The numbers of an array (or of nested lists), row-major; a number alone."""
        flat = [self.backend.tolist(value)]
        while flat and type(flat[0]) is list:
            flat = [x for row in flat for x in row]
        return flat


@dataclass(frozen=True, eq=False, repr=False)
class TensorResult(_Arrays, FrozenRecord):
    tape: Tape  # shaped: each node's op is a key of TENSOR_OPS and its shape is known
    inputs: dict  # input name -> value as bound: a number, or nested lists of numbers
    values: list  # per node: an array of the backend, or a number
    grads: list  # per node: d output / d node in the node's shape; None where not differentiated
    contributions: list  # per node: per argument, what it sent back there (None where nothing)
    forward_gradient: dict | None  # input -> d output / d input by forward mode; None when skipped
    kinks: list  # ElementKinks
    backend: object  # the backend the arrays are in (engine/tensor/backend.py)
    exact: bool = False
    convention: str = DEFAULT
    forward_skipped: str | None = None  # why forward mode was skipped, when it was
    no_gradient: frozenset = frozenset()  # the inputs used only as indices (x[k]): no gradient flows to them

    tensor: ClassVar[bool] = True  # compute.Result's is False: the renderers dispatch on it
    undefined: ClassVar[tuple] = ()  # a missing number is a MathError here: no Undefined is kept (compute.Result)

    @property
    def value(self):
        return self.values[self.tape.output]

    @property
    def differentiated(self) -> bool:
        """Whether gradients were computed: the output is a scalar."""
        return self.tape.nodes[self.tape.output].shape == ()

    def rules(self, i: int) -> list[tuple[int, str]]:
        """The local rule of node i at tensor level, per argument that a gradient went back to:
        (argument position, `∂L/∂W = ∂L/∂y · xᵀ`) in the program's names, L being the output's name when it
        has one (`∂C/∂W2 = ∂C/∂v8 · a1ᵀ`)."""
        return [(a, text) for a, text in zip(self.tape.nodes[i].args, self.local_rules(i)) if text is not None]

    def local_rules(self, i: int) -> list[str | None]:
        """Per argument of node i (in order, a repeated one each time): its rule as `rules` writes it, or None
        where no gradient went back (the edges of --graph)."""
        node = self.tape.nodes[i]
        if not node.args or self.contributions[i] is None:
            return [None] * len(node.args)
        op = TENSOR_OPS[node.op]
        texts = op.rule_text([self.shape(a) for a in node.args], dict(node.params))
        if self.tape.output_name:
            texts = [text.replace("∂L/∂", f"∂{self.tape.output_name}/∂") for text in texts]
        labels = [self.tape.label(a) for a in node.args]
        out = self.tape.label(i)
        return [_fill(text, labels, out) if sent is not None and text else None
                for text, sent in zip(texts, self.contributions[i])]

    def received(self) -> list[list[tuple[int, object]]]:
        """Per node: the (consumer, contribution) pairs its gradient is the sum of."""
        return received(self.tape, self.contributions)

    def first_inexact(self) -> tuple[int, str] | None:
        """In --exact mode: where exactness ended, as (node, "value" or "gradient"), or None if it never did."""
        if not self.exact:
            return None
        for what, column in (("value", self.values), ("gradient", self.grads)):
            for i, value in enumerate(column):
                if value is not None and not all(isinstance(x, Fraction) for x in self.flat(value)):
                    return i, what
        return None

    def gradient(self) -> dict:
        """d output / d name for every input and named intermediate that has one, in tape order."""
        return {node.name: self.grads[i] for i, node in enumerate(self.tape.nodes)
                if node.name is not None and self.grads[i] is not None}


def as_floats(result: TensorResult) -> TensorResult:
    """An exact result with every value, gradient and input rounded to the nearest float (`check` grades against
    the exact numbers and shows these); a MathError for a number beyond float range."""
    floats = pure.backend(FLOAT)

    def fit(value):
        return None if value is None else floats.array(value)

    try:
        return replace(result, values=[fit(v) for v in result.values], grads=[fit(g) for g in result.grads],
                       contributions=[None if c is None else tuple(map(fit, c)) for c in result.contributions],
                       inputs={name: floats.tolist(fit(v)) for name, v in result.inputs.items()},
                       backend=floats, exact=False)
    except OverflowError:
        raise MathError("a number of this computation is too large for a 64-bit float (overflow)") from None


def _fill(text: str, labels: list[str], out: str) -> str:
    from .functions import rule_message

    return rule_message(ValueError(text), labels, out)


def leaves(tape: Tape, inputs: Mapping, arithmetic) -> dict:
    """The value of every leaf: inputs as bound, literals read in the number system."""
    found: dict = {}
    for i, node in enumerate(tape.nodes):
        if node.op == INPUT:
            found[i] = inputs[node.name]
        elif node.op == CONST:
            if node.text in CONSTANTS:
                found[i] = arithmetic.constant(CONSTANTS[node.text])
            elif node.text.startswith("["):
                shape, elements = read_list(node.text, node.text)
                found[i] = pure.Array(shape, [arithmetic.literal(e) for e in elements])
            else:
                found[i] = arithmetic.literal(node.text)
    return found


def failure(tape: Tape, failed: sweeps.Failed) -> Exception:
    """A rule's failure as the user's error: what went wrong in the program's names, a caret under it."""
    i, err = failed.position, failed.error
    message = rule_text(tape, i, err)
    if isinstance(err, ShapeError):  # a value that does not fit: an index out of range, a class index
        return located_error(tape, i, message, UsageError)
    node = tape.nodes[i]
    head = tape.label(i) if node.display_name else node.id
    return located_error(tape, i, f"{message} in {head} = {tape.expression(i)}", MathError)


def prepared(tape: Tape, inputs: Mapping, arithmetic) -> tuple[Tape, dict]:
    """The shaped tape, and every input's value (the program's defaults for those not given)."""
    defaults = getattr(tape, "defaults", None)
    if defaults and any(name not in inputs for name in defaults):
        from .bindings import value_of

        inputs = {**{name: value_of(arithmetic, text, f"the value of {name}") for name, text in defaults.items()
                     if name not in inputs}, **inputs}
    return shaped(tape, inputs), dict(inputs)


def differentiate(tape: Tape, inputs: Mapping, arithmetic=FLOAT, forward_mode: bool = True,
                  convention: str = DEFAULT) -> TensorResult:
    """Every value, and for a scalar output every gradient (see the module's docstring)."""
    check_convention(convention)
    tape, inputs = prepared(tape, inputs, arithmetic)
    nodes = tape.nodes
    variables = set(tape.inputs.values())
    no_gradient = index_only(tape)
    given = leaves(tape, inputs, arithmetic)
    with paused_gc():
        if nodes[tape.output].shape != ():  # a tensor output: its values (eval asks for a scalar or jacobian)
            values, backend = _run(tape, arithmetic, lambda B: sweeps.evaluate(nodes, given, B))
            return TensorResult(tape, inputs, values, [None] * len(nodes), [None] * len(nodes), None, [], backend,
                                arithmetic.exact, convention, "the output is not a scalar", no_gradient)
        try:
            computed = sweeps.differentiate(nodes, given, tape.output, variables, arithmetic,
                                            backend=_backend(tape, arithmetic))
        except sweeps.Failed as failed:
            raise failure(tape, failed) from None
        backend = computed.backend
        kinks = _kinks(tape, computed)
        if kinks and convention != DEFAULT:
            raise UsageError(f"--convention {convention} is not yet for vectors and matrices: the tensor engine takes "
                             f"PyTorch's derivatives at a kink, and this program sits on one (leave out --convention)")
        forward, skipped = None, None
        if forward_mode:
            forward, skipped = _forward(tape, computed.values, backend, no_gradient)
    return TensorResult(tape, inputs, computed.values, computed.grads, computed.contributions, forward, kinks, backend,
                        arithmetic.exact, convention, skipped, no_gradient)


def _backend(tape: Tape, arithmetic):
    """The backend for the work of this tape (sweeps.work over the shapes it has)."""
    return choose(arithmetic, sweeps.work(tape.nodes, [node.shape for node in tape.nodes]))


def _run(tape: Tape, arithmetic, job):
    """job(backend) on the chosen backend; in floats, redone in wide decimals when a step leaves float range,
    every number of the result (a list of arrays, or a dict of them) then rounded back to a float."""
    backend = _backend(tape, arithmetic)
    try:
        return job(backend), backend
    except sweeps.Failed as failed:
        raise failure(tape, failed) from None
    except OutOfRange:
        if arithmetic is not FLOAT:
            raise MathError("an inexact (floating-point) step of this --exact computation leaves the range of 64-bit "
                            "floats; without --exact, backprop redoes such steps in a wider range") from None
    wide = pure.backend(WIDE)
    try:
        with WIDE.context():
            found = job(wide)
    except sweeps.Failed as failed:
        raise failure(tape, failed) from None
    except OutOfRange:
        raise MathError("a step of this computation leaves the range of 64-bit floats, even redone in a wider "
                        "range") from None
    floats = pure.backend(FLOAT)
    try:
        if isinstance(found, dict):
            return {k: None if v is None else floats.array(v) for k, v in found.items()}, floats
        return [None if v is None else floats.array(v) for v in found], floats
    except OverflowError:
        raise MathError("a number of this computation is too large for a 64-bit float (overflow)") from None


def _kinks(tape: Tape, computed) -> list[ElementKink]:
    found = sweeps.kinks(tape.nodes, computed.values, computed.backend, computed.grads)
    return [ElementKink(i, tape.nodes[i].op, k.at, k.sources, k.used, k.one_sided)
            for i, at in sorted(found.items()) for k in at]


def _forward(tape: Tape, values: list, backend, no_gradient: frozenset) -> tuple[dict | None, str | None]:
    """d output / d input for every input by forward mode, one tangent sweep per input element; (None, why)
    when the inputs hold more than FORWARD_MODE_ELEMENTS numbers."""
    B = backend
    names = [name for name in tape.inputs if name not in no_gradient]
    count = sum(size(tape.nodes[tape.inputs[name]].shape) for name in names)
    if count > FORWARD_MODE_ELEMENTS:
        return None, (f"the inputs hold {count} numbers, more than {FORWARD_MODE_ELEMENTS}: forward mode would take a "
                      "sweep per number")
    found = {}
    try:
        for name in names:
            at = tape.inputs[name]
            shape = tape.nodes[at].shape
            n = size(shape)
            column = []
            for j in range(n):
                seed = B.one if not shape else B.reshape(B.array([B.one if k == j else B.zero for k in range(n)]),
                                                          shape)
                tangent = sweeps.tangents(tape.nodes, values, B, {at: seed})[tape.output]
                column.append(B.zero if tangent is None else tangent)
            found[name] = column[0] if not shape else B.reshape(B.array(column), shape)
    except sweeps.Failed as failed:
        raise failure(tape, failed) from None
    except OutOfRange:
        return None, "a step of forward mode leaves the range of 64-bit floats"
    return found, None


class JacobianResult(_Arrays, FrozenRecord):
    """d output / d input of every input, each of shape output.shape + input.shape."""

    __slots__ = __match_args__ = ("tape", "inputs", "values", "jacobians", "backend", "exact", "no_gradient")
    tape: Tape
    inputs: dict
    values: list
    jacobians: dict  # input name -> array (None for an input used only as an index), in the inputs' order
    backend: object
    exact: bool
    no_gradient: frozenset

    def __init__(self, tape, inputs, values, jacobians, backend, exact, no_gradient) -> None:
        for name, value in zip(self.__slots__, (tape, inputs, values, jacobians, backend, exact, no_gradient)):
            set_field(self, name, value)

    @property
    def value(self):
        return self.values[self.tape.output]

    def all_exact(self) -> bool:
        return self.exact and all(isinstance(x, Fraction) for j in self.jacobians.values() if j is not None
                                  for x in self.flat(j))


def jacobian(tape: Tape, inputs: Mapping, arithmetic=FLOAT, wrt: Sequence[str] | None = None) -> JacobianResult:
    """The value of every node and the Jacobian of the output with respect to every input (or those named
    by `wrt`): one reverse sweep per element of the output (a scalar output's Jacobian is its gradient)."""
    tape, inputs = prepared(tape, inputs, arithmetic)
    nodes = tape.nodes
    positions = {name: tape.inputs[name] for name in (tape.inputs if wrt is None else wrt)}
    no_gradient = index_only(tape)
    wanted = {at for name, at in positions.items() if name not in no_gradient}
    given = leaves(tape, inputs, arithmetic)

    def job(B):
        values = sweeps.evaluate(nodes, given, B)
        found = sweeps.jacobian(nodes, values, tape.output, B, wanted) if wanted else {}
        return [*values, *(found[at] for at in sorted(wanted))]

    with paused_gc():
        found, backend = _run(tape, arithmetic, job)
    values, columns = found[:len(nodes)], dict(zip(sorted(wanted), found[len(nodes):]))
    jacobians = {name: columns.get(at) for name, at in positions.items()}
    return JacobianResult(tape, inputs, values, jacobians, backend, arithmetic.exact, no_gradient)
