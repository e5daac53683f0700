"""The tensor operation table: one `TensorOp` per operation on vectors and matrices.

An entry says everything the sweeps and the renderers need of an operation, written once against the
backend interface `B` (pure.PureBackend or fast.NumpyBackend, as autodidax writes its rules against
NumPy):

    shape(shapes, params) -> the result's shape, or a ShapeError over {0}, {1}: `{0} @ {1}: (2, 3) @ (2,) ...`
    forward(B, args, params) -> the value
    vjps[k](B, g, args, out, params) -> the gradient of args[k] in its shape, given g = dL/d out
                                       (None: no gradient flows there, as into an index)
    jvp(B, tangents, args, out, params) -> the tangent of the result (a tangent None is zero; None if zero)
    rule_text(shapes, params) -> the local rule per argument at tensor level: "∂L/∂{0} = ∂L/∂{out} · {1}ᵀ"
    written(count, params) -> how a node is written: "{0} @ {1}", "sum({0}, axis=0)"
    kinks(B, args, out, params) -> the elements sitting on a kink (TensorKink), or None for a smooth operation

`params` is a dict: `axis` (reductions, softmax), `index` (a tuple of shapes.IndexItem).

Elementwise operations are ops.py's own: the value and each partial derivative of a scalar operation come
from its ops.py entry (through B.scalar_rules), applied elementwise with broadcasting; nothing here
rewrites a scalar derivative. Kinks follow ops.py (PyTorch's choices): max/min split the gradient evenly
between tied elements, as torch.amax and torch.max(t) do; norm's gradient at 0 is 0, as torch.linalg.norm's.
The softmax family shifts by the maximum, so logits of 1000 and 1001 are finite and accurate.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple, Optional

from ..arithmetic import OutOfRange
from ..ops import OPS, PerArgument
from . import shapes as sh
from .shapes import ShapeError

G = "∂L/∂{out}"


class TensorKink(NamedTuple):
    """An element of a result sitting on a kink of its operation (relu at 0, a tie of a max, a norm at 0)."""
    at: tuple  # the element of the result (() for a scalar result)
    sources: tuple  # the operand elements meeting there: (argument number, element of that argument) each
    used: tuple  # d result[at] / d source, as the VJP takes it (PyTorch's convention), per source
    one_sided: tuple  # (left, right) derivatives per source


@dataclass(frozen=True)
class TensorOp:
    name: str
    arity: int  # the number of arguments (the least number, when variadic)
    shape: Callable
    forward: Callable
    vjps: tuple | PerArgument
    jvp: Callable
    texts: Callable  # (shapes, params) -> the local rule per argument
    template: Callable  # (count, params) -> how a node is written
    kinks: Optional[Callable] = None
    scalar: Optional[str] = None  # the ops.py operation applied elementwise
    variadic: bool = False

    def written(self, count: int, params: dict | None = None) -> str:
        return self.template(count, params or {})

    def rule_text(self, shapes, params: dict | None = None) -> tuple[str, ...]:
        return self.texts(tuple(shapes), params or {})


# -- helpers the rules share -----------------------------------------------------------------------------

def _plus(B, a, b):
    return b if a is None else a if b is None else B.add(a, b)


def _as(B, x, shape):
    return x if B.shape(x) == shape else B.reshape(x, shape)


def _axis(params: dict, shape, written: str = "", default=None):
    axis = params.get("axis", default)
    return None if axis is None else sh.normalize_axis(axis, len(shape), written, shape)


def _spread(B, g, shape, axis):
    """g, the result of a reduction over `axis` (None: all), broadcast back to `shape`."""
    if axis is not None:
        g = B.reshape(g, shape[:axis] + (1,) + shape[axis + 1:])
    return B.broadcast_to(g, shape)


def _scalar_jvp(vjps):
    """The JVP of an operation with a scalar result: the sum of <gradient of argument k, tangent k>."""
    def jvp(B, tangents, args, out, params):
        total = None
        for rule, t in zip(vjps, tangents):
            grad = None if t is None else rule(B, 1, args, out, params)
            if grad is not None:
                total = _plus(B, total, B.sum(B.mul(grad, t)))
        return total

    return jvp


def _fixed(*texts: str):
    return lambda shapes, params: texts


def _call(name: str, extra: str = ""):
    return lambda count, params: f"{name}({{0}}{extra}{_axis_text(params)})"


def _axis_text(params: dict) -> str:
    return "" if params.get("axis") is None else f", axis={params['axis']}"


# -- elementwise: ops.py's scalar operations over the elements -------------------------------------------

def _times(d: str) -> str:
    if d == "1":
        return G
    if d == "-1":
        return f"-{G}"
    return f"{G} ⊙ " + (d if d.replace("_", "").replace("{", "").replace("}", "").isalnum() else f"({d})")


def _elementwise(name: str) -> TensorOp:
    op = OPS[name]

    def template(count, params):
        return op.template_for(count)

    def shape(shapes, params):
        return sh.broadcast(shapes, template(len(shapes), params))

    def forward(B, args, params):
        value = B.scalar_rules(name, len(args))[0](*args)
        if op.underflows and B.underflowed(value, args):
            raise OutOfRange  # 1e-200 * 1e-200, exp(-800): 0 in floats, not in wide decimals
        return value

    def vjp(k):
        def rule(B, g, args, out, params):
            partial = B.scalar_rules(name, len(args))[1][k](*args, out)
            return B.unbroadcast(B.mul(g, partial), B.shape(args[k]))
        return rule

    def jvp(B, tangents, args, out, params):
        partials = B.scalar_rules(name, len(args))[1]
        total = None
        for k, t in enumerate(tangents):
            if t is not None:
                total = _plus(B, total, B.mul(partials[k](*args, out), t))
        return total if total is None or B.shape(total) == B.shape(out) else B.broadcast_to(total, B.shape(out))

    def texts(shapes, params):
        out = sh.broadcast(shapes)
        return tuple(f"∂L/∂{{{k}}} = {_times(op.derivative_text[k])}"
                     + (f", summed to the shape {sh.shape_text(s)}" if s != out else "")
                     for k, s in enumerate(shapes))

    def kinks(B, args, out, params):
        shapes = [B.shape(a) for a in args]
        target = sh.broadcast(shapes)
        columns = [B.flat(B.broadcast_to(a, target)) for a in args]
        count, found = len(args), []
        for j, operands in enumerate(zip(*columns)):
            if op.branch(*operands) == 0:
                at = sh.unravel(j, target)
                value = op.value(*operands)
                used = tuple(B.arithmetic.coerce(op.partials[k](*operands, value)) for k in range(count))
                sides = op.one_sided(*operands) if callable(op.one_sided) else op.one_sided
                found.append(TensorKink(at, tuple((k, sh.source_index(at, shapes[k])) for k in range(count)),
                                        used, tuple(sides)))
        return tuple(found)

    vjps = PerArgument(vjp) if op.variadic else tuple(vjp(k) for k in range(op.arity))
    return TensorOp(elementwise_key(name), op.arity, shape, forward, vjps, jvp, texts, template,
                    kinks if op.branch is not None else None, scalar=name, variadic=op.variadic)


def elementwise_key(name: str) -> str:
    """The table's key for ops.py's operation `name` applied elementwise: the same name, but for the
    operations of any number of arguments (max, sum...), whose names the tensor reductions take."""
    return f"{name}_elementwise" if OPS[name].variadic else name


# -- matrix product and transpose ------------------------------------------------------------------------

def _promoted(B, a, b):
    """a and b as matrices (a vector on the left is a row, on the right a column), and the product's shape."""
    sa, sb = B.shape(a), B.shape(b)
    pa = (1,) + sa if len(sa) == 1 else sa
    pb = sb + (1,) if len(sb) == 1 else sb
    return _as(B, a, pa), _as(B, b, pb), sh.broadcast([pa[:-2], pb[:-2]]) + (pa[-2], pb[-1])


