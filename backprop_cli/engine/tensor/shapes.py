"""Shapes: the rules that say what shape an operation gives, and the one-line errors when shapes do not fit.

Both array backends and the operation table use these, so a mismatch reads the same whichever backend
runs. A shape is a tuple of sizes, () for a scalar. Messages name the operands by the placeholders {0},
{1} (and {out}), which functions.rule_message replaces with the program's own names: the message
`{0} @ {1}: (2, 3) @ (2,) do not fit: the inner sizes 3 and 2 differ` is shown as `W @ x: ...`.

An index is a tuple of items, one per leading axis: an int (negative counts from the end), a Slice, or a
Variable (the value of one of the operation's arguments, as `x[k]`). `resolve_index` turns it into
`Picks`, one int or range per axis, which the backends read.
"""
from __future__ import annotations

from math import prod
from typing import NamedTuple, Sequence, Union

Shape = tuple


class ShapeError(ValueError):
    """Operands whose shapes do not fit the operation, or an index outside a tensor: a one-line message
    over the placeholders {0}, {1}... (functions.rule_message puts the program's names in)."""


def shape_text(shape: Shape) -> str:
    """(2, 3), (3,), and () for a scalar: as Python and NumPy write shapes."""
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"


def size(shape: Shape) -> int:
    return prod(shape)


def broadcast(shapes: Sequence[Shape], written: str = "") -> Shape:
    """The shape NumPy broadcasts `shapes` to, or a ShapeError naming the operation and the shapes."""
    result: list[int] = []
    for shape in shapes:
        if len(shape) > len(result):
            result[:0] = [1] * (len(shape) - len(result))
        offset = len(result) - len(shape)
        for axis, n in enumerate(shape):
            m = result[offset + axis]
            if n != m and m != 1 and n != 1:
                listed = [shape_text(s) for s in shapes]
                raise ShapeError(
                    f"{written + ': ' if written else ''}the shapes {', '.join(listed[:-1])} and {listed[-1]} "
                    f"do not broadcast: the sizes {m} and {n} of axis {offset + axis - len(result)} differ and "
                    "neither is 1 (sizes are matched from the last axis and must be equal or 1)")
            if m == 1:
                result[offset + axis] = n
    return tuple(result)


def normalize_axis(axis: int, ndim: int, written: str, shape: Shape) -> int:
    """`axis` as a position 0 <= axis < ndim (negative axes count from the end), or a ShapeError."""
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{written}: axis {axis} is out of range for a tensor of {ndim} "
                         f"dimension{'s' if ndim != 1 else ''}, shape {shape_text(shape)}")
    return axis % ndim


def reduced(shape: Shape, axis: int | None, keepdims: bool = False) -> Shape:
    """The shape left after reducing `axis` (already normalized); None reduces every axis."""
    if axis is None:
        return (1,) * len(shape) if keepdims else ()
    return shape[:axis] + ((1,) if keepdims else ()) + shape[axis + 1:]


def matmul(a: Shape, b: Shape, written: str = "{0} @ {1}") -> Shape:
    """NumPy's matmul: vectors are promoted to a row (on the left) or a column (on the right) and the
    promoted axis dropped again; leading axes are batch axes and broadcast."""
    if not a or not b:
        raise ShapeError(f"{written}: @ multiplies vectors and matrices, and {{{0 if not a else 1}}} is a scalar: "
                         "use * to scale")
    inner_a = a[-1]
    inner_b = b[0] if len(b) == 1 else b[-2]
    if inner_a != inner_b:
        raise ShapeError(f"{written}: {shape_text(a)} @ {shape_text(b)} do not fit: "
                         f"the inner sizes {inner_a} and {inner_b} differ")
    batch = broadcast([a[:-2], b[:-2]], f"{written}: the batch axes of {shape_text(a)} and {shape_text(b)}")
    return batch + a[-2:-1] + b[-1:] if len(b) > 1 else batch + a[-2:-1]


# -- indexing --------------------------------------------------------------------------------------------

class Slice(NamedTuple):
    """start:stop:step as written (None where left out). A NamedTuple, so nodes holding it can be hashed."""
    start: int | None = None
    stop: int | None = None
    step: int | None = None


class Variable(NamedTuple):
    """An index that is the value of the operation's argument `argument` (1 for `x[k]`), known at run time."""
    argument: int


IndexItem = Union[int, Slice, Variable]
Picks = tuple  # one int or range per axis of the tensor, every axis covered


def index_text(index: Sequence[IndexItem]) -> str:
    """[1, :], [::-1, 0], [{1}] (a variable index, as its placeholder)."""
    parts = []
    for item in index:
        if isinstance(item, Variable):
            parts.append(f"{{{item.argument}}}")
        elif isinstance(item, Slice):
            start, stop, step = ("" if v is None else str(v) for v in item)
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
        else:
            parts.append(str(item))
    return "[" + ", ".join(parts) + "]"


