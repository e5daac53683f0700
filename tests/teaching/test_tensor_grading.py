"""`backprop check` with vectors and matrices: answers written as nested lists or for one element, graded
element by element with the scalar rule, the wrong elements listed, JSON, usage errors.

Every "correct" number comes from an oracle outside the tool: matrices multiplied by hand here in exact
fractions (cs231n's dW = dD·Xᵀ and dX = Wᵀ·dD), softmax by hand with math.exp, Karpathy's published
answer key, and PyTorch's numbers (recorded below with their version; CI has no torch).
"""
from __future__ import annotations

import math
from fractions import Fraction

import pytest

from backprop_cli.base.errors import UsageError
from backprop_cli.teaching import checking
from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.bindings import value_of
from backprop_cli.engine.shaping import shaped
from backprop_cli.engine.tape import lower
from backprop_cli.engine.tensor_compute import differentiate
from backprop_cli.language.parser import parse
from backprop_cli.teaching.answers import expectations
from backprop_cli.teaching.grading import grade_one


# -- oracles by hand ----------------------------------------------------------------------------------------

def matmul(A, B):
    return [[sum(Fraction(A[i][k]) * Fraction(B[k][j]) for k in range(len(B))) for j in range(len(B[0]))]
            for i in range(len(A))]


def transpose(A):
    return [list(row) for row in zip(*A)]


def written(matrix) -> str:
    """A matrix of fractions as a student writes it: [[1, -1], [2, 1/3]]."""
    def one(x):
        x = Fraction(x)
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    if not isinstance(matrix[0], list):
        return "[" + ", ".join(map(one, matrix)) + "]"
    return "[" + ", ".join(written(row) for row in matrix) + "]"


# cs231n, "Derivatives, Backpropagation, and Vectorization": D = W.dot(X); with L = sum(D * dD) the upstream
# gradient of D is dD, so dW = dD.dot(X.T) and dX = W.T.dot(dD).
W = [[1, 2, 0], [0, -1, 3]]
X = [[1, 0], [2, 1], [0, -1]]
dD = [[1, -1], [0, 2]]
CS231N = ["D = W.dot(X); L = sum(D * dD)", f"W={W}", f"X={X}", f"dD={dD}"]
dW = matmul(dD, transpose(X))  # [[1, 1, 1], [0, 2, -2]]
dX = matmul(transpose(W), dD)  # [[1, -1], [2, -4], [0, 6]]
D_VALUE = matmul(W, X)

# the same with square matrices, where a transposed answer has the right shape
W2 = [[1, 2], [0, -1]]
X2 = [[1, 0], [2, 1]]
SQUARE = ["D = W.dot(X); L = sum(D * dD)", f"W={W2}", f"X={X2}", f"dD={dD}"]
dW2 = matmul(dD, transpose(X2))  # [[1, 1], [0, 2]]: not symmetric

# Karpathy, "Yes you should understand backprop" (2016): logits [0, 3, -2, 1], correct class 3
KARPATHY_KEY = "[0.04177, 0.83902, 0.00565, -0.88645]"
# PyTorch 2.13.0+cpu, float64: F.cross_entropy(z[None], tensor([3])) at z = [0, 3, -2, 1], z.grad
TORCH_DLOGITS = [0.04177257051535046, 0.839024507462532, 0.005653302662216331, -0.8864503806400987]
TORCH_LOSS = 2.1755153626167143


def expect(*pairs: str) -> list[str]:
    out = []
    for pair in pairs:
        out += ["--expect", pair]
    return out


# -- right answers ------------------------------------------------------------------------------------------

def test_cs231n_dW_and_dX_by_hand_are_graded_right(cli):
    run = cli("check", *CS231N, *expect(f"W={written(dW)}", f"X={written(dX)}"))
    assert run.code == 0, run.out + run.err
    assert "Verdict: 2 of 2 answers are correct." in run.out
    assert dW == [[1, 1, 1], [0, 2, -2]]  # (the oracle itself, worked on paper)


def test_the_loss_value_and_a_named_intermediate_gradient_and_value(cli):
    L = sum(D_VALUE[i][j] * dD[i][j] for i in range(2) for j in range(2))
    run = cli("check", *CS231N, *expect(f"value={L}", f"D={written(dD)}", f"D.value={written(D_VALUE)}"))
    assert run.code == 0, run.out + run.err
    assert "Verdict: 3 of 3 answers are correct." in run.out


