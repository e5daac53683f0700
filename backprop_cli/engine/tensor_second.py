"""The Hessian of a program with vectors and matrices: second derivatives over the inputs' elements.

The matrix is over the flattened elements of the inputs asked for (every input but those used only as an
index, or --wrt's), in the inputs' order and each input's elements row-major, labelled as the tables
label elements (`W[0, 1]`). It is computed by second.py on the program written out element by element
(element_tape.py): symbolic reverse mode over the scalar tape, then forward mode over the gradient's graph
once per element asked for, with ops.py's rules; exact fractions under --exact. Why not the tensor engine
itself: its VJPs are array functions that cannot be differentiated again, and finite differences of its
gradients would only be approximations. The value and gradient shown beside the matrix are the tensor
engine's (tensor_compute.differentiate).

The matrix has n² entries and costs n sweeps over a graph a few times the size of the written-out program,
so it is for small programs: at most MAX_ELEMENTS input elements in the matrix, and at most
element_tape.MAX_SCALAR_NODES scalar operations in the program written out.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from ..base.errors import UsageError
from ..base.records import FrozenRecord, set_field
from .arithmetic import FLOAT
from .conventions import DEFAULT
from .element_tape import write_out
from .second import hessian as scalar_hessian
from .tensor.shapes import size
from .tensor_compute import TensorResult, differentiate

# "hessian works for inputs of up to a few dozen elements in all" (issue 14): 64 elements, 4,096 entries.
MAX_ELEMENTS = 64


class TensorHessian(FrozenRecord):
    """The value and gradient (`result`, the tensor engine's), and the matrix over the elements `names` of
    the inputs `inputs` (each input's element names in `elements`)."""

    __slots__ = __match_args__ = ("result", "inputs", "elements", "names", "matrix", "asymmetry")
    result: TensorResult
    inputs: list  # the inputs in the matrix, in order
    elements: dict  # input -> its element names, row-major
    names: list  # every row's (and column's) element name
    matrix: list  # matrix[i][j] = d² out / d names[i] d names[j]
    asymmetry: float

    def __init__(self, result, inputs, elements, names, matrix, asymmetry) -> None:
        for name, value in zip(self.__slots__, (result, inputs, elements, names, matrix, asymmetry)):
            set_field(self, name, value)


def _chosen(result: TensorResult, wrt: Sequence[str] | None) -> list[str]:
    """The inputs of the matrix: `wrt` (an index among them is a usage error), or every input with a gradient."""
    if wrt is None:
        return [name for name in result.tape.inputs if name not in result.no_gradient]
    for name in wrt:
        if name in result.no_gradient:
            raise UsageError(f"--wrt {name}: {name} is used only as an index, a whole number, so nothing is "
                             "differentiated with respect to it")
    return list(wrt)


def tensor_hessian(tape, inputs: Mapping, wrt: Sequence[str] | None = None, arithmetic=FLOAT,
                   convention: str = DEFAULT) -> TensorHessian:
    """The Hessian of a tensor program's scalar output at `inputs` (see the module's docstring)."""
    result = differentiate(tape, inputs, arithmetic, forward_mode=False, convention=convention)
    shaped = result.tape
    out_shape = shaped.nodes[shaped.output].shape
    if out_shape:
        from .tensor.shapes import shape_text

        raise UsageError(f"{shaped.output_name or 'the output'} is a tensor of shape {shape_text(out_shape)}, and "
                         "hessian differentiates a scalar twice: reduce it to one (sum, mean, a loss)")
    chosen = _chosen(result, wrt)
    counts = {name: size(shaped.nodes[shaped.inputs[name]].shape) for name in chosen}
    total = sum(counts.values())
    if total > MAX_ELEMENTS:
        held = ", ".join(f"{name} {n}" for name, n in counts.items())
        raise UsageError(f"the Hessian over {total} input elements would have {total * total:,} entries; hessian "
                         f"takes at most {MAX_ELEMENTS} elements in all ({held}): name fewer inputs with --wrt")
    written = write_out(result)
    names = [label for name in chosen for label in written.elements[name]]
    found = scalar_hessian(written.tape, written.inputs, names, arithmetic, convention)
    elements = {name: written.elements[name] for name in chosen}
    return TensorHessian(result, chosen, elements, names, found.matrix, found.asymmetry)
