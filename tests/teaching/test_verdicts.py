"""Issue 15, grading: the targets students write, the three verdicts, --strict, and the convention at a kink.

The program of the issue throughout: e = a + b; f = e * c; g = f / d at a = 5, b = 1, c = -2, d = -3. Worked
by hand: e = 6, f = -12, g = 4; ∂g/∂g = 1, ∂g/∂f = 1/d = -1/3, ∂g/∂e = c/d = 2/3, ∂g/∂a = ∂g/∂b = 2/3,
∂g/∂c = e/d = -2, ∂g/∂d = -f/d² = 4/3.
"""
from __future__ import annotations

from fractions import Fraction

import pytest

from backprop_cli.base.errors import UsageError
from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.teaching.answers import GRADIENT, NODE_VALUE, VALUE, expectations
from backprop_cli.teaching.grading import ACCEPTED, CORRECT, WRONG, grade

SOURCE = "e = a + b; f = e * c; g = f / d"
ISSUE = (SOURCE, "-a", "5", "-b", "1", "-c", "-2", "-d", "-3")
POINT = {"a": Fraction(5), "b": Fraction(1), "c": Fraction(-2), "d": Fraction(-3)}
# the truth, worked by hand (module docstring)
VALUES = {"a": 5, "b": 1, "c": -2, "d": -3, "e": 6, "f": -12, "g": 4}
GRADS = {"g": 1, "f": Fraction(-1, 3), "e": Fraction(2, 3), "a": Fraction(2, 3), "b": Fraction(2, 3), "c": -2,
         "d": Fraction(4, 3)}


def expect(*pairs: str) -> list[str]:
    out = []
    for pair in pairs:
        out += ["--expect", pair]
    return out


def graded(*items: str, strict: bool = False, source: str = SOURCE, point=None):
    tape = lower(parse(source))
    result = differentiate(tape, point or POINT, EXACT)
    return grade(result, expectations(tape, [(item, f"--expect {item}") for item in items]), strict=strict)


# ------------------------------------------------------------------ the cases at the top of the issue


def test_the_output_s_name_with_its_value_is_correct(cli):
    run = cli("check", *ISSUE, *expect("g=4"))
    assert run.code == 0, run.out
    row = next(line for line in run.out.splitlines() if line.startswith("g "))
    assert row.split() == ["g", "value", "of", "g", "4", "4", "✓", "correct", "1e-9", "relative"]


def test_a_derivative_written_dg_da_is_graded(cli):
    run = cli("check", *ISSUE, *expect("dg/da=2/3"))
    assert run.code == 0, run.out + run.err
    assert "dg/da    ∂g/∂a" in run.out and "✓ correct" in run.out


@pytest.mark.parametrize("answer, verdict, code", [
    ("0.7", CORRECT, 0),  # 2/3 = 0.667 correctly rounded to one decimal
    ("0.6", ACCEPTED, 0),  # cut off
    ("0.65", WRONG, 1),  # 0.017 off: more than one unit (0.01) of its last digit
    ("0.67", CORRECT, 0),
    ("0.66", ACCEPTED, 0),
])
def test_the_issue_s_decimals_for_two_thirds(cli, answer, verdict, code):
    run = cli("check", *ISSUE, *expect(f"a={answer}"), "--json")
    assert run.code == code
    (a,) = run.json()["answers"]
    assert (a["verdict"], a["ok"]) == (verdict, verdict != WRONG)


def test_a_cut_off_answer_is_accepted_with_its_note(cli):
    run = cli("check", *ISSUE, *expect("a=0.6"))
    assert run.code == 0
    text = " ".join(run.out.split())
    assert "a ∂g/∂a 0.6 0.666667 ~ accepted ±0.1 (one unit, last digit)" in text
    assert "a: 0.6 is 2/3 cut off, not rounded: to 1 decimal it rounds to 0.7." in text
    assert "Verdict: 1 answer: 0 correct, 1 accepted (a)." in text
    assert "How ∂g/∂a" not in text  # not wrong: no steps