def test_karpathys_answer_key_is_graded_right_with_cross_entropy(cli):
    run = cli("check", "loss = cross_entropy(logits, k)", "logits=[0, 3, -2, 1]", "k=3",
              *expect(f"logits={KARPATHY_KEY}", "value=2.1755"))
    assert run.code == 0, run.out + run.err
    assert "Verdict: 2 of 2 answers are correct." in run.out
    doc = cli("check", "loss = cross_entropy(logits, k)", "logits=[0, 3, -2, 1]", "k=3",
              *expect(f"logits={KARPATHY_KEY}"), "--json").json()
    # each element within half a unit of its fifth decimal: Karpathy rounded right
    assert doc["answers"][0]["rule"] == "±5e-6 (half the last digit)" and doc["ok"] is True
    assert doc["answers"][0]["verdict"] == "correct"
    assert [e["verdict"] for e in doc["answers"][0]["elements"]] == ["correct"] * 4


@pytest.mark.parametrize("program, bindings", [
    ("counts = exp(logits - max(logits)); probs = counts / sum(counts); loss = -log(probs[k])", ["k=3"]),
    ("counts = exp(logits - max(logits)); probs = counts / sum(counts); loss = -sum(log(probs) * t)",
     ["t=[0, 0, 0, 1]"]),
])
def test_karpathys_answer_key_is_graded_right_step_by_step(cli, program, bindings):
    # his intermediate dprobs: d loss / d probs is -1/probs[3] at class 3 and 0 elsewhere
    probs3 = 1 / (1 + math.exp(-1) + math.exp(2) + math.exp(-3))  # exp(1 - 1) over the shifted sum, by hand
    run = cli("check", program, "logits=[0, 3, -2, 1]", *bindings,
              *expect(f"logits={KARPATHY_KEY}", f"probs=[0, 0, 0, {-1 / probs3:.4f}]", f"probs[3].value={probs3:.5f}"))
    assert run.code == 0, run.out + run.err


def test_karpathys_key_one_digit_off_is_wrong_at_that_element(cli):
    run = cli("check", "loss = cross_entropy(logits, k)", "logits=[0, 3, -2, 1]", "k=3",
              *expect("logits=[0.04177, 0.83902, 0.00567, -0.88645]"), "--json")
    assert run.code == 1
    doc = run.json()
    (answer,) = doc["answers"]
    assert answer["wrong"] == ["logits[2]"]
    assert [e["ok"] for e in answer["elements"]] == [True, True, False, True]
    assert answer["correct"] == pytest.approx(TORCH_DLOGITS, rel=1e-15)
    assert answer["elements"][2]["off_by"] == pytest.approx(0.00567 - TORCH_DLOGITS[2], rel=1e-12)
    assert doc["value"] == pytest.approx(TORCH_LOSS, rel=1e-15)


# -- wrong elements -----------------------------------------------------------------------------------------

def test_one_wrong_element_is_named_with_what_was_given_the_correct_value_and_by_how_much(cli):
    given = [row[:] for row in dW]
    given[1][2] = 2  # a sign slip: the truth is -2
    run = cli("check", *CS231N, *expect(f"W={written(given)}"))
    assert run.code == 1
    assert "∂L/∂W: 1 of 6 elements wrong (you wrote W=[[1, 1, 1], [0, 2, 2]]):" in run.out
    row = next(line for line in run.out.splitlines() if line.strip().startswith("W[1, 2]"))
    assert row.split()[:5] == ["W[1,", "2]", "2", str(dW[1][2]), "+4"]
    assert "∂L/∂W = ∂L/∂D · Xᵀ   (in D = W @ X)" in run.out
    assert "Verdict: 1 answer: 0 correct, 1 wrong (W)." in run.out
    assert sum(line.strip().startswith("W[") for line in run.out.splitlines()) == 1  # only the wrong one


def test_a_square_matrix_transposed_has_its_wrong_elements_listed_and_is_called_the_transpose(cli):
    assert dW2 != transpose(dW2)
    run = cli("check", *SQUARE, *expect(f"W={written(transpose(dW2))}"))
    assert run.code == 1
    wrong = [(i, j) for i in range(2) for j in range(2) if dW2[i][j] != dW2[j][i]]
    listed = [line.split("]")[0].strip() + "]" for line in run.out.splitlines() if line.strip().startswith("W[")]
    assert listed == [f"W[{i}, {j}]" for i, j in wrong]
    assert "Your answer is the transpose of ∂L/∂W" in " ".join(run.out.split())
    doc = cli("check", *SQUARE, *expect(f"W={written(transpose(dW2))}"), "--json").json()
    assert doc["answers"][0]["transposed"] is True
    doc = cli("check", *SQUARE, *expect("W=[[1, 0], [0, 2]]"), "--json").json()  # wrong, and not the transpose
    assert doc["answers"][0]["transposed"] is False and doc["answers"][0]["wrong"] == ["W[0, 1]"]


