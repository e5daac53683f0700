"""Programs of a given number of operations, in the shapes that break recursive code (for test_deep.py and
test_formula_round_trip.py). Each shape uses several inputs; `point` is a place where its values stay finite."""
from __future__ import annotations


def chain(ops: int) -> str:
    """((x*a + b)*a + b)*a + b ...: one chain, as deep as the program is long (2 operations a level)."""
    levels = ops // 2
    return "(" * levels + "x" + "*a + b)" * levels


def balanced(ops: int) -> str:
    """A wide balanced expression: sin(a*2), cos(b*3), ... joined level by level by (u - v)/2 and u*v (3.5
    operations a leaf)."""
    names = ("a", "b", "c", "x")
    items = [f"{('sin', 'cos')[i % 2]}({names[i % 4]}*{i % 89 + 2})" for i in range(max(2, ops * 2 // 7))]
    level = 0
    while len(items) > 1:
        joined = [f"({items[i]}*{items[i + 1]})" if level % 2 else f"({items[i]} - {items[i + 1]})/2"
                  for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            joined.append(items[-1])
        items = joined
        level += 1
    return items[0]


def sines(ops: int) -> str:
    """sin(sin(...sin(x*a)...)) + b: nested functions."""
    return "sin(" * (ops - 2) + "x*a" + ")" * (ops - 2) + " + b"


def product(ops: int) -> str:
    """x*y*z*x*y*z...: one long product."""
    return "*".join("xyz"[i % 3] for i in range(ops + 1))


def quotients(ops: int) -> str:
    """x/y/z/x/...: a chain of divisions, leaning left."""
    return "/".join("xyz"[i % 3] for i in range(ops + 1))


def nested_quotients(ops: int) -> str:
    """x/(y/(x/(y/...))): divisions nested to the right."""
    return "/(".join("xy"[i % 2] for i in range(ops + 1)) + ")" * ops


def right_sum(ops: int) -> str:
    """x - (y + (x - (y + ...))): sums nested to the right."""
    return "".join(f"{'xy'[i % 2]} {'-+'[i % 2]} (" for i in range(ops)) + "x" + ")" * ops


def powers(ops: int) -> str:
    """x^y^x^...: right-associative powers."""
    return "^".join("xy"[i % 2] for i in range(ops + 1))


def mixed(ops: int) -> str:
    """(((x*a + tanh(b))/c - exp(x/9))...: several kinds of operation in one deep chain (7 operations a level)."""
    levels = ops // 7
    return "((" * levels + "x" + "*a + tanh(b))/c - exp(x/9))" * levels


SHAPES = {f.__name__: f for f in (chain, balanced, sines, product, quotients, nested_quotients, right_sum, powers,
                                  mixed)}

# A point for every shape: values and gradients stay finite (products of x, y, z at 1; chains contract).
POINT = {"x": 0.75, "a": 0.9, "b": 0.25, "c": 1.5}
POINTS = {"product": {"x": 1.0, "y": 1.0, "z": 1.0}, "quotients": {"x": 1.0, "y": 1.0, "z": 1.0},
          "nested_quotients": {"x": 1.0, "y": 1.0}, "right_sum": {"x": 0.5, "y": 0.25},
          "powers": {"x": 1.0, "y": 1.0}}


def point(shape: str, tape_inputs) -> dict[str, float]:
    """The inputs of the shape's program at its point (only those the program uses)."""
    values = POINTS.get(shape, POINT)
    return {name: values[name] for name in tape_inputs}