def _matmul_vjp_a(B, g, args, out, params):
    a, b = args
    pa, pb, po = _promoted(B, a, b)
    grad = B.matmul(_as(B, g, po), B.swap_last(pb))
    return _as(B, B.unbroadcast(grad, B.shape(pa)), B.shape(a))


def _matmul_vjp_b(B, g, args, out, params):
    a, b = args
    pa, pb, po = _promoted(B, a, b)
    grad = B.matmul(B.swap_last(pa), _as(B, g, po))
    return _as(B, B.unbroadcast(grad, B.shape(pb)), B.shape(b))


def _matmul_jvp(B, tangents, args, out, params):
    (ta, tb), (a, b) = tangents, args
    return _plus(B, None if ta is None else B.matmul(ta, b), None if tb is None else B.matmul(a, tb))


def _matmul_texts(shapes, params):
    if len(shapes[0]) == 1 and len(shapes[1]) == 1:
        return f"∂L/∂{{0}} = {G} {{1}}", f"∂L/∂{{1}} = {G} {{0}}"
    return f"∂L/∂{{0}} = {G} · {{1}}ᵀ", f"∂L/∂{{1}} = {{0}}ᵀ · {G}"


MATMUL = TensorOp(
    "matmul", 2, lambda shapes, params: sh.matmul(*shapes), lambda B, args, params: B.matmul(*args),
    (_matmul_vjp_a, _matmul_vjp_b), _matmul_jvp, _matmul_texts, lambda count, params: "{0} @ {1}")

