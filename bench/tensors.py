#!/usr/bin/env python3
"""The tensor engine (backprop_cli/engine/tensor) against PyTorch and hand-written NumPy, in the same run.

    python bench/tensors.py                                    # the table of docs and the commit messages
    python bench/tensors.py --quick                            # fewer repetitions
    python bench/tensors.py --torch-python /tmp/oracle/bin/python   # PyTorch from another interpreter

Every measurement runs in a fresh process (a worker of this script) and prints one JSON line; the parent
prints a Markdown table of times and ratios. Absolute times on a shared machine are noise; the ratios,
taken side by side, are the result. It is a benchmark, not a test: nothing here fails.

Workloads:
- mlp: forward and backward of a 2-layer MLP, input 64, hidden 64 (tanh), output 10, batch 32, softmax
  cross-entropy, float64: the tensor sweeps on each backend, the same network by hand in NumPy (forward
  and the backward pass written out), and PyTorch's autograd; also the whole process (start Python, import,
  compute once) for the sweeps;
- chain: sum(A1 @ A2 @ A3 @ A4) for 256 x 256 matrices, forward and the gradients of all four: the sweeps on
  each backend against hand NumPy (target: the NumPy backend at most 20 times hand NumPy);
- crossover: the MLP at growing sizes on each backend, with NumPy's import time, to place
  engine/tensor/backend.py's CROSSOVER (the input size from which the NumPy backend pays).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = sys.executable
# One thread for every BLAS and for PyTorch: the comparison is of the work, not of the cores a shared machine lends
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")


# ---------------------------------------------------------------------------------------------
# Workloads, as plain lists (every peer starts from the same numbers)

def mlp_data(batch=32, inputs=64, hidden=64, outputs=10, seed=1):
    import random

    rnd = random.Random(seed)
    matrix = lambda rows, cols, scale: [[rnd.gauss(0, scale) for _ in range(cols)] for _ in range(rows)]  # noqa: E731
    return {
        "X": matrix(batch, inputs, 1.0), "W1": matrix(inputs, hidden, inputs ** -0.5), "b1": [0.0] * hidden,
        "W2": matrix(hidden, outputs, hidden ** -0.5), "b2": [0.0] * outputs,
        "y": [float(rnd.randrange(outputs)) for _ in range(batch)],
    }


def chain_data(size=256, count=4, seed=2):
    import random

    rnd = random.Random(seed)
    return [[[rnd.uniform(-1, 1) / size ** 0.5 for _ in range(size)] for _ in range(size)] for _ in range(count)]


def mlp_graph():
    from backprop_cli.engine.tensor.sweeps import Step

    inputs = [Step("input")] * 6  # X, W1, b1, W2, b2, y
    return inputs + [Step("matmul", (0, 1)), Step("add", (6, 2)), Step("tanh", (7,)), Step("matmul", (8, 3)),
                     Step("add", (9, 4)), Step("cross_entropy", (10, 5))]


def chain_graph(count):
    from backprop_cli.engine.tensor.sweeps import Step

    nodes = [Step("input")] * count
    last = 0
    for k in range(1, count):
        nodes.append(Step("matmul", (last, k)))
        last = len(nodes) - 1
    return nodes + [Step("sum", (last,))]


# ---------------------------------------------------------------------------------------------
# Workers: each runs in its own process and prints one JSON line

def _median_time(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _backend(name: str):
    sys.path.insert(0, ROOT)
    start = time.perf_counter()
    if name == "numpy":
        from backprop_cli.engine.tensor import fast

        backend = fast.backend()
    else:
        from backprop_cli.engine.tensor import pure

        backend = pure.backend()
    return backend, time.perf_counter() - start


def worker_sweeps(workload: str, backend_name: str, repeat: int, size: int = 64) -> dict:
    backend, load = _backend(backend_name)
    from backprop_cli.engine.tensor import sweeps

    if workload == "mlp":
        data = mlp_data(batch=size // 2, inputs=size, hidden=size)
        nodes, leaves, variables = mlp_graph(), dict(enumerate(data.values())), {1, 2, 3, 4}
    else:
        matrices = chain_data(count=4)
        nodes, leaves, variables = chain_graph(4), dict(enumerate(matrices)), {0, 1, 2, 3}
    leaves = {k: backend.array(v) for k, v in leaves.items()}
    output = len(nodes) - 1

    def work():
        values = sweeps.evaluate(nodes, leaves, backend)
        sweeps.gradients(nodes, values, output, backend, variables)

    seconds = _median_time(work, repeat)
    values = sweeps.evaluate(nodes, leaves, backend)
    shapes = sweeps.shapes(nodes, {k: backend.shape(v) for k, v in leaves.items()})
    return {"seconds": seconds, "value": float(values[output]), "load": load, "work": sweeps.work(nodes, shapes)}


def worker_numpy_mlp(repeat: int, size: int = 64) -> dict:
    import numpy as np

    data = {k: np.array(v) for k, v in mlp_data(batch=size // 2, inputs=size, hidden=size).items()}
    X, W1, b1, W2, b2 = data["X"], data["W1"], data["b1"], data["W2"], data["b2"]
    y = data["y"].astype(int)
    rows = np.arange(len(y))
    found = {}

    def work():
        h = np.tanh(X @ W1 + b1)
        z = h @ W2 + b2
        shifted = z - z.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        found["loss"] = -np.log(p[rows, y]).mean()
        dz = p
        dz[rows, y] -= 1
        dz /= len(y)
        dW2, db2 = h.T @ dz, dz.sum(axis=0)
        dpre = (dz @ W2.T) * (1 - h * h)
        dW1, db1 = X.T @ dpre, dpre.sum(axis=0)
        return dW1, db1, dW2, db2

    return {"seconds": _median_time(work, repeat), "value": float(found["loss"])}


def worker_numpy_chain(repeat: int) -> dict:
    import numpy as np

    A = [np.array(m) for m in chain_data(count=4)]
    found = {}

    def work():
        ab = A[0] @ A[1]
        abc = ab @ A[2]
        found["value"] = (abc @ A[3]).sum()
        ones = np.ones_like(A[0])  # d sum / d (A1 A2 A3 A4)
        d_abc = ones @ A[3].T
        d_ab = d_abc @ A[2].T
        return d_ab @ A[1].T, A[0].T @ d_ab, ab.T @ d_abc, abc.T @ ones  # dA1, dA2, dA3, dA4

    return {"seconds": _median_time(work, repeat), "value": float(found["value"])}


def worker_torch_mlp(repeat: int) -> dict:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)  # one thread, as NumPy's BLAS in every worker (ENV)
    data = mlp_data()
    X = torch.tensor(data["X"], dtype=torch.float64)
    y = torch.tensor(data["y"], dtype=torch.float64).long()
    params = [torch.tensor(data[k], dtype=torch.float64, requires_grad=True) for k in ("W1", "b1", "W2", "b2")]
    found = {}

    def work():
        W1, b1, W2, b2 = params
        loss = F.cross_entropy(torch.tanh(X @ W1 + b1) @ W2 + b2, y)
        grads = torch.autograd.grad(loss, params)
        found["value"] = loss.item()
        return grads

    return {"seconds": _median_time(work, repeat), "value": found["value"], "torch": torch.__version__}


def worker_numpy_import() -> dict:
    start = time.perf_counter()
    import numpy  # noqa: F401

    return {"seconds": time.perf_counter() - start}


WORKERS = {
    "sweeps": lambda args: worker_sweeps(args[0], args[1], int(args[2]), int(args[3]) if len(args) > 3 else 64),
    "numpy-mlp": lambda args: worker_numpy_mlp(int(args[0]), int(args[1]) if len(args) > 1 else 64),
    "numpy-chain": lambda args: worker_numpy_chain(int(args[0])),
    "torch-mlp": lambda args: worker_torch_mlp(int(args[0])),
    "numpy-import": lambda args: worker_numpy_import(),
}

# A whole process: start Python, import the tensor engine, compute the MLP's loss and gradients once
WHOLE_PROCESS = """
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {here!r})
from tensors import mlp_data, mlp_graph
from backprop_cli.engine.tensor import sweeps
data = mlp_data()
done = sweeps.differentiate(mlp_graph(), dict(enumerate(data.values())), 11, {{1, 2, 3, 4}})
print(done.backend.name, done.values[11])
"""


# ---------------------------------------------------------------------------------------------
# The parent

def run_worker(name: str, *args, python: str = PYTHON, timeout: float = 600) -> dict:
    command = [python, os.path.abspath(__file__), "--worker", name, *map(str, args)]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": ((proc.stderr.strip().splitlines() or ["failed"])[-1])[:90]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def whole_process(runs: int) -> dict:
    code = WHOLE_PROCESS.format(root=ROOT, here=HERE)
    times, line = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=ENV)
        times.append(time.perf_counter() - start)
        line = proc.stdout.strip() or proc.stderr.strip().splitlines()[-1]
    return {"seconds": statistics.median(times), "line": line}


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs" if seconds < 1e-3 else f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def cell(result: dict) -> str:
    return result["error"] if "error" in result else fmt(result["seconds"])


def times(a: dict, b: dict) -> str:
    return "-" if "error" in a or "error" in b else f"{a['seconds'] / b['seconds']:.1f}x"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--torch-python", default=PYTHON, help="a python with torch installed (default: this one)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    options, rest = parser.parse_known_args(argv)
    if options.worker:
        print(json.dumps(WORKERS[options.worker](rest)))
        return 0
    repeat = 5 if options.quick else 21
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    rows = []

    say("mlp ...")
    hand = run_worker("numpy-mlp", repeat)
    mlp = {name: run_worker("sweeps", "mlp", name, repeat) for name in ("pure", "numpy")}
    torch = run_worker("torch-mlp", repeat, python=options.torch_python)
    label = "MLP 64-64-10, batch 32: forward + backward"
    rows.append((label, "hand NumPy (forward and backward written out)", cell(hand), "1.0x"))
    for name, result in mlp.items():
        rows.append((label, f"sweeps, {name} backend", cell(result), f"{times(result, hand)} hand NumPy"))
    rows.append((label, f"PyTorch {torch.get('torch', '')} autograd".strip(), cell(torch),
                 f"{times(torch, hand)} hand NumPy"))
    process = whole_process(3 if options.quick else 9)
    rows.append((label, "whole process: python, import, one forward + backward",
                 fmt(process["seconds"]), f"backend chosen and loss: {process['line']}"))

    say("chain of 256 x 256 products ...")
    hand_chain = run_worker("numpy-chain", repeat)
    chain = {"numpy": run_worker("sweeps", "chain", "numpy", repeat),
             "pure": run_worker("sweeps", "chain", "pure", 1, timeout=1800)}
    label = "sum(A1 @ A2 @ A3 @ A4), 256 x 256: forward + 4 gradients"
    rows.append((label, "hand NumPy", cell(hand_chain), "1.0x"))
    for name, result in chain.items():
        target = " (target <= 20x)" if name == "numpy" else ""
        rows.append((label, f"sweeps, {name} backend", cell(result), f"{times(result, hand_chain)} hand NumPy{target}"))

    say("crossover ...")
    imported = statistics.median(run_worker("numpy-import")["seconds"] for _ in range(5))
    rows.append(("crossover", "import numpy (paid once, by the NumPy backend only)", fmt(imported), ""))
    for size in (16, 32, 64, 96, 128, 192, 256):
        pure = run_worker("sweeps", "mlp", "pure", max(3, repeat // 4), size)
        fast = run_worker("sweeps", "mlp", "numpy", repeat, size)
        if "error" in pure or "error" in fast:
            continue
        pays = fast["seconds"] + fast["load"] < pure["seconds"] + pure["load"]
        rows.append(("crossover", f"MLP {size}-{size}-10, batch {size // 2}: work {pure['work']:,} (sweeps.work)",
                     f"pure {fmt(pure['seconds'])} + load {fmt(pure['load'])}; NumPy {fmt(fast['seconds'])} + "
                     f"load {fmt(fast['load'])}", f"the NumPy backend {'pays' if pays else 'does not pay'}; "
                     f"pure: {pure['seconds'] / pure['work'] * 1e9:.0f} ns per unit of work"))

    print("| workload | what | time | ratio, notes |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(str(c).replace("|", "/") for c in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
