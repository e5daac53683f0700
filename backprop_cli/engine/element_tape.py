"""A tensor program written out element by element: the scalar tape it stands for, one node per element operation.

The tensor engine's VJPs are functions over arrays, not expressions, so they cannot be differentiated again;
the scalar engine's derivatives can (second.py: symbolic reverse mode, then forward mode over the
gradient's graph, exact under --exact). `backprop hessian` of a tensor program therefore writes the shaped
tensor tape out as a scalar tape and hands it to second.py:

- every element of an input is an input of its own, named as the tables name it (`W[0, 1]`, `x[2]`);
- a list literal is a constant per element; an elementwise operation is one node per element of the
  result, each argument's element picked by NumPy's broadcasting;
- a matrix product is, per element of the result, the sum of the products along the inner axis;
- sum, mean, max, min and logsumexp (over everything or along an axis) are the scalar functions of several
  arguments (max and min share the derivative evenly at a tie, as the tensor reductions do);
- softmax is exp(x_i - logsumexp(x)), log_softmax x_i - logsumexp(x), cross_entropy logsumexp(x) - x_k
  (averaged over the rows, or -Σ t_i log_softmax(x)_i for probabilities), mse Σ (y_i - t_i)^2 / n, norm
  sqrt(Σ x_i^2): each the tensor operation's own formula (losses.py, reductions.py), stable as it is;
- transposes, indexing and list stacking only rewire elements.

Indices (`x[k]`, a class of cross_entropy) are read from the values at the point: the scalar tape is the
program at this point's indices, which is all its derivatives see. The rewiring is done by the pure
backend's own structural operations over tensors whose elements are node positions, so broadcasting,
transposes and indexing mean here exactly what they mean in the tensor engine.

`EXPANSIONS` has an entry per non-elementwise operation of engine/tensor/rules.TENSOR_OPS (a test checks
that every operation has one). Each returns the positions of the result's elements: an int for a scalar,
a pure.Array of ints otherwise.
"""
from __future__ import annotations

from typing import Callable

from ..base.errors import UsageError
from ..base.records import FrozenRecord, set_field
from .arithmetic import FLOAT
from .ops import CONST, INPUT
from .tape import Node, Tape
from .tensor import pure
from .tensor import shapes as sh
from .tensor.op import axis_of
from .tensor.rules import TENSOR_OPS
from .values import read_list

# The most scalar operations a tensor program is written out into: the Hessian then costs one forward sweep
# of the gradient's graph (a few times this size) per input element, at most second.py's limit of them.
MAX_SCALAR_NODES = 20_000


class ElementTape(FrozenRecord):
    """A tensor program as a scalar tape: `tape` (ops of ops.py), `inputs` the value of each of its inputs
    (one per element), `elements` each tensor input's element names in row-major order."""

    __slots__ = __match_args__ = ("tape", "inputs", "elements")
    tape: Tape
    inputs: dict
    elements: dict

    def __init__(self, tape: Tape, inputs: dict, elements: dict) -> None:
        set_field(self, "tape", tape)
        set_field(self, "inputs", inputs)
        set_field(self, "elements", elements)


def element_names(name: str, shape: tuple) -> list[str]:
    """`W[0, 0]`, `W[0, 1]`, ... row-major; a scalar is its name alone."""
    if not shape:
        return [name]
    return [name + sh.element_text(sh.unravel(j, shape)) for j in range(sh.size(shape))]


class _Writer:
    """Appends the scalar nodes; each tensor node's result is an int or a pure.Array of node positions."""

    def __init__(self, limit: int) -> None:
        self.nodes: list[Node] = []
        self.constants: dict[str, int] = {}
        self.limit = limit

    def add(self, op: str, args=(), name=None, text=None) -> int:
        if len(self.nodes) >= self.limit:
            raise UsageError(f"written out element by element, this program has more than {self.limit:,} scalar "
                             "operations, too many for its second derivatives; hessian is for small tensor programs "
                             "(shrink the data, or differentiate a part of the program)")
        self.nodes.append(Node(f"v{len(self.nodes) + 1}", op, tuple(args), name, text, None))
        return len(self.nodes) - 1

    def const(self, text: str) -> int:
        if text not in self.constants:
            self.constants[text] = self.add(CONST, text=text)
        return self.constants[text]

    def apply(self, op: str, args: list) -> int:
        """op over `args`; a function of several arguments given one is that argument."""
        if len(args) == 1 and op in ("sum", "mean", "max", "min", "logsumexp"):
            return args[0]
        return self.add(op, args)