TRANSPOSE = TensorOp(
    "transpose", 1, lambda shapes, params: tuple(reversed(shapes[0])),
    lambda B, args, params: B.transpose(args[0]),
    (lambda B, g, args, out, params: B.transpose(g),),
    lambda B, tangents, args, out, params: None if tangents[0] is None else B.transpose(tangents[0]),
    _fixed(f"∂L/∂{{0}} = ({G})ᵀ"), lambda count, params: "{0}ᵀ")


# -- indexing and stacking -------------------------------------------------------------------------------

def _picks(B, args, params):
    return sh.resolve_index(B.shape(args[0]), params["index"], args[1:])


def _index_vjp(k):
    if k > 0:
        return lambda B, g, args, out, params: None  # an index is a whole number: no gradient
    return lambda B, g, args, out, params: B.put(g, B.shape(args[0]), _picks(B, args, params))


INDEX = TensorOp(
    "index", 1, lambda shapes, params: sh.index_shape(shapes[0], params["index"], shapes[1:]),
    lambda B, args, params: B.take(args[0], _picks(B, args, params)),
    PerArgument(_index_vjp),
    lambda B, tangents, args, out, params: (None if tangents[0] is None
                                             else B.take(tangents[0], _picks(B, args, params))),
    lambda shapes, params: (f"∂L/∂{{0}} = {G} at {sh.index_text(params['index'])}, 0 elsewhere",)
    + ("",) * (len(shapes) - 1),
    lambda count, params: "{0}" + sh.index_text(params["index"]), variadic=True)


def _stack_shape(shapes, params):
    written = _stack_written(len(shapes), params)
    for k, s in enumerate(shapes[1:], 1):
        if s != shapes[0]:
            raise ShapeError(f"{written}: the elements have the shapes {sh.shape_text(shapes[0])} and "
                             f"{sh.shape_text(s)} ({{0}} and {{{k}}}); the rows of a tensor have one shape")
    return (len(shapes),) + shapes[0]


def _stack_written(count, params):
    return "[" + ", ".join(f"{{{k}}}" for k in range(count)) + "]"


def _stack_jvp(B, tangents, args, out, params):
    if all(t is None for t in tangents):
        return None
    return B.stack([B.zeros(B.shape(a)) if t is None else t for t, a in zip(tangents, args)])


STACK = TensorOp(
    "stack", 1, _stack_shape, lambda B, args, params: B.stack(args),
    PerArgument(lambda k: lambda B, g, args, out, params: B.take(g, (k,) + tuple(map(range, B.shape(args[k]))))),
    _stack_jvp, lambda shapes, params: tuple(f"∂L/∂{{{k}}} = {G}[{k}]" for k in range(len(shapes))),
    _stack_written, variadic=True)


# -- reductions ------------------------------------------------------------------------------------------

def _reduction_shape(name: str, empty: bool = True):
    def shape(shapes, params):
        (s,) = shapes
        written = f"{name}({{0}}{_axis_text(params)})"
        if not s:
            raise ShapeError(f"{written}: {{0}} is a scalar; {name} over a tensor needs at least one axis")
        axis = _axis(params, s, written)
        if not empty and (0 in s if axis is None else s[axis] == 0):
            raise ShapeError(f"{written}: {name} of no elements is not defined; {{0}} has shape {sh.shape_text(s)}")
        return sh.reduced(s, axis)
    return shape


def _count(shape, axis) -> int:
    return sh.size(shape) if axis is None else shape[axis]


def _sum_forward(B, args, params):
    return B.sum(args[0], _axis(params, B.shape(args[0])))


def _sum_vjp(B, g, args, out, params):
    shape = B.shape(args[0])
    return _spread(B, g, shape, _axis(params, shape))


