"""Reductions over every element or along one axis: sum, mean, max, min, logsumexp, and the Euclidean norm.

A reduction's VJP spreads the upstream gradient back along the reduced axis. max and min split it evenly
between tied elements, as PyTorch's torch.amax and torch.max(t) do, and report each tie as a kink;
logsumexp is shifted by the largest element, so logsumexp(1000, 1001) is finite; norm's gradient at 0 is
0, as torch.linalg.norm's (a kink too).
"""
from __future__ import annotations

from . import shapes as sh
from .op import UPSTREAM as G
from .op import TensorKink, TensorOp, as_shape, axis_of, axis_text, called, fixed, scalar_jvp, spread
from .shapes import ShapeError


def _shape_rule(name: str, empty: bool = True):
    def shape(shapes, params):
        (s,) = shapes
        written = f"{name}({{0}}{axis_text(params)})"
        if not s:
            raise ShapeError(f"{written}: {{0}} is a scalar; {name} over a tensor needs at least one axis")
        axis = axis_of(params, s, written)
        if not empty and (0 in s if axis is None else s[axis] == 0):
            raise ShapeError(f"{written}: {name} of no elements is not defined; {{0}} has shape {sh.shape_text(s)}")
        return sh.reduced(s, axis)
    return shape


def _count(shape, axis) -> int:
    return sh.size(shape) if axis is None else shape[axis]


def _along(B, args, params):
    shape = B.shape(args[0])
    return shape, axis_of(params, shape)


def _of_tangent(forward):
    """The JVP of a linear reduction: the reduction of the tangent."""
    return lambda B, tangents, args, out, params: None if tangents[0] is None else forward(B, tangents, params)


def _sum(B, args, params):
    return B.sum(args[0], _along(B, args, params)[1])


def _sum_vjp(B, g, args, out, params):
    return spread(B, g, *_along(B, args, params))


def _mean(B, args, params):
    shape, axis = _along(B, args, params)
    return B.div(B.sum(args[0], axis), _count(shape, axis))


def _mean_vjp(B, g, args, out, params):
    shape, axis = _along(B, args, params)
    return spread(B, B.div(g, _count(shape, axis)), shape, axis)


SUM = TensorOp("sum", 1, _shape_rule("sum"), _sum, (_sum_vjp,), _of_tangent(_sum),
               fixed(f"∂L/∂{{0}} = {G}, copied along the summed axes"), called("sum"))
MEAN = TensorOp("mean", 1, _shape_rule("mean", empty=False), _mean, (_mean_vjp,), _of_tangent(_mean),
                fixed(f"∂L/∂{{0}} = {G} / n, copied along the averaged axes"), called("mean"))


def _share(B, x, out, axis):
    """max's and min's derivative: 1 for the element that is the result, shared evenly at a tie."""
    shape = B.shape(x)
    hits = B.equal(x, spread(B, out, shape, axis))
    return B.div(hits, spread(B, B.sum(hits, axis), shape, axis))


def _extreme(high: bool) -> TensorOp:
    name = "max" if high else "min"

    def forward(B, args, params):
        return (B.max if high else B.min)(args[0], _along(B, args, params)[1])

    def vjp(B, g, args, out, params):
        shape, axis = _along(B, args, params)
        return B.mul(spread(B, g, shape, axis), _share(B, args[0], out, axis))

    def jvp(B, tangents, args, out, params):
        if tangents[0] is None:
            return None
        axis = _along(B, args, params)[1]
        return B.sum(B.mul(tangents[0], _share(B, args[0], out, axis)), axis)

    def kinks(B, args, out, params):
        shape, axis = _along(B, args, params)
        tied: dict = {}
        for j, hit in enumerate(B.flat(B.equal(args[0], spread(B, out, shape, axis)))):
            if hit:
                index = sh.unravel(j, shape)
                tied.setdefault(() if axis is None else index[:axis] + index[axis + 1:], []).append(index)
        side = (0, 1) if high else (1, 0)  # moving a tied element towards winning makes it the result
        return tuple(TensorKink(at, tuple((0, i) for i in found), (B.div(B.one, len(found)),) * len(found),
                                (side,) * len(found))
                     for at, found in sorted(tied.items()) if len(found) > 1)

    word = "largest" if high else "smallest"
    return TensorOp(name, 1, _shape_rule(name, empty=False), forward, (vjp,), jvp,
                    fixed(f"∂L/∂{{0}} = {G} at the {word} element, shared evenly at a tie, 0 elsewhere"),
                    called(name), kinks)


def _logsumexp(B, args, params):
    x = args[0]
    shape, axis = _along(B, args, params)
    top = B.max(x, axis, keepdims=axis is not None)  # shifted by the largest: exp never overflows
    total = B.sum(B.exp(B.sub(x, top)), axis)
    return B.add(B.log(total), as_shape(B, top, sh.reduced(shape, axis)))


def _softmax_along(B, x, out, axis):
    return B.exp(B.sub(x, spread(B, out, B.shape(x), axis)))  # exp(x - logsumexp(x)): the softmax


def _logsumexp_vjp(B, g, args, out, params):
    shape, axis = _along(B, args, params)
    return B.mul(spread(B, g, shape, axis), _softmax_along(B, args[0], out, axis))


def _logsumexp_jvp(B, tangents, args, out, params):
    if tangents[0] is None:
        return None
    axis = _along(B, args, params)[1]
    return B.sum(B.mul(tangents[0], _softmax_along(B, args[0], out, axis)), axis)


LOGSUMEXP = TensorOp("logsumexp", 1, _shape_rule("logsumexp", empty=False), _logsumexp, (_logsumexp_vjp,),
                     _logsumexp_jvp, fixed(f"∂L/∂{{0}} = {G} · exp({{0}} − {{out}})"), called("logsumexp"))


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
    (_norm_vjp,), scalar_jvp((_norm_vjp,)), fixed(f"∂L/∂{{0}} = {G} · {{0}} / {{out}}"), called("norm"),
    _norm_kinks)

REDUCTIONS = (SUM, MEAN, _extreme(True), _extreme(False), LOGSUMEXP, NORM)
