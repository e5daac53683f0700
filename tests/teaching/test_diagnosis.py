"""Diagnosis of a wrong gradient (teaching/diagnosis.py): a worked example per mistake of the catalogue.

Each row is a program, a point and the wrong number a student wrote, worked out by hand (or by SymPy) in
the row's comment and in `wrong`, never by the diagnoser: the test checks that the diagnoser finds that
mistake first, names its nodes, and that its expression gives that number.
"""
from __future__ import annotations

import math
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.compute import as_floats, differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.teaching.answers import expectations
from backprop_cli.teaching.diagnosis import MISTAKES, Diagnoser, diagnose_grade
from backprop_cli.teaching.grading import grade

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from clirun import run_main  # noqa: E402

SEED = "e = a + b; f = e * c; g = f / d"
SEED_AT = {"a": 5, "b": 1, "c": -2, "d": -3}  # e = 6, f = -12, g = 4; ∂g/∂d = 4/3, ∂g/∂e = ∂g/∂a = 2/3
CHAIN = "e = a * b; f = e * c; g = f * d"
CHAIN_AT = {"a": 2, "b": 3, "c": 4, "d": 5}  # e = 6, f = 24, g = 120; ∂g/∂f = 5, ∂g/∂e = 20, ∂g/∂a = 60
FORK = "e = 2*a; f = e*c; g = f + e"
FORK_AT = {"a": 1, "c": 3}  # g = 2ac + 2a: ∂g/∂a = 2c + 2 = 8, e used by f and by g


def _results(program: str, inputs: dict):
    tape = lower(parse(program))
    truth = differentiate(tape, {k: EXACT.literal(str(v)) for k, v in inputs.items()}, EXACT, forward_mode=False,
                          keep_undefined=True)
    return tape, as_floats(truth, keep_undefined=True), truth


def diagnoses(program: str, inputs: dict, answer: str, diagnoser: Diagnoser | None = None):
    tape, shown, truth = _results(program, inputs)
    verdict = grade(shown, expectations(tape, [(answer, f"--expect {answer}")]), truth=truth).verdicts[0]
    assert not verdict.ok, f"{answer} is right: not a case for a diagnosis"
    return (diagnoser or Diagnoser(shown, truth)).diagnose(verdict)


def _number(expression: str) -> float:
    """The number an expression ends with (`... = -4/3`), read independently of the code under test."""
    return float(Fraction(expression.rsplit("=", 1)[1].strip()))