def _reduced_jvp(reduce):
    return lambda B, tangents, args, out, params: (None if tangents[0] is None else
                                                   reduce(B, [tangents[0]], params))


def _mean_forward(B, args, params):
    shape = B.shape(args[0])
    axis = _axis(params, shape)
    return B.div(B.sum(args[0], axis), _count(shape, axis))


def _mean_vjp(B, g, args, out, params):
    shape = B.shape(args[0])
    axis = _axis(params, shape)
    return _spread(B, B.div(g, _count(shape, axis)), shape, axis)


def _share(B, x, out, axis):
    """max's and min's derivative: 1 for the element that is the result, shared evenly at a tie."""
    shape = B.shape(x)
    hits = B.equal(x, _spread(B, out, shape, axis))
    return B.div(hits, _spread(B, B.sum(hits, axis), shape, axis))


def _extreme(high: bool) -> TensorOp:
    name = "max" if high else "min"

    def forward(B, args, params):
        x = args[0]
        return (B.max if high else B.min)(x, _axis(params, B.shape(x)))

    def vjp(B, g, args, out, params):
        shape = B.shape(args[0])
        axis = _axis(params, shape)
        return B.mul(_spread(B, g, shape, axis), _share(B, args[0], out, axis))

    def jvp(B, tangents, args, out, params):
        if tangents[0] is None:
            return None
        axis = _axis(params, B.shape(args[0]))
        return B.sum(B.mul(tangents[0], _share(B, args[0], out, axis)), axis)

    def kinks(B, args, out, params):
        x = args[0]
        shape = B.shape(x)
        axis = _axis(params, shape)
        tied: dict = {}
        for j, hit in enumerate(B.flat(B.equal(x, _spread(B, out, shape, axis)))):
            if hit:
                index = sh.unravel(j, shape)
                tied.setdefault(() if axis is None else index[:axis] + index[axis + 1:], []).append(index)
        side = (0, 1) if high else (1, 0)
        return tuple(TensorKink(at, tuple((0, i) for i in found), (B.div(B.one, len(found)),) * len(found),
                                (side,) * len(found))
                     for at, found in sorted(tied.items()) if len(found) > 1)

    word = "largest" if high else "smallest"
    return TensorOp(name, 1, _reduction_shape(name, empty=False), forward, (vjp,), jvp,
                    _fixed(f"∂L/∂{{0}} = {G} at the {word} element, shared evenly at a tie, 0 elsewhere"),
                    _call(name), kinks)


def _logsumexp_forward(B, args, params):
    x = args[0]
    shape = B.shape(x)
    axis = _axis(params, shape)
    top = B.max(x, axis, keepdims=axis is not None)  # shifted by the largest: exp never overflows
    total = B.sum(B.exp(B.sub(x, top)), axis)
    return B.add(B.log(total), _as(B, top, sh.reduced(shape, axis)))


def _logsumexp_weights(B, x, out, axis):
    return B.exp(B.sub(x, _spread(B, out, B.shape(x), axis)))  # the softmax along the axis


def _logsumexp_vjp(B, g, args, out, params):
    shape = B.shape(args[0])
    axis = _axis(params, shape)
    return B.mul(_spread(B, g, shape, axis), _logsumexp_weights(B, args[0], out, axis))


def _logsumexp_jvp(B, tangents, args, out, params):
    if tangents[0] is None:
        return None
    axis = _axis(params, B.shape(args[0]))
    return B.sum(B.mul(tangents[0], _logsumexp_weights(B, args[0], out, axis)), axis)


def _norm_vjp(B, g, args, out, params):
    if out == 0:
        return B.zeros(B.shape(args[0]))  # PyTorch's choice at 0 (torch.linalg.norm): reported as a kink
    return B.mul(B.div(g, out), args[0])


def _norm_kinks(B, args, out, params):
    if out != 0:
        return ()
    shape = B.shape(args[0])
    sources = tuple((0, sh.unravel(j, shape)) for j in range(sh.size(shape)))
    return (TensorKink((), sources, (B.zero,) * len(sources), ((-1, 1),) * len(sources)),)


def _norm_shape(shapes, params):
    if not shapes[0]:
        raise ShapeError("norm({0}): {0} is a scalar; use abs for its size")
    return ()


NORM = TensorOp(
    "norm", 1, _norm_shape, lambda B, args, params: B.sqrt(B.sum(B.mul(args[0], args[0]))),
    (_norm_vjp,), _scalar_jvp((_norm_vjp,)), _fixed(f"∂L/∂{{0}} = {G} · {{0}} / {{out}}"), _call("norm"),
    _norm_kinks)


