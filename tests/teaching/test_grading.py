"""`backprop check`: grading answers (values and gradients), verdicts, exit codes, JSON, usage errors."""
from __future__ import annotations

import re
from fractions import Fraction

import pytest

from backprop_cli.engine.arithmetic import EXACT, FLOAT
from backprop_cli.engine.compute import differentiate
from backprop_cli.base.errors import UsageError
from backprop_cli.teaching.answers import expectations, parse_answer, parse_answers_text
from backprop_cli.teaching.grading import grade
from backprop_cli.language.parser import parse
from backprop_cli.engine.tape import lower

BLOG = ("(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3")  # a: 2/3, b: 2/3, c: -2, d: 4/3, value 4
CHAIN = ("e = a*b; d = e + c; L = d*f", "-a", "2", "-b", "-3", "-c", "10", "-f", "-2")
# CHAIN at that point: L = -8; dL/dd -2, dL/de -2, dL/dc -2, dL/da 6, dL/db -4, dL/df 4; e = -6, d = 4


def expect(*pairs: str) -> list[str]:
    args = []
    for pair in pairs:
        args += ["--expect", pair]
    return args


def graded(source: str, inputs: dict, *items: str, exact: bool = False, tolerance=None):
    arithmetic = EXACT if exact else FLOAT
    tape = lower(parse(source))
    result = differentiate(tape, {k: arithmetic.literal(str(v)) for k, v in inputs.items()}, arithmetic)
    return grade(result, expectations(tape, [(item, f"--expect {item}") for item in items]), tolerance)


# ------------------------------------------------------------------ the grading table

# (answer for dL/da of BLOG, where the true value is 2/3 = 0.6666..., verdict): a decimal is correct within half a
# unit of its last digit (rounded right), accepted within one unit (cut off, or a rounding carried along)
C, A, W = "correct", "accepted", "wrong"
TWO_THIRDS = [
    ("0.67", C), ("0.666", A), ("0.667", C), ("0.6667", C), ("0.66667", C), ("0.66666", A), ("0.6666", A),
    ("0.6666666666666666", C), ("0.6666666666666667", C), (".67", C), ("6.67e-1", C), ("6.6e-1", A),
    ("0.65", W), ("0.5", W), ("0.7", C), ("0.6", A), ("0.55", W), ("0.668", W), ("0.6668", W),
    ("0.66", A), ("0.68", W), ("0.8", W), ("1", W),
    ("2/3", C), ("4/6", C), ("-2/3", W), ("-0.7", W), ("0", W),
    ("1 - 1/3", C), ("2/3 + 1e-6", W), ("sqrt(4)/3", C), ("6", W),
]
MARKS = {C: "✓ correct", A: "~ accepted", W: "✗ wrong"}


@pytest.mark.parametrize("answer,verdict", TWO_THIRDS)
@pytest.mark.parametrize("exact", [False, True])
def test_two_thirds(cli, answer, verdict, exact):
    run = cli("check", *BLOG, *expect(f"a={answer}"), *(["--exact"] if exact else []))
    assert run.code == (1 if verdict == W else 0), run.out + run.err
    row = next(line for line in run.out.splitlines() if line.startswith("a "))
    assert MARKS[verdict] in row and all(mark not in row for mark in MARKS.values() if mark != MARKS[verdict])
    doc = cli("check", *BLOG, *expect(f"a={answer}"), "--json", *(["--exact"] if exact else [])).json()
    assert doc["answers"][0]["verdict"] == verdict and doc["answers"][0]["ok"] == (verdict != W)
    strict = cli("check", *BLOG, *expect(f"a={answer}"), "--strict", *(["--exact"] if exact else []))
    assert strict.code == (0 if verdict == C else 1), strict.out


