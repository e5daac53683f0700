"""What PyTorch returns for `backprop optimize` and `backprop hessian` on programs with vectors and matrices.

Run with the oracle venv (see README.md): /tmp/oracle/bin/python tests/data/observe_training.py >
tests/data/training_observations.json. Everything is float64 on the CPU.

- `optimizers`: one problem, E = mse(tanh(W @ x + b), y) over W (2 x 3) and b (2,), three steps of each
  torch.optim optimizer (and settings) that `backprop optimize` offers: the loss before each step and after
  the last, and W and b at the end.
- `hessians`: torch.autograd.functional.hessian of programs over the flattened elements of their inputs,
  in the order the program first uses them (each row-major), with the value.

Each record carries the program as backprop reads it and its bindings, so the tests run exactly that.
"""
from __future__ import annotations

import json
import platform
import sys

import torch
import torch.nn.functional as F
from torch.autograd.functional import hessian

torch.set_default_dtype(torch.float64)

PROBLEM = {
    "program": "E = mse(tanh(W @ x + b), y)",
    "bindings": {"W": [[0.5, -0.3, 0.8], [0.1, 0.4, -0.6]], "b": [0.1, -0.2], "x": [1.0, 2.0, -1.0],
                 "y": [0.5, -1.5]},
    "update": ["W", "b"],
    "steps": 3,
}