def test_a_transposed_matrix_of_the_wrong_shape_is_a_usage_error_naming_both_shapes(cli, helpers):
    run = cli("check", *CS231N, *expect(f"W={written(transpose(dW))}"))
    assert (run.code, run.out) == (2, "")
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err == ("backprop: usage error: --expect W=[[1, 0], [1, 2], [1, -2]]: the answer for W has shape "
                       "(3, 2), and W's gradient has shape (2, 3) (your answer has the shape of its transpose)\n")


def test_many_wrong_elements_are_capped_with_how_many_more(cli):
    x = list(range(1, 13))
    run = cli("check", "L = sum(x * x)", f"x={x}", *expect(f"x={[0] * 12}"))
    assert run.code == 1
    rows = [line for line in run.out.splitlines() if line.strip().startswith("x[")]
    assert len(rows) == 8 and rows[0].split()[:3] == ["x[0]", "0", "2"]  # d/dx sum(x^2) = 2x
    assert "... and 4 more (--json lists every element)" in run.out
    doc = cli("check", "L = sum(x * x)", f"x={x}", *expect(f"x={[0] * 12}"), "--json").json()
    assert doc["answers"][0]["wrong"] == [f"x[{i}]" for i in range(12)]
    assert [e["correct"] for e in doc["answers"][0]["elements"]] == [2.0 * v for v in x]


# -- the rounding rule, element by element ------------------------------------------------------------------

THIRDS = ["L = sum(W @ x) / 3", "W=[[1, 0], [0, 1]]", "x=[1, 2]"]  # dL/dW = [[1/3, 2/3], [1/3, 2/3]]


C, A, X_ = "correct", "accepted", "wrong"


@pytest.mark.parametrize("answer, verdicts, whole", [
    ("[[0.33, 0.67], [0.333, 0.6667]]", [C, C, C, C], C),
    # |0.34 - 1/3| = 0.0067: past half a unit, within one; |0.65 - 2/3| = 0.017: past one
    ("[[0.3, 0.7], [0.34, 0.65]]", [C, C, A, X_], X_),
    ("[[0.35, 0.6], [0.32, 0.66]]", [X_, A, X_, A], X_),  # 0.6 and 0.66: 2/3 cut off
    ("[[0.3, 0.6], [0.33, 0.66]]", [C, A, C, A], A),  # the worst of its elements: accepted
    ("[[0.333, 0.668], [1/3, 2/3]]", [C, X_, C, C], X_),  # 0.668 is off by more than 0.001
    ("[[1/3, 0.6666666667], [0.3333333333, 4/6]]", [C, C, C, C], C),
    ("[[1/3, 0.66666667], [0.33, 2/3 + 1e-6]]", [C, C, C, X_], X_),  # an expression: 1e-9 relative
])
def test_each_element_has_its_verdict_and_the_answer_the_worst(cli, answer, verdicts, whole):
    doc = cli("check", *THIRDS, *expect(f"W={answer}"), "--json").json()
    elements = doc["answers"][0]["elements"]
    assert [e["verdict"] for e in elements] == verdicts
    assert [e["ok"] for e in elements] == [v != X_ for v in verdicts]
    assert [Fraction(e["correct_exact"]) if e["correct_exact"] else e["correct"] for e in elements] == \
        pytest.approx([1 / 3, 2 / 3, 1 / 3, 2 / 3], rel=1e-15)
    assert doc["answers"][0]["verdict"] == whole and doc["ok"] is (whole != X_)
    assert doc["answers"][0]["accepted"] == [e["name"] for e in elements if e["verdict"] == A]
    assert cli("check", *THIRDS, *expect(f"W={answer}"), "--strict").code == (0 if whole == C else 1)