GRADES = [
    # the famous one: the blog's d/dd is 108, the truth is 4/3
    (BLOG, ("value=4", "a=6", "d=108"), 1, {"value": True, "a": False, "d": False}),
    (BLOG, ("value=4", "a=2/3", "b=2/3", "c=-2", "d=4/3"), 0, {"a": True, "b": True, "c": True, "d": True}),
    (BLOG, ("d=-4/3",), 1, {"d": False}),
    (BLOG, ("d=1.33", "c=-2.0", "value=4.0"), 0, {"d": True, "c": True, "value": True}),
    (BLOG, ("d=1.3", "d.value=-3", "a.value=5"), 0, {"d": True, "d.value": True, "a.value": True}),
    (BLOG, ("d=1.4",), 0, {"d": True}),  # within one unit (0.1) of the last digit: accepted
    (BLOG, ("d=1.5",), 1, {"d": False}),
    (BLOG, ("d=1.333333333",), 0, {"d": True}),
    (BLOG, ("d=1.333333334",), 0, {"d": True}),  # 6.7e-10 off: within one unit (1e-9) of the last digit (accepted)
    (BLOG, ("d=1.333333335",), 1, {"d": False}),  # 1.7e-9 off
    (BLOG, ("c=-2e0", "c.value=-2"), 0, {"c": True, "c.value": True}),
    (BLOG, ("d=-3",), 1, {"d": False}),  # the value, not the gradient
    (BLOG, ("d.value=4/3",), 1, {"d.value": False}),
    (CHAIN, ("L.value=-8", "value=-8", "e.value=-6", "d.value=4"), 0, {}),
    (CHAIN, ("d=-2", "e=-2", "c=-2", "a=6", "b=-4", "f=4", "L.grad=1"), 0, {}),
    (CHAIN, ("L=-8", "dL/dd=-2", "d L / d e = -2", "∂L/∂c=-2", "a.grad=6", "b=-4", "f=4"), 0, {}),
    (CHAIN, ("L=1",), 1, {"L": False}),  # the output's name is its value, -8 (its gradient is L.grad)
    (("sqrt(x)", "-x", "2"), ("value=sqrt(2)", "x=sqrt(2)/4", "x=1/(2*sqrt(2))"), None, {}),  # duplicate x
    (("sqrt(x)", "-x", "2"), ("value=sqrt(2)", "x=sqrt(2)/4"), 0, {"value": True, "x": True}),
    (("sqrt(x)", "-x", "2"), ("value=1.414", "x=0.354"), 0, {"value": True, "x": True}),
    (("sqrt(x)", "-x", "2"), ("value=1.41", "x=0.35"), 0, {"value": True, "x": True}),
    (("sqrt(x)", "-x", "2"), ("value=1.42", "x=0.36"), 0, {"value": True, "x": True}),  # within 0.01
    (("sqrt(x)", "-x", "2"), ("value=1.43", "x=0.37"), 1, {"value": False, "x": False}),
    (("sigmoid(x)", "-x", "1"), ("value=1/(1+exp(-1))", "x=exp(-1)/(1+exp(-1))^2"), 0, {}),
    (("sigmoid(x)", "-x", "1"), ("value=0.731", "x=0.197", "x.value=1"), 0, {}),
    (("sigmoid(x)", "-x", "1"), ("value=exp(1)/(1+exp(1))",), 0, {}),
    (("sigmoid(x)", "-x", "1"), ("value=0.7310585786",), 0, {}),
    (("sigmoid(x)", "-x", "1"), ("value=0.7310585787",), 0, {}),  # 0.7 units of its last digit off
    (("sigmoid(x)", "-x", "1"), ("value=0.7310585788",), 1, {}),  # 1.7 units off
    (("x*0", "-x", "3"), ("x=0", "value=0.0", "x.value=3"), 0, {}),
    (("x*0", "-x", "3"), ("x=1/10^11",), 1, {"x": False}),  # exact forms: 1e-12 absolute at a true 0
    (("x*0", "-x", "3"), ("x=1/10^13",), 0, {"x": True}),
    (("x*0", "-x", "3"), ("x=1e-15",), 0, {"x": True}),  # a decimal: within one unit of its last digit
    (("x*0", "-x", "3"), ("x=2e-15",), 1, {"x": False}),
    (("x*0", "-x", "3"), ("x=0.000",), 0, {"x": True}),
    (("y = 2*x; z = 3*x", "-x", "1"), ("y=0", "z.grad=1", "z.value=3"), 0, {}),
    (("y = 2*x; z = 3*x", "-x", "1"), ("z=3", "value=3"), None, {}),  # z, the output: its value, answered twice  # y does not reach the output z
    (("x^2", "-x", "1e3"), ("value=1e6", "x=2000", "x=2e3"), None, {}),
    (("x^2", "-x", "1e3"), ("value=1e6", "x=2.0e3"), 0, {}),
    (("x^2", "-x", "1e3"), ("value=1.00001e6",), 0, {}),  # one unit of the last digit, 10: accepted
    (("x^2", "-x", "1e3"), ("value=1.00002e6",), 1, {}),
    (("x^2", "-x", "1e3"), ("value=1000001",), 1, {}),  # an integer must match to 1e-9 relative
]


