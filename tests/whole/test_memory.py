"""Memory per node of the engine-heavy commands (issue 16: at most 2 KiB of peak memory per tape node).

Measured in process with tracemalloc, which counts the bytes Python allocates whatever the machine's load:
the peak of a command at two sizes, and the growth between them per node added, which is what a command
holds per node at its peak (the interpreter and the modules it loads are the same at both sizes and cancel).
Each bound sits between what the command takes now and what it took before the change that brought it down,
so it fails if the memory per node grows back. Standard output goes to a sink that keeps nothing, so the
document written is not counted (a command that built its whole output before writing it is).
"""
from __future__ import annotations

import io
import json
import random
import sys
import tracemalloc

import pytest

from backprop_cli.cli import main
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse

INPUTS = 10
POINT = [f"x{i}={0.5 + i / 10}" for i in range(INPUTS)]
MLP_VALUES = {"W": [[0.5, -0.25, 0.1], [0.2, 0.3, -0.4], [-0.1, 0.6, 0.2]], "x": [1.0, -0.5, 0.25],
              "b": [0.1, 0.0, -0.1]}


def chain(lines: int, seed: int = 7) -> str:
    """bench/scale.py's residual chain: each line adds a small bounded step to the one before, reading one
    further back and an input (about 7 nodes a line)."""
    rnd = random.Random(seed)
    body = ["h0 = x0*x1 - x2"]
    for k in range(1, lines):
        i, j, kind = rnd.randrange(INPUTS), rnd.randrange(max(0, k - 20), k), rnd.randrange(4)
        body.append([f"h{k} = h{k - 1} + tanh(h{k - 1}*x{i} - h{j}*0.5)*0.01",
                     f"h{k} = h{k - 1} - relu(h{j} - x{i})*0.01",
                     f"h{k} = h{k - 1} + (h{j} - x{i})/(h{j}*h{j} + 2)*0.01",
                     f"h{k} = h{k - 1} + (sigmoid(h{j}) - x{i}*0.5)*0.01"][kind])
    return "\n".join(body) + f"\nL = h{lines - 1}\n"


def mlp(layers: int) -> str:
    """bench/scale.py's recurrent MLP: three nodes a layer."""
    body = ["h0 = tanh(W @ x + b)", *(f"h{k} = tanh(W @ h{k - 1} + b)" for k in range(1, layers))]
    return "\n".join(body) + f"\nL = sum(h{layers - 1})\n"


class _Sink(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return len(data)


def peak(argv: list[str]) -> int:
    """The most bytes the command had allocated at once, over what was allocated before it started."""
    saved = sys.stdout
    sys.stdout = io.TextIOWrapper(_Sink(), encoding="utf-8")
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        code = main(argv)
        sys.stdout.flush()
        top = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        sys.stdout = saved
    assert code in (0, None), f"{argv[:2]} exited {code}"
    return top - base


def per_node(tmp_path, command, make, sizes) -> float:
    """Bytes of peak memory per tape node added, from the smaller program to the larger."""
    peaks, nodes = [], []
    for k, size in enumerate(sizes):
        path = tmp_path / f"program{size}.txt"
        path.write_text(make(size))
        nodes.append(len(lower(parse(path.read_text())).nodes))
        if k == 0:  # once first, so that what the first run loads and keeps (modules, caches) is not counted
            peak(command(str(path)))
        peaks.append(peak(command(str(path))))
    return (peaks[1] - peaks[0]) / (nodes[1] - nodes[0])


def scalar(*options):
    return lambda path: [options[0], "--file", path, *POINT, *options[1:]]


def tensor(tmp_path, *options):
    values = tmp_path / "values.json"
    values.write_text(json.dumps(MLP_VALUES))
    return lambda path: [options[0], "--file", path, "--values", str(values), *options[1:]]


# command, bound: the ids say what it takes now and took before (tracemalloc, at these sizes), and the bound is
# between the two
SCALAR = [
    pytest.param(("eval", "--json"), 800, id="eval --json: 340 bytes a node, 2,200 before"),
    pytest.param(("hessian",), 1_500, id="hessian: 1,060 bytes a node, 2,070 before"),
    pytest.param(("eval", "--symbolic"), 1_500, id="eval --symbolic: 1,050 bytes a node, 2,130 before"),
]


@pytest.mark.parametrize("options, bound", SCALAR)
def test_peak_memory_per_node_of_a_program_of_numbers(tmp_path, options, bound):
    grown = per_node(tmp_path, scalar(*options), chain, (100, 400))
    assert grown <= bound, f"{' '.join(options)}: {grown:,.0f} bytes of peak memory a node (at most {bound:,})"


TENSOR = [
    pytest.param(("eval", "--json"), 1_000, id="tensor eval --json: 260 bytes a node, 4,380 before"),
    # its lines written as they are made, the terms and answers made when read (4,770 when the whole text was made
    # first, then written)
    pytest.param(("explain",), 1_300, id="tensor explain: 1,060 bytes a node, 4,770 before"),
]


@pytest.mark.parametrize("options, bound", TENSOR)
def test_peak_memory_per_node_of_a_tensor_program(tmp_path, options, bound):
    grown = per_node(tmp_path, tensor(tmp_path, *options), mlp, (50, 200))
    assert grown <= bound, f"tensor {' '.join(options)}: {grown:,.0f} bytes of peak memory a node (at most {bound:,})"
