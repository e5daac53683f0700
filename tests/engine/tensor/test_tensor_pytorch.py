"""Tensor graphs against PyTorch: values, gradients and forward-mode tangents recorded from torch 2.13.0 (float64)
by tests/data/observe_tensors.py into tests/data/tensor_observations.json (see tests/data/README.md).

Each recorded case is a graph of the tensor sweeps' own steps; here it runs through engine/tensor/sweeps.py
on both backends. PyTorch is not needed to run this test: its numbers are in the file. Where PyTorch's choice
is a convention, the file's notes say which: a tie of max/min splits the gradient evenly (torch.amax and
torch.max(t); torch.max(t, dim) would give it all to one element), relu'(0) = 0, leaky_relu'(0) = the
slope, and norm's gradient at 0 is 0.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from tensor_helpers import BACKENDS, assert_close, backend

from backprop_cli.engine.tensor import sweeps
from backprop_cli.engine.tensor.shapes import Slice, Variable
from backprop_cli.engine.tensor.sweeps import Step

DATA = json.loads((Path(__file__).resolve().parents[2] / "data" / "tensor_observations.json").read_text())
CASES = DATA["cases"]


def _params(params: dict) -> tuple:
    pairs = []
    for key, value in params.items():
        if key == "index":
            value = tuple(Slice(*item["slice"]) if isinstance(item, dict) and "slice" in item else
                          Variable(item["variable"]) if isinstance(item, dict) else item for item in value)
        pairs.append((key, value))
    return tuple(pairs)


def graph(case: dict):
    nodes = [Step(op, tuple(args), _params(params)) for op, args, params in case["steps"]]
    leaves = {int(k): v for k, v in case["leaves"].items()}
    return nodes, leaves, set(case["variables"]), case["output"]


def test_the_recording_is_pytorch_2_13_in_float64():
    assert DATA["torch"] == "2.13.0+cpu"
    assert DATA["dtype"] == "float64"
    assert len(CASES) >= 90


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['name']}:{c['note'][:30]}")
def test_values_gradients_and_tangents_are_pytorchs(name, case):
    B = backend(name)
    nodes, leaves, variables, output = graph(case)
    values = sweeps.evaluate(nodes, leaves, B)
    assert_close(B.tolist(values[output]), case["value"], what="value")
    grads, _ = sweeps.gradients(nodes, values, output, B, variables, seed=case["upstream"])
    for v in variables:
        want = case["gradients"][str(v)]
        got = B.zeros(B.shape(values[v])) if grads[v] is None else grads[v]
        assert_close(B.tolist(got), want, what=f"gradient of leaf {v}")
    tangents = sweeps.tangents(nodes, values, B, {int(k): t for k, t in case["tangents"].items()})
    assert_close(B.tolist(tangents[output]), case["jvp"], what="tangent")