CATALOGUE = [
    # ∂g/∂d = -f/d² = 4/3; with d² multiplied: -f·d² = -(-12)·(-3)² = 108 (the published wrong answer)
    (SEED, SEED_AT, "d=108", "quotient-power-multiplied", ("g", "d"), 108),
    # the quotient rule's minus sign dropped: f/d² = -12/9 = -4/3
    (SEED, SEED_AT, "d=-4/3", "quotient-sign-dropped", ("g", "d"), Fraction(-4, 3)),
    # ∂L/∂w = 2·x = 10; the factor taken from the wrong operand: 2·w = 6
    ("z = w*x; L = 2*z", {"w": 3, "x": 5}, "w=6", "product-wrong-operand", ("z", "w"), 6),
    # ∂L/∂z = 3·σ(2)(1 - σ(2)); with σ' from the input: 3·2·(1 - 2) = -6
    ("L = 3*sigmoid(z)", {"z": 2}, "z=-6", "sigmoid-of-input", ("v3", "z"), -6),
    # the same mistake one node up the chain, propagated: ∂L/∂w = y·σ'(wx)·x; y·z(1 - z)·x = 3·2·(-1)·2 = -12
    ("h = sigmoid(w*x); L = h*y", {"w": 1, "x": 2, "y": 3}, "w=-12", "sigmoid-of-input", ("h", "v3", "w"), -12),
    # tanh'(0.5) = 1 - tanh(0.5)² = 0.786; from the input: 1 - 0.5² = 0.75
    ("L = tanh(x)", {"x": 0.5}, "x=0.75", "tanh-of-input", ("L", "x"), Fraction(3, 4)),
    # ∂/∂y of ½(y - t)² is y - t = 2; the ½ forgotten: 2·(y - t) = 4
    ("L = 0.5*(y - t)^2", {"y": 3, "t": 1}, "y=4", "half-forgotten", ("L", "v6", "y"), 4),
    # ∂/∂y of (y - t)² is 2(y - t) = 4; an extra factor 2: 4(y - t) = 8
    ("L = (y - t)^2", {"y": 3, "t": 1}, "y=8", "square-extra-factor-2", ("L", "v3", "y"), 8),
    # the 2 of the square forgotten: y - t = 2
    ("L = (y - t)^2", {"y": 3, "t": 1}, "y=2", "square-factor-2-forgotten", ("L", "v3", "y"), 2),
    # cos(30) = 0.154 in radians; in degrees cos(30°) = √3/2 = 0.866025 (SymPy below)
    ("L = sin(x)", {"x": 30}, "x=0.866", "degrees-for-radians", ("L", "x"), float(sympy.cos(sympy.pi / 6))),
    # x is used twice: ∂y/∂x = w + 1 = 5; the path through x*w left out: 5 - 4 = 1
    ("y = x*w + x", {"x": 3, "w": 4}, "x=1", "path-left-out", ("v3", "x"), 1),
    # a fork above the asked node: e feeds f and g; the path through f left out: 8 - c·2 = 2
    (FORK, FORK_AT, "a=2", "path-left-out", ("f", "e", "a"), 2),
    # ∂g/∂e = 2/3; the sign flipped: -2/3
    (SEED, SEED_AT, "e=-2/3", "sign-flipped", ("e",), Fraction(-2, 3)),
    # ∂g/∂e = ∂g/∂f·c = 20; the local derivative alone: c = 4
    (CHAIN, CHAIN_AT, "e=4", "local-without-upstream", ("f", "e"), 4),
    # the upstream alone: ∂g/∂f = d = 5
    (CHAIN, CHAIN_AT, "e=5", "upstream-without-local", ("f", "e"), 5),
    # ∂g/∂a = b·c·d = 60, one step past e
    (CHAIN, CHAIN_AT, "e=60", "gradient-of-neighbour", ("a", "e"), 60),
    # e's value, 6, for its gradient
    (SEED, SEED_AT, "e=6", "value-for-gradient", ("e",), 6),
    # f's value, -12, for e's gradient
    (SEED, SEED_AT, "e=-12", "value-of-other-node", ("f", "e"), -12),
]


@pytest.mark.parametrize("program,inputs,answer,mistake,nodes,wrong", CATALOGUE,
                         ids=[f"{row[3]}:{row[2]}" for row in CATALOGUE])
def test_each_mistake_of_the_catalogue_is_found_first(program, inputs, answer, mistake, nodes, wrong):
    found = diagnoses(program, inputs, answer)
    assert found, f"no diagnosis for {answer}"
    first = found[0]
    assert (first.mistake, first.nodes) == (mistake, nodes)
    assert math.isclose(float(first.value), float(wrong), rel_tol=1e-12)
    assert math.isclose(_number(first.expression) if "/" in first.expression.rsplit("=", 1)[1]
                        else float(first.expression.rsplit("=", 1)[1]), float(wrong), rel_tol=1e-5)
    assert first.words and first.mistake in MISTAKES


def test_the_catalogue_has_a_worked_example_for_every_mistake():
    assert {row[3] for row in CATALOGUE} == set(MISTAKES)


def test_the_seed_words_and_expression():
    first = diagnoses(SEED, SEED_AT, "d=108")[0]
    assert first.expression == "-f·d^2 = -(-12)·(-3)^2 = 108"
    assert first.words == ("in the quotient g = f / d, the denominator's square was multiplied instead of divided: "
                           "∂g/∂d is -f/d^2, not -f·d^2")
    assert first.value == 108 and isinstance(first.value, Fraction)


def test_a_bare_intermediate_answered_with_its_value():
    (first,) = diagnoses(SEED, SEED_AT, "e=6")
    assert first.words == "6 is the value of e; its gradient is 2/3; write e.value=6 for the value"
    assert first.expression == "e = a + b = 5 + 1 = 6"


