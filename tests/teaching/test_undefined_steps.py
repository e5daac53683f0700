"""Undefined is local in explain and check (issue 13).

explain shows every step that can be done and marks the undefined ones (the reasons under the answer,
as eval writes them); check grades an answer for an undefined entry: `undefined` (or `nan`, what PyTorch
prints there) is right, any number is wrong; an answer `undefined` for a number is wrong. Both exit 4 when
something asked about is undefined. The numbers are PyTorch's (float64, torch 2.13.0+cpu): x**y at (-2, 2) is
4 with gradient (-4, nan).
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import strict_json

NEGATIVE_BASE = ["x^y", "-x", "-2", "-y", "2"]
LOG_BRANCH = ["a = log(x); b = x*y; c = b + 0*a", "-x", "-1", "-y", "2"]


def test_explain_does_the_steps_that_can_be_done(cli):
    run = cli("explain", *NEGATIVE_BASE)
    assert run.code == 4 and run.err == ""
    lines = run.out.splitlines()
    assert "  u1 = x^y = (-2)^2 = 4" in lines
    assert "  ∂u1/∂y = x^y*log(x) = (-2)^2*log(-2) = undefined" in lines
    assert "  ∂u1/∂x = y*x^(y - 1) = 2*(-2)^(2 - 1) = -4" in lines
    assert "  ∂u1/∂x = -4" in lines and "  ∂u1/∂y = undefined" in lines
    assert ("undefined: ∂u1/∂y, and so the gradient of y: the derivative of x^y with respect to the exponent y is "
            "x^y·log(x), and log needs x > 0 in u1 = x^y where x = -2, y = 2") in " ".join(run.out.split())


def test_explain_with_the_output_undefined(cli):
    run = cli("explain", *LOG_BRANCH)
    assert run.code == 4
    lines = run.out.splitlines()
    assert "  a = log(x) = log(-1) = undefined" in lines
    assert "  b = x * y = -1 * 2 = -2" in lines  # the values before it are still shown
    assert "  (none: the output c is undefined, so it has no derivatives)" in lines
    assert "Answer: c = undefined" in lines
    markdown = cli("explain", *LOG_BRANCH, "--format", "markdown").out
    assert "None: the output c is undefined, so it has no derivatives." in markdown
    assert "> undefined: the value of a, and so the output c and the gradients of x and y: log is defined" in markdown


def test_explain_wrt_an_input_whose_gradient_is_undefined(cli):
    run = cli("explain", *NEGATIVE_BASE, "--wrt", "y")
    assert run.code == 4
    assert "  ∂u1/∂y = x^y*log(x) = (-2)^2*log(-2) = undefined" in run.out.splitlines()


@pytest.mark.parametrize("argv", [NEGATIVE_BASE, LOG_BRANCH, ["sqrt(x) + y^2", "-x", "0", "-y", "3", "--exact"]])
def test_explain_latex_says_undefined_in_text_and_compiles(argv, cli, tmp_path):
    run = cli("explain", *argv, "--format", "latex")
    assert run.code == 4
    assert r"\text{undefined}" in run.out
    assert run.out.isascii()
    engine = shutil.which("pdflatex")
    if engine is None:
        pytest.skip("no pdflatex (the content is still checked)")
    (tmp_path / "answer.tex").write_text(run.out, encoding="utf-8")
    proc = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "answer.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.parametrize("answers, right, code", [
    # a number where the true value is undefined is wrong, whatever it is
    (["value=4", "x=-4", "y=0"], {"value": True, "x": True, "y": False}, 4),
    # `undefined` (in any case) and `nan` are right there ...
    (["y=undefined"], {"y": True}, 4),
    (["y=NaN", "x=-4"], {"y": True, "x": True}, 4),
    # ... and wrong for a number
    (["x=undefined"], {"x": False}, 1),
    (["value=nan"], {"value": False}, 1),
])
def test_check_grades_undefined_answers(cli, answers, right, code):
    run = cli("check", *NEGATIVE_BASE, *(a for answer in answers for a in ("--expect", answer)), "--json")
    assert run.code == code, run.err  # 4 whenever something asked about is undefined
    doc = strict_json(run.out)
    assert {a["name"]: a["ok"] for a in doc["answers"]} == right
    by_name = {a["name"]: a for a in doc["answers"]}
    if "y" in by_name:
        assert by_name["y"]["correct"] is None
        assert doc["undefined"]["answers"]["y"].startswith("depends on ∂v3/∂y, which is undefined: the derivative")
    else:
        assert "undefined" not in doc


def test_check_shows_why_an_entry_is_undefined(cli):
    run = cli("check", *NEGATIVE_BASE, "--expect", "y=0", "--expect", "x=-4")
    assert run.code == 4
    text = " ".join(run.out.split())
    assert "y ∂v3/∂y 0 undefined ✗ wrong no number is right: it is undefined here" in text
    assert "Why ∂v3/∂y is undefined (you wrote 0):" in text
    assert "∂v3/∂y = x^y*log(x) = (-2)^2*log(-2) = undefined" in text
    assert ("∂v3/∂y is undefined because the derivative does not exist: the derivative of x^y with respect to the "
            "exponent y is x^y·log(x), and log needs x > 0 in v3 = x^y where x = -2, y = 2") in text


def test_check_with_the_output_undefined(cli):
    run = cli("check", *LOG_BRANCH, "--expect", "b.value=-2", "--expect", "x=2", "--expect", "value=undefined")
    assert run.code == 4
    text = " ".join(run.out.split())
    assert "Why ∂c/∂x is undefined (you wrote 2):" in text
    assert "∂c/∂x is undefined because log is defined for positive numbers only in a = log(x) where x = -1" in text
    doc = strict_json(cli("check", *LOG_BRANCH, "--expect", "b.value=-2", "--expect", "value=undefined",
                          "--json").out)
    assert [a["ok"] for a in doc["answers"]] == [True, True]
    assert doc["value"] is None and doc["undefined"]["value"].startswith("depends on a, which is undefined")


def test_check_of_defined_answers_next_to_an_undefined_branch_exits_as_before(cli):
    run = cli("check", "a = log(x); b = x*y", "-x", "-1", "-y", "2", "--expect", "x=2", "--expect", "y=-1")
    assert run.code == 0, run.out  # nothing asked about is undefined
    run = cli("check", "a = log(x); b = x*y", "-x", "-1", "-y", "2", "--expect", "x=3")
    assert run.code == 1
