"""The lines that say where numbers are missing: under eval's tables, and after a --graph picture.

One line per place where numbers go missing (engine/undefined.py's Cause): what has no number there,
what is missing because of it (the output, the inputs' gradients), and why. Plain strings, no Rich:
a picture on standard output takes them as notes on standard error.
"""
from __future__ import annotations

MAX_LINES = 20  # more places than this are counted, not listed; --json has every reason


def missing_lines(result) -> list[str]:
    """`undefined: ∂v3/∂y, and so the gradient of y: the derivative of x^y ...` per cause; [] when none."""
    if not result.undefined:
        return []
    tape = result.tape
    return cause_lines(result.causes(), tape.label(tape.output), len(tape.inputs))


def cause_lines(causes, output: str, inputs: int) -> list[str]:
    """The lines of engine/undefined.py's Causes; `output` is the output's label, `inputs` how many there are."""
    lines = []
    for cause in causes[:MAX_LINES]:
        effects = []
        if cause.output and f"the value of {output}" not in cause.subjects:
            effects.append(f"the output {output}")
        if len(cause.gradients) == inputs > 2:
            effects.append("every gradient")
        elif cause.gradients:
            effects.append(f"the gradient{'s' * (len(cause.gradients) > 1)} of {_and(cause.gradients)}")
        so = f", and so {_and(effects)}" if effects else ""
        lines.append(f"{cause.missing.word}: {_and(cause.subjects)}{so}: {cause.missing.reason}")
    if len(causes) > MAX_LINES:
        lines.append(f"... and {len(causes) - MAX_LINES} more places where numbers are missing "
                     "(--json gives the reason for each)")
    return lines


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
