"""`--graph` with vectors and matrices (issue 14): tensor nodes with their shapes, values and gradients written
as the eval tables abbreviate them, edges with the local rule at tensor level, in every format.

Every number drawn is read back from the picture and compared with NumPy's, worked by hand here; DOT is
drawn by the real Graphviz and Mermaid checked against its flowchart syntax (test_graph.py's checkers).
Programs of numbers draw exactly what they drew before (a DOT snapshot here; the tree and Mermaid
snapshots are test_graph.py's and docs/pictures.md's).
"""
from __future__ import annotations

import re
import shutil
from dataclasses import replace

import pytest
from test_graph import mermaid_problems, plain_tree, result_of, svg_groups, svg_of

from backprop_cli.engine.arithmetic import FLOAT
from backprop_cli.engine.bindings import value_of
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.render.graph_text import LABEL_LIMIT, to_dot, to_mermaid
from backprop_cli.render.tensor_graph import LINE_WIDTH, elements_text, number_lines, wrapped
from backprop_cli.render.tensor_tables import nested_text

np = pytest.importorskip("numpy")
DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed (apt install graphviz)")

LAYER = "L = sum(tanh(dot(W, x) + b))"
W, X, B = [[0.1, 0.2], [0.3, 0.4]], [1, 2], [0, 0.5]
LAYER_ARGS = [f"W={W}", f"x={X}", f"b={B}"]


def tensor_result(source: str, **given):
    return differentiate(lower(parse(source)), {name: value_of(FLOAT, v, name) for name, v in given.items()})


def layer():
    return tensor_result(LAYER, W=str(W), x=str(X), b=str(B))


def oracle() -> dict:
    """Every node of LAYER by hand: (shape, value, gradient)."""
    w, x, b = np.array(W), np.array(X, dtype=float), np.array(B)
    z = w @ x + b
    g = 1 - np.tanh(z) ** 2
    return {"v1": (w, np.outer(g, x)), "v2": (x, w.T @ g), "v3": (w @ x, g), "v4": (b, g), "v5": (z, g),
            "v6": (np.tanh(z), np.ones(2)), "v7": (np.tanh(z).sum(), np.array(1.0))}


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def numbers_of(lines: list[str], word: str) -> list[float]:
    """The numbers of the `value` or `grad` lines of a label (a value's lines run until `grad`)."""
    found, inside = [], False
    for line in lines:
        if line.startswith(("value ", "grad ", "shape ")):
            inside = line.startswith(word + " ")
        if inside:
            found += [float(n) for n in NUMBER.findall(line.removeprefix(word + " "))]
    return found


def assert_numbers_drawn(drawn: dict[str, list[str]]) -> None:
    for node, (value, gradient) in oracle().items():
        lines = drawn[node]
        assert numbers_of(lines, "value") == pytest.approx(np.ravel(value).tolist(), rel=1e-5), node
        assert numbers_of(lines, "grad") == pytest.approx(np.ravel(gradient).tolist(), rel=1e-5), node
        shape = np.shape(value)
        if shape:
            assert f"shape {shape}" in lines, (node, lines)
        else:
            assert not any(line.startswith("shape") for line in lines)


RULES = {("v1", "v3"): "∂L/∂W = ∂L/∂v3 · xᵀ", ("v2", "v3"): "∂L/∂x = Wᵀ · ∂L/∂v3", ("v3", "v5"): "∂L/∂v3 = ∂L/∂v5",
         ("v4", "v5"): "∂L/∂b = ∂L/∂v5", ("v5", "v6"): "∂L/∂v5 = ∂L/∂v6 ⊙ (1 - tanh(v5)^2)",
         ("v6", "v7"): "∂L/∂v6 = ∂L/∂L, copied along the summed axes"}


# -- every format -------------------------------------------------------------------------------------------

@needs_dot
def test_dot_drawn_by_graphviz_has_shapes_numbers_and_rules():
    svg = svg_of(to_dot(layer()))
    nodes = svg_groups(svg, "node")
    assert_numbers_drawn(nodes)
    assert nodes["v1"][:3] == ["v1 W", "input", "shape (2, 2)"]
    assert nodes["v3"][:3] == ["v3", "W @ x", "shape (2,)"]
    edges = svg_groups(svg, "edge")
    assert {tuple(title.split("->")): texts for title, texts in edges.items()} == {k: [v] for k, v in RULES.items()}
    caption = [t.text for t in svg.iter() if t.text and t.text.startswith(LAYER)]
    assert caption == [f"{LAYER} at W = [[0.1, 0.2], [0.3, 0.4]], x = [1, 2], b = [0, 0.5]"]


