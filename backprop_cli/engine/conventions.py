"""The derivative at a kink or a jump under each convention of `--convention`: the one table of them.

Where a function has no derivative (relu and abs at 0, a tie in max or min, the jumps of step, sign,
floor, ceil and round), every framework still returns a number, and they do not all return the same
one. TABLE below holds, for every operation of ops.py that has kink data (a `branch`), the rule each
convention follows there, per argument:

- `pytorch` (the default), `jax`, `tensorflow`: what torch.autograd, jax.grad and tf.GradientTape
  return, as observed by running PyTorch 2.13.0, JAX 0.10.2 and TensorFlow 2.21.0 in float64
  (tests/data/framework_observations.json; tests/engine/test_conventions.py checks every entry
  against those observations, not against memory).
- `left`, `right`: the one-sided derivatives, ops.py's `one_sided` data: for relu, abs, leaky_relu
  and elu the derivative from below and from above; for a max/min tie, each tied argument moved down
  or up with the others held (so at a tie of max, `left` gives every tied argument 0 and `right`
  gives each 1); for a jump (step, sign, floor, ceil, round) the derivative of the piece on that
  side, 0, since a difference quotient across a jump does not converge to any number.

Where a framework returns no number, the convention gives 0, the derivative of the pieces on both
sides of a jump: TensorFlow's tape.gradient returns None for floor, ceil, round and heaviside (it
registers them as having no gradient), and torch.heaviside raises "derivative for aten::heaviside is
not implemented" (our `step` is heaviside(x, 0)). JAX returns 0 for all of them.

A convention changes derivatives at kinks, never the definition of a function: leaky_relu(x) has
slope 0.01 (PyTorch's default) under every convention, although tf.nn.leaky_relu's default alpha is
0.2, and under `tensorflow` leaky_relu'(0) is the slope as written (TensorFlow stores alpha as a
float32, so it observes 0.20000000298023224 for 0.2: a storage artefact, not a convention).

ops.py's rules are PyTorch's choices: under `pytorch` the sweeps keep their numbers untouched (the
table's `pytorch` column is held equal to them by a test); under another convention, the nodes that
sit on a kink get this table's numbers and the backward sweep runs again (`follow`).

`python -m backprop_cli.engine.conventions --markdown` prints the table that docs/language.md shows
(tests/docs check that the page and the code agree).
"""
from __future__ import annotations

import sys
from fractions import Fraction

from .local import Kink

DEFAULT = "pytorch"
CONVENTIONS = ("pytorch", "jax", "tensorflow", "left", "right")
# How a kink note names the convention: "where the derivative is a convention (JAX's), not a fact"
LABELS = {"pytorch": "PyTorch's", "jax": "JAX's", "tensorflow": "TensorFlow's", "left": "left-sided",
          "right": "right-sided"}
# What each convention is, for --help and the docs
MEANINGS = {
    "pytorch": "what torch.autograd returns (the default)",
    "jax": "what jax.grad returns",
    "tensorflow": "what tf.GradientTape returns",
    "left": "the one-sided derivative from below",
    "right": "the one-sided derivative from above",
}


class Rule:
    """How a convention picks the derivatives at a kink from the one-sided ones: `pick(sides)` gives one number
    per argument from its (left, right) pair; `text(entry)` says it for the docs table."""

    def __init__(self, name: str, pick, text) -> None:
        self.name = name
        self.pick = pick
        self.text = text

    def __repr__(self) -> str:
        return f"Rule({self.name})"


def _tied(sides) -> list[int]:
    """At a tie of max or min: the arguments whose one-sided derivatives differ, the tied ones (the others
    are (0, 0): moving them a little does not change the result)."""
    return [k for k, (left, right) in enumerate(sides) if left != right]


def _split(sides) -> tuple:
    """The whole derivative, 1, shared equally by the k tied arguments (torch.max, jnp.max, tf.reduce_max)."""
    tied = _tied(sides)
    share = 1 if len(tied) == 1 else Fraction(1, len(tied))
    return tuple(share if k in tied else 0 for k in range(len(sides)))


