"""Hostile text in every output format: what the user wrote is shown as text, never interpreted.

A teacher runs students' programs, so this is a security property. Arbitrary text reaches the outputs
through the program itself: its comments, a string (`Value(2.0, label='...')`), and a reading of `1/2(...)`
that quotes the program, comments inside the brackets included. Names are only letters, digits and _,
but the renderers escape them too: these tests also plant names no program could write.

Each format is read back by a real parser where one exists: html.parser for the HTML page (and the
Markdown, rendered by markdown-it-py, the CommonMark parser Rich depends on), xml.etree for SVG, Graphviz's
`dot` for DOT; Mermaid by the syntax of its labels.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.render.circuit_svg import circuit_svg
from backprop_cli.render.explain import render_markdown
from backprop_cli.render.explain_html import render_html
from backprop_cli.render.graph_text import to_dot, to_mermaid
from backprop_cli.teaching.steps import worked_solution
from page_check import Tree, page_problems

SVG = "{http://www.w3.org/2000/svg}"
DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed (apt install graphviz)")

# What breaks out of each format: HTML, an SVG text or CDATA, DOT and Mermaid labels, LaTeX, Markdown code
HOSTILE = ('</pre><script>alert(1)</script> <img src=x onerror=alert(2)> "]; evil [label="x"]; ]]> '
           '</text><text>forged</text> \\end{verbatim}\\input{/etc/passwd} &amp; ` ~~~ --> %% click')
PROGRAM = (f"# {HOSTILE}\n"
           "e = a * Value(2.0, label='</script><b>\"];') + b\n"
           f"g = 1/2(e # {HOSTILE}\n"
           ")")
BINDINGS = ["-a", "1", "-b", "2"]
# the same program with the hostile text taken out: its output has the same elements, in the same order
TAME = "e = a * 2.0 + b\ng = 1/2(e\n)"
PLANTED = '<script>"]; x'  # a name no program could write, planted in the tape


def collapsed(text: str) -> str:
    return " ".join(text.split())


def program_lines() -> str:
    return "\n".join(line.rstrip() for line in PROGRAM.splitlines())


def planted_result(name: str = PLANTED):
    result = differentiate(lower(parse("e = a + b; g = e * a")), {"a": 1.0, "b": 2.0})
    nodes = list(result.tape.nodes)
    nodes[2] = replace(nodes[2], name=name)  # e
    return replace(result, tape=replace(result.tape, nodes=tuple(nodes)))


def test_the_hostile_program_runs():
    assert "is read as" in parse(PROGRAM).notes[0]  # the reading quotes the comment inside the brackets


# ---------------------------------------------------------------------------------------------
# HTML: explain --format html

def tags(root) -> list[str]:
    """The elements of a parsed page, in document order: hostile text that made one would show here."""
    return [e.tag for e in root.iter() if e.tag != "#document"]


def test_html_shows_hostile_text_as_text(cli):
    run = cli("explain", PROGRAM, *BINDINGS, "--format", "html")
    assert run.code == 0, run.err
    assert page_problems(run.out) == []  # no script, no event handler, no address, every tag closed in order
    tree = Tree(run.out).root
    assert tags(tree) == tags(Tree(cli("explain", TAME, *BINDINGS, "--format", "html").out).root)
    (program,) = [e for e in tree.iter() if e.tag == "pre"]
    assert program.text() == program_lines()  # the comments and the string, as written
    reading = next(e for e in tree.iter() if e.tag == "p" and e.text().startswith("Note:"))
    assert collapsed(HOSTILE) in collapsed(reading.text())
    start = run.out.index("<svg")
    ET.fromstring(run.out[start:run.out.index("</svg>") + 6])  # the inline SVG is well-formed XML


def test_html_escapes_planted_names():
    result = planted_result()
    page = render_html(worked_solution(result), result)
    assert page_problems(page) == []
    tree = Tree(page).root
    tame = planted_result("e")
    assert tags(tree) == tags(Tree(render_html(worked_solution(tame), tame)).root)
    steps = [e.text() for e in tree.iter() if e.tag == "li"]
    assert f"{PLANTED} = a + b = 1 + 2 = 3" in steps


# ---------------------------------------------------------------------------------------------
# SVG: our circuit, and Graphviz's picture

def test_circuit_svg_escapes_planted_names():
    svg = ET.fromstring(circuit_svg(planted_result()))
    assert [e.tag for e in svg.iter()] == [e.tag for e in ET.fromstring(circuit_svg(planted_result("e"))).iter()]
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label"]
    assert PLANTED in labels
    assert any(PLANTED in (t.text or "") for t in svg.iter(f"{SVG}title"))


@needs_dot
def test_graphviz_svg_shows_the_hostile_caption_as_text(cli, tmp_path):
    out = tmp_path / "graph.svg"
    run = cli("eval", PROGRAM, *BINDINGS, "--graph", "svg", "--out", str(out))
    assert run.code == 0, run.err
    svg = ET.parse(out).getroot()
    tags = {e.tag.removeprefix(SVG) for e in svg.iter()}
    assert tags <= {"svg", "g", "title", "text", "polygon", "path", "ellipse", "polyline"}, tags
    assert not any(name.startswith("on") for e in svg.iter() for name in e.attrib)
    texts = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert any(t.startswith("# </pre><script>alert(1)</script> <img") for t in texts)  # the caption, as text
    assert "forged" not in texts


# ---------------------------------------------------------------------------------------------
# DOT: drawn by Graphviz, which would make a node of an escaped `"]; evil [label="x"];`

@needs_dot
def test_dot_keeps_hostile_text_inside_its_labels(cli):
    run = cli("eval", PROGRAM, *BINDINGS, "--graph", "dot")
    assert run.code == 0, run.err
    done = subprocess.run([DOT, "-Tsvg"], input=run.out.encode(), capture_output=True, timeout=120)
    assert done.returncode == 0 and not done.stderr, done.stderr.decode()
    svg = ET.fromstring(done.stdout)
    titles = [g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g") if g.get("class") == "node"]
    tape = lower(parse(PROGRAM))
    assert sorted(titles) == sorted(node.id for node in tape.nodes)  # no node `evil`
    caption = next(t.text for t in svg.iter(f"{SVG}text") if t.text and t.text.startswith("#"))
    assert caption.startswith('# </pre><script>alert(1)</script> <img src=x onerror=alert(2)> "]; evil')


@needs_dot
def test_dot_escapes_planted_names():
    done = subprocess.run([DOT, "-Tsvg"], input=to_dot(planted_result()).encode(), capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    svg = ET.fromstring(done.stdout)
    titles = [g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g") if g.get("class") == "node"]
    assert sorted(titles) == ["v1", "v2", "v3", "v4"]
    assert f"v3 {PLANTED}" in [t.text for t in svg.iter(f"{SVG}text")]


# ---------------------------------------------------------------------------------------------
# Mermaid: every label is one quoted string with no quote in it, and no tag but <br/>

MERMAID_NODE = re.compile(r'  v\d+(\(\[|\[\[|\[|\()"([^"]*)"(\]\)|\]\]|\]|\))')
MERMAID_EDGE = re.compile(r'  v\d+ (-\.->|-->\|"([^"]*)"\|) v\d+')
MERMAID_CLASS = re.compile(r"  (classDef \w+ [\w:#,. -]+|class [v\d,]+ \w+)")


def mermaid_labels(text: str) -> list[str]:
    """Every label of a flowchart in the subset we write; fails on a line outside it."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    labels = []
    for line in lines[1:]:
        match = MERMAID_NODE.fullmatch(line) or MERMAID_EDGE.fullmatch(line)
        if match is None:
            assert MERMAID_CLASS.fullmatch(line), f"not a node, edge or class line: {line}"
            continue
        label = match.group(2) or ""
        assert "<" not in label.replace("<br/>", "") and ">" not in label.replace("<br/>", ""), label
        labels.append(label)
    return labels


