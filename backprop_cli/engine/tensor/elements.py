"""The tensor rules read for a worked solution: the shapes of a rule's product, and one element's partials.

`backprop explain` writes each backward step at tensor level with the shapes of its product (for
z = W @ x, ∂L/∂W = ∂L/∂z · xᵀ is `(2, 1) · (1, 3) -> (2, 3)`: vectors as columns, as the textbooks
write them), and with `--wrt W[1, 0]` one element's gradient as the sum over the elements of each
consumer it reaches: ∂L/∂W[1, 0] = ∂L/∂z[1] · ∂z[1]/∂W[1, 0] = ∂L/∂z[1] · x[0].

`element_partials` gives those elements and their partials. The numbers are the operation's own JVP
(rules.py) with the tangent 1 at that element, so nothing here restates a derivative; the written
partial (`x[0]`, `1 - tanh(z[1])^2`, `1`) comes from the rule's family: ops.py's derivative text over
the elements for an elementwise operation, the other factor's element for a matrix product, 1 for the
operations that move or add numbers. Any other operation's partial is left to its number (None).
"""
from __future__ import annotations

from typing import NamedTuple

from ..ops import OPS
from . import shapes as sh
from .rules import TENSOR_OPS

Shape = tuple


class ElementPartial(NamedTuple):
    """d result[at] / d argument[element], for one element `at` of the result the element reaches."""
    at: tuple
    text: str | None  # the partial over the operands' elements, with placeholders: "{1}[0]"; None: not written
    value: object


def _promoted(a: Shape, b: Shape) -> tuple[Shape, Shape, Shape]:
    """A matrix product's operands as matrices (a vector on the left a row, on the right a column) and the
    product's shape, as structural.py computes it."""
    pa = (1,) + a if len(a) == 1 else a
    pb = b + (1,) if len(b) == 1 else b
    return pa, pb, sh.broadcast([pa[:-2], pb[:-2]]) + (pa[-2], pb[-1])


def _column(shape: Shape) -> Shape:
    """A vector written as a column, (3,) as (3, 1); anything else as it is."""
    return shape + (1,) if len(shape) == 1 else shape


def factor_shapes(op: str, shapes, k: int) -> tuple | None:
    """The shapes in argument k's rule, as (left factor, right factor, product, the argument's shape), for a
    rule that is a matrix product; None for the others. Vectors are columns: for z = W @ x, W (2, 3) and
    x (3,), ∂L/∂W = ∂L/∂z · xᵀ is (2, 1) · (1, 3) -> (2, 3) and ∂L/∂x = Wᵀ · ∂L/∂z is (3, 2) · (2, 1) ->
    (3, 1), the shape (3,). A dot product's rules are a number times a vector: () · (3,) -> (3,)."""
    if op != "matmul":
        return None
    a, b = shapes
    if len(a) == 1 and len(b) == 1:
        return ((), b, b, a) if k == 0 else ((), a, a, b)
    pa, pb, po = _promoted(a, b)
    g = po  # the gradient of W @ x, a vector, as the column (2, 1); of x @ W as a row
    if k == 0:
        right = pb[:-2] + (pb[-1], pb[-2])
        return g, right, po[:-2] + (po[-2], right[-1]), a
    if len(a) == 1:  # x @ W with x a vector: ∂L/∂W = xᵀ · ∂L/∂y, a column times a row
        return _column(a), (1,) + po[-1:], (a[0], po[-1]), b
    left = pa[:-2] + (pa[-1], pa[-2])
    return left, g, po[:-2] + (left[-2], g[-1]), b


# -- one element's partials ---------------------------------------------------------------------------------

def _tangent(B, shape: Shape, element: tuple):
    """1 at `element` of a tensor of `shape`, 0 elsewhere (a number 1 for a scalar)."""
    if not shape:
        return B.one
    n = sh.size(shape)
    flat = sh.positions(shape, tuple(element))[0]
    return B.reshape(B.array([B.one if j == flat else B.zero for j in range(n)]), shape)


def _indexed(placeholder: str, index: tuple) -> str:
    return placeholder + (sh.element_text(index) if index else "")


