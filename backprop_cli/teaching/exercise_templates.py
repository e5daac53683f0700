"""The templates of `backprop generate`: each draws a program and its numbers from a random.Random.

The numbers are chosen so that every answer is exact and short. Sums, products and quotients of small
decimals are. Sigmoid, tanh and softmax are irrational at rational points, so their arguments are
made logarithms of small integers, where they are rational: σ(log k) = k/(k+1) (σ(log 3) = 3/4),
tanh(log k) = (k² - 1)/(k² + 1) (tanh(log 2) = 3/5), and logits log 1, log 2, log 3 give the
probabilities 1/6, 2/6, 3/6. A neuron gets there with weights orthogonal to its inputs and a bias
log k, or with a bias that cancels the weighted sum (σ(0) = 1/2). In Mazur's network, whose hidden
units share the bias b1 and whose outputs share b2, this makes h1 = h2 and o1 = o2 = 1/2: two
pre-activations that differ by a rational number other than 0 cannot both be of the form log k.
Their weights, and so their gradients, still differ, and the targets are drawn so that the two
output errors do not cancel in the hidden layer. Where a draw does not fit (a weight that is no
short decimal) the template returns None and the caller draws again; exercises.py then checks the
draft with the engine (no kink, nothing undefined, every answer short and not 0).
"""
from __future__ import annotations

import random
from fractions import Fraction
from typing import NamedTuple


class Draft(NamedTuple):
    """What a template draws: the program (one statement a line), the inputs, what to compute."""

    statements: tuple[str, ...]
    given: tuple[tuple[str, str], ...]  # (name, value as typed on the command line), in the order shown
    targets: tuple[str, ...]  # answer names as `check` reads them: value, w1 (a gradient), p.value
    closed_forms: tuple[tuple[str, str], ...] = ()  # (target, expression) for answers that are irrational
    hint: str = ""  # one sentence for the sheet, or ""


class Template(NamedTuple):
    name: str
    summary: str  # one line, for --list
    draw: object  # (random.Random) -> Draft | None (None: this draw does not fit, draw again)


# Small numbers, as typed: whole numbers and halves, never 0 (a factor of 0 makes dull gradients).
WHOLE = (-3, -2, -1, 1, 2, 3)
HALVES = (Fraction(-3, 2), Fraction(-1, 2), Fraction(1, 2), Fraction(3, 2))
TENTHS = tuple(Fraction(k, 10) for k in range(1, 10))
LOG_OF = {Fraction(1, 3): "-log(3)", Fraction(1, 2): "-log(2)", Fraction(2): "log(2)", Fraction(3): "log(3)",
          Fraction(4): "log(4)"}


def decimal(value: Fraction, places: int = 2) -> str | None:
    """`value` as a decimal a student types (0.5, -1.25, 3), or None if it needs more than `places` places."""
    scaled = value * 10 ** places
    if scaled.denominator != 1:
        return None
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    whole, rest = divmod(abs(scaled.numerator), 10 ** places)
    return f"{sign}{whole}.{str(rest).rjust(places, '0').rstrip('0')}"


def _small(rng: random.Random) -> Fraction:
    return Fraction(rng.choice(WHOLE)) if rng.random() < 0.7 else rng.choice(HALVES)


def _given(**values) -> tuple[tuple[str, str], ...]:
    return tuple((name, value if isinstance(value, str) else decimal(value)) for name, value in values.items())


# ---------------------------------------------------------------------------------------------
# chain: one path through a few operations

_CHAIN_FORMS = (
    (("u = a*x + b", "L = u^2"), ("a", "x", "b"), ("value", "u", "a", "x", "b")),
    (("u = a*x - b", "v = u^3", "L = v / c"), ("a", "x", "b", "c"), ("value", "v", "u", "a", "x", "b", "c")),
    (("u = x^2 + a", "L = b / u"), ("x", "a", "b"), ("value", "u", "x", "a", "b")),
)


