"""softmax, log_softmax, cross_entropy and mse: the pieces of a classifier's or a regression's loss.

All are computed the stable way, shifted by the largest score, so logits of 1000 and 1001 give finite
numbers accurate to the last digit (log_softmax to within one: see tests/engine/tensor). cross_entropy
takes a class index (logits a vector) or N class indices (logits N x C, averaged over the batch as
PyTorch's default reduction does), or probabilities of the logits' shape; mse is the mean, as PyTorch's
MSELoss, and refuses two shapes that differ (PyTorch broadcasts them, with a warning: usually a mistake).
"""
from __future__ import annotations

from . import shapes as sh
from .op import UPSTREAM as G
from .op import TensorOp, axis_of, axis_text, called, fixed, scalar_jvp
from .shapes import ShapeError


def log_softmax(B, x, axis):
    shifted = B.sub(x, B.max(x, axis, keepdims=True))  # shifted by the largest: exp never overflows
    return B.sub(shifted, B.log(B.sum(B.exp(shifted), axis, keepdims=True)))


def softmax(B, x, axis):
    e = B.exp(B.sub(x, B.max(x, axis, keepdims=True)))
    return B.div(e, B.sum(e, axis, keepdims=True))


def _softmax_family(name: str, log: bool) -> TensorOp:
    def shape(shapes, params):
        (s,) = shapes
        written = f"{name}({{0}}{axis_text(params)})"
        if not s:
            raise ShapeError(f"{written}: {{0}} is a scalar; {name} needs a vector of scores")
        axis_of(params, s, written, default=-1)
        return s

    def along(B, args, params):
        return axis_of(params, B.shape(args[0]), default=-1)

    def forward(B, args, params):
        return (log_softmax if log else softmax)(B, args[0], along(B, args, params))

    def vjp(B, g, args, out, params):
        axis = along(B, args, params)
        if log:  # g - softmax · Σg
            return B.sub(g, B.mul(B.exp(out), B.sum(g, axis, keepdims=True)))
        return B.mul(out, B.sub(g, B.sum(B.mul(g, out), axis, keepdims=True)))  # s ⊙ (g - <g, s>)

    def jvp(B, tangents, args, out, params):
        t = tangents[0]
        if t is None:
            return None
        s = B.exp(out) if log else out
        centred = B.sub(t, B.sum(B.mul(s, t), along(B, args, params), keepdims=True))
        return centred if log else B.mul(s, centred)

    text = (f"∂L/∂{{0}} = {G} − softmax({{0}}) · Σ {G}" if log
            else f"∂L/∂{{0}} = {{out}} ⊙ ({G} − Σ {G} ⊙ {{out}})")
    return TensorOp(name, 1, shape, forward, (vjp,), jvp, fixed(text), called(name))


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
    found = []
    for j, value in enumerate(B.flat(target)):
        label = "{1}" if B.ndim(logits) == 1 else f"{{1}}[{j}]"
        k = sh.whole_number(value, f"cross_entropy({{0}}, {{1}}): the class index {label}")
        if not 0 <= k < width:
            raise ShapeError(f"cross_entropy({{0}}, {{1}}): the class index {label} = {k} is out of range for "
                             f"{width} classes (from 0 to {width - 1})")
        found.append(k)
    return found[0] if B.ndim(logits) == 1 else found


def _rows(B, logits) -> int:
    return B.shape(logits)[0] if B.ndim(logits) == 2 else 1


def _cross_entropy(B, args, params):
    logits, target = args
    log_p = log_softmax(B, logits, B.ndim(logits) - 1)
    if B.shape(target) == B.shape(logits):  # probabilities
        return B.div(B.neg(B.sum(B.mul(target, log_p))), _rows(B, logits))
    classes = _classes(B, logits, target)
    if isinstance(classes, int):
        return B.neg(B.take(log_p, (classes,)))
    return B.div(B.neg(B.sum(B.pick_rows(log_p, classes))), len(classes))  # the mean, as PyTorch's default


def _cross_entropy_vjp_logits(B, g, args, out, params):
    logits, target = args
    last = B.ndim(logits) - 1
    p = softmax(B, logits, last)
    if B.shape(target) == B.shape(logits):
        diff = B.sub(B.mul(p, B.sum(target, last, keepdims=True)), target)
    else:
        diff = B.sub(p, B.one_hot(_classes(B, logits, target), B.shape(logits)[-1]))
    return B.mul(diff, B.div(g, _rows(B, logits)))


def _cross_entropy_vjp_target(B, g, args, out, params):
    logits, target = args
    if B.shape(target) != B.shape(logits):
        return None  # class indices: whole numbers, no gradient
    return B.mul(log_softmax(B, logits, B.ndim(logits) - 1), B.neg(B.div(g, _rows(B, logits))))


def _cross_entropy_texts(shapes, params):
    logits, target = shapes
    scale = f" / {logits[0]}" if len(logits) == 2 else ""
    if target == logits:
        return (f"∂L/∂{{0}} = {G} · (softmax({{0}}) · Σ{{1}} − {{1}}){scale}",
                f"∂L/∂{{1}} = −{G} · log_softmax({{0}}){scale}")
    return f"∂L/∂{{0}} = {G} · (softmax({{0}}) − onehot({{1}})){scale}", ""


_CROSS_ENTROPY_VJPS = (_cross_entropy_vjp_logits, _cross_entropy_vjp_target)
CROSS_ENTROPY = TensorOp("cross_entropy", 2, _cross_entropy_shape, _cross_entropy, _CROSS_ENTROPY_VJPS,
                         scalar_jvp(_CROSS_ENTROPY_VJPS), _cross_entropy_texts,
                         lambda count, params: "cross_entropy({0}, {1})")


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


def _count(B, args) -> int:
    return max(B.size(args[0]), B.size(args[1]))  # one of them may be a scalar


def _mse(B, args, params):
    d = B.sub(*args)
    return B.div(B.sum(B.mul(d, d)), _count(B, args))


def _mse_vjp(k: int):
    def vjp(B, g, args, out, params):
        y, t = args
        scale = B.div(B.mul(g, 2 if k == 0 else -2), _count(B, args))
        return B.unbroadcast(B.mul(B.sub(y, t), scale), B.shape(args[k]))
    return vjp


_MSE_VJPS = (_mse_vjp(0), _mse_vjp(1))
MSE = TensorOp("mse", 2, _mse_shape, _mse, _MSE_VJPS, scalar_jvp(_MSE_VJPS),
               fixed(f"∂L/∂{{0}} = {G} · 2({{0}} − {{1}}) / n", f"∂L/∂{{1}} = −{G} · 2({{0}} − {{1}}) / n"),
               lambda count, params: "mse({0}, {1})")

LOSSES = (_softmax_family("softmax", log=False), _softmax_family("log_softmax", log=True), CROSS_ENTROPY, MSE)
