"""Vectors and matrices: array backends, the tensor operation table and the sweeps over tensor graphs.

    shapes.py       shape rules, index specs and the one-line shape errors
    pure.py         the pure-Python backend (floats, fractions, wide decimals): Array, PureBackend
    fast.py         the NumPy backend (floats), imported only when chosen
    backend.py      the chooser, and the interface both backends offer
    op.py           the records TensorOp and TensorKink, and the helpers the rules share
    rules.py        the operation table TENSOR_OPS, its entries written by family in
                    elementwise.py, structural.py, reductions.py and losses.py
    sweeps.py       shapes, values, gradients, tangents, kinks and Jacobians over a graph of nodes

Nothing is imported here: a scalar program loads none of it.
"""