def test_four_thirds_to_one_decimal(cli):
    """1.3 is 4/3 (1.333) correctly rounded; 1.4 is one unit off from above (a rounding carried along)."""
    doc = cli("check", *ISSUE, *expect("d=1.3", "c=-2.0", "d.value=-3"), "--json").json()
    assert [a["verdict"] for a in doc["answers"]] == [CORRECT] * 3
    doc = cli("check", *ISSUE, *expect("d=1.4"), "--json").json()
    (d,) = doc["answers"]
    assert d["verdict"] == ACCEPTED
    assert d["note"] == ("1.4 is one unit off in its last digit (a rounding carried from an earlier step?): to 1 "
                         "decimal 4/3 rounds to 1.3")


# ------------------------------------------------------------------ every target form

# (target, kind, the node it is about, the true number)
FORMS = [
    ("value", VALUE, "g", VALUES["g"]),
    ("g", VALUE, "g", VALUES["g"]),  # the output's name: its value
    ("g.value", NODE_VALUE, "g", VALUES["g"]),
    ("g.data", NODE_VALUE, "g", VALUES["g"]),
    ("g.grad", GRADIENT, "g", 1),  # ∂g/∂g
    ("dg/dg", GRADIENT, "g", 1),
    ("e", GRADIENT, "e", GRADS["e"]),  # an intermediate written bare: its gradient
    ("e.value", NODE_VALUE, "e", VALUES["e"]),
    ("e.data", NODE_VALUE, "e", VALUES["e"]),  # micrograd's Value.data
    ("e.grad", GRADIENT, "e", GRADS["e"]),  # micrograd's Value.grad, PyTorch's tensor.grad
    ("de/de", None, None, None),  # the derivative of an intermediate: a usage error
    ("a", GRADIENT, "a", GRADS["a"]),
    ("a.grad", GRADIENT, "a", GRADS["a"]),
    ("dg/da", GRADIENT, "a", GRADS["a"]),
    ("d g / d a", GRADIENT, "a", GRADS["a"]),
    ("∂g/∂a", GRADIENT, "a", GRADS["a"]),
    ("∂ g / ∂ a", GRADIENT, "a", GRADS["a"]),
    ("dg/dd", GRADIENT, "d", GRADS["d"]),  # d, the name, after d, the operator
    ("dd/da", None, None, None),  # d is an input, not the output
    ("a.value", NODE_VALUE, "a", VALUES["a"]),
    ("f.data", NODE_VALUE, "f", VALUES["f"]),
    ("df/da", None, None, None),
]


@pytest.mark.parametrize("target, kind, node, truth", FORMS, ids=[f[0] for f in FORMS])
def test_every_target_form(cli, target, kind, node, truth):
    answer = f"{Fraction(truth).numerator}/{Fraction(truth).denominator}" if truth is not None else "1"
    run = cli("check", *ISSUE, "--expect", f"{target}={answer}", "--json")
    if kind is None:
        assert run.code == 2 and "check grades derivatives of the output" in run.err, run.err
        return
    assert run.code == 0, run.out + run.err
    (verdict,) = run.json()["answers"]
    assert verdict["kind"] == kind and verdict["verdict"] == CORRECT
    assert Fraction(verdict["correct"]).limit_denominator(100) == truth
    tape = lower(parse(SOURCE))
    (e,) = expectations(tape, [(f"{target}={answer}", "t")])
    assert tape.nodes[e.node].name == node and e.kind == kind
    # the written target is what the table shows, spaces aside
    assert e.target == target.replace(" ", "")


@pytest.mark.parametrize("items, message", [
    (("dx/da=1",), "dx/da is a derivative of x, and check grades derivatives of the output: the output is g, not x; "
                   "write dg/da (or a, or a.grad)"),
    (("df/da=1",), "df/da is a derivative of f, and check grades derivatives of the output: f is an intermediate of "
                   "the program, not its output; write dg/da (or a, or a.grad)"),
    (("dg/dz=1",), "the program has no input or intermediate named z; the names are: a, b, e, c, f, d, g (write value "
                   "or the output's name for its value, NAME.value for a node's, NAME or dOUT/dNAME for a gradient)"),
    (("a.gradient=1",), "'a.gradient' is not a name"),
    (("a=2/3", "dg/da=2/3"), "dg/da is answered twice (first at --expect a=2/3)"),
    (("a.grad=2/3", "∂g/∂a=2/3"), "∂g/∂a is answered twice (first at --expect a.grad=2/3)"),
    (("g=4", "value=4"), "value is answered twice (first at --expect g=4)"),
    (("e.value=6", "e.data=6"), "e.data is answered twice (first at --expect e.value=6)"),
])
def test_target_usage_errors(cli, helpers, items, message):
    run = cli("check", *ISSUE, *expect(*items))
    assert run.code == 2 and run.out == "", run.out
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert message in run.err