# -- softmax, log_softmax, cross-entropy, mean squared error ---------------------------------------------

def _log_softmax(B, x, axis):
    shifted = B.sub(x, B.max(x, axis, keepdims=True))  # shifted by the largest: exp never overflows
    return B.sub(shifted, B.log(B.sum(B.exp(shifted), axis, keepdims=True)))


def _softmax(B, x, axis):
    e = B.exp(B.sub(x, B.max(x, axis, keepdims=True)))
    return B.div(e, B.sum(e, axis, keepdims=True))


def _along(params, shape):
    return _axis(params, shape, default=-1)


def _softmax_family(name: str, log: bool) -> TensorOp:
    def shape(shapes, params):
        (s,) = shapes
        written = f"{name}({{0}}{_axis_text(params)})"
        if not s:
            raise ShapeError(f"{written}: {{0}} is a scalar; {name} needs a vector of scores")
        _axis(params, s, written, default=-1)
        return s

    def forward(B, args, params):
        axis = _along(params, B.shape(args[0]))
        return (_log_softmax if log else _softmax)(B, args[0], axis)

    def vjp(B, g, args, out, params):
        axis = _along(params, B.shape(args[0]))
        if log:  # g - softmax * sum(g)
            return B.sub(g, B.mul(B.exp(out), B.sum(g, axis, keepdims=True)))
        return B.mul(out, B.sub(g, B.sum(B.mul(g, out), axis, keepdims=True)))  # s ⊙ (g - <g, s>)

    def jvp(B, tangents, args, out, params):
        t = tangents[0]
        if t is None:
            return None
        axis = _along(params, B.shape(args[0]))
        s = B.exp(out) if log else out
        centred = B.sub(t, B.sum(B.mul(s, t), axis, keepdims=True))
        return centred if log else B.mul(s, centred)

    text = (f"∂L/∂{{0}} = {G} − softmax({{0}}) · Σ {G}" if log
            else f"∂L/∂{{0}} = {{out}} ⊙ ({G} − Σ {G} ⊙ {{out}})")
    return TensorOp(name, 1, shape, forward, (vjp,), jvp, _fixed(text), _call(name))


def _cross_entropy_shape(shapes, params):
    logits, target = shapes
    written = "cross_entropy({0}, {1})"
    if len(logits) not in (1, 2) or 0 in logits:
        raise ShapeError(f"{written}: the logits {{0}} must be a vector of scores or a matrix with one row of scores "
                         f"per example, and have shape {sh.shape_text(logits)}")
    if target != logits[:-1] and target != logits:
        indices = "a whole number" if len(logits) == 1 else f"a vector of {logits[0]} class indices"
        raise ShapeError(f"{written}: the target {{1}} has shape {sh.shape_text(target)}; for logits of shape "
                         f"{sh.shape_text(logits)} it is {indices} or probabilities of shape "
                         f"{sh.shape_text(logits)}")
    return ()


def _classes(B, logits, target) -> int | list:
    """The class indices the target holds, checked: one int (logits a vector) or a list (a matrix)."""
    width = B.shape(logits)[-1]
    values = B.flat(target)
    found = []
    for j, value in enumerate(values):
        label = "{1}" if B.ndim(logits) == 1 else f"{{1}}[{j}]"
        k = sh.whole_number(value, f"cross_entropy({{0}}, {{1}}): the class index {label}")
        if not 0 <= k < width:
            raise ShapeError(f"cross_entropy({{0}}, {{1}}): the class index {label} = {k} is out of range for "
                             f"{width} classes (from 0 to {width - 1})")
        found.append(k)
    return found[0] if B.ndim(logits) == 1 else found


def _rows(B, logits) -> int:
    return B.shape(logits)[0] if B.ndim(logits) == 2 else 1


def _cross_entropy_forward(B, args, params):
    logits, target = args
    log_p = _log_softmax(B, logits, B.ndim(logits) - 1)
    if B.shape(target) == B.shape(logits):  # probabilities
        return B.div(B.neg(B.sum(B.mul(target, log_p))), _rows(B, logits))
    classes = _classes(B, logits, target)
    if isinstance(classes, int):
        return B.neg(B.take(log_p, (classes,)))
    return B.div(B.neg(B.sum(B.pick_rows(log_p, classes))), len(classes))  # the mean, as PyTorch's default


