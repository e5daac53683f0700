"""Which array backend runs a computation: NumPy's for big float work where NumPy is installed, pure otherwise.

The pure backend (pure.py) holds every number system and needs nothing installed; the NumPy backend
(fast.py) holds floats only and costs an import of NumPy (about 0.1 s) plus a little per operation, repaid
only when the tensors are big. CROSSOVER is where it starts to pay, measured with bench/tensors.py:
<!-- the figures are in the comment on CROSSOVER -->. Exact fractions and wide decimals always take the pure
backend. Both backends offer the methods named in INTERFACE, and rules.py uses only those.
"""
from __future__ import annotations

import importlib.util

from ..arithmetic import FLOAT
from . import pure

# Total input elements from which the NumPy backend is used (see the module's docstring)
CROSSOVER = 4096

INTERFACE = (
    "array", "tolist", "shape", "size", "ndim", "flat", "full", "zeros", "reshape", "broadcast_to",
    "unbroadcast", "map", "scalar_rules", "add", "sub", "mul", "div", "neg", "exp", "log", "sqrt", "equal",
    "finite", "underflowed", "sum", "max", "min", "matmul", "transpose", "swap_last", "take", "put", "stack", "one_hot",
    "pick_rows",
)


def numpy_installed() -> bool:
    return importlib.util.find_spec("numpy") is not None


def element_count(value) -> int:
    """How many numbers a leaf value holds (nested lists, an array, or a number)."""
    if isinstance(value, (list, tuple)):
        shape, _ = pure.read_nested(value)
        count = 1
        for n in shape:
            count *= n
        return count
    return int(getattr(value, "size", 1))


def choose(arithmetic=FLOAT, elements: int = 0):
    """The backend for work on `elements` input numbers in `arithmetic` (FLOAT, EXACT or WIDE)."""
    if arithmetic is FLOAT and elements >= CROSSOVER and numpy_installed():
        from . import fast

        return fast.backend()
    return pure.backend(arithmetic)
