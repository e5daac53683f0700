"""backprop: a command-line gradient calculator that shows its work.

The package follows the data's one-way trip; each subpackage may import only
the ones above it in this list (tests/whole/test_layout.py enforces it):

    base/       the floor: the error family and exit codes, frozen records, number formatting
    language/   text -> syntax tree: the grammar's parser, the tree, printing programs back, limits
    engine/     syntax tree -> tape -> sweeps -> results: the operation table, forward, reverse,
                second-order and symbolic sweeps, exact arithmetic, finite differences
    teaching/   worked solutions as data, reading and grading answers      (teaching, training
    training/   gradient steps and optimizers                               and batch sit side
    batch/      many points: point files in, one row of results out each    by side)
    render/     results -> tables, JSON, text, Markdown, LaTeX, pictures; never computes
    commands/   one click command per module, thin; cli.py is the group and the exit codes

    api.py      the public Python API (docs/api.md), which the commands call

docs/architecture.md is the map of the code: read it first.

The API is exported here lazily (PEP 562): `import backprop_cli` loads nothing but this file, and
`backprop_cli.evaluate` loads the API (never NumPy, pandas or Dask, which only the array functions load).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = ["evaluate", "grade", "compile", "Result", "Grading", "Verdict", "Function", "BackpropError",
           "UsageError", "ProgramError", "MathError", "__version__"]

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ below imports them when asked
    from .api import Function, Grading, Result, Verdict, compile, evaluate, grade
    from .base.errors import BackpropError, MathError, ProgramError, UsageError


def __getattr__(name: str):
    if name in __all__:
        from . import api

        value = getattr(api, name)
        globals()[name] = value  # once found, a plain attribute
        return value
    raise AttributeError(f"module 'backprop_cli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
