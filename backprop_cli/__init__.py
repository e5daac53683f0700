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

docs/architecture.md is the map of the code: read it first.
"""

__version__ = "0.1.0"
