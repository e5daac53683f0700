"""Matrix products, transposes, indexing and stacking: the tensor operations that move numbers around.

matmul follows NumPy (vectors promoted to a row on the left and a column on the right, batch axes
broadcast); its VJPs are the textbook ∂L/∂A = ∂L/∂Y · Bᵀ and ∂L/∂B = Aᵀ · ∂L/∂Y on the promoted matrices,
summed back over broadcast batch axes. Indexing's VJP puts the gradient back where the elements came from
(zeros elsewhere); an index read from an argument (`x[k]`) gets no gradient.
"""
from __future__ import annotations

from ..ops import PerArgument
from . import shapes as sh
from .op import UPSTREAM as G
from .op import TensorOp, as_shape, fixed, plus
from .shapes import ShapeError


def _promoted(B, a, b):
    """a and b as matrices (a vector on the left is a row, on the right a column), and the product's shape."""
    sa, sb = B.shape(a), B.shape(b)
    pa = (1,) + sa if len(sa) == 1 else sa
    pb = sb + (1,) if len(sb) == 1 else sb
    return as_shape(B, a, pa), as_shape(B, b, pb), sh.broadcast([pa[:-2], pb[:-2]]) + (pa[-2], pb[-1])


def _matmul_vjp_a(B, g, args, out, params):
    a, b = args
    pa, pb, po = _promoted(B, a, b)
    grad = B.matmul(as_shape(B, g, po), B.swap_last(pb))  # ∂L/∂A = ∂L/∂Y · Bᵀ
    return as_shape(B, B.unbroadcast(grad, B.shape(pa)), B.shape(a))


def _matmul_vjp_b(B, g, args, out, params):
    a, b = args
    pa, pb, po = _promoted(B, a, b)
    grad = B.matmul(B.swap_last(pa), as_shape(B, g, po))  # ∂L/∂B = Aᵀ · ∂L/∂Y
    return as_shape(B, B.unbroadcast(grad, B.shape(pb)), B.shape(b))


def _matmul_jvp(B, tangents, args, out, params):
    (ta, tb), (a, b) = tangents, args
    return plus(B, None if ta is None else B.matmul(ta, b), None if tb is None else B.matmul(a, tb))


def _matmul_texts(shapes, params):
    if len(shapes[0]) == 1 and len(shapes[1]) == 1:
        return f"∂L/∂{{0}} = {G} {{1}}", f"∂L/∂{{1}} = {G} {{0}}"
    return f"∂L/∂{{0}} = {G} · {{1}}ᵀ", f"∂L/∂{{1}} = {{0}}ᵀ · {G}"


MATMUL = TensorOp(
    "matmul", 2, lambda shapes, params: sh.matmul(*shapes), lambda B, args, params: B.matmul(*args),
    (_matmul_vjp_a, _matmul_vjp_b), _matmul_jvp, _matmul_texts, lambda count, params: "{0} @ {1}",
    cost=lambda shapes, out: max(sh.size(out), 1) * shapes[0][-1])  # a multiply-add per inner element

TRANSPOSE = TensorOp(
    "transpose", 1, lambda shapes, params: tuple(reversed(shapes[0])),
    lambda B, args, params: B.transpose(args[0]),
    (lambda B, g, args, out, params: B.transpose(g),),
    lambda B, tangents, args, out, params: None if tangents[0] is None else B.transpose(tangents[0]),
    fixed(f"∂L/∂{{0}} = ({G})ᵀ"), lambda count, params: "{0}ᵀ")


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
    lambda shapes, params: ((f"∂L/∂{{0}} = {G} at {sh.index_text(params['index'])}, 0 elsewhere",)
                            + ("",) * (len(shapes) - 1)),
    lambda count, params: "{0}" + sh.index_text(params["index"]), variadic=True)


def _stack_written(count, params):
    return "[" + ", ".join(f"{{{k}}}" for k in range(count)) + "]"


def _stack_shape(shapes, params):
    for k, s in enumerate(shapes[1:], 1):
        if s != shapes[0]:
            raise ShapeError(f"{_stack_written(len(shapes), params)}: the elements have the shapes "
                             f"{sh.shape_text(shapes[0])} and {sh.shape_text(s)} ({{0}} and {{{k}}}); the rows of "
                             "a tensor have one shape")
    return (len(shapes),) + shapes[0]


def _stack_jvp(B, tangents, args, out, params):
    if all(t is None for t in tangents):
        return None
    return B.stack([B.zeros(B.shape(a)) if t is None else t for t, a in zip(tangents, args)])


def _row(k):
    return lambda B, g, args, out, params: B.take(g, (k,) + tuple(map(range, B.shape(args[k]))))


STACK = TensorOp(
    "stack", 1, _stack_shape, lambda B, args, params: B.stack(args), PerArgument(_row), _stack_jvp,
    lambda shapes, params: tuple(f"∂L/∂{{{k}}} = {G}[{k}]" for k in range(len(shapes))), _stack_written,
    variadic=True)
