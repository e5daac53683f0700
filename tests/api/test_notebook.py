"""docs/api.ipynb runs from top to bottom in a real kernel (nbclient + ipykernel) and shows what it says:
the Result as the explain HTML, the tables through Rich, the grades, the data frame. Skipped, saying why,
where nbclient, nbformat or ipykernel is not installed or no Python kernel can start."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "api.ipynb"


def test_the_example_notebook_runs_and_shows_the_results():
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed: the notebook cannot be read")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed: the notebook cannot be run")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed: there is no Python kernel to run it")
    pytest.importorskip("pandas")
    from jupyter_client.kernelspec import NoSuchKernel

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "the notebook is kept without outputs: the test makes them"
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    try:
        client.execute()
    except NoSuchKernel as err:  # pragma: no cover - depends on the machine
        pytest.skip(f"no Python kernel can start here: {err}")
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [cell.outputs for cell in code]
    assert all(o.output_type != "error" for cell in outputs for o in cell)

    def data(k: int, kind: str) -> str:
        return "".join(o.get("data", {}).get(kind, "") + o.get("text", "") * (kind == "text/plain")
                       for o in outputs[k])

    # L = (a*b + c)*f = (-6 + 10)*(-2); by hand: dL/da = f*b = 6, dL/db = f*a = -4, dL/df = d = 4
    assert " ".join(data(0, "text/plain").split()) == \
        "(-8.0, {'a': 6.0, 'b': -4.0, 'e': -2.0, 'c': -2.0, 'd': -2.0, 'f': 4.0, 'L': 1.0})"
    assert "<svg" in data(1, "text/html") and "∂L/∂" in data(1, "text/markdown")
    tables = re.sub(r"\x1b\[[0-9;]*m", "", data(2, "text/plain"))  # what `backprop eval` prints, in colour
    assert tables.startswith("L = -8   (7 nodes, 4 inputs)") and "Forward pass" in tables
    assert data(3, "text/plain") == "[('a', 'correct'), ('e', 'correct')]"
    frame = data(4, "text/html")  # the DataFrame, as Jupyter shows it
    for column in ("w", "x", "b", "y", "value", "grad_w", "grad_x", "grad_b", "grad_t", "grad_y", "grad_L"):
        assert f"<th>{column}</th>" in frame
