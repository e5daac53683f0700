"""Observe PyTorch on graphs of tensor operations: values, gradients and forward-mode tangents (issue 14).

Not a test and not part of the package: run it with a python that has torch installed (a scratch venv,
never the project's), in float64:

    /tmp/oracle/bin/python tests/data/observe_tensors.py > tests/data/tensor_observations.json

Each case is a graph written as the tensor sweeps read it (engine/tensor/sweeps.py): `steps`, one per node,
[op, argument positions, params], where op "input" is a leaf; `leaves` gives every leaf's value (position ->
number or nested lists); `variables` are the leaves differentiated; `output` the node differentiated. Here
each step is run by the PyTorch function named in TORCH below. Recorded: `value` (the output), `gradients`
(position -> d L / d leaf, L = the output, or sum(upstream * output) when the output is a tensor, with
`upstream` given), and `jvp` (the output's tangent given the variables' `tangents`, torch.func.jvp).

An index in params is a list of items: an int, {"slice": [start, stop, step]} or {"variable": k} (the value of
argument k). Random values come from a seeded generator, rounded to 3 decimals, and are written in the file.
"""
from __future__ import annotations

import json
import platform
import random
import sys

RNG = random.Random(14)


def numbers(shape, low=-2.0, high=2.0):
    """Nested lists of `shape` with seeded random values (rounded to 3 decimals)."""
    if not shape:
        return round(RNG.uniform(low, high), 3)
    return [numbers(shape[1:], low, high) for _ in range(shape[0])]


class Graph:
    def __init__(self, name: str, note: str = "") -> None:
        self.name, self.note = name, note
        self.steps, self.leaves, self.variables = [], {}, []

    def input(self, value, variable: bool = True) -> int:
        self.steps.append(["input", [], {}])
        position = len(self.steps) - 1
        self.leaves[position] = value
        if variable:
            self.variables.append(position)
        return position

    def op(self, name: str, *args: int, **params) -> int:
        self.steps.append([name, list(args), params])
        return len(self.steps) - 1


def shape_of(value):
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


CASES: list[Graph] = []


def case(name, note=""):
    graph = Graph(name, note)
    CASES.append(graph)
    return graph


def one(name, shapes, domain=(-2.0, 2.0), constants=None, note="", **params):
    """A graph of one operation over fresh inputs of `shapes` (constants: {argument: value} not differentiated)."""
    g = case(name, note)
    args = []
    for k, shape in enumerate(shapes):
        if constants and k in constants:
            args.append(g.input(constants[k], variable=False))
        else:
            low, high = domain[k] if isinstance(domain[0], tuple) else domain
            args.append(g.input(numbers(shape, low, high)))
    g.op(name, *args, **params)
    return g


