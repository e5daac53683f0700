"""Gradient steps and optimizers: `backprop step` and `backprop optimize`.

The update formulas are PyTorch's (torch.optim, as documented in the algorithm
boxes of https://pytorch.org/docs/stable/optim.html), with PyTorch's defaults:

    sgd       θ ← θ − γ g                                    (torch.optim.SGD, momentum 0)
    momentum  b ← g at the first step, then b ← μ b + g;     (torch.optim.SGD, dampening 0)
              θ ← θ − γ b   (with --nesterov: θ ← θ − γ (g + μ b))
    adagrad   s ← s + g²;  θ ← θ − γ/(1 + (t−1)η) · g / (√s + ε)              (torch.optim.Adagrad)
    rmsprop   v ← α v + (1−α) g²;  θ ← θ − γ g / (√v + ε)                      (torch.optim.RMSprop)
              (with momentum μ > 0: b ← μ b + g/(√v + ε); θ ← θ − γ b;
               with --centered, v is replaced by v − ḡ² where ḡ ← α ḡ + (1−α) g)
    adam      m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;                     (torch.optim.Adam)
              θ ← θ − (γ / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)

where g is the gradient (−g with --ascent, PyTorch's `maximize`), plus λθ with
--weight-decay λ, and t counts steps from 1. Every state (b, s, v, m, ḡ)
starts at 0 (Adagrad's s at --initial-accumulator). Only the inputs being
updated have state; the others stay at their values.

A vector or matrix input (nested lists of floats) is updated element by element,
each element exactly as a scalar input is, with a state of its own: what
torch.optim does to a tensor parameter, whose state tensors have its shape. An
input of a tensor program used as an index (`x[k]`) holds a whole number and has
no gradient: it never moves.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Iterator, Mapping, Sequence

from ..base.errors import MathError, UsageError
from ..engine.compute import differentiate
from ..engine.conventions import DEFAULT as DEFAULT_CONVENTION
from ..engine.tape import Tape
from ..engine.values import nested, position_text
from .watch import (Diverging, StepNotFinite, Suggestion, diverging, number, point_failure, step_failure, suggest,
                    worse)

OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")

# PyTorch's defaults (torch 2.x): lr per optimizer, and the other hyperparameters.
DEFAULT_LR = {"sgd": 1e-3, "momentum": 1e-3, "adagrad": 1e-2, "rmsprop": 1e-2, "adam": 1e-3}
DEFAULTS = {
    "momentum": {"momentum": 0.9, "nesterov": False},  # SGD's momentum is 0 in PyTorch; 0.9 is the usual choice
    "adagrad": {"lr_decay": 0.0, "initial_accumulator": 0.0, "eps": 1e-10},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    "sgd": {},
}
# Hyperparameters each optimizer takes (besides lr, weight_decay and ascent).
ACCEPTS = {name: tuple(values) for name, values in DEFAULTS.items()}


@dataclass
class Settings:
    optimizer: str = "sgd"
    lr: float = 1e-3
    ascent: bool = False
    weight_decay: float = 0.0
    hyper: dict = field(default_factory=dict)  # the optimizer's own hyperparameters, defaults filled in

    def describe(self) -> dict:
        """Every hyperparameter in effect, for the output and the JSON."""
        return {"lr": self.lr, **self.hyper, "weight_decay": self.weight_decay, "ascent": self.ascent}


def settings(optimizer: str, lr: float | None = None, ascent: bool = False, weight_decay: float = 0.0,
             **given) -> Settings:
    """Settings with PyTorch's defaults for whatever is not given (None); a hyperparameter the optimizer does not
    take is a usage error."""
    given = {k: v for k, v in given.items() if v is not None}
    extra = [k for k in given if k not in ACCEPTS[optimizer]]
    if extra:
        options = ", ".join("--" + k.replace("_", "-") for k in extra)
        hint = " (use --optimizer momentum for SGD with momentum)" if optimizer == "sgd" and "momentum" in extra else ""
        raise UsageError(f"{options} {'does' if len(extra) == 1 else 'do'} not apply to --optimizer {optimizer}{hint}")
    hyper = {**DEFAULTS[optimizer], **given}
    lr = DEFAULT_LR[optimizer] if lr is None else lr
    for name, value in (("lr", lr), ("weight_decay", weight_decay), *hyper.items()):
        if isinstance(value, bool):
            continue
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"--{name.replace('_', '-')} must be a finite number >= 0, not {value}")
    for name in ("beta1", "beta2", "alpha"):
        if name in hyper and not 0 <= hyper[name] < 1:
            raise UsageError(f"--{name} must be in [0, 1), not {hyper[name]}")
    if hyper.get("nesterov") and hyper["momentum"] <= 0:
        raise UsageError("--nesterov needs a momentum > 0 (as in PyTorch)")
    return Settings(optimizer, lr, ascent, weight_decay, hyper)


class Optimizer:
    """One optimizer's state over the inputs it updates; `update` applies one step, as torch.optim does."""

    def __init__(self, s: Settings, names: Sequence[str]) -> None:
        self.s = s
        self.names = list(names)
        self.t = 0
        # the state of each number moved: a scalar input's under its name, an element's under (name, position)
        self.state: dict = {}

    def update(self, params: Mapping[str, object], grads: Mapping[str, object]) -> dict[str, object]:
        self.t += 1
        new = dict(params)
        for name in self.names:
            value = params[name]
            if type(value) is list:  # a vector or matrix: each element as a scalar, with its own state
                shape, thetas = elements(value)
                gradient = elements(grads[name])[1]
                new[name] = nested(shape, [self._step((name, e), name + position_text(e, shape), theta, g)
                                           for e, (theta, g) in enumerate(zip(thetas, gradient))])
            else:
                new[name] = self._step(name, name, value, grads[name])
        return new

    def _step(self, key, label: str, theta: float, grad: float) -> float:
        """One number's step; `key` names its state, `label` names it in an error."""
        t = self.t
        divided_by_zero = False
        try:
            moved = self._one(key, theta, grad, t)
        except ZeroDivisionError:  # √v + eps = 0: --eps 0 and no gradient yet
            moved, divided_by_zero = math.nan, True
        except (ValueError, OverflowError):
            moved = math.nan
        if not math.isfinite(moved):
            raise StepNotFinite(f"step {t} of {self.s.optimizer} sends {label} to a value that is not a finite "
                                f"number (from {theta!r} with gradient {grad!r})",
                                self._advice(theta, grad, divided_by_zero))
        return moved

    def _advice(self, theta: float, grad: float, divided_by_zero: bool) -> str:
        """Which setting to change when a step is not finite (watch.StepNotFinite): only one that can be the
        cause."""
        s, eps = self.s, self.s.hyper.get("eps")
        if divided_by_zero:
            return "eps"
        if not math.isfinite(grad):
            return ""
        if not math.isfinite((-grad if s.ascent else grad) + s.weight_decay * theta):  # g of _one
            return "weight_decay"
        # a smaller --lr helps only if there is one: with --lr 0 the step is 0 times something not finite
        choices = (["lr"] if s.lr > 0 else []) + (["eps"] if eps == 0 else [])
        return " or ".join(choices)

    def _one(self, key, theta: float, grad: float, t: int) -> float:
        s, h = self.s, self.s.hyper
        g = -grad if s.ascent else grad
        if s.weight_decay:
            g = g + s.weight_decay * theta
        st = self.state.get(key)
        if st is None:
            st = self.state[key] = {"b": 0.0, "sum": h.get("initial_accumulator", 0.0), "v": 0.0, "m": 0.0,
                                    "avg": 0.0}
        if s.optimizer == "sgd":
            theta = theta - s.lr * g
        elif s.optimizer == "momentum":
            mu = h["momentum"]
            st["b"] = g if t == 1 else mu * st["b"] + g
            step = g + mu * st["b"] if h["nesterov"] else st["b"]
            theta = theta - s.lr * step
        elif s.optimizer == "adagrad":
            clr = s.lr / (1 + (t - 1) * h["lr_decay"])
            st["sum"] = st["sum"] + g * g
            theta = theta - clr * g / (math.sqrt(st["sum"]) + h["eps"])
        elif s.optimizer == "rmsprop":
            alpha = h["alpha"]
            st["v"] = alpha * st["v"] + (1 - alpha) * g * g
            v = st["v"]
            if h["centered"]:
                st["avg"] = alpha * st["avg"] + (1 - alpha) * g
                v = v - st["avg"] * st["avg"]
            denom = math.sqrt(v) + h["eps"]
            if h["momentum"] > 0:
                st["b"] = h["momentum"] * st["b"] + g / denom
                theta = theta - s.lr * st["b"]
            else:
                theta = theta - s.lr * g / denom
        elif s.optimizer == "adam":
            b1, b2 = h["beta1"], h["beta2"]
            st["m"] = b1 * st["m"] + (1 - b1) * g
            st["v"] = b2 * st["v"] + (1 - b2) * g * g
            step_size = s.lr / (1 - b1 ** t)
            denom = math.sqrt(st["v"]) / math.sqrt(1 - b2 ** t) + h["eps"]
            theta = theta - step_size * st["m"] / denom
        return theta


