"""What goes wrong in a run of gradient steps, and what to try instead: for `backprop step` and `optimize`.

- `diverging(values, ascent)`: the run of steps that made the value worse, 5 in a row and the last to a value
  worse than any before (a warning, exit 0). The second condition keeps healthy momentum runs quiet: their
  value rises for several steps in a row at each swing of a damped oscillation, but each swing peaks lower
  than the one before (docs/formulas-and-training.md has the example).
- `suggest(...)`: a smaller learning rate to try, found by the one test that needs no theory: the step from
  the start taken again with lr/10, lr/100, ... (at most TRIALS of them); the largest with which it makes the
  value better is suggested, with the value before and after that trial step.
- `step_failure(...)` and `point_failure(...)`: the math error (exit 4) when a step leaves the finite
  numbers: which step, which number, its last finite value, and the learning rate as the likely cause.

Numbers here are computed; the wording of the errors is here too, as for every MathError, while the
warning's note is written by render/training.py from the records.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from ..base.errors import MathError
from ..base.numbers import format_number

GROWTHS = 5  # steps in a row that make the value worse (the last to its worst yet) before a run is diverging
TRIALS = 12  # smaller learning rates tried for a suggestion: lr/10, lr/100, ..., lr/10^12


def worse(new: float, old: float, ascent: bool) -> bool:
    """Did a step from `old` to `new` make the value worse (grow in a descent, fall in an ascent)?"""
    return new < old if ascent else new > old


@dataclass(frozen=True)
class Diverging:
    """Steps first..last each made the value worse, from `before` (before step first) to `after`."""

    first: int
    last: int
    before: float
    after: float
    ascent: bool = False


def diverging(values: Sequence[float], ascent: bool = False) -> Diverging | None:
    """The first run of GROWTHS or more steps in a row that each made the value worse, the GROWTHS-th or a
    later one to a value worse than every earlier one; None if there is none. `values[k]` is the value after
    step k (values[0] the start)."""
    run = 0
    worst = values[0] if values else 0.0
    found = None
    for k in range(1, len(values)):
        run = run + 1 if worse(values[k], values[k - 1], ascent) else 0
        if found is None and run >= GROWTHS and worse(values[k], worst, ascent):
            found = k - run + 1
        if found is not None and run == 0:
            return Diverging(found, k - 1, values[found - 1], values[k - 1], ascent)
        if worse(values[k], worst, ascent):
            worst = values[k]
    if found is None:
        return None
    return Diverging(found, len(values) - 1, values[found - 1], values[-1], ascent)


def number(value: float) -> str:
    return format_number(value)


@dataclass(frozen=True)
class Suggestion:
    """A smaller learning rate: `lr` (None if no trial helped), the lrs `tried` in order, the value
    `before` the trial step (the start) and `after` it with `lr`."""

    given: float
    lr: float | None
    tried: tuple
    before: float
    after: float | None
    label: str
    ascent: bool

    def text(self) -> str:
        """`the learning rate 10 is likely too large: try --lr 0.1, the largest of 1, 0.1, 0.01, ... with which
        the first step lowers out (from 9 to 5.76)`."""
        verb = "raises" if self.ascent else "lowers"
        head = f"the learning rate {number(self.given)} is likely too large: "
        if self.lr is not None:
            shown = ", ".join(number(lr) for lr in self.tried[:3])
            return (f"{head}try --lr {number(self.lr)}, the largest of {shown}, ... with which the first step "
                    f"{verb} {self.label} (from {number(self.before)} to {number(self.after)})")
        return (f"{head}with each of {number(self.tried[0])}, {number(self.tried[1])}, ... down to "
                f"{number(self.tried[-1])} the first step does not {verb[:-1]} {self.label} either; try a much "
                f"smaller one")


def candidates(lr: float) -> list[float]:
    """lr/10, lr/100, ..., each rounded to the 6 digits it is written with, so the lr suggested is the lr tried."""
    return [float(f"{lr / 10 ** j:.6g}") for j in range(1, TRIALS + 1)]


def suggest(lr: float, label: str, ascent: bool, before: float,
            trial: Callable[[float], float | None]) -> Suggestion | None:
    """The largest of `candidates(lr)` with which trial(lr), the value after the first step taken again (None if
    it is not a finite number), is better than `before`. None when lr is 0: then nothing moved."""
    if not lr > 0:
        return None
    tried = candidates(lr)
    for smaller in tried:
        after = trial(smaller)
        if after is not None and worse(before, after, ascent):
            return Suggestion(lr, smaller, tuple(tried), before, after, label, ascent)
    return Suggestion(lr, None, tuple(tried), before, None, label, ascent)


class StepNotFinite(MathError):
    """An update that sends a number out of the finite floats; `advice` names the setting that can be the cause:
    "lr", "eps", "lr or eps", "weight_decay" or "" (none: the gradient itself is not finite)."""

    def __init__(self, message: str, advice: str) -> None:
        super().__init__(message)
        self.advice = advice


def step_failure(err: StepNotFinite, suggestion: Suggestion | None, growth: Diverging | None = None,
                 label: str = "") -> MathError:
    """The update's error (which number, from which value, with which gradient) with its advice on the lines
    after it: --eps or --weight-decay where one of them is the cause, else the learning rate and a smaller one."""
    inline = {"eps": "try an --eps > 0", "weight_decay": "try a smaller --weight-decay"}.get(err.advice)
    if err.advice == "lr or eps":
        inline = "try an --eps > 0" if suggestion is None else "or try an --eps > 0"
    lines = [err.message + (f"; {inline}" if inline else "")]
    lines += _grown(growth, label)
    if "lr" in err.advice and suggestion is not None:
        lines.append(_sentence(suggestion.text()))
    return MathError("\n".join(lines))


def point_failure(err: MathError, step: str, quantity: str, last: str, suggestion: Suggestion | None,
                  growth: Diverging | None = None, label: str = "") -> MathError:
    """The error of the program evaluated after a step: `step` ("after step 121 of sgd"), what is not finite
    (`quantity`, may be ""), the engine's reason and its caret under the operation; then, a line each, the last
    finite value (`last`), how the value had been getting worse, and the learning rate with a smaller one."""
    reason, _, excerpt = err.message.partition("\n")
    lines = [f"{step}, {quantity}: {reason}" if quantity else f"{step}: {reason}"]
    lines += [excerpt] if excerpt else []
    lines += [_sentence(last)] if last else []
    lines += _grown(growth, label)
    lines += [_sentence(suggestion.text())] if suggestion is not None else []
    error = MathError("\n".join(lines))
    for attribute in ("line", "column"):  # for the JSON error document (cli.py)
        if hasattr(err, attribute):
            setattr(error, attribute, getattr(err, attribute))
    return error


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _grown(growth: Diverging | None, label: str) -> list[str]:
    if growth is None:
        return []
    return [f"{label} had {'fallen' if growth.ascent else 'grown'} at each of steps {growth.first} to {growth.last} "
            f"(from {number(growth.before)} to {number(growth.after)})."]