def _elementwise(op, shapes, params, k, element, out_shape):
    """Every element of the result that broadcasting fed from `element`, with ops.py's partial over the
    operands' elements there: `1 - tanh({0}[1])^2`."""
    scalar = OPS[op.scalar]
    template = scalar.derivative_text[k] if k < len(scalar.derivative_text) else scalar.derivative_text[-1]
    found = []
    for j in range(sh.size(out_shape)):
        at = sh.unravel(j, out_shape)
        if sh.source_index(at, shapes[k]) != tuple(element):
            continue
        text = template
        for m, shape in enumerate(shapes):  # {0} -> {0}[1]: the operands' elements at this one
            text = text.replace(f"{{{m}}}", _indexed(f"{{{m}}}", sh.source_index(at, shape)))
        found.append((at, text.replace("{out}", _indexed("{out}", at))))
    return found


def _matmul(op, shapes, params, k, element, out_shape):
    """A[i, l] reaches row i of A @ B, with the partial B[l, j]; B[l, j] reaches column j, with A[i, l]."""
    a, b = shapes
    if len(a) > 2 or len(b) > 2:
        return None  # batches of products: left to the numbers
    pa, pb, _ = _promoted(a, b)
    if k == 0:
        i, l = (0,) + tuple(element) if len(a) == 1 else tuple(element)
        pairs = [((i, j), (l, j) if len(b) == 2 else (l,)) for j in range(pb[-1])]
        other = "{1}"
    else:
        l, j = tuple(element) + (0,) if len(b) == 1 else tuple(element)
        pairs = [((i, j), (i, l) if len(a) == 2 else (l,)) for i in range(pa[0])]
        other = "{0}"
    found = []
    for (i, j), partner in pairs:
        at = (i, j)[len(a) == 1:len((i, j)) - (len(b) == 1)]  # the product's own indices, vectors squeezed
        found.append((at, other + sh.element_text(partner)))
    return found


def _moved(op, shapes, params, k, element, out_shape):
    """transpose and stack move an element to one place, with the partial 1."""
    if op.name == "transpose":
        return [(tuple(reversed(element)), "1")]
    return [((k,) + tuple(element), "1")]


def _reduced(op, shapes, params, k, element, out_shape):
    """sum and mean send an element to the one result it is part of, with the partial 1 or 1/n."""
    shape = shapes[0]
    axis = params.get("axis")
    if axis is None:
        at, count = (), sh.size(shape)
    else:
        axis = sh.normalize_axis(axis, len(shape), "", shape)
        at, count = tuple(element[:axis]) + tuple(element[axis + 1:]), shape[axis]
    return [(at, "1" if op.name == "sum" else f"1/{count}")]


_WRITTEN = {"matmul": _matmul, "transpose": _moved, "stack": _moved, "sum": _reduced, "mean": _reduced}
_PICKED = ("index",)  # the elements an index picks get 1 each: the JVP says which


def element_partials(B, node_op: str, args: list, out, params: dict, k: int, element: tuple) -> list[ElementPartial]:
    """The elements of the result of `node_op` over `args` (value `out`) that argument k's `element` reaches,
    each with d result[at] / d args[k][element]: its value by the operation's JVP, its written form where
    the family of the rule has one. The elements come from the rule's structure where it is written (so a
    partial that happens to be 0 is still shown), else from the JVP's nonzero entries."""
    op = TENSOR_OPS[node_op]
    shapes = tuple(B.shape(a) for a in args)
    out_shape = B.shape(out)
    tangents = [None] * len(args)
    tangents[k] = _tangent(B, shapes[k], element)
    column = op.jvp(B, tangents, args, out, params)
    values = B.flat(column) if column is not None and out_shape else [column if column is not None else B.zero]
    if column is not None and out_shape and B.shape(column) != out_shape:
        values = B.flat(B.broadcast_to(column, out_shape))
    rule = _elementwise if op.scalar is not None else _WRITTEN.get(op.name)
    written = rule(op, shapes, params, k, tuple(element), out_shape) if rule is not None else None
    if written is None:
        text = "1" if op.name in _PICKED else None
        return [ElementPartial(sh.unravel(j, out_shape), text, v) for j, v in enumerate(values) if v != 0]
    return [ElementPartial(at, text, values[sh.positions(out_shape, at)[0] if out_shape else 0])
            for at, text in written]


def elementwise_partial(B, node_op: str, args: list, out, k: int):
    """For an elementwise operation, d result / d args[k] element by element, in the result's shape (ops.py's
    rule over the elements: the factor its VJP multiplies the upstream gradient by); None for any other."""
    op = TENSOR_OPS[node_op]
    if op.scalar is None:
        return None
    partial = B.scalar_rules(op.scalar, len(args))[1][k](*args, out)
    shape = B.shape(out)
    return partial if B.shape(partial) == shape else B.broadcast_to(partial, shape)