def elements(value) -> tuple[tuple, list]:
    """(shape, elements row-major) of a number (shape ()) or of nested lists of numbers."""
    shape, flat = [], [value]
    while type(flat[0]) is list:
        shape.append(len(flat[0]))
        flat = [x for row in flat for x in row]
    return tuple(shape), flat


@dataclass(frozen=True)
class Point:
    """The program at some inputs: its value and the gradient of every input.

    A vector or matrix input's value and gradient are nested lists of floats; an input used only as an
    index (`x[k]`) has the gradient None."""

    inputs: dict
    value: float
    gradient: dict

    def norm(self, names: Sequence[str]) -> float:
        return math.sqrt(math.fsum(g * g for n in names if self.gradient[n] is not None
                                   for g in elements(self.gradient[n])[1]))


def at(tape: Tape, inputs: Mapping[str, object], convention: str = DEFAULT_CONVENTION) -> Point:
    result = differentiate(tape, dict(inputs), forward_mode=False, convention=convention)
    if result.tensor:
        return _tensor_point(result, inputs)
    gradient = result.gradient()
    return Point(dict(inputs), float(result.value), {name: float(gradient[name]) for name in tape.inputs})


def _tensor_point(result, inputs: Mapping[str, object]) -> Point:
    """A tensor program's point: each gradient as nested lists of floats in its input's shape (zeros where the
    output does not depend on the input), None for an input used only as an index."""
    tape = result.tape
    gradient: dict = {}
    for name, i in tape.inputs.items():
        shape, g = tape.nodes[i].shape, result.grads[i]
        if name in result.no_gradient:
            gradient[name] = None
        elif g is None:
            gradient[name] = nested(shape, [0.0] * math.prod(shape)) if shape else 0.0
        else:
            flat = [float(x) for x in result.flat(g)]
            gradient[name] = nested(shape, flat) if shape else flat[0]
    return Point(dict(inputs), float(result.value), gradient)