def build_cases():
    # -- elementwise, with broadcasting
    one("add", [(2, 3), (3,)], note="a bias broadcast over rows")
    one("sub", [(2, 1), (3,)])
    one("mul", [(2, 3), (2, 1)])
    one("div", [(2, 3), (3,)], domain=((-2.0, 2.0), (0.5, 2.0)))
    one("pow", [(2, 3), ()], domain=((0.5, 2.0), (-1.5, 2.5)))
    one("pow", [(3,), ()], constants={1: 2.0}, note="x^2: the exponent a constant")
    for name in ("neg", "exp", "sin", "cos", "tanh", "sigmoid", "atan", "asinh", "erf", "silu", "gelu", "expm1",
                 "sinh", "cosh"):
        one(name, [(2, 3)])
    for name in ("log", "sqrt", "log2", "log10", "log1p"):
        one(name, [(2, 3)], domain=(0.2, 3.0))
    for name in ("asin", "acos", "atanh"):
        one(name, [(2, 3)], domain=(-0.9, 0.9))
    one("acosh", [(2, 3)], domain=(1.2, 3.0))
    one("atan2", [(2, 3), (3,)])
    one("hypot", [(2, 3), (2, 3)])
    g = case("relu", "relu at 0 (elements 0.0): derivative 0, PyTorch's choice")
    g.op("relu", g.input([[-1.0, 0.0, 2.0], [0.5, -0.25, 0.0]]))
    g = case("abs", "abs at 0: derivative 0")
    g.op("abs", g.input([-1.5, 0.0, 2.0]))
    g = case("leaky_relu", "leaky_relu(z, 0.2), the slope a constant; at 0 the slope")
    g.op("leaky_relu", g.input([[-1.0, 0.0, 2.0], [0.5, -0.25, 3.0]]), g.input(0.2, variable=False))
    g = case("elu")
    g.op("elu", g.input(numbers((2, 3))), g.input(0.5, variable=False))
    g = case("softplus")
    g.op("softplus", g.input(numbers((2, 3))), g.input(1.5, variable=False))
    g = case("max_elementwise", "torch.maximum: a tie splits the gradient evenly")
    g.op("max_elementwise", g.input([1.0, 2.0, -3.0]), g.input([[0.5, 2.0, 1.0], [1.0, 4.0, -3.0]]))
    g = case("min_elementwise", "torch.minimum")
    g.op("min_elementwise", g.input([1.0, 2.0, -3.0]), g.input([0.5, 2.0, 1.0]))
    # -- matrix products
    one("matmul", [(2, 3), (3, 4)])
    one("matmul", [(2, 3), (3,)], note="matrix @ vector")
    one("matmul", [(3,), (3, 2)], note="vector @ matrix")
    one("matmul", [(3,), (3,)], note="a dot product")
    one("matmul", [(2, 2, 3), (3, 4)], note="a batch of matrices @ a matrix")
    one("matmul", [(1, 2, 3), (4, 3, 2)], note="batch axes broadcast")
    one("matmul", [(2, 2, 3), (3,)], note="a batch @ a vector")
    one("transpose", [(2, 3)])
    one("transpose", [(2, 3, 4)], note="every axis reversed, as NumPy's .T")
    # -- indexing
    for index in ([{"slice": [None, None, None]}, 0], [1, 0], [0], [-1], [{"slice": [None, None, -1]}, {"slice": [1, None, None]}],
                  [{"slice": [-2, None, None]}, {"slice": [None, None, 2]}], [1, {"slice": [0, 3, 2]}]):
        one("index", [(3, 4)], index=index)
    g = case("index", "x[k], k an input's value (not differentiated)")
    g.op("index", g.input(numbers((5,))), g.input(3.0, variable=False), index=[{"variable": 1}])
    g = case("stack", "a literal [a, b, c] of scalars")
    g.op("stack", g.input(1.5), g.input(-2.0), g.input(0.25))
    g = case("stack", "rows stacked into a matrix")
    g.op("stack", g.input(numbers((3,))), g.input(numbers((3,))))
    # -- reductions
    for name in ("sum", "mean", "max", "min", "logsumexp"):
        for axis in (None, 0, -1):
            params = {} if axis is None else {"axis": axis}
            one(name, [(3, 4)], **params)
    g = case("max", "a tie: torch.amax (and torch.max(t)) split the gradient evenly; torch.max(t, dim) would not")
    g.op("max", g.input([1.0, 3.0, 3.0, 2.0]))
    g = case("max", "ties along an axis: torch.amax(t, dim=1)")
    g.op("max", g.input([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]), axis=1)
    g = case("min", "ties along axis 0: torch.amin(t, dim=0)")
    g.op("min", g.input([[1.0, 3.0, 0.0], [2.0, 2.0, 0.0]]), axis=0)
    g = case("logsumexp", "large logits: the naive formula overflows")
    g.op("logsumexp", g.input([1000.0, 1001.0]))
    one("norm", [(2, 3)])
    g = case("norm", "at 0: PyTorch's gradient is 0")
    g.op("norm", g.input([0.0, 0.0, 0.0]))
    # -- softmax and losses
    one("softmax", [(4,)])
    one("softmax", [(2, 3)], axis=0)
    one("log_softmax", [(2, 4)])
    g = case("softmax", "large logits")
    g.op("softmax", g.input([1000.0, 1001.0]))
    g = case("log_softmax", "large logits")
    g.op("log_softmax", g.input([1000.0, 1001.0]))
    g = case("cross_entropy", "Karpathy's answer key: logits [0, 3, -2, 1], class 3")
    g.op("cross_entropy", g.input([0.0, 3.0, -2.0, 1.0]), g.input(3.0, variable=False))
    g = case("cross_entropy", "large logits, class 0")
    g.op("cross_entropy", g.input([1000.0, 1001.0]), g.input(0.0, variable=False))
    g = case("cross_entropy", "a batch of 3 with class indices: the mean over the batch")
    g.op("cross_entropy", g.input(numbers((3, 4))), g.input([2.0, 0.0, 3.0], variable=False))
    g = case("cross_entropy", "a probability vector as the target (differentiated too)")
    g.op("cross_entropy", g.input(numbers((4,))), g.input([0.1, 0.2, 0.3, 0.4]))
    g = case("cross_entropy", "a batch with probability rows")
    g.op("cross_entropy", g.input([[0.0, 3.0, -2.0, 1.0], [1.0, 1.0, 1.0, 1.0]]),
         g.input([[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 0.5, 0.5]]))
    one("mse", [(2, 3), (2, 3)])
    one("mse", [(3,), ()], note="against a scalar target")
    # -- whole computations
    g = case("karpathy step by step", "the same loss as cross_entropy, written out: -(logits - logsumexp)[3]")
    z = g.input([0.0, 3.0, -2.0, 1.0])
    g.op("neg", g.op("index", g.op("log_softmax", z), index=[3]))
    g = case("mlp", "a 2-layer MLP, softmax cross-entropy: X (6, 4), W1 (4, 5), b1 (5,), W2 (5, 3), b2 (3,)")
    X, W1, b1 = g.input(numbers((6, 4)), variable=False), g.input(numbers((4, 5), -1, 1)), g.input(numbers((5,)))
    W2, b2 = g.input(numbers((5, 3), -1, 1)), g.input(numbers((3,)))
    y = g.input([0.0, 2.0, 1.0, 1.0, 0.0, 2.0], variable=False)
    hidden = g.op("tanh", g.op("add", g.op("matmul", X, W1), b1))
    g.op("cross_entropy", g.op("add", g.op("matmul", hidden, W2), b2), y)
    g = case("nielsen", "Nielsen's BP1-BP4 on a 2-3-2 network: sigmoid layers, quadratic cost 0.5 * sum((a - y)^2)")
    x, W1, b1 = g.input([0.3, -0.8], variable=False), g.input(numbers((3, 2), -1, 1)), g.input(numbers((3,)))
    W2, b2 = g.input(numbers((2, 3), -1, 1)), g.input(numbers((2,)))
    target, half = g.input([1.0, 0.0], variable=False), g.input(0.5, variable=False)
    a1 = g.op("sigmoid", g.op("add", g.op("matmul", W1, x), b1))
    a2 = g.op("sigmoid", g.op("add", g.op("matmul", W2, a1), b2))
    g.op("mul", half, g.op("sum", g.op("pow", g.op("sub", a2, target), g.input(2.0, variable=False))))
    g = case("weight decay", "d2l's one-hidden-layer network with an L2 penalty: mse + lambda * (norm(W1)^2 + norm(W2)^2)")
    X, W1, W2 = g.input(numbers((4, 3)), variable=False), g.input(numbers((3, 2), -1, 1)), g.input(numbers((2, 1), -1, 1))
    t = g.input(numbers((4, 1)), variable=False)
    loss = g.op("mse", g.op("matmul", g.op("relu", g.op("matmul", X, W1)), W2), t)
    two = g.input(2.0, variable=False)
    penalty = g.op("add", g.op("pow", g.op("norm", W1), two), g.op("pow", g.op("norm", W2), two))
    g.op("add", loss, g.op("mul", g.input(0.01, variable=False), penalty))
    g = case("forks", "one input used three times, broadcast in two of them: the gradients sum")
    x = g.input(numbers((3,)))
    g.op("sum", g.op("mul", g.op("add", g.op("matmul", g.input(numbers((3, 3)), variable=False), x), g.op("sum", x)), x))