def test_the_rule_applied_to_each_element_is_the_scalar_rule():
    """The verdicts of a tensor answer are grade_one's on each element: the one rule, not a second one."""
    tape = lower(parse(THIRDS[0]))
    values = {"W": value_of(EXACT, "[[1, 0], [0, 1]]", "W"), "x": value_of(EXACT, "[1, 2]", "x")}
    tape = shaped(tape, values)
    result = differentiate(tape, values, EXACT, forward_mode=False)
    from backprop_cli.teaching.grading import grade

    items = [("W=[[0.33, 0.668], [1/3, 0.7]]", "--expect")]
    (verdict,) = grade(result, expectations(tape, items)).verdicts
    truths = [Fraction(1, 3), Fraction(2, 3), Fraction(1, 3), Fraction(2, 3)]
    for element, truth in zip(verdict.elements, truths):
        alone = grade_one(element.expectation, truth)
        assert (alone.ok, alone.rule, alone.tolerance) == (element.ok, element.rule, element.tolerance)
    assert [v.ok for v in verdict.elements] == [True, False, True, True]


def test_fractions_are_exact_where_floats_are_not(cli):
    # 0.1 + 0.2 - 0.3 is 0 exactly (5.6e-17 in floats): the integer answer 0 is right
    run = cli("check", "L = sum(x) - 0.3", "x=[0.1, 0.2]", *expect("value=0", "x=[1, 1]"))
    assert run.code == 0, run.out
    doc = cli("check", *THIRDS, *expect("W=[[1/3, 2/3], [1/3, 2/3]]"), "--exact", "--json").json()
    assert doc["answers"][0]["correct_exact"] == [["1/3", "2/3"], ["1/3", "2/3"]]
    assert all(e["off_by"] == 0 for e in doc["answers"][0]["elements"])


def test_a_float_truth_that_is_zero_up_to_rounding_accepts_0(cli):
    # sum(softmax(z)) is 1 for every z, so its gradient is 0; floats give about 1e-17 per element
    run = cli("check", "sum(softmax(z))", "z=[1, 2, 3]", *expect("z=[0, 0, 0]"))
    assert run.code == 0, run.out
    assert cli("check", "sum(softmax(z))", "z=[1, 2, 3]", *expect("z=[0.002, 0, 0]")).code == 1


def test_tolerance_replaces_the_rule_for_every_element(cli):
    doc = cli("check", *THIRDS, *expect("W=[[0.3, 0.6], [0.3, 0.6]]"), "--tolerance", "0.1", "--json").json()
    assert [e["ok"] for e in doc["answers"][0]["elements"]] == [True, True, True, True]
    assert doc["answers"][0]["rule"] == "0.1 relative (--tolerance)"


# -- answers for one element --------------------------------------------------------------------------------

@pytest.mark.parametrize("item, ok", [
    (f"W[1,2]={dW[1][2]}", True),
    (f"W[1, 2]={dW[1][2]}", True),
    (f"W[-1, -1]={dW[1][2]}", True),
    ("W[1, 0]=1/4", False),
    (f"X[2, 1]={dX[2][1]}", True),
    (f"W[0]={written(dW[0])}", True),  # a row
    (f"D[0, 1].value={D_VALUE[0][1]}", True),
    (f"D.value[0, 1]={D_VALUE[0][1]}", True),
    (f"D.value[1]={written(D_VALUE[1])}", True),
    (f"D.value[1]={written([v + 1 for v in D_VALUE[1]])}", False),
])
def test_an_element_or_a_row_is_answered_by_its_index(cli, item, ok):
    run = cli("check", *CS231N, "--expect", item)
    assert run.code == (0 if ok else 1), run.out + run.err


def test_a_wrong_element_answer_shows_the_correct_value_and_its_rule(cli):
    run = cli("check", *CS231N, *expect("W[1, 0]=1/4"))
    assert "How ∂L/∂W[1, 0] = 0 is found (you wrote 1/4):" in run.out
    doc = cli("check", *CS231N, *expect("W[1, 0]=1/4"), "--json").json()
    (answer,) = doc["answers"]
    assert (answer["name"], answer["index"], answer["shape"], answer["correct"], answer["ok"]) == \
        ("W[1, 0]", [1, 0], [], float(dW[1][0]), False)
    assert answer["off_by"] == 0.25


def test_a_vector_element_and_the_output_s_value_elements(cli):
    z = [1.0, 2.0, 3.0]
    s = [math.exp(v) / sum(math.exp(u) for u in z) for v in z]
    run = cli("check", "x = softmax(z); L = sum(x * x)", "z=[1, 2, 3]",
              *expect(f"x[2].value={s[2]:.6f}", f"x.value=[{s[0]:.4f}, {s[1]:.4f}, {s[2]:.4f}]"))
    assert run.code == 0, run.out + run.err
    run = cli("check", "softmax(z)", "z=[1, 2, 3]", *expect(f"value=[{s[0]:.5f}, {s[1]:.5f}, {s[2]:.5f}]",
                                                            f"value[1]={s[1]:.3f}"))
    assert run.code == 0, run.out + run.err