@pytest.mark.parametrize("program,answers,code,verdicts", GRADES, ids=[" ".join(g[1]) for g in GRADES])
def test_grading_table(cli, program, answers, code, verdicts):
    run = cli("check", *program, *expect(*answers), "--json")
    if code is None:  # an answer given twice
        assert run.code == 2 and "answered twice" in run.err
        return
    assert run.code == code, run.out + run.err
    doc = run.json()
    assert doc["ok"] == (code == 0)
    got = {a["name"]: a["ok"] for a in doc["answers"]}
    for name, ok in verdicts.items():
        assert got[name] == ok, (name, doc)


def test_the_blog_example_in_full(cli):
    run = cli("check", *BLOG, *expect("value=4", "a=6", "d=108"))
    assert run.code == 1
    assert run.err == ""
    out = run.out
    rows = {line.split()[0]: line for line in out.splitlines() if "✓" in line or "✗" in line}
    assert "✓" in rows["value"] and "✗" in rows["a"] and "✗" in rows["d"]
    assert "108" in rows["d"] and "1.33333" in rows["d"]
    assert "0.666667" in rows["a"]
    assert "Rule:" in out and "1e-9 relative" in out
    # the steps that lead to each wrong answer's correct value
    assert "How ∂" in out and "/∂d = 1.33333 is found (you wrote 108)" in out
    assert "/∂a = 0.666667 is found (you wrote 6)" in out
    assert "Verdict: 3 answers: 1 correct, 2 wrong (a, d)." in out


def test_the_blog_example_exact(cli):
    run = cli("check", *BLOG, *expect("value=4", "a=6", "d=108"), "--exact")
    assert run.code == 1
    assert re.search(r"\bd\b.*108\s+4/3\s+✗", run.out), run.out
    assert re.search(r"\ba\b.*6\s+2/3\s+✗", run.out), run.out
    doc = cli("check", *BLOG, *expect("value=4", "a=6", "d=108", "c=-2"), "--exact", "--json").json()
    exact = {a["name"]: a["correct_exact"] for a in doc["answers"]}
    assert exact == {"value": "4", "a": "2/3", "d": "4/3", "c": "-2"}
    assert doc["exact"]["value"] == "4"
    float_doc = cli("check", *BLOG, *expect("d=108"), "--json").json()
    assert float_doc["answers"][0]["correct_exact"] is None
    assert "exact" not in float_doc


def test_all_right_exits_0(cli):
    run = cli("check", *BLOG, *expect("value=4", "a=2/3", "b=0.667", "c=-2", "d=4/3"))
    assert run.code == 0
    assert "Verdict: 5 of 5 answers are correct." in run.out
    assert "✗" not in run.out and "How " not in run.out


# ------------------------------------------------------------------ JSON


