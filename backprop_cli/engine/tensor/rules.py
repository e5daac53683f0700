"""The tensor operation table: one `TensorOp` per operation on vectors and matrices, TENSOR_OPS.

An entry says everything the sweeps and the renderers need of an operation, written once against the
backend interface `B` (pure.PureBackend or fast.NumpyBackend, as JAX's autodidax writes its rules against
NumPy):

    shape(shapes, params) -> the result's shape, or a ShapeError over {0}, {1}: `{0} @ {1}: (2, 3) @ (2,) ...`
    forward(B, args, params) -> the value
    vjps[k](B, g, args, out, params) -> the gradient of args[k], in its shape, given g = ∂L/∂out
                                       (None: no gradient flows there, as into an index)
    jvp(B, tangents, args, out, params) -> the tangent of the result (a tangent None is zero; None if zero)
    rule_text(shapes, params) -> the local rule per argument at tensor level: "∂L/∂{0} = ∂L/∂{out} · {1}ᵀ"
    written(count, params) -> how a node is written: "{0} @ {1}", "sum({0}, axis=0)"
    kinks(B, args, out, params) -> the elements sitting on a kink (TensorKinks); None for a smooth operation
    work(shapes, out) -> about how many scalar operations the forward function does

`params` is a dict: `axis` (reductions, softmax, log_softmax), `index` (a tuple of shapes.IndexItem).
The entries live by family: elementwise.py (every operation of ops.py, applied elementwise with its own
rules), structural.py (matmul, transpose, index, stack), reductions.py (sum, mean, max, min, logsumexp,
norm) and losses.py (softmax, log_softmax, cross_entropy, mse). At a kink they take PyTorch's choices.
"""
from __future__ import annotations

from ..ops import OPS
from .elementwise import elementwise, elementwise_key  # noqa: F401 (rules.elementwise_key is the public name)
from .losses import LOSSES
from .op import TensorKink, TensorOp  # noqa: F401 (the records, as rules.TensorOp and rules.TensorKink)
from .reductions import REDUCTIONS
from .structural import INDEX, MATMUL, STACK, TRANSPOSE

TENSOR_OPS: dict[str, TensorOp] = {
    op.name: op
    for op in (*(elementwise(name) for name in OPS), MATMUL, TRANSPOSE, INDEX, STACK, *REDUCTIONS, *LOSSES)
}