def test_several_mistakes_that_give_the_number_are_listed_most_specific_first():
    found = diagnoses(SEED, SEED_AT, "d=-4/3")  # the quotient's sign dropped is also the whole sign flipped
    assert [d.mistake for d in found] == ["quotient-sign-dropped", "sign-flipped"]


@pytest.mark.parametrize("answer", ["d=7", "d=2", "e=0.5", "a=100"])
def test_nothing_reproduces_the_number(answer):
    assert diagnoses(SEED, SEED_AT, answer) == ()


@pytest.mark.parametrize("answer,found", [
    ("x=0.866", True), ("x=0.87", True), ("x=0.9", True),  # √3/2 = 0.866025 to the digits written
    ("x=0.8661", True), ("x=0.867", True),  # within one unit of the last digit
    ("x=0.85", False), ("x=0.8662", False), ("x=0.868", False),  # off by more than one unit of it
])
def test_a_decimal_is_matched_to_the_precision_written(answer, found):
    assert bool(diagnoses("L = sin(x)", {"x": 30}, answer)) is found


def test_right_answers_and_values_are_not_diagnosed():
    tape, shown, truth = _results(SEED, SEED_AT)
    verdicts = grade(shown, expectations(tape, [("d=4/3", "-"), ("e.value=7", "-"), ("value=3", "-")]),
                     truth=truth).verdicts
    assert [Diagnoser(shown, truth).diagnose(v) for v in verdicts] == [(), (), ()]
    assert diagnose_grade(shown, grade(shown, expectations(tape, [("e.value=7", "-")]), truth=truth), truth) == {}


# cs231n's D = W X with upstream dD: dW = dD Xᵀ = [[1, 1], [0, 2]], dX = Wᵀ dD = [[1, -1], [2, -4]] (by hand:
# dW[0, 0] = 1·1 + (-1)·0 = 1, dW[0, 1] = 1·2 + (-1)·1 = 1, dW[1, 1] = 0·2 + 2·1 = 2; dX[1, 0] = 2·1 + (-1)·0 = 2,
# dX[1, 1] = 2·(-1) + (-1)·2 = -4, and X[1, 1] = 1)
MATMUL = ["D = W @ X; L = sum(D * dD)", "W=[[1, 2], [0, -1]]", "X=[[1, 0], [2, 1]]", "dD=[[1, -1], [0, 2]]"]


def test_vectors_and_matrices_get_the_sign_and_the_value_element_by_element():
    import json

    run = run_main(["check", *MATMUL, "--json", "--expect", "W=[[-1, -1], [0, -2]]", "--expect", "X[1, 0]=-2",
                    "--expect", "X[1, 1]=1", "--expect", "W[1, 0]=7"])
    answers = {a["name"]: a for a in json.loads(run.out)["answers"]}
    (whole,) = answers["W"]["diagnoses"]  # every wrong element of dW has its sign flipped
    assert whole["mistake"] == "sign-flipped" and whole["value"] == [-1, -1, -2]
    assert whole["words"] == "the sign is flipped at W[0, 0], W[0, 1], W[1, 1] (every wrong element)"
    assert [d["mistake"] for d in answers["X[1, 0]"]["diagnoses"]] == ["sign-flipped"]
    assert answers["X[1, 1]"]["diagnoses"][0]["mistake"] == "value-for-gradient"
    assert answers["W[1, 0]"]["diagnoses"] == []


def _counting_builds(shown, truth):
    """A Diagnoser, and the list of the nodes whose candidate tables it builds, in order."""
    diagnoser = Diagnoser(shown, truth)
    built = []
    build = diagnoser._build
    diagnoser._build = lambda a: built.append(a) or build(a)
    return diagnoser, built


def test_one_diagnoser_answers_many_students_from_one_table():
    tape, shown, truth = _results(SEED, SEED_AT)
    diagnoser, built = _counting_builds(shown, truth)
    for answer, mistake in [("d=108", "quotient-power-multiplied"), ("d=-4/3", "quotient-sign-dropped"),
                            ("d=7", None)] * 3:
        found = diagnoses(SEED, SEED_AT, answer, diagnoser)
        assert (found[0].mistake if found else None) == mistake
    assert built == [tape.named["d"]]  # one table for the question, however many answers