@pytest.mark.parametrize("item, message", [
    ("W[2, 0]=1", "--expect W[2, 0]=1: in W[2, 0], the index 2 is out of range for axis 0 of W's gradient, of "
                  "shape (2, 3) (0 to 1, or -2 to -1 from the end)"),
    ("W[0, 3]=1", "--expect W[0, 3]=1: in W[0, 3], the index 3 is out of range for axis 1 of W's gradient, of "
                  "shape (2, 3) (0 to 2, or -3 to -1 from the end)"),
    ("W[1, 0, 0]=1", "--expect W[1, 0, 0]=1: W[1, 0, 0] has 3 indices, and W's gradient has shape (2, 3): at most 2"),
    ("W=1", "--expect W=1: the answer for W is a number, and W's gradient has shape (2, 3): write it as a list of "
            "that shape (as [[0.1, 0.2], [0.3, 0.4]] for a 2 x 2 matrix), or answer an element, as W[0, 0]=..."),
    ("W[1]=[1, 2]", "--expect W[1]=[1, 2]: the answer for W[1] has shape (2,), and W[1] (of W's gradient) has "
                    "shape (3,)"),
    ("L=[1]", "--expect L=[1]: the answer for L is a list of shape (1,), and the output's value is a number"),
    ("L.grad=[1]", "--expect L.grad=[1]: the answer for L.grad is a list of shape (1,), and L's gradient is a number"),
    ("L[0]=1", "--expect L[0]=1: L[0] is an element, and the output's value is a number: answer it without an "
               "index"),
    ("dL/dL[0]=1", "--expect dL/dL[0]=1: dL/dL[0] is an element, and L's gradient is a number: answer it without "
                   "an index"),
    ("W=[[1, 2], [3]]", "--expect W=[[1, 2], [3]]: the answer for W is ragged: the list at [1] has 1 element, "
                        "the list at [0] has 2"),
    ("W=[[1, 1, 1], [0, 2, x]]", "--expect W=[[1, 1, 1], [0, 2, x]]: the answer for W[1, 2], 'x', is not a "
                                 "number: write a number or a constant expression, such as 4/3, 0.67, pi or "
                                 "sqrt(2)/2"),
    ("Q[0]=1", "--expect Q[0]=1: the program has no input or intermediate named Q; the names are: W, X, D, dD, L "
               "(write value or the output's name for its value, NAME.value for a node's, NAME or dOUT/dNAME for a "
               "gradient)"),
    ("W[1,]=1", "--expect W[1,]=1: 'W[1,]' is not a name: write value, an input or intermediate name (d), "
                "NAME.value, NAME.grad or dOUT/dNAME (dg/dd), or an element, as W[1, 0]"),
    ("dD/dW[1, 0]=1", "--expect dD/dW[1, 0]=1: dD/dW[1, 0] is a derivative of D, and check grades derivatives of "
                      "the output: D is an intermediate of the program, not its output; write dL/dW[1, 0] (or "
                      "W[1, 0], or W[1, 0].grad)"),
])
def test_answers_that_do_not_fit_are_usage_errors(cli, helpers, item, message):
    run = cli("check", *CS231N, "--expect", item)
    assert (run.code, run.out) == (2, ""), run.out
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err == f"backprop: usage error: {message}\n"


def test_the_same_element_spelled_twice_is_answered_twice(cli):
    run = cli("check", *CS231N, *expect("W[1,0]=0", "W[1, 0]=0"))
    assert run.code == 2
    assert "W[1, 0] is answered twice (first at --expect W[1,0]=0)" in run.err


def test_no_gradient_to_answer_for_a_tensor_output_or_an_index(cli):
    run = cli("check", "softmax(z)", "z=[1, 2, 3]", *expect("z=[0, 0, 0]"))
    assert run.code == 2
    assert run.err.startswith("backprop: usage error: --expect z=[0, 0, 0]: the output is a tensor of shape (3,), "
                              "so there is no gradient to answer")
    run = cli("check", "loss = cross_entropy(logits, k)", "logits=[0, 3, -2, 1]", "k=3", *expect("k=0"))
    assert run.code == 2
    assert "k is used only as an index (in cross_entropy(logits, k)), so it has no gradient" in run.err
    assert cli("check", "loss = cross_entropy(logits, k)", "logits=[0, 3, -2, 1]", "k=3",
               *expect("k.value=3")).code == 0


