"""Pictures of big graphs (`--graph svg|png`): the nodes nearest the output, the rest counted in one node;
and `--graph dot|mermaid` written line by line, the same bytes as the whole text.

Graphviz's layout grows far faster than the graph (measured on bench/scale.py's chain: 300 nodes in 2.5 s,
500 in 22 s, 1,000 not in minutes), so a picture draws at most graph_output.PICTURE_NODES nodes, and fewer
where long edges would make the layout slow (graph_text.layout_span within LAYOUT_BUDGET). A small graph
is drawn whole, exactly as before.
"""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections import deque

import pytest

from backprop_cli.commands.graph_output import LAYOUT_BUDGET, PICTURE_NODES
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.render import graph_text
from backprop_cli.render.graph_text import layout_span, nearest_the_output, to_dot, to_mermaid

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
SVG_NS = "{http://www.w3.org/2000/svg}"


def chain(lines: int) -> tuple[str, dict]:
    """A residual chain like bench/scale.py's: each line reads the line before and one further back."""
    text = ["h0 = x0*x1 - x2"]
    for k in range(1, lines):
        j = max(0, k - 1 - (k * 7) % 13)
        text.append(f"h{k} = h{k - 1} + tanh(h{k - 1}*x{k % 5} - h{j}*0.5)*0.01")
    text.append(f"L = h{lines - 1}")
    return "\n".join(text), {f"x{i}": 0.5 + i / 10 for i in range(5)}


def shared_weight(terms: int) -> tuple[str, dict]:
    """One input used by every line: its edges cross the whole picture (the dense case)."""
    text = ["h0 = w*x"] + [f"h{k} = tanh(w*h{k - 1} + b)" for k in range(1, terms)]
    return "\n".join(text), {"w": 0.5, "x": 1.0, "b": 0.1}


def result_of(source: str, inputs: dict):
    return differentiate(lower(parse(source)), {k: float(v) for k, v in inputs.items()})


def distances(tape) -> list[int | None]:
    """Steps from each node back to the output (None: off every path to it), breadth first."""
    far: list[int | None] = [None] * len(tape.nodes)
    far[tape.output] = 0
    queue = deque([tape.output])
    while queue:
        i = queue.popleft()
        for a in tape.nodes[i].args:
            if far[a] is None:
                far[a] = far[i] + 1
                queue.append(a)
    return far


@pytest.mark.parametrize("source, inputs", [
    ("(a+b)*(b+c)", {"a": -1, "b": 3, "c": 4}),
    ("h = relu(x) + 2*pi + max(x, 0); u = h; unused = 3*q; y = u*u - x^2/sqrt(w)", {"x": 0, "q": 1, "w": 4}),
    chain(10),  # 80 nodes (a chain of 30 lines, 240 nodes, takes dot 4.6 s whole: it is cut)
])
def test_a_small_graph_is_drawn_whole(source, inputs):
    assert nearest_the_output(result_of(source, inputs), PICTURE_NODES, LAYOUT_BUDGET) is None


@pytest.mark.parametrize("source, inputs, most", [
    (*chain(400), PICTURE_NODES),  # cut by the number of nodes
    (*shared_weight(300), PICTURE_NODES - 1),  # cut by the length of its edges, to fewer nodes
])
def test_a_big_graph_draws_the_nodes_nearest_the_output(source, inputs, most):
    result = result_of(source, inputs)
    tape = result.tape
    cut = nearest_the_output(result, PICTURE_NODES, LAYOUT_BUDGET)
    assert cut is not None and 1 < len(cut.drawn) <= most and cut.total == len(tape.nodes)
    assert cut.drawn == sorted(cut.drawn) and tape.output in cut.drawn
    assert cut.not_drawn == len(tape.nodes) - len(cut.drawn)
    assert layout_span(tape, cut.drawn) <= LAYOUT_BUDGET
    # nearest the output: no node left out is nearer to it than a node drawn
    far = distances(tape)
    drawn = set(cut.drawn)
    assert max(far[i] for i in drawn) <= min(far[i] for i in range(len(far)) if i not in drawn and far[i] is not None)
    # `fed`: exactly the drawn nodes with an argument left out
    assert cut.fed == [i for i in cut.drawn if any(a not in drawn for a in tape.nodes[i].args)] and cut.fed


