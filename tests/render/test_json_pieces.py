"""eval --json written in pieces (json_report.write, Rows): byte for byte the document json.dumps writes."""
from __future__ import annotations

import io
import json

import pytest

from backprop_cli.api import evaluate
from backprop_cli.render import json_report
from backprop_cli.render.json_report import Rows, dumps, eval_document, write

CHAIN = "h0 = x*y\n" + "".join(f"h{k} = tanh(h{k - 1})*x + relu(h{k - 1} - y)\n" for k in range(1, 400))


def _written(doc, pretty=False) -> str:
    out = io.StringIO()
    write(doc, out, pretty=pretty)
    return out.getvalue()


@pytest.mark.parametrize("pretty", [False, True])
@pytest.mark.parametrize("program, point", [
    (CHAIN, {"x": 0.5, "y": -0.25}),
    ("log(x) + sqrt(y)", {"x": -1, "y": 4}),  # undefined numbers: nulls and an "undefined" object
    ("W = [[1, 2], [3, 4]]; L = sum(tanh(W @ x))", {"x": [0.5, -1]}),  # tensors: nested lists, rules
])
def test_lazy_document_written_in_pieces_is_json_dumps_of_the_eager_one(program, point, pretty):
    raw = evaluate(program, **point).raw
    eager = eval_document(raw)
    lazy = eval_document(raw, lazy=True)
    assert type(lazy["nodes"]) is Rows and type(eager["nodes"]) is list
    expected = json.dumps(eager, allow_nan=False, indent=2 if pretty else None) + "\n"
    assert _written(lazy, pretty) == expected
    assert dumps(lazy, pretty) + "\n" == expected  # dumps makes the rows itself
    assert list(lazy["nodes"]) == eager["nodes"] and lazy["nodes"][-1] == eager["nodes"][-1]


def test_long_lists_and_dicts_are_streamed_in_batches_with_the_same_separators(monkeypatch):
    monkeypatch.setattr(json_report, "_LONG", 3)
    doc = {"a": list(range(10)), "b": {f"k{i}": [i, None] for i in range(7)}, "c": [], "d": {},
           "e": Rows(7, lambda i: {"i": i, "x": 0.1 * i}), "f": "é\n", "g": Rows(0, int)}
    pieces = []

    class Stream:
        def write(self, text):
            pieces.append(text)

    write(doc, Stream())
    assert "".join(pieces) == json.dumps({**doc, "e": list(doc["e"]), "g": []}) + "\n"
    assert max(map(len, pieces)) < 100  # never the whole text at once
