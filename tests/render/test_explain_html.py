"""`backprop explain --format html`: one self-contained page, checked by parsing it.

The page is parsed with the standard library's html.parser into a tree (every tag closed, in order), its
inline SVG again with xml.etree (well-formed XML); it must hold no script and refer to nothing outside
itself. Every number in the circuit is compared with the JSON of `backprop eval` for the same program,
node by node, and every step line with the text format's (whose numbers the explain suites check
against their oracles), so no number on the page is typed into it.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest

from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.render import circuit_svg
from backprop_cli.render.circuit_svg import MAX_NODES, ROW, folded, layout
from backprop_cli.render.explain_html import render_html
from backprop_cli.teaching.steps import worked_solution
from page_check import Tree, page_problems

SVG = "{http://www.w3.org/2000/svg}"

PROGRAMS = [
    ("e = a + b; f = e * c; g = f / d", ["-a", "5", "-b", "1", "-c", "-2", "-d", "-3"]),
    ("(a+b)*(b+c)", ["-a", "-1", "-b", "3", "-c", "4"]),
    ("f = 1/(1 + exp(-(w0*x0 + w1*x1 + w2)))", ["w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]),
    ("relu(x)*w", ["-x", "0", "-w", "2"]),
    ("k = 2; y = k*x^2 + 2*3", ["-x", "1.5"]),
    ("f(t) = t^2 + 1; y = f(a) * f(b)", ["-a", "2", "-b", "-1"]),
    ("y = max(x, 0) + sigmoid(x)", ["-x", "0.5"]),
    ("e = a*b; d = e + c; L = d*f", ["-a", "2", "-b", "-3", "-c", "10", "-f", "-2", "--wrt", "a"]),
]


def test_the_page_checker_catches_mistakes():
    good = "<!DOCTYPE html><html><head><meta charset='utf-8'><style>p{}</style></head><body><p>x</p></body></html>"
    assert page_problems(good) == []
    assert page_problems(good.replace("<p>x</p>", "<p>x"))  # not closed
    assert page_problems(good.replace("<p>x</p>", "<p><b>x</p></b>"))  # out of order
    assert page_problems(good.replace("<p>x</p>", "<script>alert(1)</script>"))
    assert page_problems(good.replace("<p>x</p>", '<img src="http://example.org/x.png">'))
    assert page_problems(good.replace("p{}", "@import 'x.css';"))
    assert page_problems(good.replace("<p>x</p>", '<p onclick="f()">x</p>'))
    assert page_problems(good.replace("<!DOCTYPE html>", ""))


def number(text: str):
    text = text.removeprefix("≈")  # a fraction too long to write, rounded
    return Fraction(text) if "/" in text else float(text)


def assert_same_number(shown: str, computed: float) -> None:
    """A number on the page is the computed one, written to 6 digits (exactly, for a fraction)."""
    value = number(shown)
    if isinstance(value, Fraction):
        assert float(value) == pytest.approx(computed, rel=1e-12, abs=1e-300), shown
    else:
        assert value == pytest.approx(computed, rel=5e-6, abs=1e-300), shown


def explain_page(cli, source: str, args: list[str]) -> str:
    run = cli("explain", source, *args, "--format", "html")
    assert run.code in (0, 4), run.err
    return run.out


def svg_of(page: str) -> ET.Element:
    """The page's inline <svg>, parsed as XML."""
    start, end = page.index("<svg"), page.index("</svg>") + len("</svg>")
    return ET.fromstring(page[start:end])


def texts_of(group: ET.Element, cls: str) -> list[str]:
    return [t.text for t in group.iter(f"{SVG}text") if t.get("class") == cls]


@pytest.mark.parametrize("source,args", PROGRAMS, ids=[p[0][:30] for p in PROGRAMS])
def test_the_page_is_well_formed_and_self_contained(cli, source, args):
    page = explain_page(cli, source, args)
    assert page_problems(page) == []
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