def test_the_layout_span_counts_the_ranks_each_edge_crosses():
    # a = x*y (rank 1 after x and y at 0), b = a + x (rank 2), L = b*a (rank 3): spans 1+1, 1+2, 1+2 = 8
    tape = lower(parse("a = x*y; b = a + x; L = b*a"))
    assert layout_span(tape, list(range(len(tape.nodes)))) == 8
    # one line used by every later line: its edges cross the picture, so the span grows as the square
    tapes = [lower(parse(shared_weight(n)[0])) for n in (10, 20, 40)]
    spans = [layout_span(tape, list(range(len(tape.nodes)))) for tape in tapes]
    assert spans[1] > 3 * spans[0] and spans[2] > 3 * spans[1]


def test_a_cut_picture_in_dot_has_the_drawn_nodes_and_one_that_counts_the_rest():
    result = result_of(*chain(400))
    cut = nearest_the_output(result, PICTURE_NODES, LAYOUT_BUDGET)
    text = to_dot(result, cut=cut)
    ids = {result.tape.nodes[i].id for i in cut.drawn}
    nodes = [line.split('"')[1] for line in text.splitlines() if line.startswith('  "') and " -> " not in line]
    assert set(nodes) == ids | {"not drawn"} and len(nodes) == len(ids) + 1
    assert f"… {cut.not_drawn:,} more nodes not drawn" in text and "--graph dot, mermaid or tree" in text
    for line in text.splitlines():
        if " -> " in line:  # every edge between drawn nodes, or from the one that counts the rest
            source, target = line.split('"')[1], line.split('"')[3]
            assert target in ids and (source in ids or source == "not drawn")
    assert text.count('"not drawn" -> ') == len(cut.fed)


@needs_dot
def test_eval_graph_svg_of_a_big_program_says_what_it_left_out(cli, tmp_path):
    source, inputs = chain(2000)
    result = result_of(source, inputs)
    cut = nearest_the_output(result, PICTURE_NODES, LAYOUT_BUDGET)
    out = tmp_path / "big.svg"
    argv = ["eval", source, *(f"{k}={v}" for k, v in inputs.items()), "--graph", "svg", "--out", out]
    run = cli(*argv)
    assert run.code == 0 and run.out == ""
    note = (f"backprop: note: the svg picture draws the {len(cut.drawn):,} nodes nearest the output, of "
            f"{len(result.tape.nodes):,}")
    assert run.err.startswith(note) and "--graph dot, --graph mermaid and --graph tree write the whole graph" in run.err
    svg = ET.parse(out).getroot()
    titles = [g.find(f"{SVG_NS}title").text for g in svg.iter(f"{SVG_NS}g") if g.get("class") == "node"]
    assert len(titles) == len(cut.drawn) + 1 and "not drawn" in titles
    texts = " ".join(t.text or "" for t in svg.iter(f"{SVG_NS}text"))
    assert f"{cut.not_drawn:,} more nodes not drawn" in texts
    # with --json, the "graph" key says it too
    run = cli(*argv, "--json")
    graph = json.loads(run.out)["graph"]
    assert graph == {"format": "svg", "file": str(out), "nodes": len(result.tape.nodes), "drawn": len(cut.drawn),
                     "note": run.err.removeprefix("backprop: note: ").strip()}


@needs_dot
def test_a_small_picture_keeps_its_json_key(cli, tmp_path):
    out = tmp_path / "g.svg"
    run = cli("eval", "(a+b)*(b+c)", "-a", "-1", "-b", "3", "-c", "4", "--graph", "svg", "--out", out, "--json")
    assert run.code == 0 and run.err == ""
    assert json.loads(run.out)["graph"] == {"format": "svg", "file": str(out)}


@pytest.mark.parametrize("fmt, whole", [("dot", to_dot), ("mermaid", to_mermaid)])
def test_dot_and_mermaid_written_line_by_line_are_the_whole_text(cli, tmp_path, fmt, whole):
    source, inputs = chain(600)  # several chunks of lines
    expected = whole(result_of(source, inputs))
    argv = ["eval", source, *(f"{k}={v}" for k, v in inputs.items()), "--graph", fmt]
    run = cli(*argv)
    assert run.code == 0 and run.out == expected
    assert cli(*argv, "--out", tmp_path / "g.txt").out == ""
    assert (tmp_path / "g.txt").read_text(encoding="utf-8") == expected
    assert json.loads(cli(*argv, "--json").out)["graph"] == {"format": fmt, "text": expected}
    if fmt == "mermaid":  # too big for Mermaid renderers, and said so, with the characters counted as written
        assert run.err.startswith(f"backprop: note: {graph_text.mermaid_limit_note(result_of(source, inputs), expected)}")