def _check_int(written: str, value: int, n: int, axis: int, label: str = "") -> int:
    if not -n <= value < n:
        raise ShapeError(f"{written}: the index {label or value} is out of range for axis {axis} of size {n} "
                         f"(from {-n} to {n - 1})")
    return value % n


def index_shape(shape: Shape, index: Sequence[IndexItem], arguments: Sequence[Shape] = ()) -> Shape:
    """The shape `index` leaves of a tensor of `shape`; constant indices are checked against the sizes here,
    variable ones (whose `arguments` must be scalars) when their values are known."""
    written = "{0}" + index_text(index)
    if not shape:
        raise ShapeError(f"{written}: {{0}} is a scalar, which has no elements to index")
    if len(index) > len(shape):
        raise ShapeError(f"{written}: {len(index)} indices for a tensor of {len(shape)} "
                         f"dimension{'s' if len(shape) != 1 else ''}, shape {shape_text(shape)}")
    result = []
    for axis, (item, n) in enumerate(zip(index, shape)):
        if isinstance(item, Variable):
            if arguments[item.argument - 1] != ():
                raise ShapeError(f"{written}: an index must be a whole number, and {{{item.argument}}} has "
                                 f"shape {shape_text(arguments[item.argument - 1])}")
        elif isinstance(item, Slice):
            if item.step == 0:
                raise ShapeError(f"{written}: a slice's step cannot be 0")
            result.append(len(range(*slice(*item).indices(n))))
        else:
            _check_int(written, item, n, axis)
    return tuple(result) + tuple(shape[len(index):])


def whole_number(value, what: str) -> int:
    """An index given as a number (2.0, Fraction(2), Decimal('2')) as an int, or a ShapeError saying why not."""
    try:
        whole = int(value)
    except (OverflowError, ValueError):
        whole = None
    if whole is None or whole != value:
        raise ShapeError(f"{what} = {value} is not a whole number")
    return whole


def resolve_index(shape: Shape, index: Sequence[IndexItem], values: Sequence = ()) -> Picks:
    """One int (0 <= i < size) or range per axis: `index` with its variables' `values` (the operation's
    arguments after the first) read, negative indices counted from the end, missing axes taken whole."""
    written = "{0}" + index_text(index)
    picks = []
    for axis, (item, n) in enumerate(zip(index, shape)):
        if isinstance(item, Variable):
            k = whole_number(values[item.argument - 1], f"{written}: the index {{{item.argument}}}")
            picks.append(_check_int(written, k, n, axis, f"{{{item.argument}}} = {k}"))
        elif isinstance(item, Slice):
            picks.append(range(*slice(*item).indices(n)))
        else:
            picks.append(item % n)
    picks.extend(range(n) for n in shape[len(index):])
    return tuple(picks)


def picked_shape(picks: Picks) -> Shape:
    return tuple(len(p) for p in picks if isinstance(p, range))


def positions(shape: Shape, picks: Picks) -> list[int]:
    """The row-major flat positions `picks` selects in a tensor of `shape`, in the order of the result."""
    found = [0]
    stride = size(shape)
    for n, pick in zip(shape, picks):
        stride //= n
        if isinstance(pick, range):
            found = [p + i * stride for p in found for i in pick]
        else:
            found = [p + pick * stride for p in found]
    return found


def unravel(flat: int, shape: Shape) -> tuple[int, ...]:
    """The index of the flat (row-major) position `flat` in a tensor of `shape`."""
    index = []
    for n in reversed(shape):
        flat, i = divmod(flat, n)
        index.append(i)
    return tuple(reversed(index))


def source_index(index: tuple[int, ...], shape: Shape) -> tuple[int, ...]:
    """The element of an operand of `shape` that broadcasting sent to the result's element `index`."""
    tail = index[len(index) - len(shape):] if shape else ()
    return tuple(i if n != 1 else 0 for i, n in zip(tail, shape))


def element_text(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, index)) + "]"


def located(err: Exception, index: tuple[int, ...], shapes: Sequence[Shape], operands: Sequence,
            labels: Sequence[str] = ()) -> Exception:
    """An elementwise rule's error (a functions.DomainError) with the element it failed at and the operands
    there: `log is defined for positive numbers only (at [1, 0], where {0}[1, 0] = -2.0)`. The operands are
    {0}, {1}... unless `labels` names them (a derivative rule's last operand is {out})."""
    from ...base.numbers import number_text

    labels = list(labels) or [f"{{{k}}}" for k in range(len(operands))]
    parts = [f"{label}{element_text(source_index(index, shape)) if shape else ''} = {number_text(value)}"
             for label, shape, value in zip(labels, shapes, operands)]
    return type(err)(f"{err} (at {element_text(index)}, where {', '.join(parts)})")