def test_a_diagnoser_keeps_one_table_at_a_time():
    # a table holds a few numbers per edge above its node: a class of 21 questions on 100,000 nodes kept
    # 0.5 GB of them; a question asked again is built again
    tape, shown, truth = _results(SEED, SEED_AT)
    diagnoser, built = _counting_builds(shown, truth)
    for answer in ["d=108", "e=7", "d=-4/3"]:
        diagnoses(SEED, SEED_AT, answer, diagnoser)
    assert built == [tape.named["d"], tape.named["e"], tape.named["d"]]
    assert diagnoser._table_of[0] == tape.named["d"]


# ---------------------------------------------------------------- through the command line


def _check(*argv: str):
    return run_main(["check", SEED, "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", *argv])


def test_the_seed_check_end_to_end():
    run = _check("--expect", "d=108")
    assert run.code == 1
    lines = run.out.splitlines()
    at = lines.index("  ∂g/∂d = -f/d^2 = -(-12)/(-3)^2 = 1.33333")  # under the steps of ∂g/∂d
    assert lines[at + 1].startswith("  Likely mistake: in the quotient g = f / d, the denominator's square was")
    assert "    -f·d^2 = -(-12)·(-3)^2 = 108" in lines[at + 2:at + 4]


def test_the_seed_check_in_json():
    import json

    run = _check("--expect", "d=108", "--expect", "a=7", "--expect", "e=2/3", "--json")
    answers = {a["name"]: a for a in json.loads(run.out)["answers"]}
    (seed,) = answers["d"]["diagnoses"]
    assert seed == {"mistake": "quotient-power-multiplied", "words": seed["words"], "nodes": ["g", "d"],
                    "expression": "-f·d^2 = -(-12)·(-3)^2 = 108", "value": 108, "value_exact": "108"}
    assert answers["a"]["diagnoses"] == []  # wrong, and no usual mistake gives 7
    assert "diagnoses" not in answers["e"]  # right


def test_nothing_reproduces_in_the_text_view():
    run = _check("--expect", "d=7")
    assert "  No usual mistake gives 7." in run.out.splitlines()
    assert "Likely mistake" not in run.out


# ---------------------------------------------------------------- linear in the program's size


def _big_program(terms: int) -> str:
    """sum of (x + k)*y: x and y are used `terms` times each; four nodes a term."""
    return " + ".join(f"(x + {k})*y" for k in range(1, terms + 1))


def test_a_wrong_answer_on_a_100000_node_program_is_diagnosed_about_as_fast_as_a_right_one_is_graded():
    terms = 25_000  # 100,000 nodes; ∂/∂x = terms (y = 1)
    program = _big_program(terms)
    argv = ["check", program, "-x", "1", "-y", "1", "--json", "--expect"]
    start = time.perf_counter()
    right = run_main(argv + [f"x={terms}"])
    graded = time.perf_counter() - start
    start = time.perf_counter()
    wrong = run_main(argv + [f"x={terms - 1}"])  # one of the 25,000 paths left out
    diagnosed = time.perf_counter() - start
    assert right.code == 0 and wrong.code == 1
    import json

    (found, *_) = json.loads(wrong.out)["answers"][0]["diagnoses"]
    assert found["mistake"] == "path-left-out" and found["value"] == terms - 1
    assert f"any of {terms:,} such places" in found["words"]
    assert diagnosed < 5 * graded, (graded, diagnosed)


def test_the_candidates_grow_linearly_with_the_program():
    sizes = {}
    for terms in (100, 1000):
        tape, shown, truth = _results(_big_program(terms), {"x": 1, "y": 1})
        diagnoser = Diagnoser(shown, truth)
        verdict = grade(shown, expectations(tape, [("x=0", "-")]), truth=truth).verdicts[0]
        diagnoser.diagnose(verdict)
        sizes[terms] = len(diagnoser._table(tape.inputs["x"]).candidates) / len(tape.nodes)
    assert sizes[1000] <= sizes[100] * 1.05  # candidates per node do not grow with the size


# ---------------------------------------------------------------- the linear method against a full re-sweep


