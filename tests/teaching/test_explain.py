"""`backprop explain`: the worked solution, step for step, in text, Markdown and LaTeX; and the steps data.

The four worked examples of the `backprop eval` issue are reproduced line by line;
the LaTeX is compiled when a LaTeX engine is installed (else its braces and
environments are checked for balance).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from fractions import Fraction

import pytest
from conftest import section

from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.compute import differentiate
from backprop_cli.base.errors import UsageError
from backprop_cli.language.parser import parse
from backprop_cli.render.explain import backward_line, forward_line, render
from backprop_cli.teaching.steps import (
    BackwardStep,
    ForwardStep,
    Term,
    backward_steps,
    forward_steps,
    worked_solution,
)
from backprop_cli.engine.tape import lower

EXAMPLE_1 = ("(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3")
EXAMPLE_1_PROGRAM = ("e = a + b; f = e * c; g = f / d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3")
EXAMPLE_2 = ("(x+y)*z", "-x", "-2", "-y", "5", "-z", "-4")
EXAMPLE_3 = ("(a+b)*(b+c)", "-a", "-1", "-b", "3", "-c", "4")
EXAMPLE_4 = ("e = a*b; d = e + c; L = d*f", "-a", "2", "-b", "-3", "-c", "10", "-f", "-2")


def exact_result(source: str, **inputs):
    tape = lower(parse(source))
    return differentiate(tape, {k: EXACT.literal(str(v)) for k, v in inputs.items()}, EXACT)


# ---------------------------------------------------------------------------------------------
# The four worked examples, text format

def test_example_1_program_form_exact_pinned(cli):
    run = cli("explain", *EXAMPLE_1_PROGRAM, "--exact")
    assert run.code == 0, run.err
    assert section(run.out, "Forward pass") == [
        "e = a + b = 5 + 1 = 6",
        "f = e * c = 6 * (-2) = -12",
        "g = f / d = -12 / (-3) = 4",
    ]
    assert section(run.out, "Backward pass") == [
        "∂g/∂g = 1",
        "∂g/∂d = -f/d^2 = -(-12)/(-3)^2 = 4/3",
        "∂g/∂f = 1/d = 1/(-3) = -1/3",
        "∂g/∂c = ∂g/∂f · ∂f/∂c = (1/d) · e = (-1/3) · 6 = -2",
        "∂g/∂e = ∂g/∂f · ∂f/∂e = (1/d) · c = (-1/3) · (-2) = 2/3",
        "∂g/∂b = ∂g/∂e · ∂e/∂b = ∂g/∂e · 1 = (2/3) · 1 = 2/3",
        "∂g/∂a = ∂g/∂e · ∂e/∂a = ∂g/∂e · 1 = (2/3) · 1 = 2/3",
    ]
    assert section(run.out, "Answer: g = 4") == [
        "∂g/∂a = 2/3", "∂g/∂b = 2/3", "∂g/∂c = -2", "∂g/∂d = 4/3", "∂g/∂e = 2/3", "∂g/∂f = -1/3",
    ]
    assert "Given:   a = 5, b = 1, c = -2, d = -3" in run.out
    assert "exact: every value and gradient above is an exact fraction." in run.out
    assert "108" not in run.out


def test_example_1_expression_form_exact_pinned(cli):
    run = cli("explain", *EXAMPLE_1, "--exact")
    assert run.code == 0, run.err
    # unnamed intermediates are numbered u1, u2, u3 with no gaps, and the text says which node ids they are
    assert ("numbered in the order they are computed: u1, u2, u3 (`v3, v5, v7` in `backprop eval`)"
            in " ".join(run.out.split())) and "The output is u3." in run.out
    assert section(run.out, "Forward pass") == [
        "u1 = a + b = 5 + 1 = 6",
        "u2 = u1 * c = 6 * (-2) = -12",
        "u3 = u2 / d = -12 / (-3) = 4",
    ]
    assert section(run.out, "Backward pass") == [
        "∂u3/∂u3 = 1",
        "∂u3/∂d = -u2/d^2 = -(-12)/(-3)^2 = 4/3",
        "∂u3/∂u2 = 1/d = 1/(-3) = -1/3",
        "∂u3/∂c = ∂u3/∂u2 · ∂u2/∂c = (1/d) · u1 = (-1/3) · 6 = -2",
        "∂u3/∂u1 = ∂u3/∂u2 · ∂u2/∂u1 = (1/d) · c = (-1/3) · (-2) = 2/3",
        "∂u3/∂b = ∂u3/∂u1 · ∂u1/∂b = ∂u3/∂u1 · 1 = (2/3) · 1 = 2/3",
        "∂u3/∂a = ∂u3/∂u1 · ∂u1/∂a = ∂u3/∂u1 · 1 = (2/3) · 1 = 2/3",
    ]
    assert section(run.out, "Answer: u3 = 4") == ["∂u3/∂a = 2/3", "∂u3/∂b = 2/3", "∂u3/∂c = -2", "∂u3/∂d = 4/3"]


def test_example_1_decimals_by_default(cli):
    run = cli("explain", *EXAMPLE_1)
    assert run.code == 0, run.err
    assert "∂u3/∂u1 = ∂u3/∂u2 · ∂u2/∂u1 = (1/d) · c = (-0.333333) · (-2) = 0.666667" in run.out
    assert "∂u3/∂d = -u2/d^2 = -(-12)/(-3)^2 = 1.33333" in run.out
    assert "exact" not in run.out


def test_example_2(cli):
    run = cli("explain", *EXAMPLE_2, "--exact")
    assert run.code == 0, run.err
    assert section(run.out, "Forward pass") == ["u1 = x + y = -2 + 5 = 3", "u2 = u1 * z = 3 * (-4) = -12"]
    assert section(run.out, "Backward pass") == [
        "∂u2/∂u2 = 1",
        "∂u2/∂z = u1 = 3",
        "∂u2/∂u1 = z = -4",
        "∂u2/∂y = ∂u2/∂u1 · ∂u1/∂y = z · 1 = (-4) · 1 = -4",
        "∂u2/∂x = ∂u2/∂u1 · ∂u1/∂x = z · 1 = (-4) · 1 = -4",
    ]
    assert section(run.out, "Answer: u2 = -12") == ["∂u2/∂x = -4", "∂u2/∂y = -4", "∂u2/∂z = 3"]


def test_example_3_sum_written_out(cli):
    run = cli("explain", *EXAMPLE_3, "--exact")
    assert run.code == 0, run.err
    assert section(run.out, "Forward pass") == [
        "u1 = a + b = -1 + 3 = 2",
        "u2 = b + c = 3 + 4 = 7",
        "u3 = u1 * u2 = 2 * 7 = 14",
    ]
    backward = section(run.out, "Backward pass")
    assert backward == [
        "∂u3/∂u3 = 1",
        "∂u3/∂u2 = u1 = 2",
        "∂u3/∂c = ∂u3/∂u2 · ∂u2/∂c = u1 · 1 = 2 · 1 = 2",
        "∂u3/∂u1 = u2 = 7",
        "∂u3/∂b = ∂u3/∂u1·∂u1/∂b + ∂u3/∂u2·∂u2/∂b = u2·1 + u1·1 = 7·1 + 2·1 = 9",
        "∂u3/∂a = ∂u3/∂u1 · ∂u1/∂a = u2 · 1 = 7 · 1 = 7",
    ]
    assert section(run.out, "Answer: u3 = 14") == ["∂u3/∂a = 7", "∂u3/∂b = 9", "∂u3/∂c = 2"]


def test_example_4_named_intermediates(cli):
    run = cli("explain", *EXAMPLE_4, "--exact")
    assert run.code == 0, run.err
    assert "node ids" not in run.out  # every intermediate has a name
    assert section(run.out, "Forward pass") == [
        "e = a * b = 2 * (-3) = -6",
        "d = e + c = -6 + 10 = 4",
        "L = d * f = 4 * (-2) = -8",
    ]
    assert section(run.out, "Backward pass") == [
        "∂L/∂L = 1",
        "∂L/∂f = d = 4",
        "∂L/∂d = f = -2",
        "∂L/∂c = ∂L/∂d · ∂d/∂c = f · 1 = (-2) · 1 = -2",
        "∂L/∂e = ∂L/∂d · ∂d/∂e = f · 1 = (-2) · 1 = -2",
        "∂L/∂b = ∂L/∂e · ∂e/∂b = f · a = (-2) · 2 = -4",
        "∂L/∂a = ∂L/∂e · ∂e/∂a = f · b = (-2) · (-3) = 6",
    ]
    assert section(run.out, "Answer: L = -8") == [
        "∂L/∂a = 6", "∂L/∂b = -4", "∂L/∂c = -2", "∂L/∂f = 4", "∂L/∂e = -2", "∂L/∂d = -2",
    ]


@pytest.mark.parametrize("example", [EXAMPLE_1, EXAMPLE_1_PROGRAM, EXAMPLE_2, EXAMPLE_3, EXAMPLE_4])
def test_every_backward_line_ends_with_the_computed_gradient(example, cli):
    """Each line's last number is the gradient the engine computed (the steps are the engine's own numbers)."""
    source, *bindings = example
    inputs = {bindings[k][1:]: bindings[k + 1] for k in range(0, len(bindings), 2)}
    result = exact_result(source, **inputs)
    run = cli("explain", *example, "--exact")
    lines = section(run.out, "Backward pass")
    steps = backward_steps(result)
    assert len(lines) == len(steps)
    for line, step in zip(lines, steps):
        assert Fraction(line.rsplit(" = ", 1)[1]) == result.grads[step.node]


# ---------------------------------------------------------------------------------------------
# The steps as data (the API the `check` command uses too)

def test_steps_data_example_1():
    result = exact_result("e = a + b; f = e * c; g = f / d", a=5, b=1, c=-2, d=-3)
    forward = forward_steps(result)
    assert all(isinstance(s, ForwardStep) for s in forward)
    assert [(s.label, s.kind) for s in forward] == [
        ("a", "input"), ("b", "input"), ("c", "input"), ("d", "input"),
        ("e", "operation"), ("f", "operation"), ("g", "operation"),
    ]
    f = forward[5]
    assert (f.expression, f.operand_labels, f.operands, f.value) == ("e * c", ("e", "c"), (6, -2), -12)

    backward = backward_steps(result)
    assert all(isinstance(s, BackwardStep) for s in backward)
    assert [s.label for s in backward] == ["g", "d", "f", "c", "e", "b", "a"]
    assert backward[0].is_output and backward[0].terms == () and backward[0].gradient == 1
    by_label = {s.label: s for s in backward}
    (term,) = by_label["e"].terms
    assert isinstance(term, Term)
    assert (term.consumer_label, term.upstream, term.local_symbolic, term.local, term.product) == (
        "f", Fraction(-1, 3), "c", -2, Fraction(2, 3))
    assert term.upstream_symbolic == "1/d"
    (term_d,) = by_label["d"].terms
    assert term_d.local_symbolic == "-f/d^2" and term_d.from_output and term_d.local == Fraction(4, 3)
    assert by_label["d"].gradient == Fraction(4, 3)


def test_steps_sum_over_uses():
    result = exact_result("(a+b)*(b+c)", a=-1, b=3, c=4)
    (b,) = [s for s in backward_steps(result) if s.label == "b"]
    assert [(t.consumer_label, t.upstream, t.local, t.product) for t in b.terms] == [("v3", 7, 1, 7), ("v5", 2, 1, 2)]
    assert b.gradient == 9


def test_steps_node_used_twice_by_one_consumer():
    result = exact_result("a*a", a=3)
    (a,) = [s for s in backward_steps(result) if s.label == "a"]
    assert [t.argument for t in a.terms] == [0, 1] and a.gradient == 6
    assert backward_line(a) == "∂v2/∂a = a + a = 3 + 3 = 6"


def test_steps_wrt_limits_to_paths():
    result = exact_result("e = a*b; d = e + c; L = d*f", a=2, b=-3, c=10, f=-2)
    assert [s.label for s in backward_steps(result, wrt="e")] == ["L", "d", "e"]
    assert [s.label for s in backward_steps(result, wrt="a")] == ["L", "d", "e", "a"]
    assert [s.label for s in backward_steps(result, wrt="f")] == ["L", "f"]
    with pytest.raises(UsageError, match=r"--wrt q: .*a, b, e, c, d, f, L"):
        backward_steps(result, wrt="q")


def test_lines_api():
    result = exact_result("e = a + b; f = e * c; g = f / d", a=5, b=1, c=-2, d=-3)
    assert forward_line(forward_steps(result)[4]) == "e = a + b = 5 + 1 = 6"
    assert backward_line(backward_steps(result, wrt="e")[-1]) == \
        "∂g/∂e = ∂g/∂f · ∂f/∂e = (1/d) · c = (-1/3) · (-2) = 2/3"


# ---------------------------------------------------------------------------------------------
# --wrt on the command line

def test_wrt_limits_the_backward_pass(cli):
    run = cli("explain", *EXAMPLE_3, "--exact", "--wrt", "b")
    assert run.code == 0, run.err
    assert section(run.out, "Backward pass") == [
        "∂u3/∂u3 = 1",
        "∂u3/∂u2 = u1 = 2",
        "∂u3/∂u1 = u2 = 7",
        "∂u3/∂b = ∂u3/∂u1·∂u1/∂b + ∂u3/∂u2·∂u2/∂b = u2·1 + u1·1 = 7·1 + 2·1 = 9",
    ]
    assert "only along the paths from the output u3 to b" in run.out
    assert section(run.out, "Answer") == ["∂u3/∂b = 9"]
    # the forward pass is complete
    assert len(section(run.out, "Forward pass")) == 3


def test_wrt_named_intermediate_and_id(cli):
    run = cli("explain", *EXAMPLE_4, "--wrt", "e")
    assert [line.split(" = ")[0] for line in section(run.out, "Backward pass")] == ["∂L/∂L", "∂L/∂d", "∂L/∂e"]
    for name in ("u1", "v3"):  # an unnamed node by its name in the worked solution, or by its node id
        run = cli("explain", *EXAMPLE_3, "--wrt", name)
        assert run.code == 0, run.err
        assert [line.split(" = ")[0] for line in section(run.out, "Backward pass")] == ["∂u3/∂u3", "∂u3/∂u1"]


def test_wrt_unknown_is_a_usage_error(cli, helpers):
    run = cli("explain", *EXAMPLE_4, "--wrt", "q")
    assert run.code == 2
    assert run.out == ""
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert "q" in run.err and "a, b, e, c, d, f, L" in run.err


def test_wrt_unknown_is_reported_before_a_math_error(cli):
    run = cli("explain", "y = x / 0", "-x", "1", "--wrt", "z")
    assert run.code == 2, run.err


def test_wrt_unrelated_name_has_gradient_zero(cli):
    run = cli("explain", "u = a*b; v = c + 1; v", "-a", "1", "-b", "2", "-c", "3", "--wrt", "a")
    assert run.code == 0, run.err
    assert section(run.out, "Backward pass") == ["∂v/∂v = 1", "∂v/∂a = 0   (a does not affect v)"]


# ---------------------------------------------------------------------------------------------
# Exactness, digits, kinks, errors

def test_exactness_lost_is_named_and_exact_nodes_stay_fractions(cli):
    run = cli("explain", "n = a/3; m = exp(n) * a; k = m/2", "-a", "0.3", "--exact", "--digits", "4")
    assert run.code == 0, run.err
    assert "n = a / 3 = (3/10) / 3 = 1/10" in run.out
    assert "u1 = exp(n) = exp(1/10) = 1.105" in run.out
    assert "∂k/∂m = 1/2" in run.out  # still exact
    assert "exact until u1 = exp(n): not rational" in run.out


def test_digits_for_floats(cli):
    run = cli("explain", "y = x / 3", "-x", "1", "--digits", "3")
    assert "y = x / 3 = 1 / 3 = 0.333" in run.out
    assert "∂y/∂x = 1/3 = 1/3 = 0.333" not in run.out  # equal forms are written once
    assert "∂y/∂x = 1/3 = 0.333" in run.out


def test_kink_is_noted(cli):
    run = cli("explain", "y = relu(x) + abs(x)", "-x", "0")
    assert run.code == 0, run.err
    assert "sits exactly on its kink" in run.out
    assert "∂y/∂x = ∂y/∂u1·∂u1/∂x + ∂y/∂u2·∂u2/∂x = 1·(1 if x > 0, else 0) + 1·sign(x) = 1·0 + 1·0 = 0" in run.out


def test_errors_keep_their_exit_codes(cli, helpers):
    run = cli("explain", "(a+", "-a", "1")
    assert run.code == 3
    helpers.assert_one_paragraph_error(run.err, "syntax error")
    run = cli("explain", "log(x)", "-x", "-1")  # the steps, the value undefined and why (issue 13)
    assert run.code == 4 and run.err == ""
    assert "u1 = log(x) = log(-1) = undefined" in run.out
    run = cli("explain", "2^2^2^2^2^2*x", "-x", "1", "--exact")  # no point has an exact answer: an error
    assert run.code == 4
    helpers.assert_one_paragraph_error(run.err, "math error")
    run = cli("explain", "a + b", "-a", "1")
    assert run.code == 2
    run = cli("explain", "a", "-a", "1", "--format", "pdf")
    assert run.code == 2
    run = cli("explain", "2^2^2^2^2^2", "--exact")
    assert run.code == 4


def test_edge_programs(cli):
    run = cli("explain", "x", "-x", "2")
    assert run.code == 0, run.err
    assert section(run.out, "Backward pass") == ["∂x/∂x = 1"]
    run = cli("explain", "3")
    assert run.code == 0, run.err
    assert section(run.out, "Forward pass") == ["u1 = 3"]
    run = cli("explain", "k = 0.5; y = k*x + pi", "-x", "2", "--exact")
    assert run.code == 0, run.err
    assert "k = 1/2" in run.out  # k = 0.5 is an input with the default 0.5 (issue 13), exact as 1/2
    for fmt in ("markdown", "latex"):
        for args in (("x", "-x", "2"), ("3",)):
            assert cli("explain", *args, "--format", fmt).code == 0


def test_program_from_stdin_and_help(cli, monkeypatch):
    import io

    class Stdin:
        buffer = io.BytesIO(b"e = a + b\nf = e * e  # squared\n")

    monkeypatch.setattr("sys.stdin", Stdin())
    run = cli("explain", "-", "-a", "1", "-b", "2")
    assert run.code == 0, run.err
    assert "f = e * e = 3 * 3 = 9" in run.out
    assert "∂f/∂e = e + e = 3 + 3 = 6" in run.out
    run = cli("explain", "--help")
    assert run.code == 0 and "--wrt" in run.out and "--format" in run.out


def test_long_program_is_linear_not_recursive(cli):
    # a deep chain (no recursion anywhere) and a wide sum
    deep = "x" + "".join(f"; v_{k} = {'x' if k == 0 else f'v_{k - 1}'} * 1.0001" for k in range(3000))
    run = cli("explain", deep.removeprefix("x; "), "-x", "1", "--format", "latex")
    assert run.code == 0, run.err
    wide = " + ".join(f"x*{k}" for k in range(1, 2001))
    run = cli("explain", wide, "-x", "1", "--wrt", "x")
    assert run.code == 0, run.err
    assert section(run.out, "Answer")[0].endswith(str(2000 * 2001 // 2))


# ---------------------------------------------------------------------------------------------
# Markdown renders

def _markdown_tokens(text: str):
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(text)


def test_markdown_structure(cli):
    run = cli("explain", *EXAMPLE_3, "--format", "markdown", "--exact")
    assert run.code == 0, run.err
    tokens = _markdown_tokens(run.out)
    headings = [(t.tag, tokens[k + 1].content) for k, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == [("h2", "Worked solution: u3 and its gradient"), ("h3", "Forward pass"),
                        ("h3", "Backward pass"), ("h3", "Answer")]
    lists = [k for k, t in enumerate(tokens) if t.type == "ordered_list_open"]
    assert len(lists) == 2
    items = [t for t in tokens if t.type == "list_item_open"]
    assert len(items) == 3 + 6  # three forward steps, six backward steps
    assert sum(t.type == "table_open" for t in tokens) == 1
    # nothing in the solution is taken for emphasis or HTML, and the text reads as in the text format
    assert not any(t.type in ("em_open", "strong_open") for t in tokens if t.level > 2)
    assert not any(t.type in ("html_inline", "html_block") for t in tokens)
    inline = [t.content for t in tokens if t.type == "inline"]
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(run.out)
    assert "u3 = u1 * u2 = 2 * 7 = 14" in html
    assert "∂u3/∂b = ∂u3/∂u1·∂u1/∂b + ∂u3/∂u2·∂u2/∂b = u2·1 + u1·1 = 7·1 + 2·1 = 9" in html
    assert "<code>backprop eval</code>" in html
    assert any("Given" in c for c in inline)


def test_markdown_escapes_names(cli):
    run = cli("explain", "E_o1 = (out_h1 - t_1)^2/2", "out_h1=0.75", "t_1=0.5", "--format", "markdown")
    assert run.code == 0, run.err
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(run.out)
    assert "<em>" not in html and "<strong>" not in html.split("</p>", 2)[-1]
    assert "E_o1 = u2 / 2 = 0.0625 / 2 = 0.03125" in html
    assert "∂E_o1/∂t_1 = ∂E_o1/∂u1 · ∂u1/∂t_1 = ∂E_o1/∂u1 · (-1) = 0.25 · (-1) = -0.25" in html


# ---------------------------------------------------------------------------------------------
# LaTeX compiles

_ENVIRONMENT = re.compile(r"\\(begin|end)\{([^}]*)\}")


def assert_balanced_latex(text: str) -> None:
    """Braces balance (ignoring escaped ones), \\begin/\\end nest properly, $ math is paired per paragraph."""
    depth = 0
    k = 0
    while k < len(text):
        ch = text[k]
        if ch == "\\":
            k += 2
            continue
        if ch == "%":  # a comment runs to the end of the line
            k = text.find("\n", k)
            if k < 0:
                break
            continue
        depth += ch == "{"
        depth -= ch == "}"
        assert depth >= 0, f"unbalanced '}}' at {k}: {text[max(0, k - 60):k + 1]!r}"
        k += 1
    assert depth == 0, "unbalanced '{'"
    stack = []
    for kind, name in _ENVIRONMENT.findall(text):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack[-1] == name, f"\\end{{{name}}} closes {stack[-1:] or 'nothing'}"
            stack.pop()
    assert not stack, f"unclosed environments: {stack}"
    body = re.sub(r"(?<!\\)%.*", "", text)
    assert body.count(r"\left") == body.count(r"\right")
    for paragraph in body.split("\n\n"):
        assert len(re.findall(r"(?<!\\)\$", paragraph)) % 2 == 0, paragraph
    assert text.lstrip().startswith("%") and r"\documentclass" in text and text.rstrip().endswith(r"\end{document}")
    assert text.isascii()


def _latex_engine():
    for engine in ("pdflatex", "lualatex", "xelatex"):
        path = shutil.which(engine)
        if path:
            return path
    return None


LATEX_CASES = [
    EXAMPLE_1_PROGRAM + ("--exact",),
    EXAMPLE_3,
    EXAMPLE_4 + ("--wrt", "e"),
    ("h_1 = w_1*x_1 + b_o1; E_o1 = (h_1 - t_a_b)^2 / 2 # comment: _ & % $ { } \\ é",
     "x_1=0.5", "w_1=-1.5", "b_o1=0.25", "t_a_b=1"),
    ("y = relu(x) + max(x, w)*x^2 + 2^x + abs(x) + sqrt(w+1) + sigmoid(x)/tanh(x+1) - -x + log(1e-3*w + 1)",
     "-x", "0", "w=0", "--exact"),
    ("u = a*b; v = c + 1; v", "-a", "1", "-b", "2", "-c", "3"),
    ("y = x^-2 + 1e-20*x + cos(pi*x) + min(x, 1)", "-x", "0.5"),
    ("y = exp(x) + log(x) + sqrt(x) + sin(x) + cos(x) + tan(x) + tanh(x) + sigmoid(x) + relu(x) + abs(x) "
     "+ max(x, 1) + min(x, 1) + x^x + +x - -x + 2^-x/x; z = y", "-x", "0.5"),
    ("L = (θ_1*x − y)² / 2 + λ·θ_1²; Σ = L + ϕ", "θ_1=0.5", "x=2", "y=3", "λ=0.1", "ϕ=1"),  # Greek names (issue 13)
    # functions of the program: a Function line, results labelled with their calls (f(a), neuron(w_1,a,b))
    ("f(x) = x^2 + 1; neuron(w, x, b) = sigmoid(w*x + b); y = f(a) * neuron(w_1, a, b) + f(f(b))",
     "-a", "0.5", "w_1=2", "-b", "-1"),
    ("φ(t) = t^2; θ(α) = φ(α) + 1; y = θ(β)", "β=2"),  # Greek functions: \varphi(...), in ASCII LaTeX
]


@pytest.mark.parametrize("case", LATEX_CASES, ids=range(len(LATEX_CASES)))
def test_latex_is_balanced(case, cli):
    run = cli("explain", *case, "--format", "latex")
    assert run.code == 0, run.err
    assert_balanced_latex(run.out)


def test_latex_content(cli):
    run = cli("explain", *EXAMPLE_1_PROGRAM, "--exact", "--format", "latex")
    out = run.out
    assert r"e &= a + b = 5 + 1 = 6" in out
    assert r"g &= \frac{f}{d} = \frac{-12}{-3} = 4" in out
    assert (r"\frac{\partial g}{\partial d} &= \frac{-f}{d^{2}} "
            r"= \frac{-\left(-12\right)}{\left(-3\right)^{2}} = \frac{4}{3}") in out
    assert (r"\frac{\partial g}{\partial e} &= \frac{\partial g}{\partial f} \cdot \frac{\partial f}{\partial e} "
            r"= \frac{1}{d} \cdot c") in out
    assert r"&= \left(-\frac{1}{3}\right) \cdot \left(-2\right) = \frac{2}{3}" in out
    run = cli("explain", "E_o1 = (out_h1 - t_a_b)^2/2", "out_h1=0.75", "t_a_b=0.5", "--format", "latex")
    assert r"E_{o1}" in run.out and r"\mathit{out}_{h1}" in run.out and r"t_{a\_b}" in run.out
    assert "E_o1" not in run.out.split("Program:")[1].split("Given:")[1]


@pytest.mark.skipif(_latex_engine() is None, reason="no LaTeX engine installed (the balance test still runs)")
@pytest.mark.parametrize("case", LATEX_CASES, ids=range(len(LATEX_CASES)))
def test_latex_compiles(case, cli, tmp_path):
    run = cli("explain", *case, "--format", "latex")
    assert run.code == 0, run.err
    (tmp_path / "answer.tex").write_text(run.out, encoding="utf-8")
    proc = subprocess.run(
        [_latex_engine(), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "answer.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "answer.pdf").stat().st_size > 0


def test_render_function_formats():
    result = exact_result("e = a + b; f = e * c; g = f / d", a=5, b=1, c=-2, d=-3)
    worked = worked_solution(result)
    assert render(worked, "text") .startswith("Program: e = a + b; f = e * c; g = f / d\n")
    assert render(worked, "markdown").startswith("## Worked solution")
    assert render(worked, "latex").lstrip().startswith("%")
    with pytest.raises(ValueError):
        render(worked, "html")