def test_json_shape(cli):
    run = cli("check", *BLOG, *expect("value=4", "a=0.67", "d=108", "d.value=-3", "b=sqrt(4)/3"), "--json")
    assert run.code == 1
    doc = run.json()
    assert set(doc) >= {"ok", "answers", "first_wrong", "value"}
    assert doc["ok"] is False and doc["value"] == 4 and doc["first_wrong"] == "d"
    keys = {"name", "kind", "given", "given_value", "correct", "correct_exact", "ok", "tolerance", "rule"}
    for answer in doc["answers"]:
        assert set(answer) >= keys
    value, a, d, dv, b = doc["answers"]
    assert (value["kind"], a["kind"], d["kind"], dv["kind"], b["kind"]) == (
        "value", "gradient", "gradient", "node_value", "gradient")
    assert a == {**a, "given": "0.67", "given_value": 0.67, "ok": True, "verdict": "correct", "tolerance": 0.005,
                 "correct_exact": None, "note": None}
    assert abs(a["correct"] - 2 / 3) < 1e-15 and "last digit" in a["rule"]
    assert d["given_value"] == 108 and d["ok"] is False and d["verdict"] == "wrong" and d["rule"] == "1e-9 relative"
    assert doc["verdicts"] == {"correct": 4, "accepted": 0, "wrong": 1} and doc["strict"] is False
    assert abs(d["tolerance"] - 4 / 3 * 1e-9) < 1e-20
    assert dv["correct"] == -3 and dv["ok"] is True
    assert b["ok"] is True and b["given"] == "sqrt(4)/3"