def test_a_list_answer_for_a_scalar_program_is_a_usage_error(cli):
    run = cli("check", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", *expect("d=[4/3]"))
    assert (run.code, run.out) == (2, "")
    assert run.err == ("backprop: usage error: --expect d=[4/3]: the answer for d is a list of shape (1,), and d's "
                       "gradient is a number\n")


def test_answers_file_with_matrices(cli, tmp_path):
    answers = tmp_path / "answers.txt"
    answers.write_text(f"# cs231n\nW = {written(dW)}\nX[2, 1] = {dX[2][1]}   # one element\nD = [[1, -1], [0, 3]]\n")
    run = cli("check", *CS231N, "--answers", str(answers), "--json")
    assert run.code == 1
    doc = run.json()
    assert [(a["name"], a["ok"]) for a in doc["answers"]] == [("W", True), ("X[2, 1]", True), ("D", False)]
    assert doc["answers"][2]["wrong"] == ["D[1, 1]"] and doc["first_wrong"] == "D"
    assert doc["answers"][2]["where"] == f"{answers} line 4"


# -- JSON ---------------------------------------------------------------------------------------------------

def test_json_carries_every_element_s_verdict(cli):
    given = [row[:] for row in dW]
    given[0][1] = "0.8"
    doc = cli("check", *CS231N, *expect(f"W=[[{given[0][0]}, {given[0][1]}, {given[0][2]}], {written(given[1])}]"),
              "--json").json()
    assert doc["ok"] is False and doc["first_wrong"] == "W" and doc["shape"] == []
    assert doc["inputs"] == {"W": W, "X": X, "dD": dD}
    (answer,) = doc["answers"]
    assert {k: answer[k] for k in ("name", "kind", "shape", "index", "form", "ok", "tolerance", "wrong")} == {
        "name": "W", "kind": "gradient", "shape": [2, 3], "index": [], "form": "tensor", "ok": False,
        "tolerance": None, "wrong": ["W[0, 1]"]}
    assert answer["correct"] == [[float(x) for x in row] for row in dW]
    assert answer["given_value"] == [[1, 0.8, 1], [0, 2, -2]]
    first = answer["elements"][1]
    assert first == {"name": "W[0, 1]", "index": [0, 1], "given": "0.8", "form": "decimal", "given_value": 0.8,
                     "correct": 1.0, "correct_exact": None, "ok": False, "verdict": "wrong", "note": None,
                     "off_by": pytest.approx(-0.2), "tolerance": 0.05, "rule": "±0.05 (half the last digit)"}
    assert [e["name"] for e in answer["elements"]] == [f"W[{i}, {j}]" for i in range(2) for j in range(3)]
    assert doc["value"] == sum(D_VALUE[i][j] * dD[i][j] for i in range(2) for j in range(2))


def test_json_under_exact_has_fractions(cli):
    doc = cli("check", *THIRDS, *expect("W=[[0.33, 0.67], [1/3, 2/3]]"), "--exact", "--json").json()
    (answer,) = doc["answers"]
    assert answer["correct_exact"] == [["1/3", "2/3"], ["1/3", "2/3"]]
    assert [e["correct_exact"] for e in answer["elements"]] == ["1/3", "2/3", "1/3", "2/3"]
    assert doc["exact"]["value"] == "1" and doc["exact"]["lost_at"] is None


def test_big_work_is_graded_against_floats(cli, monkeypatch):
    monkeypatch.setattr(checking, "EXACT_WORK", 0)
    doc = cli("check", *THIRDS, *expect("W=[[0.33, 0.67], [0.333, 0.6667]]"), "--json").json()
    assert doc["ok"] is True and "exact" not in doc
    assert cli("check", *THIRDS, *expect("W=[[1/3, 2/3], [1/3, 2/3]]"), "--exact", "--json").json()["ok"] is True


def test_a_math_error_stops_the_check_with_exit_4(cli, helpers):
    run = cli("check", "sum(log(x))", "x=[1, -1]", *expect("x=[1, 1]"))
    assert (run.code, run.out) == (4, "")
    helpers.assert_one_paragraph_error(run.err, "math error")


def test_an_element_of_a_number_is_a_usage_error_in_a_scalar_program():
    with pytest.raises(UsageError, match="a\\[0\\] is an element, and a's gradient is a number"):
        expectations(lower(parse("a*b")), [("a[0]=1", "--expect a[0]=1")])
