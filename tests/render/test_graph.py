"""Pictures of the graph (`--graph tree|dot|mermaid|svg|png`): DOT drawn by a real Graphviz,
Mermaid checked against its flowchart syntax, the tree snapshot, and the errors."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from rich.console import Console

from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.compute import differentiate
from backprop_cli.language.parser import parse
from backprop_cli.render import graph_text
from backprop_cli.render.graph_text import (
    LABEL_LIMIT,
    edges,
    grad_text,
    node_operation,
    node_title,
    shorten,
    to_dot,
    to_mermaid,
    value_text,
)
from backprop_cli.render.graph_tree import graph_tree
from backprop_cli.engine.tape import lower

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed (apt install graphviz)")

TEXTBOOK = ("(a+b)*(b+c)", {"a": -1, "b": 3, "c": 4})
PROGRAMS = [
    TEXTBOOK,
    ("e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2}),
    ("(a+b)*c/d", {"a": 5, "b": 1, "c": -2, "d": -3}),
    # constants, functions, kinks, a copy node, a node off the path to the output, a repeated argument
    ("h = relu(x) + 2*pi + max(x, 0); u = h; unused = 3*q; y = u*u - x^2/sqrt(w)", {"x": 0, "q": 1, "w": 4}),
]


def result_of(source: str, inputs: dict, arithmetic=None):
    tape = lower(parse(source))
    if arithmetic is None:
        return differentiate(tape, {k: float(v) for k, v in inputs.items()})
    return differentiate(tape, {k: arithmetic.literal(str(v)) for k, v in inputs.items()}, arithmetic)


def renamed(result, i: int, name: str):
    """The same result with node i given a name no program could write (to test escaping)."""
    nodes = list(result.tape.nodes)
    nodes[i] = replace(nodes[i], name=name)
    return replace(result, tape=replace(result.tape, nodes=tuple(nodes)))


def eval_args(source: str, inputs: dict) -> list[str]:
    return ["eval", source, *(f"{k}={v}" for k, v in inputs.items())]


def sum_program(terms: int) -> tuple[str, dict]:
    """w1*x1 + w2*x2 + ...: four nodes a term (two inputs, a product, a sum)."""
    source = "s = " + " + ".join(f"w{k}*x{k}" for k in range(1, terms + 1))
    inputs = {}
    for k in range(1, terms + 1):
        inputs[f"w{k}"] = k / 10
        inputs[f"x{k}"] = -k
    return source, inputs


# ---------------------------------------------------------------------------------------------
# DOT, drawn by the real Graphviz

SVG_NS = "{http://www.w3.org/2000/svg}"


def svg_of(dot_text: str) -> ET.Element:
    done = subprocess.run([DOT, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return ET.fromstring(done.stdout)


def svg_groups(svg: ET.Element, kind: str) -> dict[str, list[str]]:
    """title -> the texts drawn in it, for every <g class=kind> (node or edge) of a dot SVG."""
    found = {}
    for g in svg.iter(f"{SVG_NS}g"):
        if g.get("class") == kind:
            title = g.find(f"{SVG_NS}title").text
            found[title] = [(t.text or "").strip() for t in g.iter(f"{SVG_NS}text")]
    return found


def expected_node_texts(result, i: int) -> list[str]:
    texts = [shorten(node_title(result, i)), shorten(node_operation(result, i)), shorten(value_text(result, i, 6))]
    grad = grad_text(result, i, 6)
    if grad is not None:
        texts.append(shorten(grad))
    return texts


def assert_svg_has_every_label(result, svg: ET.Element) -> None:
    tape = result.tape
    nodes = svg_groups(svg, "node")
    assert set(nodes) == {node.id for node in tape.nodes}
    for i, node in enumerate(tape.nodes):
        drawn = nodes[node.id]
        for text in expected_node_texts(result, i):
            assert text.strip() in drawn, f"{node.id}: {text!r} not drawn; drawn: {drawn}"
    drawn_edges = svg_groups(svg, "edge")
    for edge in edges(result, 6):
        title = f"{tape.nodes[edge.source].id}->{tape.nodes[edge.target].id}"
        assert title in drawn_edges
        if edge.local is not None:
            assert shorten(edge.local) in drawn_edges[title], (title, drawn_edges[title])
    assert sum(len(n.args) for n in tape.nodes) == sum(1 for g in svg.iter(f"{SVG_NS}g") if g.get("class") == "edge")


@needs_dot
@pytest.mark.parametrize("source,inputs", PROGRAMS, ids=[p[0][:30] for p in PROGRAMS])
def test_dot_rendered_by_graphviz_shows_every_node(source, inputs):
    result = result_of(source, inputs)
    assert_svg_has_every_label(result, svg_of(to_dot(result)))


@needs_dot
def test_dot_textbook_example_labels():
    result = result_of(*TEXTBOOK)
    nodes = svg_groups(svg_of(to_dot(result)), "node")
    assert nodes["v2"] == ["v2 b", "input", "value 3", "|", "grad 9"]
    assert nodes["v6"] == ["v6 (output)", "v3 * v5", "value 14", "|", "grad 1"]


@needs_dot
def test_dot_escapes_user_text():
    nasty = 'x"y\\n<b>&amp;[z]{w}|#%;`'
    result = renamed(result_of(*TEXTBOOK), 0, nasty)
    text = to_dot(result)
    svg = svg_of(text)
    nodes = svg_groups(svg, "node")
    assert f"v1 {nasty}" in nodes["v1"]
    edge_texts = svg_groups(svg, "edge")["v1->v3"]
    assert f"∂v3/∂{nasty} = 1" in edge_texts


@needs_dot
def test_exact_fractions_on_the_picture():
    result = result_of("(a+b)*c/d", {"a": 5, "b": 1, "c": -2, "d": -3}, EXACT)
    nodes = svg_groups(svg_of(to_dot(result)), "node")
    assert "grad 2/3" in nodes["v1"] and "grad 4/3" in nodes["v6"]


def test_dot_structure():
    result = result_of(*PROGRAMS[3])
    text = to_dot(result)
    assert text.startswith("digraph backprop {") and text.rstrip().endswith("}")
    assert "rankdir=LR" in text
    styles = {}
    for line in text.splitlines():
        match = re.match(r'\s+"(v\d+)" \[(.*), label=<', line)
        if match:
            styles[match.group(1)] = match.group(2)
    tape = result.tape
    assert len(styles) == len(tape.nodes)
    kinds = {graph_text.node_kind(result, i): styles[n.id].split(",")[0] for i, n in enumerate(tape.nodes)}
    assert len(set(kinds.values())) >= 2 and "peripheries=2" in styles[tape.nodes[tape.output].id]
    assert styles["v1"] != styles[tape.nodes[tape.output].id]
    # edges into constants carry no gradient: dashed and unlabelled
    assert re.search(r'"v\d+" -> "v\d+" \[style=dashed', text)


def test_long_labels_are_shortened():
    long_name = "a_really_long_intermediate_name_that_goes_on_and_on_and_on"
    result = result_of(f"{long_name} = x*y + x; z = {long_name}^2", {"x": 2, "y": 3})
    dot_without_caption = "\n".join(line for line in to_dot(result).splitlines() if not line.startswith("  graph ["))
    for text in (dot_without_caption, to_mermaid(result)):
        assert long_name not in text
        assert long_name[:LABEL_LIMIT - 10] in text and "…" in text
    assert shorten("x" * 100) == "x" * (LABEL_LIMIT - 1) + "…"
    assert shorten("short") == "short"


# ---------------------------------------------------------------------------------------------
# Mermaid, checked against the flowchart syntax (no mermaid CLI offline)

NODE_ID = r"v\d+"
# a quoted label: no raw quote, backtick or angle bracket; `<br/>` is the only tag; `#` only as an entity code
LABEL = r'"(?:[^"<>#`]|<br/>|#\w+;)*"'
SHAPES = [(r"\(\[", r"\]\)"), (r"\[\[", r"\]\]"), (r"\[", r"\]"), (r"\(", r"\)")]
NODE_LINE = re.compile(r"^  (" + NODE_ID + r")(?:" + "|".join(f"{o}{LABEL}{c}" for o, c in SHAPES) + r")$")
EDGE_LINE = re.compile(r"^  (" + NODE_ID + r") (?:-->\|" + LABEL + r"\||-\.->) (" + NODE_ID + r")$")
CLASSDEF_LINE = re.compile(r"^  classDef (\w+) [\w#:.%-]+(?:,[\w#:.% -]+)*$")
CLASS_LINE = re.compile(r"^  class (" + NODE_ID + r"(?:," + NODE_ID + r")*) (\w+)$")


def mermaid_problems(text: str) -> list[str]:
    """What makes `text` not a valid flowchart in the subset we write; [] when it is valid."""
    problems = []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "flowchart LR":
        problems.append("the first line is not `flowchart LR`")
    defined: set[str] = set()
    classes: set[str] = set()
    used: list[tuple[int, str]] = []
    for number, line in enumerate(lines[1:], start=2):
        if line.count('"') % 2:
            problems.append(f"line {number}: unbalanced quotes: {line}")
            continue
        if line.strip().startswith("%%"):
            continue
        if match := NODE_LINE.match(line):
            if match.group(1) in defined:
                problems.append(f"line {number}: node {match.group(1)} defined twice")
            defined.add(match.group(1))
        elif match := EDGE_LINE.match(line):
            used += [(number, match.group(1)), (number, match.group(2))]
        elif match := CLASSDEF_LINE.match(line):
            classes.add(match.group(1))
        elif match := CLASS_LINE.match(line):
            used += [(number, node) for node in match.group(1).split(",")]
            if match.group(2) not in classes:
                problems.append(f"line {number}: class {match.group(2)} used before its classDef")
        else:
            problems.append(f"line {number}: not a node, edge, classDef or class line: {line}")
    problems += [f"line {n}: {node} is not defined" for n, node in used if node not in defined]
    return problems


def test_the_mermaid_checker_catches_mistakes():
    good = to_mermaid(result_of(*TEXTBOOK))
    assert mermaid_problems(good) == []
    assert mermaid_problems(good.replace("flowchart LR", "graph TD"))
    assert mermaid_problems(good.replace('v3["v3', 'v3["v"3'))  # a raw quote in a label
    assert mermaid_problems(good.replace("<br/>input", "<b>input"))  # a tag other than <br/>
    assert mermaid_problems(good.replace("v1 -->", "v99 -->"))  # an edge from nowhere
    assert mermaid_problems(good.replace('v2(["', 'v2(("'))  # mismatched brackets


@pytest.mark.parametrize("source,inputs", PROGRAMS, ids=[p[0][:30] for p in PROGRAMS])
def test_mermaid_is_a_valid_flowchart(source, inputs):
    result = result_of(source, inputs)
    text = to_mermaid(result)
    assert mermaid_problems(text) == []
    lines = text.splitlines()
    assert sum(1 for line in lines if NODE_LINE.match(line)) == len(result.tape.nodes)
    assert sum(1 for line in lines if EDGE_LINE.match(line)) == sum(len(n.args) for n in result.tape.nodes)


def test_mermaid_textbook_example():
    text = to_mermaid(result_of(*TEXTBOOK))
    assert '  v2(["v2 b<br/>input<br/>value 3 | grad 9"])' in text
    assert '  v6[["v6 (output)<br/>v3 * v5<br/>value 14 | grad 1"]]' in text
    assert '  v3 -->|"∂v6/∂v3 = 7"| v6' in text
    assert "  class v1,v2,v4 input" in text and "  class v6 output" in text


def test_mermaid_escapes_user_text():
    nasty = 'x"y<b>&[z]{w}|#%;`'
    text = to_mermaid(renamed(result_of(*TEXTBOOK), 0, nasty))
    assert mermaid_problems(text) == []
    assert "v1 x#quot;y#lt;b#gt;#38;[z]{w}|#35;#37;;#96;" in text


def test_named_intermediates_keep_their_names():
    result = result_of(*PROGRAMS[1])
    dot, mermaid = to_dot(result), to_mermaid(result)
    for title in ("v3 e", "v5 d", "v7 L (output)"):
        assert f"<b>{title}</b>" in dot and f'"{title}<br/>' in mermaid
    assert '"∂L/∂d = -2"' in dot and '"∂d/∂e = 1"' in mermaid


# ---------------------------------------------------------------------------------------------
# The tree

TEXTBOOK_TREE = """\
v6 = v3 * v5   value 14 | grad 1   (output)
├── v3 = a + b   value 2 | grad 7   ∂v6/∂v3 = 7
│   ├── v1 a input   value -1 | grad 7   ∂v3/∂a = 1
│   └── v2 b input   value 3 | grad 9   ∂v3/∂b = 1
└── v5 = b + c   value 7 | grad 2   ∂v6/∂v5 = 2
    ├── v2 b   ∂v5/∂b = 1   (shared, see above)
    └── v4 c input   value 4 | grad 2   ∂v5/∂c = 1