def mermaid_nodes(text: str) -> dict[str, list[str]]:
    found = {}
    for line in text.splitlines():
        match = re.match(r'  (v\d+)\W+"(.*)"\W+$', line)
        if match:
            found[match.group(1)] = match.group(2).split("<br/>")
    return found


def test_mermaid_is_a_valid_flowchart_with_shapes_numbers_and_rules():
    text = to_mermaid(layer())
    assert mermaid_problems(text) == []
    nodes = mermaid_nodes(text)
    assert_numbers_drawn(nodes)
    assert nodes["v1"] == ["v1 W", "input", "shape (2, 2)", "value [[0.1, 0.2], [0.3, 0.4]]",
                           "grad [[0.786448, 1.5729],", "[0.150527, 0.301054]]"]
    assert nodes["v7"] == ["v7 L (output)", "sum(v6)", "value 1.38379", "grad 1"]
    for (source, target), rule in RULES.items():
        assert f'  {source} -->|"{rule}"| {target}' in text


def test_the_tree_has_shapes_numbers_and_rules():
    text = plain_tree(layer())
    assert text == """\
v7 L = sum(v6)   value 1.38379 | grad 1   (output)
└── v6 = tanh(v5)   shape (2,)   ∂L/∂v6 = ∂L/∂L, copied along the summed axes
    value [0.462117, 0.921669]
    grad [1, 1]
    └── v5 = v3 + b   shape (2,)   ∂L/∂v5 = ∂L/∂v6 ⊙ (1 - tanh(v5)^2)
        value [0.5, 1.6]
        grad [0.786448, 0.150527]
        ├── v3 = W @ x   shape (2,)   ∂L/∂v3 = ∂L/∂v5
        │   value [0.5, 1.1]
        │   grad [0.786448, 0.150527]
        │   ├── v1 W input   shape (2, 2)   ∂L/∂W = ∂L/∂v3 · xᵀ
        │   │   value [[0.1, 0.2], [0.3, 0.4]]
        │   │   grad [[0.786448, 1.5729], [0.150527, 0.301054]]
        │   └── v2 x input   shape (2,)   ∂L/∂x = Wᵀ · ∂L/∂v3
        │       value [1, 2]
        │       grad [0.123803, 0.2175]
        └── v4 b input   shape (2,)   ∂L/∂b = ∂L/∂v5
            value [0, 0.5]
            grad [0.786448, 0.150527]
"""
    drawn: dict[str, list[str]] = {}
    for line in text.splitlines():
        node = re.search(r"\b(v\d+)\b", line)
        if node:  # a node's first line: its value and gradient follow (a number's are on that line)
            current = drawn.setdefault(node.group(1), [])
            current += [part.strip() for part in re.split(r" {3}|\| ", line) if part.strip().startswith(
                ("value", "grad", "shape"))]
        else:
            current.append(line.lstrip("│ "))
    assert_numbers_drawn(drawn)


@needs_dot
@pytest.mark.parametrize("fmt, magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_pictures_through_the_command(cli, tmp_path, fmt, magic):
    out = tmp_path / f"layer.{fmt}"
    run = cli("eval", LAYER, *LAYER_ARGS, "--graph", fmt, "--out", str(out))
    assert (run.code, run.out, run.err) == (0, "", "")
    assert magic in out.read_bytes()[:400]
    if fmt == "svg":
        assert "shape (2, 2)" in out.read_text() and "∂L/∂W = ∂L/∂v3 · xᵀ" in out.read_text()


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "tree"])
def test_each_text_format_through_the_command(cli, fmt):
    run = cli("eval", LAYER, *LAYER_ARGS, "--graph", fmt, "--color", "never")
    assert (run.code, run.err) == (0, "")
    assert "shape (2, 2)" in run.out and "grad [0.123803, 0.2175]" in run.out
    if fmt == "tree":
        assert run.out.replace(" \n", "\n").startswith("v7 L = sum(v6)   value 1.38379 | grad 1   (output)\n")
    else:
        assert run.out == {"dot": to_dot, "mermaid": to_mermaid}[fmt](layer())