_B = pure.backend(FLOAT)  # its structural operations only (broadcast, transpose, take, stack): no arithmetic


def _flat(x) -> list:
    return _B.flat(x)


def _shaped(shape: tuple, positions: list):
    return positions[0] if not shape else pure.Array(shape, positions)


def _groups(shape: tuple, axis: int | None) -> list[list[int]]:
    """The flat positions reduced into each element of the result (row-major), over `axis` or everything."""
    if axis is None:
        return [list(range(sh.size(shape)))]
    outer, n, inner = sh.size(shape[:axis]), shape[axis], sh.size(shape[axis + 1:])
    return [[o * n * inner + k * inner + i for k in range(n)] for o in range(outer) for i in range(inner)]


# -- the expansions: (writer, arguments as positions, their shapes, params, value) -> the result as positions,
# where value(k) is argument k's value at the point as a flat list of numbers (for indices)

def _elementwise(scalar: str) -> Callable:
    def expand(w, args, shapes, params, value):
        target = sh.broadcast(shapes)
        columns = [_flat(_B.broadcast_to(a, target)) for a in args]
        return _shaped(target, [w.apply(scalar, list(operands)) for operands in zip(*columns)])
    return expand


def _matmul(w, args, shapes, params, value):
    (a, b), (sa, sb) = args, shapes
    pa = (1,) + sa if len(sa) == 1 else sa
    pb = sb + (1,) if len(sb) == 1 else sb
    m, k, n = pa[-2], pa[-1], pb[-1]
    batch = sh.broadcast([pa[:-2], pb[:-2]])
    da = _flat(_B.broadcast_to(_B.reshape(a, pa), batch + pa[-2:]))
    db = _flat(_B.broadcast_to(_B.reshape(b, pb), batch + pb[-2:]))
    out = []
    for j in range(sh.size(batch)):
        left, right = da[j * m * k:(j + 1) * m * k], db[j * k * n:(j + 1) * k * n]
        for i in range(m):
            for c in range(n):
                products = [w.add("mul", (left[i * k + q], right[q * n + c])) for q in range(k)]
                out.append(w.apply("sum", products))
    return _shaped(sh.matmul(sa, sb), out)


def _transpose(w, args, shapes, params, value):
    return _B.transpose(args[0])


def _index(w, args, shapes, params, value):
    picks = sh.resolve_index(shapes[0], params["index"], [value(k)[0] for k in range(1, len(args))])
    return _B.take(args[0], picks)


def _stack(w, args, shapes, params, value):
    return _B.stack(args)


def _reduction(scalar: str) -> Callable:
    def expand(w, args, shapes, params, value):
        shape = shapes[0]
        axis = axis_of(params, shape)
        flat = _flat(args[0])
        return _shaped(sh.reduced(shape, axis), [w.apply(scalar, [flat[p] for p in group])
                                                 for group in _groups(shape, axis)])
    return expand


def _norm(w, args, shapes, params, value):
    squares = [w.add("mul", (p, p)) for p in _flat(args[0])]
    return w.add("sqrt", (w.apply("sum", squares),))


def _log_softmax_rows(w, flat: list, shape: tuple, axis: int) -> list[int]:
    """log_softmax along `axis`: x_i - logsumexp of its group, at each position."""
    out = [0] * len(flat)
    for group in _groups(shape, axis):
        top = w.apply("logsumexp", [flat[p] for p in group])
        for p in group:
            out[p] = w.add("sub", (flat[p], top))
    return out