def test_json_keeps_rich_out(cli):
    import subprocess
    import sys

    code = ("import sys; from backprop_cli.cli import main; "
            "main(['check', '(a+b)*c/d', '-a', '5', '-b', '1', '-c', '-2', '-d', '-3', '--expect', 'd=4/3', '--json']);"
            "sys.exit(1 if any(m == 'rich' or m.startswith('rich.') for m in sys.modules) else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_json_tolerance_override(cli):
    doc = cli("check", *BLOG, *expect("d=1.3", "a=0.6667"), "--tolerance", "1e-3", "--json").json()
    d, a = doc["answers"]
    assert d["ok"] is False and a["ok"] is True
    assert "--tolerance" in d["rule"] and doc["tolerance"] == 1e-3


# ------------------------------------------------------------------ first wrong step


@pytest.mark.parametrize("answers,first,carried,separate", [
    (("d=-2", "e=2", "a=-6", "f=4"), "e", ["a"], []),  # went off at e; a carries it
    (("d=2", "e=2", "a=-6", "b=4"), "d", ["e", "a", "b"], []),  # went off at the very first step
    (("d=-2", "e=-2", "a=6", "b=4"), "b", [], []),
    (("d=-2", "e=-2", "c=-2", "a=6", "b=-4", "f=4"), None, [], []),
    (("f=-4", "a=-6"), "f", [], ["a"]),  # different paths
    (("L=1", "d=-2", "c=2", "e=-2", "a=6"), "c", [], []),
])
def test_first_wrong_step_in_backward_order(cli, answers, first, carried, separate):
    doc = cli("check", *CHAIN, *expect(*answers), "--json").json()
    assert doc["first_wrong"] == first
    g = graded(CHAIN[0], {"a": 2, "b": -3, "c": 10, "f": -2}, *answers)
    assert (g.first_wrong.target if g.first_wrong else None) == first
    assert [v.target for v in g.carried] == carried
    assert [v.target for v in g.separate] == separate


def test_first_wrong_step_is_named_in_the_verdict(cli):
    run = cli("check", *CHAIN, *expect("d=-2", "e=2", "a=-6", "f=4"))
    assert run.code == 1
    text = " ".join(run.out.split())
    assert "First wrong step in backward order: ∂L/∂e (you wrote 2, it is -2)." in text
    assert "Your gradients between it and the output, ∂L/∂d, are right" in text
    assert "∂L/∂a is computed through it" in text
    # the steps leading to the right value of each wrong answer
    assert "How ∂L/∂e = -2 is found (you wrote 2):" in text
    assert "How ∂L/∂a = 6 is found (you wrote -6):" in text
    assert "How ∂L/∂d" not in text and "How ∂L/∂f" not in text


def test_wrong_forward_value_is_pointed_out(cli):
    run = cli("check", *CHAIN, *expect("e.value=-5", "d=-2", "e=2"))
    assert run.code == 1
    text = " ".join(run.out.split())
    assert "The forward pass already goes wrong at e.value (you wrote -5, it is -6)" in text
    assert cli("check", *CHAIN, *expect("e.value=-5", "d=-2", "e=2"), "--json").json()["first_wrong_value"] == "e.value"


# ------------------------------------------------------------------ answers file


def test_answers_file_with_comments(cli, tmp_path):
    path = tmp_path / "alice.txt"
    path.write_text("# Alice, homework 3\n\nvalue = 4\na=2/3   # chain rule through a+b\n"
                    "  d = 108\n# the end\n", encoding="utf-8")
    run = cli("check", *BLOG, "--answers", path, "--json")
    assert run.code == 1
    doc = run.json()
    assert [(a["name"], a["given"], a["ok"]) for a in doc["answers"]] == [
        ("value", "4", True), ("a", "2/3", True), ("d", "108", False)]
    assert doc["answers"][2]["where"] == f"{path} line 5"
    both = cli("check", *BLOG, "--answers", path, "--expect", "c=-2", "--json").json()
    assert [a["name"] for a in both["answers"]] == ["c", "value", "a", "d"]


def test_answers_file_bad_line_is_a_usage_error(cli, tmp_path):
    path = tmp_path / "bob.txt"
    path.write_text("value=4\n# ok so far\nd 4/3\n", encoding="utf-8")
    run = cli("check", *BLOG, "--answers", path)
    assert run.code == 2
    assert f"{path} line 3" in run.err and "NAME=ANSWER" in run.err
    assert cli("check", *BLOG, "--answers", tmp_path / "missing.txt").code == 2


def test_answers_file_parsing():
    items = parse_answers_text("a=1\n\n  # x\nb = 2/3 # why\n", "f")
    assert items == [("a=1", "f line 1"), ("b = 2/3", "f line 4")]
    with pytest.raises(UsageError, match="f line 2"):
        parse_answers_text("a=1\n=2\n", "f")


def test_empty_answers_file_needs_expect(cli, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("# nothing yet\n", encoding="utf-8")
    run = cli("check", *BLOG, "--answers", path)
    assert run.code == 2 and "nothing to check" in run.err


# ------------------------------------------------------------------ options


def test_tolerance_override(cli):
    assert cli("check", *BLOG, *expect("d=1.3"), "--tolerance", "1e-3").code == 1  # would pass by the last-digit rule
    assert cli("check", *BLOG, *expect("d=108"), "--tolerance", "100").code == 0
    assert cli("check", *BLOG, *expect("d=1.33"), "--tolerance", "0.01").code == 0
    assert cli("check", *BLOG, *expect("d=4/3"), "--tolerance", "0", "--exact").code == 0  # exactly 4/3
    assert cli("check", *BLOG, *expect("d=1.3333333333333333"), "--tolerance", "0", "--exact").code == 1
    run = cli("check", *BLOG, *expect("d=1.3"), "--tolerance", "1e-3")
    assert "--tolerance" in run.out
    assert cli("check", *BLOG, *expect("d=1"), "--tolerance", "-1").code == 2
    assert cli("check", *BLOG, *expect("d=1"), "--tolerance", "nan").code == 2


@pytest.mark.parametrize("answer,right", [("0.05", True), ("-0.05", True), ("0.099", True), ("0.2", False),
                                          ("-0.2", False), ("0.11", False)])
def test_tolerance_is_absolute_when_the_true_value_is_0(cli, answer, right):
    """d(x*0)/dx = 0: --tolerance 0.1 accepts |given - 0| <= 0.1 (scaling it by a size there, of the true value
    or of the answer, went unnoticed by a mutation run)."""
    run = cli("check", "x*0", "-x", "3", *expect(f"x={answer}"), "--tolerance", "0.1")
    assert run.code == (0 if right else 1), run.out + run.err
    doc = cli("check", "x*0", "-x", "3", *expect(f"x={answer}"), "--tolerance", "0.1", "--json").json()
    (verdict,) = doc["answers"]
    assert verdict["ok"] is right
    assert verdict["correct"] == 0
    assert verdict["tolerance"] == pytest.approx(0.1, rel=1e-15)
    assert verdict["rule"] == "±0.1 (--tolerance, true value 0)"


@pytest.mark.parametrize("answer,right", [("2.19", True), ("1.81", True), ("2.21", False), ("1.79", False),
                                          ("0.05", False)])
def test_tolerance_is_relative_when_the_true_value_is_not_0(cli, answer, right):
    """d(2x)/dx = 2: --tolerance 0.1 accepts |given - 2| <= 0.1 * 2."""
    doc = cli("check", "2*x", "-x", "3", *expect(f"x={answer}"), "--tolerance", "0.1", "--json").json()
    (verdict,) = doc["answers"]
    assert verdict["ok"] is right
    assert verdict["tolerance"] == pytest.approx(0.2, rel=1e-15)
    assert verdict["rule"] == "0.1 relative (--tolerance)"
    assert cli("check", "2*x", "-x", "3", *expect(f"x={answer}"), "--tolerance", "0.1").code == (0 if right else 1)


def test_exact_mode(cli):
    run = cli("check", *BLOG, *expect("a=0.67", "d=4/3", "c=-2"), "--exact")
    assert run.code == 0
    assert "2/3" in run.out and "4/3" in run.out
    doc = cli("check", "exp(x)", "-x", "1", *expect("value=exp(1)", "x=2.718"), "--exact", "--json").json()
    assert doc["ok"] is True and doc["exact"]["lost_at"] is not None


def test_digits(cli):
    run = cli("check", *BLOG, *expect("d=1"), "--digits", "3")
    assert "1.33" in run.out and "1.333" not in run.out
    # a wrong decimal is shown against at least as many digits as it was written with
    run = cli("check", *BLOG, *expect("d=1.3333332"))
    assert run.code == 1 and "1.33333333" in run.out


def test_markup_is_never_interpreted(cli):
    run = cli("check", "x * 2  # [bold]not markup[/bold]", "-x", "3", *expect("value=6"))
    assert run.code == 0
    assert "[bold]not markup[/bold]" in run.out
    assert cli("check", "x_1 * 2", "x_1=3", *expect("x_1=[red]2")).code == 2  # not a number


def test_help(cli):
    run = cli("check", "--help")
    assert run.code == 0
    assert "--expect" in run.out and "--answers" in run.out and "--tolerance" in run.out


# ------------------------------------------------------------------ usage errors


@pytest.mark.parametrize("answers,message", [
    (("z=1",), "no input or intermediate named z; the names are: a, b, c, d"),
    (("z.value=1",), "named z"),
    (("d=x+1",), "uses the variable x"),
    (("d=e",), "Euler"),
    (("d=4/(3",), "--expect d=4/(3"),
    (("d=four thirds",), "--expect d=four thirds"),
    (("d=eval('1')",), "not a number"),
    (("d=__import__('os')",), "not a number"),
    (("d=",), "empty"),
    (("d",), "NAME=ANSWER"),
    (("1d=3",), "not a name"),
    (("d=1/0",), "divides by zero"),
    (("d=log(0)",), "no finite value"),
    (("d=2^2^2^2^2^2",), "no finite value"),
    (("d=1e999999999",), "too large"),
    (("d=d=1",), "not a number"),
    (("d=1; 2",), "not a number"),
    (("d=1", "d=2"), "answered twice"),
])
def test_usage_errors(cli, helpers, answers, message):
    run = cli("check", *BLOG, *expect(*answers))
    assert run.code == 2, run.out + run.err
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert message in run.err
    assert run.out == ""


def test_missing_expect_is_a_usage_error(cli, helpers):
    run = cli("check", *BLOG)
    assert run.code == 2
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert "--expect" in run.err


def test_program_errors_keep_their_codes(cli):
    assert cli("check", "(a+b)*c/", "-a", "1", "-b", "1", "-c", "1", *expect("a=1")).code == 3
    assert cli("check", "a/b", "-a", "1", "-b", "0", *expect("a=1")).code == 4
    assert cli("check", "a/b", "-a", "1", *expect("a=1")).code == 2  # b has no value


def test_hostile_answers_fail_fast(cli):
    import time

    for answer in ("2^2^2^2^2^2", "10^10^10", "1e100000000", "9" * 5000):
        start = time.perf_counter()
        assert cli("check", *BLOG, *expect(f"d={answer}")).code == 2
        assert time.perf_counter() - start < 1.0, answer


# ------------------------------------------------------------------ the library


@pytest.mark.parametrize("text,form,value", [
    ("108", "integer", Fraction(108)),
    ("-4", "integer", Fraction(-4)),
    ("0.67", "decimal", Fraction(67, 100)),
    ("1e-3", "decimal", Fraction(1, 1000)),
    ("-2.50E+2", "decimal", Fraction(-250)),
    ("2/3", "fraction", Fraction(2, 3)),
    ("-4/3", "fraction", Fraction(-4, 3)),
    ("\u22124/3", "fraction", Fraction(-4, 3)),  # a typographic minus
    ("(1+1)/3", "expression", Fraction(2, 3)),
    ("sqrt(2)/2", "expression", 2 ** 0.5 / 2),
    ("1/(1+exp(-1))", "expression", 1 / (1 + 2.718281828459045 ** -1)),
    ("pi/4", "expression", 3.141592653589793 / 4),
])
def test_parse_answer(text, form, value):
    answer = parse_answer(text, "--expect x", "x")
    assert answer.form == form
    assert abs(float(answer.value) - float(value)) < 1e-15
    if isinstance(value, Fraction):
        assert answer.value == value


@pytest.mark.parametrize("text,unit", [
    ("0.67", Fraction(1, 100)), ("0.666", Fraction(1, 1000)), ("2.", Fraction(1)), ("1e-3", Fraction(1, 1000)),
    ("2.5e-3", Fraction(1, 10000)), ("1.5E2", Fraction(10)), (".5", Fraction(1, 10)), ("1.50", Fraction(1, 100)),
])
def test_decimal_unit_of_last_digit(text, unit):
    assert parse_answer(text, "w", "x").unit == unit


def test_rules_reported_per_answer():
    g = graded("(a+b)*c/d", {"a": 5, "b": 1, "c": -2, "d": -3},
               "a=0.67", "b=0.6666666666666666", "c=-2", "d=4/3", "value=sqrt(16)")
    rules = [v.rule for v in g.verdicts]
    assert rules == ["±0.005 (half the last digit)", "1e-12 relative", "1e-9 relative", "1e-9 relative",
                     "1e-9 relative"]
    assert all(v.ok for v in g.verdicts)
    g = graded("(a+b)*c/d", {"a": 5, "b": 1, "c": -2, "d": -3}, "a=0.67", tolerance=1e-3)
    assert g.verdicts[0].rule == "0.001 relative (--tolerance)" and not g.ok


# Issue 11, item 12: grading against float leftovers. Decimal inputs are the exact numbers the user wrote.
@pytest.mark.parametrize("argv", [
    ["a + b - c", "-a", "0.1", "-b", "0.2", "-c", "0.3", "--expect", "value=0"],  # 5.55e-17 in floats
    ["a*c - b*c", "-a", "0.3", "-b", "0.1", "-c", "0.2", "--expect", "c=0.2", "--expect", "value=0.04"],
    ["sin(pi*x)", "-x", "1", "--expect", "value=0"],  # irrational: 0 is within its rounding error
    ["x*sqrt(2)^2 - 2*x", "-x", "3", "--expect", "x=0", "--expect", "value=0"],  # a gradient 0 by cancellation
])
def test_exact_answers_are_right_whatever_the_floats_left_over(cli, argv):
    run = cli("check", *argv)
    assert run.code == 0, run.out


def test_the_steps_show_the_exact_arithmetic(cli):
    run = cli("check", "a + b - c", "-a", "0.1", "-b", "0.2", "-c", "0.3", "--expect", "value=1")
    assert run.code == 1
    assert "= 0.3 - 0.3 = 0" in run.out and "e-17" not in run.out


@pytest.mark.parametrize("argv", [
    # (a fraction is held to 1e-9 relative, 1e-12 at 0: no last-digit unit to forgive)
    ["sin(pi*x)", "-x", "1", "--expect", "value=1/10000000000"],  # far beyond the rounding error: wrong
    ["a + b - c", "-a", "0.1", "-b", "0.2", "-c", "0.3", "--expect", "value=1/1000000000"],  # exact 0
])
def test_the_rounding_allowance_is_not_a_blank_cheque(cli, argv):
    assert cli("check", *argv).code == 1


def test_an_answer_for_a_reassigned_name_means_its_last_version(cli):
    """Issue 13: c after `c += a` is c#2; c#2 names it exactly and c.value is its value (c = 2a, then 3a)."""
    run = cli("check", "c = a*2; c += a; y = c*c", "-a", "1", "--expect", "c=6", "--expect", "c#2=6",
              "--expect", "c.value=3", "--json")
    assert run.code == 0, run.out
    run = cli("check", "c = a*2; c += a; y = c*c", "-a", "1", "--expect", "c=4")  # 4 would be the first c's
    assert run.code == 1


def test_an_infinite_rounding_bound_gives_no_allowance(cli):
    """Found by the fuzz test: erf(12) is 1.0 in floats, so the rounding error of cbrt(log10(erf(12))) is bounded
    by cbrt's infinite derivative at 0. Grading once crashed (exit 70) turning that bound into a fraction; an
    infinite bound bounds nothing, so the answer is graded against the value shown."""
    run = cli("check", "a = acosh(2)\ne = cbrt(log10(erf(12)))\nb = a", "--expect", "value=0", "--expect", "e.value=1")
    assert run.code == 1, run.err
    assert "value of e" in run.out and "internal error" not in run.err
    run = cli("check", "a = acosh(2)\ne = cbrt(log10(erf(12)))\nb = a", "--expect", "e.value=0")
    assert run.code == 0, run.out + run.err


def test_an_exact_gradient_beyond_the_float_range_is_graded(cli):
    """Found by the fuzz test: at x = 4.25e-106, d x^y / dy = x^y log(x) with y = -2 is about -1.34e213 (SymPy
    below), while its exact fraction's float() overflowed in the rounding bound (exit 70)."""
    import sympy

    x = sympy.Rational("4.2507604576698986e-106")
    truth = float(x ** -2 * sympy.log(x))
    assert -1.35e213 < truth < -1.34e213
    run = cli("check", "--", "x^y", "-x", "4.2507604576698986e-106", "-y", "-2", "--expect", "y=0")
    assert run.code == 1 and "internal error" not in run.err
    run = cli("check", "--", "x^y", "-x", "4.2507604576698986e-106", "-y", "-2", "--expect", f"y={truth!r}")
    assert run.code == 0, run.out + run.err
