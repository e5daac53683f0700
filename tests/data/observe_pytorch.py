"""Observe PyTorch's values and gradients at the points where a derivative is a convention or a range edge.

Run in a scratch venv with torch installed (not a project dependency):
    python observe_pytorch.py > tests/data/framework_observations.json
"""
import json
import torch

cases = [("x**y", [0.0, 0.0]), ("x**y", [0.0, 2.0]), ("x**y", [0.0, 1.0]), ("x**y", [0.0, 0.5]), ("x**y", [-3.0, 2.0])]
out = []
for expr, at in cases:
    x = torch.tensor(at[0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor(at[1], dtype=torch.float64, requires_grad=True)
    z = x ** y
    z.backward()
    def num(t):
        v = t.item()
        return v if v == v and abs(v) != float("inf") else str(v)
    out.append({"expression": expr, "at": at, "value": num(z), "gradient": [num(x.grad), num(y.grad)]})
print(json.dumps({"pytorch": {"version": torch.__version__, "dtype": "float64",
                              "how": "tests/data/observe_pytorch.py in a scratch venv (pip install torch==2.13.0)",
                              "observations": out}}, indent=2))