def _wrong_sweeps(tape, truth, mistake):
    """(asked input, the number a student making `mistake` at one edge p -> q gets, p's label), by running
    the whole backward sweep again with that one local derivative changed (engine/reverse.py's sweep, not
    the diagnoser's formula)."""
    from backprop_cli.engine.local import active_nodes
    from backprop_cli.engine.reverse import backward

    active = active_nodes(tape)
    uses = {}
    for p, row in enumerate(truth.partials):
        for q, d in zip(tape.nodes[p].args, row or ()):
            if d is not None:
                uses[q] = uses.get(q, 0) + 1
    for p, node in enumerate(tape.nodes):
        row = truth.partials[p]
        if row is None:
            continue
        for k, q in enumerate(node.args):
            if row[k] is None:
                continue
            if mistake == "quotient-power-multiplied" and (node.op != "div" or k != 1):
                continue
            if mistake == "path-left-out" and (uses[q] < 2 or node.args.count(q) > 1):
                continue  # (one factor of u*u left out is the 2 of a square forgotten: that mistake's test)
            x, y = (truth.values[a] for a in node.args) if len(node.args) == 2 else (None, None)
            changed = list(truth.partials)
            local = list(row)
            local[k] = -x * y * y if mistake == "quotient-power-multiplied" else 0  # (a path left out: 0)
            changed[p] = tuple(local)
            grads = backward(tape, changed, active, Fraction(1), Fraction(0)).grads
            for name, i in tape.inputs.items():
                if isinstance(grads[i], Fraction) and grads[i] != truth.grads[i]:
                    yield name, grads[i], tape.label(p)


@pytest.mark.parametrize("mistake", ["quotient-power-multiplied", "path-left-out"])
def test_a_mistake_anywhere_up_the_chain_is_found_as_a_full_backward_sweep_with_it_finds_it(mistake):
    from program_gen import seeded_programs

    from backprop_cli.base.errors import BackpropError

    checked = crowded = 0
    for generated in seeded_programs(1515, 400, rational=True, arithmetic=0.7):
        tape = lower(parse(generated.text))
        try:
            truth = differentiate(tape, {k: Fraction(v) for k, v in generated.values.items()}, EXACT,
                                  forward_mode=False)
        except BackpropError:
            continue
        shown = as_floats(truth)
        diagnoser = Diagnoser(shown, truth)
        for name, wrong, at in _wrong_sweeps(tape, truth, mistake):
            answer = f"{name}={wrong.numerator}/{wrong.denominator}"
            verdict = grade(shown, expectations(tape, [(answer, "-")]), truth=truth).verdicts[0]
            if verdict.ok:
                continue
            found = diagnoser.diagnose(verdict)
            if any(d.mistake == mistake and at in d.nodes and d.value == wrong for d in found):
                pass
            elif any(d.mistake == mistake and d.value == wrong and "such places" in d.words for d in found):
                pass  # the same mistake at several places gives this number: one diagnosis, counted
            else:  # only where five more specific stories give the number too
                assert len(found) == 5, (generated.text, answer, found)
                crowded += 1
            checked += 1
    assert checked >= 30 and crowded <= checked // 10, (checked, crowded)  # enough cases to mean something


def test_random_programs_with_wrong_answers_never_break_check():
    """Any program (undefined numbers, kinks, wide floats included) and any wrong answer: a verdict, never a bug."""
    import json

    from program_gen import bindings, seeded_programs

    diagnosed = 0
    for safe, seed in ((True, 77), (False, 78)):
        for generated in seeded_programs(seed, 30, safe=safe, arithmetic=0.5):
            for answer in ("7", "-0.5", "0") if generated.inputs else ():
                name = generated.inputs[0]
                run = run_main(["check", generated.text, *bindings(generated.values), "--expect", f"{name}={answer}",
                                "--json"])
                assert run.code in (0, 1, 4), (generated.text, answer, run.err)
                if run.code == 1:
                    for d in json.loads(run.out)["answers"][0].get("diagnoses", []):
                        diagnosed += 1
                        assert math.isclose(d["value"], float(Fraction(answer)), rel_tol=1e-6, abs_tol=0.1)
    assert diagnosed