def draw_chain(rng: random.Random) -> Draft | None:
    statements, names, targets = rng.choice(_CHAIN_FORMS)
    values = {name: _small(rng) for name in names}
    if "c" in values:  # u^3 / c: u kept small, so the answers stay short
        values["c"] = Fraction(rng.choice((-4, -2, 2, 3, 4)))
        if abs(values["a"] * values["x"] - values["b"]) > 2:
            return None
    return Draft(statements, _given(**values), targets,
                 hint="Each input reaches L along one path: multiply the local derivatives along it.")


# ---------------------------------------------------------------------------------------------
# neuron: z = w·x + b, an activation, a squared error

def _activation_point(rng: random.Random, act: str):
    """(w1, x1, w2, x2, b text) with z = w1*x1 + w2*x2 + b where act(z) is rational, or None."""
    x1, x2, w1 = _small(rng), _small(rng), _small(rng)
    if act == "relu" or rng.random() < 0.4:  # a bias that makes z chosen: 0 (sigmoid, tanh) or > 0 (relu)
        w2 = _small(rng)
        z = Fraction(rng.choice((1, 2, 3))) if act == "relu" else Fraction(0)
        b = z - (w1 * x1 + w2 * x2)
        text = decimal(b)
        return None if text is None or b == 0 else (w1, x1, w2, x2, text)
    w2 = -w1 * x1 / x2  # the weights orthogonal to the inputs: z is the bias, log k
    if decimal(w2) is None or abs(w2) > 4:
        return None
    return w1, x1, w2, x2, LOG_OF[rng.choice(list(LOG_OF))]


def draw_neuron(rng: random.Random) -> Draft | None:
    act = rng.choice(("sigmoid", "tanh", "relu"))
    point = _activation_point(rng, act)
    if point is None:
        return None
    w1, x1, w2, x2, b = point
    targets_of = {"sigmoid": (0, 1), "tanh": (-1, 0, 1), "relu": (-1, 0, 1, 2)}
    t = Fraction(rng.choice(targets_of[act]))
    hint = "log is the natural logarithm (log(3) = ln 3)." if "log" in b else ""
    return Draft(("z = w1*x1 + w2*x2 + b", f"y = {act}(z)", "L = (y - t)^2 / 2"),
                 _given(x1=x1, x2=x2, w1=w1, w2=w2, b=b, t=t), ("value", "y", "z", "w1", "w2", "b"), hint=hint)


# ---------------------------------------------------------------------------------------------
# fork: two inputs, one of them used twice

_FORK_FORMS = (
    (("q = x + y", "p = x * y", "f = q * p"), ("value", "q", "p", "x", "y")),
    (("q = x - y", "f = q * x"), ("value", "q", "x", "y")),
    (("q = x + y", "f = x / q"), ("value", "q", "x", "y")),
    (("q = x * y", "r = q + x", "f = r * y"), ("value", "r", "q", "x", "y")),
)


def draw_fork(rng: random.Random) -> Draft | None:
    statements, targets = rng.choice(_FORK_FORMS)
    return Draft(statements, _given(x=_small(rng), y=_small(rng)), targets,
                 hint="An input used by two nodes gets a gradient from each: they add.")


# ---------------------------------------------------------------------------------------------
# mazur: Matt Mazur's 2-2-2 sigmoid network, squared error, with new numbers

MAZUR = (
    "h1 = sigmoid(w1*i1 + w2*i2 + b1)",
    "h2 = sigmoid(w3*i1 + w4*i2 + b1)",
    "o1 = sigmoid(w5*h1 + w6*h2 + b2)",
    "o2 = sigmoid(w7*h1 + w8*h2 + b2)",
    "E = 0.5*(target_o1 - o1)^2 + 0.5*(target_o2 - o2)^2",
)
_INPUTS = tuple(Fraction(k, 100) for k in (5, 10, 15, 20, 25, 30, 40, 50))