def index_inputs(tape: Tape) -> dict[str, str]:
    """The inputs of a tensor program used as an index (name -> the first operation it indexes): they hold
    whole numbers, so no step moves them. None in a program of numbers."""
    if not tape.tensor:
        return {}
    from ..engine.shaping import index_uses

    return index_uses(tape)


def check_moving(tape: Tape, names: Sequence[str], option: str = "--update") -> None:
    """A usage error if one of `names` is an index, which a step would move off its whole number."""
    indices = index_inputs(tape)
    for name in names:
        if name in indices:
            raise UsageError(f"{option} {name}: {name} is an index in {indices[name]}, a whole number, so a step "
                             f"cannot move it (leave it out of {option})")


def label_of(tape: Tape) -> str:
    """The output's name in the messages: its name, or `out` for a bare expression (as the tables call it)."""
    return tape.output_name or "out"


@dataclass(frozen=True)
class Stepped:
    """One gradient step: the point before and after it; `worse` when it made the value worse (grew in a descent,
    fell in an ascent), with a smaller learning rate to try (`suggestion`)."""

    before: Point
    after: Point
    worse: bool
    suggestion: Suggestion | None


def gradient_step(tape: Tape, inputs: Mapping[str, float], lr: float, names: Sequence[str],
                  ascent: bool = False, convention: str = DEFAULT_CONVENTION) -> Stepped:
    """One plain gradient step x ← x ∓ lr·∂f/∂x on `names`. `convention`: the derivative taken at a kink
    (engine/conventions.py). A step that leaves the finite numbers is a MathError naming the learning rate and
    a smaller one to try."""
    check_moving(tape, names)
    before = at(tape, inputs, convention)
    label = label_of(tape)

    def advice() -> Suggestion | None:
        return suggest(lr, label, ascent, before.value, lambda smaller: _value_at(
            tape, lambda: _stepped(before, names, smaller, ascent), convention))

    try:
        moved = _stepped(before, names, lr, ascent)
    except StepNotFinite as err:
        raise step_failure(err, advice() if "lr" in err.advice else None) from None
    try:
        after = at(tape, moved, convention)
    except MathError as err:
        quantity, last = _what_failed(tape, moved, convention, before, label, "before the step")
        raise point_failure(err, f"after the step (lr {number(lr)})", quantity, last, advice()) from None
    got_worse = worse(after.value, before.value, ascent)
    return Stepped(before, after, got_worse, advice() if got_worse else None)


def _stepped(before: Point, names: Sequence[str], lr: float, ascent: bool) -> dict:
    """The inputs after one plain step from `before` (StepNotFinite if one leaves the finite numbers)."""
    moved = dict(before.inputs)
    for name in names:
        x, g = before.inputs[name], before.gradient[name]
        if type(x) is list:  # a vector or matrix: each element as a scalar
            shape, xs = elements(x)
            moved[name] = nested(shape, [_moved(name + position_text(e, shape), xe, ge, lr, ascent)
                                         for e, (xe, ge) in enumerate(zip(xs, elements(g)[1]))])
        else:
            moved[name] = _moved(name, x, g, lr, ascent)
    return moved


