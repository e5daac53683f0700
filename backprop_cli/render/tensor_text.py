"""A tensor written for people: in full when small, else with its shape and its first elements.

`[[0.1, 0.2], [0.3, 0.4]]` in full (at most FULL_ELEMENTS numbers), `(64, 32) [[0.12, -0.3, 0.5, ...],
[...], ...]` abbreviated: the eval tables (tensor_tables.py) and the worked solutions (explain_tensor.py)
write tensors this one way. Numbers are formatted element by element (base/numbers.py); no Rich here.
"""
from __future__ import annotations

from ..base.numbers import format_number
from ..engine.tensor.shapes import shape_text, size

FULL_ELEMENTS = 16  # a tensor of at most this many numbers is written in full, a bigger one abbreviated
KEEP_LAST, KEEP_OUTER = 3, 2  # an abbreviated tensor shows this many items of its last axis, of the others


def abbreviated(shape: tuple) -> bool:
    """Whether a tensor of `shape` is written abbreviated."""
    return size(shape) > FULL_ELEMENTS


def nested_text(value, digits: int | None, shape: tuple, write=None) -> str:
    """A value of `shape` (nested lists of numbers, or a number) written for a table cell; `write` writes an
    element (default: format_number with `digits`; check writes an answer's elements as the student did)."""
    if write is None:
        write = lambda x: format_number(x, digits)  # noqa: E731
    if not shape:
        return write(value)
    full = size(shape) <= FULL_ELEMENTS
    last = len(shape) - 1
    parts = ["["]
    stack = [(value, 0)]  # the lists being written and how far: no recursion over the dimensions
    while stack:
        items, k = stack[-1]
        keep = len(items) if full else min(len(items), KEEP_LAST if len(stack) - 1 == last else KEEP_OUTER)
        if k == keep:
            parts.append(", ...]" if keep < len(items) else "]")
            stack.pop()
            continue
        stack[-1] = (items, k + 1)
        if k:
            parts.append(", ")
        item = items[k]
        if type(item) is list:
            parts.append("[")
            stack.append((item, 0))
        else:
            parts.append(write(item))
    text = "".join(parts)
    return text if full else f"{shape_text(shape)} {text}"
