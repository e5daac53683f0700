"""LaTeX as a textbook writes it, and safe to compile (issue 15).

Names: Greek letters spelled out are LaTeX's letters (`alpha` -> \\alpha, `w_alpha` -> w_{\\alpha}), a word as a
subscript is upright (`E_total` -> E_{\\text{total}}), digits and short indices stay as they are (w_{12}, E_{o1},
w_{ij}). Safety: a teacher compiles keys of student-submitted programs, so whatever the user wrote (a comment
holding `\\end{verbatim}\\input{/etc/passwd}`, HTML, fences) must land as text, never as a command: the documents
are compiled with pdflatex (-no-shell-escape) where it is installed, and their text and logs read back.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from backprop_cli.render.latex import latex_name

PDFLATEX = shutil.which("pdflatex")
needs_tex = pytest.mark.skipif(PDFLATEX is None, reason="no pdflatex installed (the source is still checked)")


@pytest.mark.parametrize("label, tex", [
    ("alpha", r"\alpha"), ("w_alpha", r"w_{\alpha}"), ("alpha1", r"\alpha_{1}"), ("theta", r"\theta"),
    ("Theta", r"\Theta"), ("lambda_reg", r"\lambda_{\text{reg}}"), ("mu_x", r"\mu_{x}"), ("tau", r"\tau"),
    ("E_total", r"E_{\text{total}}"), ("x_in", r"x_{\text{in}}"), ("net_out_2", r"\mathit{net}_{\text{out\_2}}"),
    ("w_12", r"w_{12}"), ("E_o1", r"E_{o1}"), ("w_ij", r"w_{ij}"), ("t_a_b", r"t_{a\_b}"), ("w_θ", r"w_{\theta}"),
    ("Alpha", r"\mathit{Alpha}"),  # no macro: a capital alpha is a Latin A, so the name is a word
    ("alphabet", r"\mathit{alphabet}"), ("E_total#2", r"E_{\text{total}}\#2"), ("u1", "u_{1}"),
])
def test_names_as_a_textbook_writes_them(label, tex):
    assert latex_name(label) == tex


GREEK_PROGRAM = ("E_total = (w_alpha*x_in + beta - t_12)^2/2 + lambda*theta^2", "w_alpha=0.5", "x_in=2",
                 "beta=0.25", "t_12=1", "lambda=0.1", "theta=3")


def _compile(tmp_path, source: str):
    (tmp_path / "key.tex").write_text(source, encoding="utf-8")
    proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "key.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return proc


def _pdf_text(tmp_path) -> str | None:
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    subprocess.run([tool, "key.pdf", "key.txt"], cwd=tmp_path, check=True, timeout=60)
    return (tmp_path / "key.txt").read_text(encoding="utf-8", errors="replace")


def test_greek_and_upright_subscripts_in_every_step(cli):
    run = cli("explain", *GREEK_PROGRAM, "--format", "latex")
    assert run.code == 0, run.err
    out = run.out
    body = out.split(r"\subsection*{Forward pass}")[1]
    assert r"\frac{\partial E_{\text{total}}}{\partial w_{\alpha}}" in body
    assert r"\frac{\partial E_{\text{total}}}{\partial \lambda} &= " in body
    assert r"\theta^{2}" in body and r"\beta" in body and r"t_{12}" in body and r"x_{\text{in}}" in body
    assert r"2 \cdot \theta" in body  # d theta^2 / d theta, simplified
    for spelled in ("alpha", "beta", "lambda", "theta", "total"):  # never a spelled-out name in math
        assert not re.search(rf"(?<![\\{{]){spelled}\b", body.replace(r"\text{total}", "")), spelled


@needs_tex
def test_greek_and_upright_subscripts_compile(cli, tmp_path):
    run = cli("explain", *GREEK_PROGRAM, "--format", "latex")
    proc = _compile(tmp_path, run.out)
    assert proc.returncode == 0, proc.stdout[-3000:]
    text = _pdf_text(tmp_path)
    if text is not None:
        assert "α" in text and "λ" in text and "total" in text


# ---------------------------------------------------------------------------------------------
# Hostile text: shown, never interpreted

HOSTILE_COMMENT = r"\end{verbatim}\input{/etc/passwd}\write18{touch pwned} ``` </pre><script>alert(1)</script> ~~~"
HOSTILE = (f"y = x^2  # {HOSTILE_COMMENT}\nz = y*w  # $\\def\\x{{}}$ & % ^ _ {{ }} \\\\",)
HOSTILE_ARGS = ("-x", "3", "-w", "2")
# the same comments in a program of vectors (render/explain_tensor*.py write its key)
HOSTILE_TENSOR = (f"y = sum(x^2)  # {HOSTILE_COMMENT}\nz = y*w  # $\\def\\x{{}}$ & % ^ _ {{ }} \\\\",)
HOSTILE_TENSOR_ARGS = ("x=[1, 2]", "-w", "2")
KEYS = [(HOSTILE, HOSTILE_ARGS), (HOSTILE_TENSOR, HOSTILE_TENSOR_ARGS)]

# every control sequence the renderer writes itself: anything else in a document came from the user
RENDERER_MACROS = {
    "documentclass", "usepackage", "allowdisplaybreaks", "begin", "end", "section", "subsection", "noindent",
    "quad", "texttt", "textbackslash", "textless", "textgreater", "textbar", "frac", "partial", "cdot", "left",
    "right", "text", "mathit", "setcounter", "operatorname", "sqrt", "exp", "log", "tanh", "sin", "cos", "approx",
    "times", "to", "top", "odot", "bmatrix", "cdots", "vdots", "ddots", "underset", "alpha", "theta", "lambda",
}


def _macros(source: str) -> set[str]:
    return set(re.findall(r"\\([A-Za-z]+)", source))


@pytest.mark.parametrize("program, args", KEYS, ids=["numbers", "vectors"])
def test_hostile_text_is_escaped_in_the_latex_source(program, args, cli):
    run = cli("explain", *program, *args, "--format", "latex")
    assert run.code == 0, run.err
    out = run.out
    assert _macros(out) <= RENDERER_MACROS, _macros(out) - RENDERER_MACROS
    assert r"\input" not in out and r"\write" not in out and r"\def" not in out
    assert r"\end{verbatim}" not in out
    assert r"\textbackslash{}end\{verbatim\}\textbackslash{}input\{/etc/passwd\}" in out
    # each line of the program is \texttt{...} whose every special character is escaped
    escapes = re.compile(r"\\(?:textbackslash|textless|textgreater|textbar)\{\}|\\[{}$&#_%]|\\[\^~]\{\}")
    lines = [line for line in out.split(r"\noindent Program:\\")[1].split(r"\noindent Given:")[0].splitlines()
             if line.strip()]
    assert len(lines) == 2
    for line in lines:
        inner = re.fullmatch(r"\\quad \\texttt\{(.*)\}(?:\\\\)?", line).group(1)
        assert not re.search(r"[\\{}$&#_^%]", escapes.sub("", inner)), inner


@needs_tex
@pytest.mark.parametrize("program, args", KEYS, ids=["numbers", "vectors"])
def test_hostile_text_compiles_to_text_and_reads_no_file(program, args, cli, tmp_path):
    run = cli("explain", *program, *args, "--format", "latex")
    proc = _compile(tmp_path, run.out)
    assert proc.returncode == 0, proc.stdout[-3000:]
    log = (tmp_path / "key.log").read_text(encoding="utf-8", errors="replace")
    # \input never ran: TeX logs each file it opens as "(/path", and /etc/passwd appears only as typeset text
    assert "(/etc/passwd" not in log and "root:" not in log
    assert not (tmp_path / "pwned").exists()
    text = _pdf_text(tmp_path)
    if text is not None:  # the comment is in the PDF as the characters typed
        flat = " ".join(text.split())
        assert "root:" not in flat
        assert r"\end{verbatim}\input{/etc/passwd}" in flat.replace("\u2018", "`").replace("\u2019", "'")


@pytest.mark.parametrize("program, args", KEYS, ids=["numbers", "vectors"])
def test_hostile_text_stays_in_the_markdown_code_block(program, args, cli):
    from markdown_it import MarkdownIt

    run = cli("explain", *program, *args, "--format", "markdown")
    assert run.code == 0, run.err
    tokens = MarkdownIt("commonmark").enable("table").parse(run.out)
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1  # ``` and ~~~ in the program do not close the block
    assert fences[0].content == program[0] + "\n"
    html = MarkdownIt("commonmark").enable("table").render(run.out)
    assert "<script>" not in html and "</pre><script>" not in html
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not any(t.type in ("html_inline", "html_block") for t in tokens)