@pytest.mark.parametrize("source,args", PROGRAMS, ids=[p[0][:30] for p in PROGRAMS])
def test_every_number_in_the_circuit_is_the_computed_one(cli, helpers, source, args):
    page = explain_page(cli, source, args)
    bindings = [a for a in args if a != "--wrt"][: len(args) - 2 if "--wrt" in args else None]
    data = helpers.strict_json(cli("eval", source, *bindings, "--json").out)
    svg = svg_of(page)
    groups = {g.get("id"): g for g in svg.iter(f"{SVG}g") if g.get("class") == "node"}
    nodes = {node["id"]: node for node in data["nodes"]}
    drawn_ids = set(groups)
    # every node is drawn but the unnamed literals, which are written inside the gates that use them
    assert drawn_ids <= set(nodes)
    for node_id in set(nodes) - drawn_ids:
        assert nodes[node_id]["op"] == "const" and nodes[node_id]["name"] is None
    for node_id, group in groups.items():
        (value,) = texts_of(group, "value")
        assert_same_number(value, nodes[node_id]["value"])
        grads = texts_of(group, "grad")
        if nodes[node_id]["grad"] is None:
            assert grads == []
        else:
            assert_same_number(grads[0], nodes[node_id]["grad"])
        assert nodes[node_id]["id"] in group.find(f"{SVG}title").text


def _section(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(heading)) + 1
    out = []
    for line in lines[start:]:
        if not line.strip():
            break
        out.append(" ".join(line.split()))
    return out


@pytest.mark.parametrize("source,args", PROGRAMS, ids=[p[0][:30] for p in PROGRAMS])
def test_the_steps_are_the_text_formats(cli, source, args):
    page = explain_page(cli, source, args)
    text = cli("explain", source, *args).out
    tree = Tree(page).root
    lists = [e for e in tree.iter() if e.tag == "ol" and "steps" in e.classes()]
    forward, backward = ([" ".join(li.text().split()) for li in ol.children if li.tag == "li"] for ol in lists)
    assert forward == _section(text, "Forward pass")
    assert backward == _section(text, "Backward pass")
    # the answer table: the output's value, then each gradient, as the text format's answer lines
    rows = [[" ".join(td.text().split()) for td in tr.children if td.tag == "td"]
            for tr in tree.iter() if tr.tag == "tr"]
    answer = _section(text, "Answer:")
    head = next(line for line in text.splitlines() if line.startswith("Answer:"))
    assert rows[1] == head.removeprefix("Answer: ").split(" = ")
    assert [" = ".join(row) for row in rows[2:]] == answer


def test_textbook_page(cli):
    page = explain_page(cli, *PROGRAMS[0])
    assert "<title>Worked solution: g and its gradient</title>" in page
    assert '<pre class="program">e = a + b; f = e * c; g = f / d</pre>' in page
    svg = svg_of(page)
    symbols = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "symbol"]
    assert symbols == ["+", "*", "/"]
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == ["a", "b", "e", "c", "f", "d", "g"]


def test_literals_are_folded_into_their_gates_as_the_notes_write_them(cli):
    page = explain_page(cli, *PROGRAMS[2])
    symbols = [t.text for t in svg_of(page).iter(f"{SVG}text") if t.get("class") == "symbol"]
    assert symbols == ["*", "*", "+", "+", "-", "exp", "1+", "1/"]  # cs231n: *, *, +, +, *-1, exp, +1, 1/x


def result_of(source: str, inputs: dict):
    return differentiate(lower(parse(source)), inputs)