def _hidden(rng: random.Random, i1: Fraction, i2: Fraction):
    """(w1, w2, w3, w4, b1 text, h) with both hidden pre-activations equal: log k (h = k/(k+1)) or 0."""
    w1, w3 = rng.choice(TENTHS), rng.choice(TENTHS)
    if rng.random() < 0.5:  # weights orthogonal to the inputs, b1 = log k
        k = rng.choice((2, 3, 4))
        return w1, -w1 * i1 / i2, w3, -w3 * i1 / i2, f"log({k})", Fraction(k, k + 1)
    w2 = rng.choice(TENTHS)
    w4 = (w1 * i1 + w2 * i2 - w3 * i1) / i2
    return w1, w2, w3, w4, decimal(-(w1 * i1 + w2 * i2), 3), Fraction(1, 2)


def _output(rng: random.Random, h: Fraction):
    """(w5, w6, w7, w8, b2 text) with both output pre-activations 0 (o1 = o2 = 1/2). A bias log k would need
    w6 = -w5 and w8 = -w7, which mirrors the hidden layer's gradients (∂E/∂w3 = -∂E/∂w1)."""
    w5, w6, w7 = rng.choice(TENTHS), rng.choice(TENTHS), rng.choice(TENTHS)
    w8 = w5 + w6 - w7
    return w5, w6, w7, w8, decimal(-h * (w5 + w6), 3)


def draw_mazur(rng: random.Random) -> Draft | None:
    i1, i2 = rng.choice(_INPUTS), rng.choice(_INPUTS)
    w1, w2, w3, w4, b1, h = _hidden(rng, i1, i2)
    w5, w6, w7, w8, b2 = _output(rng, h)
    weights = (w1, w2, w3, w4, w5, w6, w7, w8)
    if b1 is None or b2 is None or any(w == 0 or decimal(w, 3) is None for w in weights):
        return None
    if i1 == i2 or w3 == w1 or w7 == w5:  # the same gradients twice over
        return None
    t1, t2 = rng.sample([Fraction(k, 100) for k in (10, 20, 25, 75, 80, 90)], 2)
    if t1 + t2 == 1:  # with o1 = o2 their errors would cancel in the hidden layer, mirroring its gradients
        return None
    given = (("i1", decimal(i1)), ("i2", decimal(i2)),
             *((f"w{k}", decimal(w, 3)) for k, w in enumerate(weights[:4], 1)), ("b1", b1),
             *((f"w{k}", decimal(w, 3)) for k, w in enumerate(weights[4:], 5)), ("b2", b2),
             ("target_o1", decimal(t1)), ("target_o2", decimal(t2)))
    return Draft(MAZUR, given, ("value", "w5", "w6", "w7", "w8", "w1", "w2", "w3", "w4"),
                 hint="log is the natural logarithm (log(3) = ln 3)." if "log" in b1 + b2 else "")


# ---------------------------------------------------------------------------------------------
# softmax: cross-entropy over three logits

def draw_softmax(rng: random.Random) -> Draft | None:
    weights = [rng.randint(1, 6) for _ in range(3)]
    k = rng.randrange(3)
    logits = "[" + ", ".join("0" if w == 1 else f"log({w})" for w in weights) + "]"
    ratio = Fraction(sum(weights), weights[k])
    return Draft(("p = softmax(z)", "loss = -log(p[k])"), (("z", logits), ("k", str(k))),
                 ("p.value", "value", "p", "z"), closed_forms=(("value", f"log({ratio})"),),
                 hint="log is the natural logarithm; the classes are counted from 0. The loss is a logarithm: "
                      "write it as one, log(2) say, or to 4 decimals.")


TEMPLATES = {
    "chain": Template("chain", "a chain-rule expression: one path from each input to the output", draw_chain),
    "neuron": Template("neuron", "a neuron, z = w1*x1 + w2*x2 + b, an activation, and a squared error",
                       draw_neuron),
    "fork": Template("fork", "a two-input circuit with a fork: an input used twice, whose gradients add",
                     draw_fork),
    "mazur": Template("mazur", "Matt Mazur's 2-2-2 sigmoid network with a squared error, with new numbers",
                      draw_mazur),
    "softmax": Template("softmax", "softmax cross-entropy over three logits", draw_softmax),
}