def _cross_entropy_vjp_logits(B, g, args, out, params):
    logits, target = args
    last = B.ndim(logits) - 1
    p = _softmax(B, logits, last)
    if B.shape(target) == B.shape(logits):
        diff = B.sub(B.mul(p, B.sum(target, last, keepdims=True)), target)
    else:
        diff = B.sub(p, B.one_hot(_classes(B, logits, target), B.shape(logits)[-1]))
    return B.mul(diff, B.div(g, _rows(B, logits)))


def _cross_entropy_vjp_target(B, g, args, out, params):
    logits, target = args
    if B.shape(target) != B.shape(logits):
        return None  # class indices: whole numbers, no gradient
    return B.mul(_log_softmax(B, logits, B.ndim(logits) - 1), B.neg(B.div(g, _rows(B, logits))))


_CE_VJPS = (_cross_entropy_vjp_logits, _cross_entropy_vjp_target)


def _cross_entropy_texts(shapes, params):
    logits, target = shapes
    scale = f" / {logits[0]}" if len(logits) == 2 else ""
    if target == logits:
        return (f"∂L/∂{{0}} = {G} · (softmax({{0}}) · Σ{{1}} − {{1}}){scale}",
                f"∂L/∂{{1}} = −{G} · log_softmax({{0}}){scale}")
    return f"∂L/∂{{0}} = {G} · (softmax({{0}}) − onehot({{1}})){scale}", ""


def _mse_shape(shapes, params):
    a, b = shapes
    if a != b and a and b:
        try:
            merged = f" (PyTorch would broadcast them to {sh.shape_text(sh.broadcast(shapes))}, with a warning)"
        except ShapeError:
            merged = ""
        raise ShapeError(f"mse({{0}}, {{1}}): the shapes {sh.shape_text(a)} and {sh.shape_text(b)} differ; mse "
                         f"compares two tensors element by element{merged}")
    return ()


def _mse_vjp(sign: int):
    def vjp(B, g, args, out, params):
        y, t = args
        n = max(B.size(y), B.size(t))
        grad = B.mul(B.sub(y, t), B.div(B.mul(g, 2 * sign), n))
        return B.unbroadcast(grad, B.shape(args[0 if sign > 0 else 1]))
    return vjp


def _mse_forward(B, args, params):
    d = B.sub(*args)
    return B.div(B.sum(B.mul(d, d)), max(B.size(args[0]), B.size(args[1])))


_MSE_VJPS = (_mse_vjp(1), _mse_vjp(-1))


# -- the table -------------------------------------------------------------------------------------------

TENSOR_OPS: dict[str, TensorOp] = {
    op.name: op
    for op in (
        *(_elementwise(name) for name in OPS),
        MATMUL,
        TRANSPOSE,
        INDEX,
        STACK,
        TensorOp("sum", 1, _reduction_shape("sum"), _sum_forward, (_sum_vjp,),
                 _reduced_jvp(_sum_forward), _fixed(f"∂L/∂{{0}} = {G}, copied along the summed axes"), _call("sum")),
        TensorOp("mean", 1, _reduction_shape("mean", empty=False), _mean_forward, (_mean_vjp,),
                 _reduced_jvp(_mean_forward), _fixed(f"∂L/∂{{0}} = {G} / n, copied along the averaged axes"),
                 _call("mean")),
        _extreme(True),
        _extreme(False),
        TensorOp("logsumexp", 1, _reduction_shape("logsumexp", empty=False), _logsumexp_forward, (_logsumexp_vjp,),
                 _logsumexp_jvp, _fixed(f"∂L/∂{{0}} = {G} · exp({{0}} − {{out}})"), _call("logsumexp")),
        NORM,
        _softmax_family("softmax", log=False),
        _softmax_family("log_softmax", log=True),
        TensorOp("cross_entropy", 2, _cross_entropy_shape, _cross_entropy_forward, _CE_VJPS,
                 _scalar_jvp(_CE_VJPS), _cross_entropy_texts, lambda count, params: "cross_entropy({0}, {1})"),
        TensorOp("mse", 2, _mse_shape, _mse_forward, _MSE_VJPS, _scalar_jvp(_MSE_VJPS),
                 _fixed(f"∂L/∂{{0}} = {G} · 2({{0}} − {{1}}) / n", f"∂L/∂{{1}} = −{G} · 2({{0}} − {{1}}) / n"),
                 lambda count, params: "mse({0}, {1})"),
    )
}