"""

NAMED_TREE = """\
v7 L = d * f   value -8 | grad 1   (output)
├── v5 d = e + c   value 4 | grad -2   ∂L/∂d = -2
│   ├── v3 e = a * b   value -6 | grad -2   ∂d/∂e = 1
│   │   ├── v1 a input   value 2 | grad 6   ∂e/∂a = -3
│   │   └── v2 b input   value -3 | grad -4   ∂e/∂b = 2
│   └── v4 c input   value 10 | grad -2   ∂d/∂c = 1
└── v6 f input   value -2 | grad 4   ∂L/∂f = 4
"""


def plain_tree(result, width: int = 80, **options) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, no_color=True, highlight=False, emoji=False)
    console.print(graph_tree(result, **options))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def test_tree_snapshot():
    assert plain_tree(result_of(*TEXTBOOK)) == TEXTBOOK_TREE
    assert plain_tree(result_of(*PROGRAMS[1])) == NAMED_TREE


def test_tree_through_the_cli(cli):
    run = cli(*eval_args(*TEXTBOOK), "--graph", "tree", "--color", "never")
    assert run.code == 0 and run.err == ""
    assert "\n".join(line.rstrip() for line in run.out.splitlines()) + "\n" == TEXTBOOK_TREE


def test_tree_styles_value_and_gradient_apart(cli, helpers):
    run = cli(*eval_args(*TEXTBOOK), "--graph", "tree", "--color", "always")
    assert run.code == 0
    first = run.out.splitlines()[0]
    value_codes = helpers.colour_codes(first[: first.index("value 14") + len("value 14")])
    grad_codes = helpers.colour_codes(first[first.index("grad 1") - 12:])
    assert value_codes and grad_codes and value_codes[-1] != grad_codes[0]


def test_tree_marks_kinks_constants_and_nodes_off_the_path():
    text = plain_tree(result_of(*PROGRAMS[3]), width=120)
    assert "on a kink: grad by convention" in text
    assert "v3 constant 2   value 2\n" in text and "v4 constant pi   value 3.14159\n" in text  # no gradient
    assert "not on any path to the output: v11, v12 q, v13 unused" in text
    assert text.count("(shared, see above)") >= 2  # u*u and x used three times


def test_tree_continues_deep_branches_below():
    depth = 1000
    source = "tanh(" * depth + "x" + ")" * depth
    text = plain_tree(result_of(source, {"x": 0.5}))
    assert "(continued below)" in text and "(continued from above)" in text
    assert all(len(line) <= 80 for line in text.splitlines())
    # every node is drawn in full exactly once as it first appears, and once more where its branch continues
    ids = re.findall(r"^[\s│├└─]*(v\d+) = ", text, flags=re.MULTILINE)
    assert set(ids) == {f"v{k}" for k in range(2, depth + 2)}


# ---------------------------------------------------------------------------------------------
# Several hundred nodes

def test_three_hundred_nodes_render_in_every_text_format():
    source, inputs = sum_program(75)
    result = result_of(source, inputs)
    assert len(result.tape.nodes) >= 299
    mermaid = to_mermaid(result)
    assert mermaid_problems(mermaid) == []
    assert graph_text.mermaid_limit_note(result, mermaid) is None  # within GitHub's Mermaid limits
    assert to_dot(result).count("label=<") == len(result.tape.nodes) + 1  # every node, and the caption
    tree = plain_tree(result)
    assert "v299 s = " in tree and all(len(line) <= 80 for line in tree.splitlines())


@needs_dot
def test_three_hundred_nodes_through_graphviz(cli, tmp_path):
    source, inputs = sum_program(75)
    result = result_of(source, inputs)
    assert_svg_has_every_label(result, svg_of(to_dot(result)))
    out = tmp_path / "big.svg"
    run = cli(*eval_args(source, inputs), "--graph", "svg", "--out", out)
    assert run.code == 0, run.err
    assert ET.parse(out).getroot().tag == f"{SVG_NS}svg"


def test_mermaid_says_when_a_graph_is_too_big_for_mermaid(cli):
    source, inputs = sum_program(200)
    run = cli(*eval_args(source, inputs), "--graph", "mermaid")
    assert run.code == 0 and run.out.startswith("flowchart LR")
    assert "Mermaid renderers" in run.err and "--graph svg" in run.err


# ---------------------------------------------------------------------------------------------
# The command line: files, images, JSON, errors

@needs_dot
@pytest.mark.parametrize("fmt,magic", [("svg", b"<?xml"), ("png", b"\x89PNG\r\n\x1a\n")])
def test_images_are_written_to_out(cli, tmp_path, fmt, magic):
    out = tmp_path / f"graph.{fmt}"
    run = cli(*eval_args(*TEXTBOOK), "--graph", fmt, "--out", out)
    assert (run.code, run.out) == (0, "")
    assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "tree"])
def test_text_formats_go_to_stdout_or_to_out(cli, tmp_path, fmt):
    printed = cli(*eval_args(*TEXTBOOK), "--graph", fmt, "--color", "never")
    assert printed.code == 0 and printed.out
    out = tmp_path / f"graph.{fmt}"
    written = cli(*eval_args(*TEXTBOOK), "--graph", fmt, "--out", out)
    assert (written.code, written.out) == (0, "")
    assert out.read_text(encoding="utf-8") == printed.out


def test_dot_text_matches_the_library(cli):
    run = cli(*eval_args(*TEXTBOOK), "--graph", "dot")
    assert run.out == to_dot(result_of(*TEXTBOOK))


def test_exact_through_the_cli(cli):
    run = cli(*eval_args("(a+b)*c/d", {"a": 5, "b": 1, "c": -2, "d": -3}), "--exact", "--graph", "mermaid")
    assert run.code == 0 and "grad 2/3" in run.out and "grad 4/3" in run.out


def test_json_with_a_graph_stays_one_json_document(cli, helpers, tmp_path):
    run = cli(*eval_args(*TEXTBOOK), "--json", "--graph", "dot")
    doc = helpers.strict_json(run.out)
    assert doc["value"] == 14 and doc["graph"]["format"] == "dot"
    assert doc["graph"]["text"] == to_dot(result_of(*TEXTBOOK))
    run = cli(*eval_args(*TEXTBOOK), "--json", "--graph", "mermaid", "--out", tmp_path / "g.mmd")
    assert helpers.strict_json(run.out)["graph"] == {"format": "mermaid", "file": str(tmp_path / "g.mmd")}


@pytest.mark.parametrize("extra,message", [
    (["--graph", "svg"], "--out FILE"),
    (["--graph", "png"], "--out FILE"),
    (["--out", "x.svg"], "--graph FORMAT"),
    (["--json", "--graph", "tree"], "no JSON form"),
    (["--graph", "pdf"], "pdf"),
])
def test_usage_errors(cli, helpers, extra, message):
    run = cli(*eval_args(*TEXTBOOK), *extra)
    assert run.code == 2
    # with --json, the error is also a JSON document on standard output (issue 13)
    assert run.out == "" if "--json" not in extra else helpers.strict_json(run.out)["error"]["kind"] == "usage"
    helpers.assert_one_paragraph_error(run.err)
    assert message in run.err


def test_unwritable_out_is_a_usage_error(cli, helpers, tmp_path):
    run = cli(*eval_args(*TEXTBOOK), "--graph", "dot", "--out", tmp_path / "missing-folder" / "g.dot")
    assert run.code == 2
    helpers.assert_one_paragraph_error(run.err, "usage error")


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_missing_graphviz_exits_2_naming_the_package(cli, helpers, monkeypatch, tmp_path, fmt):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    out = tmp_path / f"graph.{fmt}"
    run = cli(*eval_args(*TEXTBOOK), "--graph", fmt, "--out", out)
    assert run.code == 2 and run.out == ""
    helpers.assert_one_paragraph_error(run.err, "missing tool")
    assert "Graphviz (apt install graphviz / brew install graphviz)" in run.err
    assert not out.exists()
    # the text formats need nothing outside Python
    assert cli(*eval_args(*TEXTBOOK), "--graph", "dot").code == 0


def test_check_with_a_graph_keeps_stdout_for_the_picture(cli):
    run = cli(*eval_args(*TEXTBOOK), "--graph", "mermaid", "--check")
    assert run.code == 0 and run.out.startswith("flowchart LR")
    assert "finite-difference check passed" in run.err


def test_json_start_up_loads_no_drawing_code():
    code = (
        "import sys\n"
        "from backprop_cli.cli import main\n"
        "main(['eval', '(a+b)*c', '-a', '1', '-b', '2', '-c', '3', '--json'])\n"
        "loaded = [m for m in sys.modules if m.startswith(('rich', 'backprop_cli.render.graph'))]\n"
        "sys.stderr.write(repr(loaded))\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