# (name, backprop's options, the torch.optim class, its arguments)
OPTIMIZERS = [
    ("sgd", ["--optimizer", "sgd", "--lr", "0.1"], "SGD", {"lr": 0.1}),
    ("momentum", ["--optimizer", "momentum", "--lr", "0.1"], "SGD", {"lr": 0.1, "momentum": 0.9}),
    ("nesterov", ["--optimizer", "momentum", "--lr", "0.05", "--momentum", "0.5", "--nesterov", "--weight-decay",
                  "0.01"], "SGD", {"lr": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01}),
    ("adagrad", ["--optimizer", "adagrad", "--lr", "0.1", "--lr-decay", "0.1", "--initial-accumulator", "0.1"],
     "Adagrad", {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.1}),
    ("rmsprop", ["--optimizer", "rmsprop", "--lr", "0.01"], "RMSprop", {"lr": 0.01}),
    ("rmsprop_centered", ["--optimizer", "rmsprop", "--lr", "0.01", "--alpha", "0.9", "--centered", "--momentum",
                          "0.5"], "RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.5}),
    ("adam", ["--optimizer", "adam", "--lr", "0.1"], "Adam", {"lr": 0.1}),
    ("adam_ascent", ["--optimizer", "adam", "--lr", "0.1", "--beta1", "0.8", "--beta2", "0.99", "--weight-decay",
                     "0.1", "--ascent"], "Adam", {"lr": 0.1, "betas": (0.8, 0.99), "weight_decay": 0.1,
                                                  "maximize": True}),
]

MAZUR = """b1 = 0.35; b2 = 0.60
h = sigmoid(W1 @ i + b1)
o = sigmoid(W2 @ h + b2)
E = 0.5*sum((t - o)^2)"""


def _mazur(p):
    h = torch.sigmoid(p["W1"] @ p["i"] + p["b1"])
    return 0.5 * torch.sum((p["t"] - torch.sigmoid(p["W2"] @ h + p["b2"])) ** 2)


# (name, program, the inputs differentiated in the order the program first uses them, the inputs used as
# indices (bound, not differentiated), torch's function of the inputs differentiated)
HESSIANS = [
    ("mazur", MAZUR,
     {"b1": 0.35, "b2": 0.60, "W1": [[0.15, 0.20], [0.25, 0.30]], "i": [0.05, 0.10],
      "W2": [[0.40, 0.45], [0.50, 0.55]], "t": [0.01, 0.99]}, {}, _mazur),
    ("cross_entropy", "L = cross_entropy(W @ x + b, k)",
     {"W": [[0.2, -0.5], [0.1, 0.4], [-0.3, 0.2]], "x": [1.5, -0.5], "b": [0.1, 0.0, -0.1]}, {"k": 2},
     lambda p: F.cross_entropy((p["W"] @ p["x"] + p["b"]).unsqueeze(0), torch.tensor([2]))),
    ("reductions", "L = sum(softmax(z) * z) + logsumexp(z) + max(z) * mean(z) + norm(z)",
     {"z": [0.5, -1.0, 2.0, 0.3]}, {},
     lambda p: (torch.sum(torch.softmax(p["z"], 0) * p["z"]) + torch.logsumexp(p["z"], 0)
                + torch.max(p["z"]) * torch.mean(p["z"]) + torch.linalg.norm(p["z"]))),
    ("batch_cross_entropy", "L = cross_entropy(X @ W, y)",
     {"X": [[1.0, -0.5, 0.3], [0.2, 0.8, -1.0]], "W": [[0.1, -0.2], [0.4, 0.3], [-0.5, 0.6]]}, {"y": [1, 0]},
     lambda p: F.cross_entropy(p["X"] @ p["W"], torch.tensor([1, 0]))),
    ("probabilities", "L = cross_entropy(z, p)", {"z": [0.3, -0.2, 1.1], "p": [0.2, 0.5, 0.3]}, {},
     lambda p: -torch.sum(p["p"] * torch.log_softmax(p["z"], 0))),
    ("axes", "L = mse(tanh(transpose(A) @ x), y) + sum(log_softmax(A, axis=0) * A) + mean(sum(A * A, axis=1))",
     {"A": [[0.5, -0.3], [0.2, 0.9], [-0.7, 0.4]], "x": [1.0, -2.0, 0.5], "y": [0.3, -0.1]}, {},
     lambda p: (F.mse_loss(torch.tanh(p["A"].T @ p["x"]), p["y"]) + torch.sum(torch.log_softmax(p["A"], 0) * p["A"])
                + torch.mean(torch.sum(p["A"] * p["A"], 1)))),
    ("broadcasting", "L = sum(relu(matmul(W, X) + b) * maximum(X, 0.25) * c) + sum(max(W, axis=0)^2)",
     {"W": [[0.3, -0.2], [0.5, 0.4]], "X": [[1.0, -0.5], [0.7, 2.0]], "b": [0.1, -0.3], "c": 1.5}, {},
     lambda p: (torch.sum(F.relu(p["W"] @ p["X"] + p["b"]) * torch.maximum(p["X"], torch.tensor(0.25)) * p["c"])
                + torch.sum(torch.amax(p["W"], 0) ** 2))),
    ("indexing", "L = sum(W[:, 0] * x[k] + W[1]) + [a, 2*a] @ W[:, 1] + W.T[0, 1]^2 * x[::-1][0]",
     {"W": [[0.5, -1.0], [2.0, 0.3]], "x": [1.0, -2.0, 0.7], "a": 0.4}, {"k": 1},
     lambda p: (torch.sum(p["W"][:, 0] * p["x"][1] + p["W"][1]) + torch.stack([p["a"], 2 * p["a"]]) @ p["W"][:, 1]
                + p["W"].T[0, 1] ** 2 * p["x"].flip(0)[0])),
]


def optimizer_runs() -> list:
    runs = []
    for name, options, kind, kwargs in OPTIMIZERS:
        values = PROBLEM["bindings"]
        W = torch.tensor(values["W"], requires_grad=True)
        b = torch.tensor(values["b"], requires_grad=True)
        x, y = torch.tensor(values["x"]), torch.tensor(values["y"])
        optimizer = getattr(torch.optim, kind)([W, b], **kwargs)

        def loss():
            return F.mse_loss(torch.tanh(W @ x + b), y)

        losses = []
        for _ in range(PROBLEM["steps"]):
            optimizer.zero_grad()
            value = loss()
            losses.append(value.item())
            value.backward()
            optimizer.step()
        losses.append(loss().item())
        runs.append({"name": name, "options": options, "torch": f"torch.optim.{kind}({json.dumps(kwargs)})",
                     "values": losses, "final": {"W": W.tolist(), "b": b.tolist()}})
    return runs


def hessian_runs() -> list:
    runs = []
    for name, program, inputs, indices, function in HESSIANS:
        shapes = {key: torch.tensor(v).shape for key, v in inputs.items()}
        flat = torch.cat([torch.tensor(v).reshape(-1) for v in inputs.values()])

        def of_flat(v, shapes=shapes, function=function):
            parts, k = {}, 0
            for key, shape in shapes.items():
                n = shape.numel()
                parts[key] = v[k:k + n].reshape(shape)
                k += n
            return function(parts)

        runs.append({"name": name, "program": program, "bindings": {**inputs, **indices},
                     "differentiated": list(inputs), "value": of_flat(flat).item(),
                     "hessian": hessian(of_flat, flat).tolist()})
    return runs


def main() -> None:
    document = {
        "version": torch.__version__,
        "dtype": "float64",
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
        "how": "/tmp/oracle/bin/python tests/data/observe_training.py > tests/data/training_observations.json",
        "problem": PROBLEM,
        "optimizers": optimizer_runs(),
        "hessians": hessian_runs(),
    }
    json.dump(document, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