def torch_table():
    import torch
    import torch.nn.functional as F

    def elementwise(f):
        return lambda a, p: f(*a)

    def reduction(all_elements, along):
        return lambda a, p: all_elements(a[0]) if p.get("axis") is None else along(a[0], p["axis"])

    def index(a, p):
        items = []
        for item in p["index"]:
            if isinstance(item, dict) and "slice" in item:
                items.append(slice(*item["slice"]))
            elif isinstance(item, dict):
                items.append(int(a[item["variable"]].item()))
            else:
                items.append(item)
        if any(isinstance(i, slice) and (i.step or 1) < 0 for i in items):  # torch has no negative steps
            flips = [d for d, i in enumerate(items) if isinstance(i, slice) and (i.step or 1) < 0]
            x = a[0].flip(flips)
            items = [slice(None, None, -i.step) if d in flips else i for d, i in enumerate(items)]
            return x[tuple(items)]
        return a[0][tuple(items)]

    def cross_entropy(a, p):
        logits, target = a
        if target.shape != logits.shape:
            target = target.long()
        return F.cross_entropy(logits, target)

    table = {
        "add": elementwise(torch.add), "sub": elementwise(torch.sub), "mul": elementwise(torch.mul),
        "div": elementwise(torch.div), "pow": elementwise(torch.pow), "atan2": elementwise(torch.atan2),
        "hypot": elementwise(torch.hypot),
        "leaky_relu": lambda a, p: F.leaky_relu(a[0], float(a[1])),
        "elu": lambda a, p: F.elu(a[0], float(a[1])),
        "softplus": lambda a, p: F.softplus(a[0], float(a[1]), threshold=1000.0),  # ops.py: no threshold
        "silu": elementwise(F.silu), "gelu": elementwise(F.gelu),
        "max_elementwise": elementwise(torch.maximum), "min_elementwise": elementwise(torch.minimum),
        "matmul": elementwise(torch.matmul),
        "transpose": lambda a, p: a[0].permute(*reversed(range(a[0].ndim))),
        "index": index,
        "stack": lambda a, p: torch.stack(a),
        "sum": reduction(torch.sum, torch.sum),
        "mean": reduction(torch.mean, torch.mean),
        "max": reduction(torch.amax, torch.amax),
        "min": reduction(torch.amin, torch.amin),
        "logsumexp": reduction(lambda x: torch.logsumexp(x.reshape(-1), 0), torch.logsumexp),
        "norm": lambda a, p: torch.linalg.norm(a[0].reshape(-1)),
        "softmax": lambda a, p: torch.softmax(a[0], p.get("axis", -1)),
        "log_softmax": lambda a, p: torch.log_softmax(a[0], p.get("axis", -1)),
        "cross_entropy": cross_entropy,
        "mse": lambda a, p: F.mse_loss(*torch.broadcast_tensors(*a)),
    }
    for name in ("neg", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "atan", "asinh",
                 "erf", "expm1", "sinh", "cosh", "log2", "log10", "log1p", "asin", "acos", "atanh", "acosh"):
        table[name] = elementwise(getattr(torch, name))
    return table