def test_json_gains_the_graph(cli):
    doc = cli("eval", LAYER, *LAYER_ARGS, "--graph", "dot", "--json").json()
    assert doc["graph"] == {"format": "dot", "text": to_dot(layer())}
    assert doc["shape"] == [] and doc["nodes"][0]["shape"] == [2, 2]


def test_with_check_the_picture_stays_on_standard_output_and_the_verdict_goes_to_standard_error(cli):
    run = cli("eval", "sum(relu(x) * w)", "x=[0, 1, -1]", "w=[2, 3, 4]", "--graph", "dot", "--check")
    assert run.code == 1
    assert run.out.startswith("digraph backprop {") and run.out.endswith("}\n")
    notes = run.err.splitlines()
    assert notes[0].startswith("backprop: note: check x[0]: FAILED: reverse mode 0, finite difference 1 (a kink lies")
    assert notes[-1] == ("backprop: note: finite-difference check FAILED on 1 of 6 elements (central differences, "
                         "tolerance: abs error <= 1e-9 + 1e-6 × |gradient| + rounding error)")


# -- big tensors, indices, escaping ---------------------------------------------------------------------------

def test_a_big_tensor_is_abbreviated_as_in_the_tables():
    rng = np.random.default_rng(5)
    w = rng.normal(size=(6, 5))
    result = tensor_result("L = sum(w * w)", w=repr(w.tolist()))
    lines = number_lines(result, 0, 6)
    assert lines[0] == ("shape (6, 5)", "shape")
    table = nested_text(w.tolist(), 6, (6, 5))  # the eval table's cell
    assert table.startswith("(6, 5) [[") and table.endswith(", ...], ...]")
    value = " ".join(t for t, what in lines if what == "value")  # the lines joined again: the table's text
    assert value == "value " + elements_text(result, result.values[0], (6, 5), 6) == "value " + table[len("(6, 5) "):]
    assert numbers_of([t for t, _ in lines], "grad") == pytest.approx((2 * w)[:2, :3].ravel().tolist(), rel=1e-5)
    assert all(len(text) <= LINE_WIDTH for text, _ in lines)
    assert mermaid_problems(to_mermaid(result)) == []


def test_an_index_input_has_a_dashed_edge_and_no_gradient():
    result = tensor_result("loss = cross_entropy(z, k)", z="[0, 3, -2, 1]", k="3")
    text = to_mermaid(result)
    assert "  v2 -.-> v3" in text  # no gradient flows into the class index
    assert mermaid_nodes(text)["v2"] == ["v2 k", "input", "value 3"]
    assert '  v1 -->|"∂loss/∂z = ' in text


@needs_dot
def test_user_text_is_escaped_as_for_numbers():
    nasty = 'x"y\\n<b>&amp;[z]{w}|#%;`'
    result = layer()
    nodes = list(result.tape.nodes)
    nodes[0] = replace(nodes[0], name=nasty)
    result = replace(result, tape=replace(result.tape, nodes=tuple(nodes)))
    drawn = svg_groups(svg_of(to_dot(result)), "node")
    assert drawn["v1"][0] == f"v1 {nasty}"
    mermaid = to_mermaid(result)
    assert mermaid_problems(mermaid) == [] and "v1 x#quot;y" in mermaid


@pytest.mark.parametrize("first, text, width, want", [
    ("value ", "[1, 2]", 40, ["value [1, 2]"]),
    ("grad ", "[[0.000181583, 0.000363166], [1.11579e-9, 2.23157e-9]]", 40,
     ["grad [[0.000181583, 0.000363166],", "[1.11579e-9, 2.23157e-9]]"]),
    ("value ", "[1, 2, 3, 4, 5, 6, 7, 8]", 14, ["value [1, 2,", "3, 4, 5, 6, 7,", "8]"]),
    ("value ", "[[1.28818, 1.44945, 0.0663358, ...], [-0.758821, 0.761658, -1.7337, ...], ...]", 40,
     ["value [[1.28818, 1.44945,", "0.0663358, ...],", "[-0.758821, 0.761658,", "-1.7337, ...], ...]"]),
    ("v ", "[123456789012345678, 1]", 10, ["v [123456789012345678,", "1]"]),  # a number is never cut
])
def test_wrapped(first, text, width, want):
    assert wrapped(first, text, width) == want
    assert " ".join(want) == first + text