def test_an_unnamed_output_takes_its_id_or_the_student_s_name(cli):
    # (a+b)*c/d: the output is v7; df/da and dv7/da mean d output / da, as does dL/da (no L in the program)
    for target in ("dv7/da", "df/da", "dL/da"):
        run = cli("check", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--expect", f"{target}=2/3")
        assert run.code == 0, (target, run.out + run.err)
    run = cli("check", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--expect", "dc/da=2/3")
    assert run.code == 2 and "c is an input of the program, not its output; write dv7/da" in run.err


CS231N = ["D = W @ X; L = sum(D * dD)", "W=[[1, 2, 0], [0, -1, 3]]", "X=[[1, 0], [2, 1], [0, -1]]",
          "dD=[[1, -1], [0, 2]]"]
# dL/dW = dD @ X.T = [[1, 1, 1], [0, 2, -2]]; dL/dX = W.T @ dD = [[1, -1], [0, -4], [0, 6]];
# D = W @ X = [[5, 2], [-2, -4]]; L = 5 - 2 + 0 - 8 = -5


@pytest.mark.parametrize("target, answer", [
    ("W[1, 0]", "0"), ("W[1, 2]", "-2"), ("W.grad[1, 2]", "-2"), ("W[1, 2].grad", "-2"),
    ("dL/dW[1, 2]", "-2"), ("∂L/∂W[1, 2]", "-2"), ("d L / d W [1, 2]", "-2"),
    ("dL/dW", "[[1, 1, 1], [0, 2, -2]]"), ("W.grad", "[[1, 1, 1], [0, 2, -2]]"), ("dL/dW[1]", "[0, 2, -2]"),
    ("X.grad[2]", "[0, 6]"), ("D[0, 0].value", "5"), ("D.value[0, 0]", "5"), ("D.data[1, 1]", "-4"),
    ("D[1, 1].data", "-4"), ("D.data", "[[5, 2], [-2, -4]]"), ("L", "-5"), ("value", "-5"), ("L.grad", "1"),
    ("dL/dD[1, 1]", "2"), ("D[1, 1]", "2"),
])
def test_every_target_form_for_vectors_and_matrices(cli, target, answer):
    run = cli("check", *CS231N, "--expect", f"{target}={answer}", "--json")
    assert run.code == 0, run.out + run.err
    (verdict,) = run.json()["answers"]
    assert verdict["verdict"] == CORRECT


def test_a_tensor_element_answer_has_its_verdict_and_note(cli):
    run = cli("check", "L = sum(W @ x) / 3", "W=[[1, 0], [0, 1]]", "x=[1, 2]", "--expect",
              "dL/dW=[[0.33, 0.6], [0.3, 0.7]]")
    assert run.code == 0, run.out
    text = " ".join(run.out.split())
    assert "~ accepted" in text
    assert "dL/dW[0, 1]: 0.6 is 2/3 cut off, not rounded: to 1 decimal it rounds to 0.7." in text
    assert "Verdict: 1 answer: 0 correct, 1 accepted (dL/dW)." in text
    assert cli("check", "L = sum(W @ x) / 3", "W=[[1, 0], [0, 1]]", "x=[1, 2]", "--expect",
               "dL/dW=[[0.33, 0.6], [0.3, 0.7]]", "--strict").code == 1


# ------------------------------------------------------------------ the three verdicts, worked


# (program, point, answer, verdict, rule): the true value, worked by hand, in the comment
VERDICTS = [
    ("x/4", {"x": 1}, "x=0.25", CORRECT, "±0.005 (half the last digit)"),  # 1/4
    ("x/4", {"x": 1}, "x=0.2", CORRECT, "±0.05 (half the last digit)"),  # a tie: half a unit exactly
    ("x/4", {"x": 1}, "x=0.3", CORRECT, "±0.05 (half the last digit)"),  # the other side of the tie
    ("x/4", {"x": 1}, "x=0.35", WRONG, "±0.005 (half the last digit)"),  # two decimals: 0.1 off is 10 units
    ("x/5", {"x": 1}, "x=0.1", ACCEPTED, "±0.1 (one unit, last digit)"),  # 1/5: one unit exactly
    ("x/5", {"x": 1}, "x=0.3", ACCEPTED, "±0.1 (one unit, last digit)"),
    ("x/5", {"x": 1}, "x=0.4", WRONG, "±0.05 (half the last digit)"),
    ("x/5", {"x": 1}, "x=0.20", CORRECT, "±0.005 (half the last digit)"),
    ("x/5", {"x": 1}, "x=0.21", ACCEPTED, "±0.01 (one unit, last digit)"),
    ("x/5", {"x": 1}, "x=0.19", ACCEPTED, "±0.01 (one unit, last digit)"),
    ("x/4", {"x": 1}, "x=1/4", CORRECT, "1e-9 relative"),
    ("x/4", {"x": 1}, "x=0", WRONG, "1e-9 relative"),  # an integer: 1e-9 relative, no half unit
    ("x*x", {"x": Fraction(7, 2)}, "x=7", CORRECT, "1e-9 relative"),  # 2x = 7
    ("x*x", {"x": Fraction(7, 2)}, "x=7.1", ACCEPTED, "±0.1 (one unit, last digit)"),
    ("x*x", {"x": Fraction(7, 2)}, "x=7.4", WRONG, "±0.05 (half the last digit)"),
    ("x*x", {"x": Fraction(7, 2)}, "value=12.2", CORRECT, "±0.05 (half the last digit)"),  # 12.25: a tie
    ("x*x", {"x": Fraction(7, 2)}, "value=12", WRONG, "1e-9 relative"),  # an integer, not a rounded decimal
    ("x*x", {"x": Fraction(7, 2)}, "value=12.", CORRECT, "±0.5 (half the last digit)"),  # a decimal: unit 1
]


@pytest.mark.parametrize("source, point, item, verdict, rule", VERDICTS)
def test_each_verdict_with_worked_numbers(source, point, item, verdict, rule):
    g = graded(item, source=source, point={k: Fraction(v) for k, v in point.items()})
    (v,) = g.verdicts
    assert (v.status, v.rule) == (verdict, rule)
    assert v.ok is (verdict != WRONG)
    assert bool(v.note) is (verdict == ACCEPTED)
    strict = graded(item, source=source, point={k: Fraction(v) for k, v in point.items()}, strict=True).verdicts[0]
    assert strict.status == (WRONG if verdict == ACCEPTED else verdict)


@pytest.mark.parametrize("item, verdict, note", [
    ("a=0.6", ACCEPTED, "0.6 is 2/3 cut off, not rounded: to 1 decimal it rounds to 0.7"),
    ("a=0.666", ACCEPTED, "0.666 is 2/3 cut off, not rounded: to 3 decimals it rounds to 0.667"),
    ("a=6.6e-1", ACCEPTED, "6.6e-1 is 2/3 cut off, not rounded: to 2 decimals it rounds to 0.67"),
    ("f=-0.3", CORRECT, ""),  # -1/3 = -0.333 rounds to -0.3
    ("f=-0.33", CORRECT, ""),
    ("e=0.68", WRONG, ""),  # 0.013 off: more than one unit
    ("d=1.34", ACCEPTED, "1.34 is one unit off in its last digit (a rounding carried from an earlier step?): to 2 "
                         "decimals 4/3 rounds to 1.33"),
    ("c=-2.1", ACCEPTED, "-2.1 is one unit off in its last digit (a rounding carried from an earlier step?): to 1 "
                         "decimal -2 rounds to -2.0"),
    ("f=-0.34", ACCEPTED, "-0.34 is one unit off in its last digit (a rounding carried from an earlier step?): to 2 "
                          "decimals -1/3 rounds to -0.33"),
    ("d=1.3334", ACCEPTED, "1.3334 is one unit off in its last digit (a rounding carried from an earlier step?): "
                           "to 4 decimals 4/3 rounds to 1.3333"),
])
def test_the_accepted_note_says_which_digit_and_what_rounding_gives(item, verdict, note):
    (v,) = graded(item).verdicts
    assert (v.status, v.note) == (verdict, note)


def test_a_wide_unit_and_a_whole_number():
    # 12.25 = 49/4: 13. is one unit (1) off, 1.3e1 too; 1.2e1 rounds right; 2e1 has unit 10
    (v,) = graded("value=13.", source="x*x", point={"x": Fraction(7, 2)}).verdicts
    assert v.status == ACCEPTED and v.note.endswith(": to a whole number 49/4 rounds to 12")
    (v,) = graded("value=1.3e1", source="x*x", point={"x": Fraction(7, 2)}).verdicts
    assert v.status == ACCEPTED and v.note.endswith(": to a whole number 49/4 rounds to 12")
    (v,) = graded("value=1.2e1", source="x*x", point={"x": Fraction(7, 2)}).verdicts
    assert v.status == CORRECT
    (v,) = graded("value=2e1", source="x*x", point={"x": Fraction(7, 2)}).verdicts
    assert v.status == ACCEPTED and v.note == "2e1 is one unit off in its last digit (a rounding carried from an " \
        "earlier step?): to the nearest 10 49/4 rounds to 10"


def test_tolerance_has_no_accepted(cli):
    doc = cli("check", *ISSUE, *expect("a=0.6", "d=1.3"), "--tolerance", "0.1", "--json").json()
    assert [a["verdict"] for a in doc["answers"]] == [CORRECT, CORRECT]
    doc = cli("check", *ISSUE, *expect("a=0.6"), "--tolerance", "0.05", "--json").json()
    assert doc["answers"][0]["verdict"] == WRONG


# ------------------------------------------------------------------ --strict, exit codes, JSON, the summary


@pytest.mark.parametrize("answers, strict, code, counts", [
    (("g=4", "a=0.67"), False, 0, (2, 0, 0)),
    (("g=4", "a=0.67"), True, 0, (2, 0, 0)),
    (("g=4", "a=0.6"), False, 0, (1, 1, 0)),
    (("g=4", "a=0.6"), True, 1, (1, 0, 1)),
    (("g=4", "a=0.6", "b=0.65"), False, 1, (1, 1, 1)),
    (("g=4", "a=0.6", "b=0.65"), True, 1, (1, 0, 2)),
    (("g=5",), False, 1, (0, 0, 1)),
])
def test_strict_and_exit_codes(cli, answers, strict, code, counts):
    run = cli("check", *ISSUE, *expect(*answers), *(["--strict"] if strict else []), "--json")
    assert run.code == code
    doc = run.json()
    assert doc["verdicts"] == dict(zip((CORRECT, ACCEPTED, WRONG), counts))
    assert doc["strict"] is strict and doc["ok"] is (code == 0)
    assert ("(--strict)" in doc["rule"]) is strict
    assert [a["ok"] for a in doc["answers"]] == [a["verdict"] != WRONG for a in doc["answers"]]


def test_the_summary_counts_each_verdict(cli):
    run = cli("check", *ISSUE, *expect("g=4", "a=0.6", "b=0.65", "d=4/3"))
    assert run.code == 1
    assert "Verdict: 4 answers: 2 correct, 1 accepted (a), 1 wrong (b)." in run.out
    marks = [line.split()[0] + " " + next(w for w in ("✓ correct", "~ accepted", "✗ wrong") if w in line)
             for line in run.out.splitlines() if any(w in line for w in ("✓ correct", "~ accepted", "✗ wrong"))]
    assert marks == ["g ✓ correct", "a ~ accepted", "b ✗ wrong", "d ✓ correct"]
    strict = cli("check", *ISSUE, *expect("g=4", "a=0.6"), "--strict")
    assert strict.code == 1
    text = " ".join(strict.out.split())
    assert "Verdict: 2 answers: 1 correct, 1 wrong (a). (--strict: one unit off the last digit is wrong)" in text
    assert "a: 0.6 is 2/3 cut off, not rounded: to 1 decimal it rounds to 0.7." in text


def test_undefined_keeps_exit_4(cli):
    run = cli("check", "x^y", "-x", "-2", "-y", "2", "--expect", "x=-4", "--expect", "y=undefined", "--json")
    assert run.code == 4
    assert [a["verdict"] for a in run.json()["answers"]] == [CORRECT, CORRECT]


def test_library_verdicts():
    g = graded("g=4", "dg/da=0.6", "e.value=6", "b=0.65")
    assert [v.status for v in g.verdicts] == [CORRECT, ACCEPTED, CORRECT, WRONG]
    assert [v.ok for v in g.verdicts] == [True, True, True, False]
    assert g.count(CORRECT) == 2 and [v.target for v in g.accepted] == ["dg/da"] and not g.ok
    g = graded("dg/da=0.6", strict=True)
    assert g.verdicts[0].status == WRONG and not g.ok and g.verdicts[0].note  # the note still says why
    with pytest.raises(UsageError):
        graded("dz/da=1")


# ------------------------------------------------------------------ conventions at a kink

MAX_TIE = ("max(a, b) * c", "-a", "2", "-b", "2", "-c", "3")


def test_a_cs231n_max_gate_at_a_tie_is_correct_under_its_convention(cli):
    """cs231n's max gate routes the whole gradient to each input equal to the max (`(x == max) * dout`): at a tie
    both get 1, what conventions.py's `right` gives at a max tie ("1 to each tied"); there is no convention
    named cs231n. ∂/∂a = ∂/∂b = c · 1 = 3 under it; 1/2 · 3 under pytorch and jax (split evenly); tensorflow
    gives 1 to the first argument (3, 0); left gives 0 to each."""
    run = cli("check", *MAX_TIE, *expect("a=3", "b=3"), "--convention", "right")
    assert run.code == 0, run.out
    assert "Verdict: 2 of 2 answers are correct." in run.out
    text = " ".join(run.out.split())
    assert ("At a kink (max(a, b) with a = b) this grading uses the right convention: ∂v3/∂a = 1, ∂v3/∂b = 1; "
            "--convention pytorch gives 0.5 and 0.5; --convention jax gives 0.5 and 0.5; --convention tensorflow "
            "gives 1 and 0; --convention left gives 0 and 0. ∂v5/∂a and ∂v5/∂b go through it.") in text


def test_the_default_convention_is_named_at_a_kink(cli):
    run = cli("check", *MAX_TIE, *expect("a=3", "b=3"))
    assert run.code == 1
    text = " ".join(run.out.split())
    assert ("At a kink (max(a, b) with a = b) this grading uses the pytorch convention (the default): "
            "∂v3/∂a = 0.5, ∂v3/∂b = 0.5; --convention tensorflow gives 1 and 0; --convention left gives 0 and 0; "
            "--convention right gives 1 and 1.") in text
    assert "Your answer a is right under --convention tensorflow or --convention right." in text
    assert "Your answer b is right under --convention right." in text
    doc = cli("check", *MAX_TIE, *expect("a=3", "b=3", "c=2"), "--json").json()
    assert [a["correct"] for a in doc["answers"]] == [1.5, 1.5, 2]
    (kink,) = doc["kinks"]
    assert kink == {"id": "v3", "expr": "max(a, b)", "convention": "pytorch", "used": {"a": 0.5, "b": 0.5},
                    "others": {"tensorflow": {"a": 1, "b": 0}, "left": {"a": 0, "b": 0}, "right": {"a": 1, "b": 1}},
                    "answers": ["a", "b"]}  # c does not go through the max
    assert doc["right_under"] == {"a": ["tensorflow", "right"], "b": ["right"]}


def test_no_convention_statement_without_a_graded_gradient_through_a_kink(cli):
    run = cli("check", *MAX_TIE, *expect("c=2", "value=6"))
    assert run.code == 0 and "this grading uses" not in run.out
    run = cli("check", "max(a, b) * c", "-a", "3", "-b", "2", "-c", "3", *expect("a=3"))  # no tie
    assert run.code == 0 and "At a kink" not in run.out


def test_relu_at_zero_names_its_convention(cli):
    run = cli("check", "relu(x)*y", "-x", "0", "-y", "2", *expect("x=0"))
    assert run.code == 0
    text = " ".join(run.out.split())
    assert ("At a kink (relu(x) at x = 0) this grading uses the pytorch convention (the default): ∂v2/∂x = 0; "
            "--convention right gives 1. ∂v4/∂x goes through it.") in text