def observe(graph: Graph, table) -> dict:
    import torch

    output = len(graph.steps) - 1

    def run(*variables):
        given = dict(zip(graph.variables, variables))
        values = {}
        for i, (op, args, params) in enumerate(graph.steps):
            if op == "input":
                values[i] = given[i] if i in given else torch.tensor(graph.leaves[i], dtype=torch.float64)
            else:
                values[i] = table[op]([values[a] for a in args], params)
        return values[output]

    leaves = [torch.tensor(graph.leaves[v], dtype=torch.float64, requires_grad=True) for v in graph.variables]
    out = run(*leaves)
    upstream = None if out.ndim == 0 else numbers(tuple(out.shape))
    loss = out if upstream is None else (out * torch.tensor(upstream, dtype=torch.float64)).sum()
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    tangents = {v: numbers(shape_of(graph.leaves[v])) for v in graph.variables}
    _, jvp = torch.func.jvp(run, tuple(torch.tensor(graph.leaves[v], dtype=torch.float64) for v in graph.variables),
                            tuple(torch.tensor(tangents[v], dtype=torch.float64) for v in graph.variables))
    return {
        "name": graph.name, "note": graph.note, "steps": graph.steps,
        "leaves": {str(k): v for k, v in graph.leaves.items()}, "variables": graph.variables, "output": output,
        "value": out.tolist(), "upstream": upstream,
        "gradients": {str(v): (None if g is None else g.tolist()) for v, g in zip(graph.variables, grads)},
        "tangents": {str(v): t for v, t in tangents.items()}, "jvp": jvp.tolist(),
    }


def main() -> int:
    import torch

    torch.set_default_dtype(torch.float64)
    build_cases()
    table = torch_table()
    document = {
        "torch": torch.__version__, "dtype": "float64", "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
        "how": "/tmp/oracle/bin/python tests/data/observe_tensors.py (scratch venv: pip install torch==2.13.0 numpy); "
               "gradients by torch.autograd.grad, tangents by torch.func.jvp",
        "cases": [observe(graph, table) for graph in CASES],
    }
    json.dump(document, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
