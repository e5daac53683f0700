"""The ```sh blocks of README.md and docs/*.md: commands that write files, loop in a shell or compile.

They cannot be pasted outputs (they print nothing, or write a picture), so each one is run here the way
the page says, in a scratch folder, and what it produces is checked. A new `backprop` line in an ```sh
block fails test_every_shell_command_is_covered until it gets a test below.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from doc_examples import ROOT, pages

SH_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)
GRAPH = 'backprop eval "(a+b)*(b+c)" -a -1 -b 3 -c 4 --graph svg --out docs/graph.svg'
LATEX = 'backprop explain "e = a*b; d = e + c; L = d*f" -a 2 -b -3 -c 10 -f -2 --format latex > answer.tex'
HTML = ('backprop explain "e = a + b; f = e * c; g = f / d" -a 5 -b 1 -c -2 -d -3 --exact --format html '
        '> answer.html')
LOOP = ('backprop check "e = a*b; d = e + c; L = d*f" -a 2 -b -3 -c 10 -f -2 --answers "$f" > /dev/null')
COMPLETION = {"bash": 'eval "$(_BACKPROP_COMPLETE=bash_source backprop)"',
              "zsh": 'eval "$(_BACKPROP_COMPLETE=zsh_source backprop)"',
              "fish": "_BACKPROP_COMPLETE=fish_source backprop > ~/.config/fish/completions/backprop.fish"}
PARQUET = 'backprop eval "tanh(w0*x0 + w1*x1 + b) * (a + b) / c" --batch points.parquet --out grads.parquet'
COVERED = {GRAPH, LATEX, HTML, LOOP, PARQUET, *COMPLETION.values()}


def shell_blocks():
    for page in pages():
        for match in SH_BLOCK.finditer(page.read_text(encoding="utf-8")):
            yield page, match.group(1)


def block_with(text: str) -> str:
    found = [block for _, block in shell_blocks() if text in block]
    assert found, f"no ```sh block shows {text!r} any more"
    return found[0]


@pytest.fixture
def on_path(tmp_path):
    """A `backprop` command on PATH that runs this checkout, as the installed script would."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "backprop"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m backprop_cli "$@"\n')
    script.chmod(0o755)
    env = {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
           "NO_COLOR": "1", "HOME": str(tmp_path)}
    work = tmp_path / "work"
    work.mkdir()
    return work, env


def test_every_shell_command_is_covered():
    lines = {line.strip() for _, block in shell_blocks() for line in block.splitlines()
             if "backprop" in line and not line.lstrip().startswith("#")}
    assert lines <= COVERED, f"not covered by a test here: {sorted(lines - COVERED)}"


def test_the_graph_picture_is_drawn_and_docs_graph_svg_is_current(on_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (.ci/run installs it)")
    work, env = on_path
    (work / "docs").mkdir()
    assert GRAPH in block_with(GRAPH)
    subprocess.run(GRAPH, shell=True, cwd=work, env=env, check=True, timeout=60)
    drawn = (work / "docs" / "graph.svg").read_text(encoding="utf-8")
    assert drawn.lstrip().startswith("<?xml") and "</svg>" in drawn
    texts = re.compile(r"<text[^>]*>([^<]*)</text>")
    committed = (ROOT / "docs" / "graph.svg").read_text(encoding="utf-8")
    # the layout may differ between Graphviz versions; the labels (values, gradients) may not
    assert sorted(texts.findall(drawn)) == sorted(texts.findall(committed))


def test_the_latex_answer_key_is_a_complete_document(on_path):
    work, env = on_path
    block = block_with(LATEX)
    assert "pdflatex answer.tex" in block
    subprocess.run(LATEX, shell=True, cwd=work, env=env, check=True, timeout=60)
    tex = (work / "answer.tex").read_text(encoding="ascii")  # plain ASCII, as the page says
    assert "\n\\documentclass" in tex and tex.rstrip().endswith("\\end{document}")
    assert "\\usepackage{amsmath}" in tex
    if shutil.which("pdflatex"):
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "answer.tex"], cwd=work,
                       env=env, check=True, capture_output=True, timeout=120)
        assert (work / "answer.pdf").exists()


