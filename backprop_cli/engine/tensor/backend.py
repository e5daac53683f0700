"""Which array backend runs a computation: NumPy's for big float work where NumPy is installed, pure otherwise.

The pure backend (pure.py) holds every number system and needs nothing installed; the NumPy backend
(fast.py) holds floats only, and loading it (NumPy and engine/vectorized.py) costs 0.1 to 0.25 s, repaid
only by big work. The work of a computation is sweeps.work: about how many scalar operations its forward
sweep does (a matrix product counts its multiply-adds). Exact fractions and wide decimals always take the
pure backend. Both backends offer the methods named in INTERFACE, and rules.py uses only those.
"""
from __future__ import annotations

import importlib.util

from ..arithmetic import FLOAT
from . import pure

# The work (sweeps.work) from which the NumPy backend is used. Measured with bench/tensors.py (forward and
# backward of an MLP at growing sizes, each backend's load time included): at a work of 0.5 million the pure
# backend takes 57 ms + 26 ms to load against NumPy's 2 ms + 169 ms; at 1.2 million, 125 + 27 ms against
# 32 + 106 ms; from there on NumPy wins by more and more (the pure backend costs about 110-170 ns a unit).
CROSSOVER = 1_000_000

INTERFACE = (
    "array", "tolist", "shape", "size", "ndim", "flat", "full", "zeros", "reshape", "broadcast_to",
    "unbroadcast", "map", "scalar_rules", "add", "sub", "mul", "div", "neg", "exp", "log", "sqrt", "equal",
    "finite", "underflowed", "sum", "max", "min", "matmul", "transpose", "swap_last", "take", "put", "stack",
    "one_hot", "pick_rows",
)


def numpy_installed() -> bool:
    return importlib.util.find_spec("numpy") is not None


def shape_of(value) -> tuple:
    """The shape of a leaf value: nested lists, an array, or a number."""
    if isinstance(value, (list, tuple)):
        return pure.read_nested(value)[0]
    return tuple(getattr(value, "shape", ()))


def choose(arithmetic=FLOAT, work: int = 0):
    """The backend for a computation of about `work` scalar operations (sweeps.work) in `arithmetic`."""
    if arithmetic is FLOAT and work >= CROSSOVER and numpy_installed():
        from . import fast

        return fast.backend()
    return pure.backend(arithmetic)