def _softmax_family(log: bool) -> Callable:
    def expand(w, args, shapes, params, value):
        shape = shapes[0]
        logs = _log_softmax_rows(w, _flat(args[0]), shape, axis_of(params, shape, default=-1))
        return _shaped(shape, logs if log else [w.add("exp", (p,)) for p in logs])
    return expand


def _cross_entropy(w, args, shapes, params, value):
    (logits, target), (shape, target_shape) = args, shapes
    logs = _log_softmax_rows(w, _flat(logits), shape, len(shape) - 1)
    rows, width = (shape[0] if len(shape) == 2 else 1), shape[-1]
    if target_shape == shape:  # probabilities: -Σ t_i log_softmax(x)_i, over the rows
        terms = [w.add("mul", (t, p)) for t, p in zip(_flat(target), logs)]
        total = w.add("neg", (w.apply("sum", terms),))
        return total if rows == 1 else w.add("div", (total, w.const(str(rows))))
    classes = [sh.whole_number(c, "cross_entropy: the class index") for c in value(1)]
    picked = [w.add("neg", (logs[r * width + c],)) for r, c in enumerate(classes)]
    return w.apply("mean", picked)  # the mean over the rows, as PyTorch's default reduction


def _mse(w, args, shapes, params, value):
    target = sh.broadcast(shapes)
    y, t = (_flat(_B.broadcast_to(a, target)) for a in args)
    squares = []
    for a, b in zip(y, t):
        d = w.add("sub", (a, b))
        squares.append(w.add("mul", (d, d)))
    return w.add("div", (w.apply("sum", squares), w.const(str(sh.size(target)))))


EXPANSIONS: dict[str, Callable] = {
    "matmul": _matmul,
    "transpose": _transpose,
    "index": _index,
    "stack": _stack,
    "sum": _reduction("sum"),
    "mean": _reduction("mean"),
    "max": _reduction("max"),
    "min": _reduction("min"),
    "logsumexp": _reduction("logsumexp"),
    "norm": _norm,
    "softmax": _softmax_family(log=False),
    "log_softmax": _softmax_family(log=True),
    "cross_entropy": _cross_entropy,
    "mse": _mse,
}


def expansion(op: str) -> Callable:
    """How the tensor operation `op` (a key of TENSOR_OPS) is written out element by element."""
    scalar = TENSOR_OPS[op].scalar
    return _elementwise(scalar) if scalar is not None else EXPANSIONS[op]


def write_out(result, limit: int = MAX_SCALAR_NODES) -> ElementTape:
    """The scalar tape of a tensor program at the point of `result` (tensor_compute.TensorResult: its shaped
    tape, the inputs' values, and every node's value, which gives the indices)."""
    tape = result.tape
    w = _Writer(limit)
    at: list = [None] * len(tape.nodes)
    inputs: dict = {}
    elements: dict = {}
    for i, node in enumerate(tape.nodes):
        if node.op == INPUT:
            names = element_names(node.name, node.shape)
            elements[node.name] = names
            flat = result.flat(result.inputs[node.name])
            positions = []
            for label, value in zip(names, flat):
                positions.append(w.add(INPUT, name=label))
                inputs[label] = value
            at[i] = _shaped(node.shape, positions)
        elif node.op == CONST:
            if node.text.startswith("["):  # a list of numbers: a constant per element
                shape, texts = read_list(node.text, node.text)
                at[i] = _shaped(shape, [w.const(text) for text in texts])
            else:
                at[i] = w.const(node.text)
        else:
            args = [at[a] for a in node.args]
            shapes = [tape.nodes[a].shape for a in node.args]
            at[i] = expansion(node.op)(w, args, shapes, dict(node.params),
                                       lambda k, node=node: result.flat(result.values[node.args[k]]))
    output = at[tape.output]
    nodes = tuple(w.nodes)
    positions = {node.name: k for k, node in enumerate(nodes) if node.op == INPUT}
    scalar = Tape(nodes, positions, output, tape.output_name, tape.source)
    return ElementTape(scalar, inputs, elements)