def test_the_html_answer_key_is_what_explain_md_shows(on_path):
    """The page is self-contained, docs/circuit.svg is its circuit, and the ```html excerpt is cut from it."""
    from page_check import page_problems

    work, env = on_path
    block_with(HTML)
    subprocess.run(HTML, shell=True, cwd=work, env=env, check=True, timeout=60)
    page = (work / "answer.html").read_text(encoding="utf-8")
    assert page_problems(page) == []
    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    assert (ROOT / "docs" / "circuit.svg").read_text(encoding="utf-8") == svg + "\n"
    text = (ROOT / "docs" / "explain.md").read_text(encoding="utf-8")
    excerpt = text[text.index(HTML):].split("```html\n", 1)[1].split("```", 1)[0]
    assert excerpt in page


def test_the_grading_loop_prints_what_the_page_shows(on_path):
    work, env = on_path
    page = (ROOT / "docs" / "grading.md").read_text(encoding="utf-8")
    loop = block_with(LOOP)
    shown = page[page.index(loop):].split("```text\n", 1)[1].split("```", 1)[0]
    homework = work / "homework"
    homework.mkdir()
    (homework / "alice.txt").write_text("d=-2\ne=-2\na=6\n")
    (homework / "bob.txt").write_text("d=-2\ne=2\n")
    (homework / "carol.txt").write_text("d=-2\ne=-2\nd -2\n")
    proc = subprocess.run(["bash", "-c", loop], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert proc.stdout + proc.stderr == shown or _interleaved(proc, shown)


def _interleaved(proc, shown: str) -> bool:
    """stdout and stderr are captured apart: the page shows them interleaved, line by line."""
    return sorted((proc.stdout + proc.stderr).splitlines()) == sorted(shown.splitlines())


@pytest.mark.parametrize("shell", sorted(COMPLETION))
def test_shell_completion_scripts_are_printed(on_path, shell):
    work, env = on_path
    assert COMPLETION[shell] in block_with(COMPLETION[shell])
    proc = subprocess.run(["backprop"], cwd=work, env={**env, "_BACKPROP_COMPLETE": f"{shell}_source"},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "_BACKPROP_COMPLETE" in proc.stdout and "backprop" in proc.stdout


def test_every_rendered_mermaid_block_is_the_output_shown_above_it():
    """A ```mermaid block (drawn by GitHub) must be a copy of a checked `--graph mermaid` output on its page."""
    found = 0
    for page in pages():
        text = page.read_text(encoding="utf-8")
        outputs = re.findall(r"```console\n\$ backprop [^\n]*--graph mermaid[^\n]*\n(.*?)```", text, re.DOTALL)
        for block in re.findall(r"```mermaid\n(.*?)```", text, re.DOTALL):
            found += 1
            assert block in outputs, f"{page.name}: a ```mermaid block is not the output of a checked example"
    assert found


def test_the_parquet_batch_writes_the_rows_of_eval(on_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    work, env = on_path
    assert PARQUET in block_with(PARQUET)
    names = ["w0", "x0", "w1", "x1", "b", "a", "c"]
    points = [[0.5, 1, -1, 2, 0.25, 1, 3], [-2, 0.5, 1.5, -1, 0, 2, 0.75]]
    pq.write_table(pa.table({n: [float(p[k]) for p in points] for k, n in enumerate(names)}), work / "points.parquet")
    subprocess.run(PARQUET, shell=True, cwd=work, env=env, check=True, timeout=60)
    table = pq.read_table(work / "grads.parquet")
    assert table.column_names == ["value", *(f"grad_{n}" for n in names)]
    for k, point in enumerate(points):
        args = [f"{n}={v}" for n, v in zip(names, point)]
        proc = subprocess.run(["backprop", "eval", PARQUET.split('"')[1], *args, "--json"], cwd=work, env=env,
                              capture_output=True, text=True, check=True, timeout=60)
        single = json.loads(proc.stdout)
        assert [table.column(c)[k].as_py() for c in table.column_names] == \
            [single["value"], *(single["gradient"][n] for n in names)]