def test_layout_runs_left_to_right_without_overlaps():
    result = result_of("f = 1/(1 + exp(-(w0*x0 + w1*x1 + w2))) + w0*w1",
                       {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    boxes = {box.node: box for box in layout(result)}
    fold = folded(result)
    for box in boxes.values():
        for a in result.tape.nodes[box.node].args:
            if not fold[a] and box.gate_width:
                assert boxes[a].wire_end < box.gate_x - box.gate_width / 2  # every wire enters from the left
                assert boxes[a].column < box.column
    columns: dict[int, list[float]] = {}
    for box in boxes.values():
        columns.setdefault(box.column, []).append(box.y)
    for ys in columns.values():
        ys.sort()
        assert all(b - a >= ROW for a, b in zip(ys, ys[1:]))
    assert layout(result) == layout(result)  # deterministic


def chain(n: int) -> str:
    return "y = " + "tanh(" * n + "x" + ")" * n


def test_a_big_program_has_its_steps_and_no_picture(cli):
    small = explain_page(cli, chain(MAX_NODES - 1), ["-x", "0.5"])
    assert "<svg" in small and "picture is left out" not in small
    page = explain_page(cli, chain(3000), ["-x", "0.5"])  # 3,000 levels: no recursion anywhere
    assert page_problems(page) == []
    assert "<svg" not in page
    assert "The picture is left out: this program has 3,001 nodes" in page
    assert page.count("<li>") == 2 * 3000 + 1


def test_a_deep_circuit_is_drawn_without_recursion():
    result = result_of(chain(MAX_NODES - 1), {"x": 0.5})
    svg = ET.fromstring(circuit_svg.circuit_svg(result))
    assert sum(1 for g in svg.iter(f"{SVG}g") if g.get("class") == "node") == MAX_NODES


def test_tensor_programs_get_their_steps_and_say_the_picture_is_for_numbers(cli):
    page = explain_page(cli, "loss = cross_entropy(logits, k)", ["logits=[0,3,-2,1]", "k=3", "--digits", "5"])
    assert page_problems(page) == []
    assert "<svg" not in page
    assert "The circuit picture is drawn for programs of numbers" in page
    text = cli("explain", "loss = cross_entropy(logits, k)", "logits=[0,3,-2,1]", "k=3", "--digits", "5").out
    (pre,) = [e for e in Tree(page).root.iter() if e.tag == "pre"]
    assert pre.text() == text


def test_symbolic_formulas_go_in_the_page(cli):
    page = explain_page(cli, "y = sigmoid(w*x + b)", ["-w", "0.5", "-x", "2", "-b", "-1", "--symbolic"])
    assert page_problems(page) == []
    assert "<h2>Derivatives as formulas</h2>" in page
    assert page.index("Derivatives as formulas") < page.index("</main>")
    assert "<code>sigmoid(w*x + b)*sigmoid(-(w*x + b))*x</code>" in page


def test_undefined_numbers_are_said_and_exit_4(cli):
    run = cli("explain", "sqrt(x) + y^2", "-x", "0", "-y", "3", "--format", "html")
    assert run.code == 4
    assert page_problems(run.out) == []
    svg = svg_of(run.out)
    x_group = next(g for g in svg.iter(f"{SVG}g") if g.get("id") == "v1")
    assert texts_of(x_group, "grad") == ["undefined"]
    assert "undefined: ∂u1/∂x, and so the gradient of x" in run.out


def test_kinks_are_marked():
    result = result_of("relu(x)*w", {"x": 0, "w": 2})
    svg = ET.fromstring(circuit_svg.circuit_svg(result))
    relu = next(g for g in svg.iter(f"{SVG}g") if g.get("id") == "v2")
    assert relu.find(f"{SVG}rect").get("stroke-dasharray")
    assert "on a kink" in relu.find(f"{SVG}title").text


def test_render_html_is_a_pure_function_of_the_result():
    result = result_of("(a+b)*(b+c)", {"a": -1, "b": 3, "c": 4})
    worked = worked_solution(result)
    assert render_html(worked, result) == render_html(worked, result)


def test_the_circuit_calls_nodes_and_writes_numbers_as_the_steps_do(cli):
    page = explain_page(cli, *PROGRAMS[1])
    labels = [t.text for t in svg_of(page).iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == ["a", "b", "u1", "c", "u2", "u3"]  # the unnamed nodes as the steps number them
    assert "<li><span class=\"eq\">u1 = a + b = -1 + 3 = <span class=\"value\">2</span></span></li>" in page
    for extra, shown in (([], "0.666667"), (["--exact"], "2/3")):  # decimals by default, fractions with --exact
        svg = svg_of(explain_page(cli, PROGRAMS[0][0], [*PROGRAMS[0][1], *extra]))
        a = next(g for g in svg.iter(f"{SVG}g") if g.get("id") == "v1")
        assert texts_of(a, "grad") == [shown]