def test_mermaid_has_no_room_for_program_text(cli):
    run = cli("eval", PROGRAM, *BINDINGS, "--graph", "mermaid")
    assert run.code == 0, run.err
    mermaid_labels(run.out)
    assert "script" not in run.out and "evil" not in run.out and "passwd" not in run.out


def test_mermaid_escapes_planted_names():
    labels = mermaid_labels(to_mermaid(planted_result()))
    assert "v3 #lt;script#gt;#quot;]; x<br/>a + b<br/>value 3 | grad 1" in labels


# ---------------------------------------------------------------------------------------------
# Markdown: explain --format markdown, rendered by a CommonMark parser

def markdown_tree(text: str):
    markdown_it = pytest.importorskip("markdown_it")
    return Tree(markdown_it.MarkdownIt("commonmark").enable("table").render(text)).root


def test_markdown_shows_hostile_text_as_text(cli):
    run = cli("explain", PROGRAM, *BINDINGS, "--format", "markdown")
    assert run.code == 0, run.err
    tree = markdown_tree(run.out)
    assert tags(tree) == tags(markdown_tree(cli("explain", TAME, *BINDINGS, "--format", "markdown").out))
    (program,) = [e for e in tree.iter() if e.tag == "pre"]
    assert program.text() == program_lines() + "\n"
    reading = next(e for e in tree.iter() if e.tag == "p" and e.text().startswith("Note:"))
    assert collapsed(HOSTILE) in collapsed(reading.text())


def test_markdown_escapes_planted_names():
    result = planted_result()
    tree = markdown_tree(render_markdown(worked_solution(result)))
    assert tags(tree) == tags(markdown_tree(render_markdown(worked_solution(planted_result("e")))))
    steps = [collapsed(e.text()) for e in tree.iter() if e.tag == "li"]
    assert f"{PLANTED} = a + b = 1 + 2 = 3" in steps