def _first_of_two(sides) -> tuple:
    """tf.maximum and tf.minimum: two arguments tied, the whole derivative goes to the first; three or more are
    tf.reduce_max / tf.reduce_min, which split it equally."""
    if len(sides) != 2:
        return _split(sides)
    tied = _tied(sides)
    return tuple(1 if tied and k == tied[0] else 0 for k in range(2))


LEFT = Rule("left", lambda sides: tuple(left for left, _ in sides), lambda entry: entry.left)
RIGHT = Rule("right", lambda sides: tuple(right for _, right in sides), lambda entry: entry.right)
ZERO = Rule("zero", lambda sides: tuple(0 for _ in sides), lambda entry: "0")
SPLIT = Rule("split", _split, lambda entry: "1/k to each of the k tied")
FIRST_OF_TWO = Rule("first of two", _first_of_two,
                    lambda entry: "2 arguments: 1 to the first, 0 to the second; 3 or more: 1/k to each of the k tied")


class Entry:
    """One operation's kink: where it is, its one-sided derivatives (as text), and each convention's rule there.

    `rules` names the three frameworks; `left` and `right` always follow LEFT and RIGHT. `none` records, per
    framework, what it returns instead of a number when it returns none (the convention then gives 0)."""

    def __init__(self, function: str, where: str, left: str, right: str, none: dict | None = None,
                 **rules: Rule) -> None:
        self.function = function
        self.where = where
        self.left = left
        self.right = right
        self.rules = {**rules, "left": LEFT, "right": RIGHT}
        self.none = none or {}


_TF_NONE = "tape.gradient returns None"

TABLE: dict[str, Entry] = {
    # relu'(0): 0 everywhere (the derivative from below)
    "relu": Entry("relu(x)", "x = 0", "0", "1", pytorch=LEFT, jax=LEFT, tensorflow=LEFT),
    # abs'(0): 0 in PyTorch and TensorFlow (sign(0)); JAX gives 1, also at -0.0
    "abs": Entry("abs(x)", "x = 0", "-1", "1", pytorch=ZERO, jax=RIGHT, tensorflow=ZERO),
    # leaky_relu'(0): the slope in PyTorch and TensorFlow (TF observes it rounded to float32), 1 in JAX;
    # d/d slope is 0 on both sides (x = 0), so every rule gives 0 there
    "leaky_relu": Entry("leaky_relu(x, slope)", "x = 0", "slope", "1", pytorch=LEFT, jax=RIGHT, tensorflow=LEFT),
    # elu'(0): alpha in all three (observed with alpha 1 and 0.5); d/d alpha is 0 on both sides
    "elu": Entry("elu(x, alpha)", "x = 0", "alpha", "1", pytorch=LEFT, jax=LEFT, tensorflow=LEFT),
    # a tie: torch.maximum/jnp.maximum and every reduction split evenly; tf.maximum gives it all to its first argument
    "max": Entry("max(a, b, ...)", "a tie: k arguments equal to the largest", "0 to each tied", "1 to each tied",
                 pytorch=SPLIT, jax=SPLIT, tensorflow=FIRST_OF_TWO),
    "min": Entry("min(a, b, ...)", "a tie: k arguments equal to the smallest", "1 to each tied", "0 to each tied",
                 pytorch=SPLIT, jax=SPLIT, tensorflow=FIRST_OF_TWO),
    # jumps: flat on both sides. step(x) is heaviside(x, 0), which torch cannot differentiate and TF gives None for
    "step": Entry("step(x)", "x = 0", "0", "0",
                  {"pytorch": "torch.heaviside raises: no derivative implemented", "tensorflow": _TF_NONE},
                  pytorch=ZERO, jax=ZERO, tensorflow=ZERO),
    "sign": Entry("sign(x)", "x = 0", "0", "0", pytorch=ZERO, jax=ZERO, tensorflow=ZERO),
    "floor": Entry("floor(x)", "x an integer", "0", "0", {"tensorflow": _TF_NONE},
                   pytorch=ZERO, jax=ZERO, tensorflow=ZERO),
    "ceil": Entry("ceil(x)", "x an integer", "0", "0", {"tensorflow": _TF_NONE},
                  pytorch=ZERO, jax=ZERO, tensorflow=ZERO),
    "round": Entry("round(x)", "x halfway between two integers", "0", "0", {"tensorflow": _TF_NONE},
                   pytorch=ZERO, jax=ZERO, tensorflow=ZERO),
}