def _moved(label: str, x: float, g: float, lr: float, ascent: bool) -> float:
    moved = x + lr * g if ascent else x - lr * g
    if not math.isfinite(moved):
        # a smaller --lr helps only when the step itself overflowed: not with --lr 0, nor a gradient not finite
        raise StepNotFinite(f"the step sends {label} to a value that is not a finite number "
                            f"({x!r} {'+' if ascent else '-'} {lr!r} * {g!r})",
                            "lr" if lr > 0 and math.isfinite(g) else "")
    return moved


def _value_at(tape: Tape, inputs, convention: str) -> float | None:
    """The program's value at inputs() (a trial step), None where the step or the value is not finite."""
    try:
        value = at(tape, inputs(), convention).value
    except MathError:
        return None
    return value if math.isfinite(value) else None


def _what_failed(tape: Tape, moved: Mapping[str, object], convention: str, last: Point, label: str,
                 when: str) -> tuple[str, str]:
    """(what is not finite after a step, its last finite value), for the error: the value of the output or the
    gradient of an input, found by the sweeps that go on past a missing number. A tensor program (whose engine
    keeps no undefined entries yet) names the value before the step instead."""
    fallback = "", f"{label} was {number(last.value)} {when}"
    if tape.tensor:
        return fallback
    from ..base.undefined import Undefined

    try:
        result = differentiate(tape, dict(moved), forward_mode=False, convention=convention, keep_undefined=True)
    except MathError:
        return fallback
    verb = {"too large": "overflows", "undefined": "is undefined"}
    if isinstance(result.value, Undefined):
        return (f"the value of {label} {verb.get(result.value.word, 'is not a finite number')}",
                f"its last finite value was {number(last.value)}, {when}")
    gradient = result.gradient()
    for name in tape.inputs:
        if isinstance(gradient[name], Undefined):
            return (f"∂{label}/∂{name} {verb.get(gradient[name].word, 'is not a finite number')}",
                    f"its last finite value was {number(last.gradient[name])}, {when}")
    return fallback


@dataclass(frozen=True)
class Record:
    """Step k: the point the step was taken from (its value, inputs and gradient)."""

    step: int
    point: Point


@dataclass(frozen=True)
class Finish:
    steps: int  # steps taken
    stopped: str  # "steps", "gradient", "change" or "not finite"
    final: Point  # the last point reached with every number finite
    start: Point
    diverging: Diverging | None = None  # a run of steps that kept making the value worse (watch.diverging)
    suggestion: Suggestion | None = None  # with `diverging`: a smaller learning rate to try
    failure: MathError | None = None  # stopped "not finite": the error to raise once the steps so far are shown


def optimize(tape: Tape, inputs: Mapping[str, float], s: Settings, steps: int, names: Sequence[str],
             tol: float | None = None, convention: str = DEFAULT_CONVENTION) -> Iterator[Record | Finish]:
    """Yield a Record per step, then a Finish. Stops early, with --tol, when the gradient norm over the updated
    inputs is <= tol, or when the value changed by <= tol in the last step; and when a step leaves the finite
    numbers (the Finish holds the error, which the command raises after showing the steps taken)."""
    check_moving(tape, names)
    optimizer = Optimizer(s, names)
    point = start = at(tape, inputs, convention)
    label = label_of(tape)
    values = [start.value]
    previous = None
    taken = 0
    stopped = "steps"
    failure = None

    def advice() -> Suggestion | None:
        return suggest(s.lr, label, s.ascent, start.value, lambda smaller: _value_at(
            tape, lambda: Optimizer(replace(s, lr=smaller), names).update(start.inputs, start.gradient),
            convention))

    for k in range(1, steps + 1):
        if tol is not None and point.norm(names) <= tol:
            stopped = "gradient"
            break
        if tol is not None and previous is not None and abs(point.value - previous.value) <= tol:
            stopped = "change"
            break
        yield Record(k, point)
        when = f"after step {k - 1}" if k > 1 else "at the start"
        try:
            moved = optimizer.update(point.inputs, point.gradient)
            try:
                reached = at(tape, moved, convention)
            except MathError as err:
                quantity, last = _what_failed(tape, moved, convention, point, label, when)
                failure = point_failure(err, f"after step {k} of {s.optimizer}", quantity, last,
                                        advice() if s.lr > 0 else None, diverging(values, s.ascent), label)
        except StepNotFinite as err:
            failure = step_failure(err, advice() if "lr" in err.advice else None, diverging(values, s.ascent),
                                   label)
        if failure is not None:
            stopped = "not finite"
            break
        previous, point = point, reached
        values.append(point.value)
        taken = k
    growth = diverging(values, s.ascent)
    yield Finish(taken, stopped, point, start, growth, advice() if growth and failure is None else None, failure)