# -- programs of numbers draw what they drew ----------------------------------------------------------------

TEXTBOOK_DOT = """\
digraph backprop {
  graph [rankdir=LR, nodesep=0.25, ranksep=0.5, fontname="Helvetica", fontsize=12, labelloc=t, label=<(a+b)*(b+c) at a = -1, b = 3, c = 4<br/><font point-size="10"><font color="#1d4ed8">value</font> | <font color="#be185d">grad</font> = ∂output/∂node;  edges: <font color="#047857">local derivative ∂node/∂arg</font></font>>];
  node [fontname="Helvetica", fontsize=11, margin="0.12,0.06"];
  edge [fontname="Helvetica", fontsize=9, color="#6b7280", fontcolor="#047857", arrowsize=0.7];
  "v1" [shape=ellipse, style=filled, fillcolor="#dbeafe", color="#1d4ed8", label=<<b>v1 a</b><br/>input<br/><font color="#1d4ed8">value -1</font> | <font color="#be185d">grad 7</font>>];
  "v2" [shape=ellipse, style=filled, fillcolor="#dbeafe", color="#1d4ed8", label=<<b>v2 b</b><br/>input<br/><font color="#1d4ed8">value 3</font> | <font color="#be185d">grad 9</font>>];
  "v3" [shape=box, style="rounded,filled", fillcolor="#f3f4f6", color="#4b5563", label=<<b>v3</b><br/>a + b<br/><font color="#1d4ed8">value 2</font> | <font color="#be185d">grad 7</font>>];
  "v4" [shape=ellipse, style=filled, fillcolor="#dbeafe", color="#1d4ed8", label=<<b>v4 c</b><br/>input<br/><font color="#1d4ed8">value 4</font> | <font color="#be185d">grad 2</font>>];
  "v5" [shape=box, style="rounded,filled", fillcolor="#f3f4f6", color="#4b5563", label=<<b>v5</b><br/>b + c<br/><font color="#1d4ed8">value 7</font> | <font color="#be185d">grad 2</font>>];
  "v6" [shape=box, style="rounded,filled,bold", peripheries=2, fillcolor="#fef3c7", color="#b45309", label=<<b>v6 (output)</b><br/>v3 * v5<br/><font color="#1d4ed8">value 14</font> | <font color="#be185d">grad 1</font>>];
  "v1" -> "v3" [label="∂v3/∂a = 1"];
  "v2" -> "v3" [label="∂v3/∂b = 1"];
  "v2" -> "v5" [label="∂v5/∂b = 1"];
  "v4" -> "v5" [label="∂v5/∂c = 1"];
  "v3" -> "v6" [label="∂v6/∂v3 = 7"];
  "v5" -> "v6" [label="∂v6/∂v5 = 2"];
}
"""


def test_a_program_of_numbers_draws_the_same_dot():
    """Recorded from main before tensors had pictures."""
    assert to_dot(result_of("(a+b)*(b+c)", {"a": -1, "b": 3, "c": 4})) == TEXTBOOK_DOT
    assert LABEL_LIMIT == LINE_WIDTH == 40


def test_a_tensor_output_is_drawn_with_its_values_then_eval_asks_for_a_scalar(cli):
    run = cli("eval", "softmax(dot(W, z))", "W=[[1, 2], [3, 4]]", "z=[1, 2]", "--graph", "mermaid")
    assert run.code == 2
    assert mermaid_problems(run.out) == []
    nodes = mermaid_nodes(run.out)
    s = np.exp([5.0, 11.0]) / np.exp([5.0, 11.0]).sum()
    assert numbers_of(nodes["v4"], "value") == pytest.approx(s.tolist(), rel=1e-5)
    assert not any(line.startswith("grad") for lines in nodes.values() for line in lines)  # not differentiated
    assert "  v1 -.-> v3" in run.out and "-->|" not in run.out
    assert run.err.startswith("backprop: usage error: the output is a tensor of shape (2,), and eval differentiates a "
                              "scalar")