# Second derivatives at a kink (backprop hessian): a node on its kink is differentiated as the piece its convention
# takes the derivative of. Every piece is linear (v + sum d_k (a_k - a_k at the point), d_k the table's numbers)
# except these, written in the language over the arguments {0}, {1}: leaky_relu's and elu's pieces left of 0.
PIECES = {("leaky_relu", "left"): "{1}*{0}", ("elu", "left"): "{1}*expm1({0})"}


def piece(convention: str, op: str) -> str | None:
    """The nonlinear piece `op` is differentiated as on its kink under `convention`, or None for a linear one."""
    entry = TABLE.get(op)
    if entry is None or convention == DEFAULT:
        return None
    return PIECES.get((op, entry.rules[convention].name))


def check_convention(name: str) -> str:
    """The convention's name, or a usage error that lists the choices."""
    if name not in CONVENTIONS:
        from ..base.errors import UsageError

        raise UsageError(f"unknown convention {name!r}: choose one of {', '.join(CONVENTIONS)}")
    return name


def at_kink(convention: str, op: str, sides, used) -> tuple:
    """The derivatives of an `op` node on its kink under `convention`, one per argument (None where `used`, the
    derivatives the rules of ops.py gave, has None: an argument that is not differentiated). `sides` is the
    node's (left, right) per argument. An operation missing from TABLE keeps ops.py's numbers under the
    frameworks' conventions (tests/engine/test_conventions.py fails on one)."""
    entry = TABLE.get(op)
    if convention == DEFAULT or (entry is None and convention not in ("left", "right")):
        return tuple(used)
    rule = entry.rules[convention] if entry is not None else (LEFT if convention == "left" else RIGHT)
    picked = rule.pick(tuple(sides))
    return tuple(None if u is None else d for u, d in zip(used, picked))


def follow(convention: str, partials: list, kinks: list, coerce) -> tuple[list, list]:
    """(partials, kinks) with every node on a kink given `convention`'s derivatives (numbers made by `coerce`,
    the arithmetic's). Under the default the partials are ops.py's, unchanged: the same list is returned."""
    if convention == DEFAULT or not kinks:
        return partials, [k if k.convention == convention else
                          Kink(k.node, k.op, k.used, k.one_sided, convention) for k in kinks]
    partials = list(partials)
    followed = []
    for kink in kinks:
        row = tuple(None if d is None else coerce(d) for d in at_kink(convention, kink.op, kink.one_sided, kink.used))
        partials[kink.node] = row
        followed.append(Kink(kink.node, kink.op, row, kink.one_sided, convention))
    return partials, followed


# -- the table as the docs show it -------------------------------------------------------------------------

def table_rows(ops=None) -> list[list[str]]:
    """[function, kink, one cell per convention] for each operation of TABLE that ops.py has."""
    if ops is None:
        from .ops import OPS as ops
    rows = []
    for name, entry in TABLE.items():
        op = ops.get(name)
        if op is None:
            continue
        function = entry.function
        if name in ("max", "min") and not getattr(op, "variadic", False):
            function = f"{name}(a, b)"
        cells = []
        for convention in CONVENTIONS:
            text = entry.rules[convention].text(entry)
            if convention in entry.none:
                text += f" ({entry.none[convention]})"
            cells.append(text)
        rows.append([f"`{function}`", entry.where, *cells])
    return rows


def markdown(ops=None) -> str:
    """The docs table: every function's derivative at its kink under every convention."""
    header = ["function", "kink at", *(f"`{c}`" for c in CONVENTIONS)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(ops)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m backprop_cli.engine.conventions --markdown
    if sys.argv[1:] != ["--markdown"]:
        sys.stderr.write("usage: python -m backprop_cli.engine.conventions --markdown\n")
        sys.exit(2)
    sys.stdout.write(markdown())
