"""Human-readable outputs of big programs are capped with a note (as eval's tables are past --max-rows), and
small programs print as before: the terminal tree, check's steps, check's list of node ids."""
from __future__ import annotations

import re

from rich.console import Console

from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.render import check_steps
from backprop_cli.render.graph_tree import graph_tree


def result_of(source: str, **inputs):
    return differentiate(lower(parse(source)), {k: float(v) for k, v in inputs.items()})


def plain(renderable, width: int = 100) -> str:
    console = Console(width=width, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


def test_the_tree_stops_at_max_nodes_with_a_note_and_no_empty_lines():
    source = "u = y*2; " + "(" * 60 + "x" + "*a + b)" * 60  # 123 nodes on the path to the output, 3 off it
    result = result_of(source, x=0.5, a=0.5, b=0.25, y=1)
    whole = plain(graph_tree(result), width=200)
    assert "the tree stops" not in whole
    off_the_path = whole.splitlines()[-1]
    assert off_the_path.startswith("not on any path to the output: ") and "u" in off_the_path
    cut = plain(graph_tree(result, max_nodes=40), width=200)
    lines = cut.splitlines()
    assert len([line for line in lines if re.match(r"[\s│├└─]*v\d+ ", line)]) == 40
    assert "... the tree stops after 40 lines:" in cut and "more nodes are not drawn" in cut
    assert all(line.strip(" │├└─") for line in lines[:lines.index("")]), "an empty line inside the tree"
    assert cut.splitlines()[-1] == off_the_path


def test_a_tree_within_max_nodes_is_drawn_whole():
    result = result_of("(a+b)*(b+c)", a=-1, b=3, c=4)
    assert plain(graph_tree(result)) == plain(graph_tree(result, max_nodes=7))  # 7 lines exactly: not cut
    assert "the tree stops" in plain(graph_tree(result, max_nodes=6))


def test_check_steps_are_elided_in_the_middle(monkeypatch):
    monkeypatch.setattr(check_steps, "MAX_LINES", 10)
    result = result_of("(" * 30 + "x" + "*a + b)" * 30, x=0.5, a=0.5, b=0.25)
    lines = check_steps.gradient_steps(result, "x", 6)
    assert len(lines) == 11 and lines[5].startswith("... ") and "more steps, not shown here" in lines[5]
    assert lines[-1].startswith("∂v63/∂x = ")  # the step asked about is kept
    values = check_steps.value_steps(result, result.tape.output, 6)
    assert len(values) == 11 and "`backprop explain` shows every step" in values[5]


def test_a_sum_of_many_terms_is_elided_within_its_line(monkeypatch):
    monkeypatch.setattr(check_steps, "MAX_TERMS", 4)
    result = result_of(" + ".join(f"sin(x*{k})" for k in range(1, 11)), x=0.5)
    (line,) = [line for line in check_steps.gradient_steps(result, "x", 6) if line.startswith("∂out/∂x")
               or line.startswith("∂v") and "/∂x = " in line]
    assert line.count("(6 more terms)") == 3  # the chain, the symbols and the numbers: each elided
    monkeypatch.setattr(check_steps, "MAX_TERMS", 12)
    full = [line for line in check_steps.gradient_steps(result, "x", 6) if "/∂x = " in line]
    assert "more terms" not in full[0]


def test_checks_heading_elides_a_long_list_of_node_ids(cli):
    source = "(" * 40 + "x" + "*2)" * 40
    run = cli("check", source, "-x", "1", "--expect", f"x={2 ** 40}")
    assert run.code == 0, run.err
    text = " ".join(run.out.split())
    assert "v3, v5, v7" in text and ", ... (15 more), v81." in text
    short = cli("check", "(x+1)*2", "-x", "1", "--expect", "x=2")
    assert "node ids (as in `backprop eval`): v3, v5. The output is v5." in " ".join(short.out.split())
