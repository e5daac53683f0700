"""Exercise sets (teaching/exercises.py, exercise_templates.py): the same seed gives the same set, every answer
is exact, short and agrees with SymPy, and no exercise sits on a kink or has a dull (zero) gradient."""
from __future__ import annotations

import re
from fractions import Fraction

import pytest
import sympy as sp
from conftest import tape_to_sympy

from backprop_cli.base.errors import UsageError
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.teaching.exercise_templates import TEMPLATES, Draft
from backprop_cli.teaching.exercises import Unfit, generate, short_text, solve

NAMES = sorted(TEMPLATES)
SCALAR = [name for name in NAMES if name != "softmax"]


# --- determinism -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("template", NAMES)
def test_the_same_seed_gives_the_same_set(template):
    assert generate(template, 11, 5) == generate(template, 11, 5)
    assert generate(template, 11, 5) != generate(template, 12, 5)


@pytest.mark.parametrize("template", NAMES)
def test_a_longer_set_begins_with_the_shorter_one(template):
    assert generate(template, 4, 6).exercises[:3] == generate(template, 4, 3).exercises


def test_a_set_does_not_repeat_an_exercise():
    exercises = generate("fork", 1, 40).exercises
    assert len({(e.draft.statements, e.draft.given) for e in exercises}) == 40


# Pinned: one small set, so a change to the drawing (or to random.Random) is seen. Worked by hand:
# f = x/q with q = x + y = -1.5: f = -1, ∂f/∂q = -x/q² = -2/3, ∂f/∂x = 1/q + ∂f/∂q = -4/3, ∂f/∂y = -2/3.
PINNED_FORK_7 = [
    (("q = x + y", "f = x / q"), (("x", "1.5"), ("y", "-3")),
     (("value", "-1"), ("q", "-2/3"), ("x", "-4/3"), ("y", "-2/3"))),
    (("q = x + y", "p = x * y", "f = q * p"), (("x", "-3"), ("y", "-0.5")),
     (("value", "-5.25"), ("q", "1.5"), ("p", "-3.5"), ("x", "3.25"), ("y", "12"))),
]


def test_a_pinned_set():
    exercises = generate("fork", 7, 2).exercises
    assert [(e.draft.statements, e.draft.given, e.answers) for e in exercises] == PINNED_FORK_7
    assert [e.number for e in exercises] == [1, 2]


# --- the answers against SymPy -----------------------------------------------------------------------------------

_LOG = re.compile(r"(-?)log\((\d+)\)")


def _exact(text: str):
    """A given value as SymPy has it exactly: 1.5 -> 3/2, log(3) -> log(3), -log(2) -> -log(2)."""
    match = _LOG.fullmatch(text)
    if match:
        return (-1 if match.group(1) else 1) * sp.log(int(match.group(2)))
    return sp.Rational(Fraction(text))


def _close(expr, answer: str) -> bool:
    if answer.startswith("log("):
        want = sp.log(sp.Rational(Fraction(answer[4:-1])))
    else:
        want = sp.Rational(Fraction(answer))
    return abs(sp.N(expr - want, 60)) < sp.Float("1e-45")


def _sympy_answers(draft: Draft) -> dict:
    tape = lower(parse("; ".join(draft.statements)))
    whole = tape_to_sympy(tape)
    point = {whole.symbols[name]: _exact(text) for name, text in draft.given}
    out = {"value": whole.exprs[tape.output].subs(point)}
    for i, node in enumerate(tape.nodes):
        if node.name is None or node.name not in draft.targets:
            continue
        if node.name in whole.symbols:
            out[node.name] = sp.diff(whole.exprs[tape.output], whole.symbols[node.name]).subs(point)
        else:  # an intermediate: cut the tape there, differentiate by the cut, put its value back
            cut = tape_to_sympy(tape, cut=i)
            at = {cut.symbols[name]: _exact(text) for name, text in draft.given}
            at[cut.cut] = whole.exprs[i].subs(point)
            out[node.name] = sp.diff(cut.exprs[tape.output], cut.cut).subs(at)
    relus = [whole.exprs[a].subs(point) for node in tape.nodes if node.op == "relu" for a in node.args]
    return out, relus


@pytest.mark.parametrize("template", SCALAR)
@pytest.mark.parametrize("seed", range(6))
def test_every_answer_agrees_with_sympy(template, seed):
    for exercise in generate(template, seed, 3).exercises:
        oracle, relus = _sympy_answers(exercise.draft)
        assert [t for t, _ in exercise.answers] == list(exercise.draft.targets)
        for target, answer in exercise.answers:
            assert _close(oracle[target], answer), (exercise.program, exercise.draft.given, target, answer,
                                                    oracle[target])
            assert _close(oracle[target], answer) and sp.N(oracle[target], 30) != 0  # no dull zero gradient
        assert all(sp.N(z, 30) != 0 for z in relus)  # no relu on its kink


def _softmax_oracle(draft: Draft):
    given = dict(draft.given)
    logits = [_exact(t.strip()) for t in given["z"].strip("[]").split(",")]
    k = int(given["k"])
    z = sp.symbols("z0:3", real=True)
    p = [sp.exp(zi) / sum(sp.exp(zj) for zj in z) for zi in z]
    loss = -sp.log(p[k])
    at = dict(zip(z, logits))
    grad_p = [-1 / p[k].subs(at) if i == k else 0 for i in range(3)]
    return {"p.value": [pi.subs(at) for pi in p], "value": loss.subs(at),
            "z": [sp.diff(loss, zi).subs(at) for zi in z], "p": grad_p}


@pytest.mark.parametrize("seed", range(8))
def test_softmax_answers_agree_with_sympy(seed):
    for exercise in generate("softmax", seed, 3).exercises:
        oracle = _softmax_oracle(exercise.draft)
        for target, answer in exercise.answers:
            want = oracle[target]
            if isinstance(want, list):
                items = [item.strip() for item in answer.strip("[]").split(",")]
                assert len(items) == 3 and all(_close(w, a) for w, a in zip(want, items)), (target, answer, want)
            else:
                assert _close(want, answer), (target, answer, want)


# --- many seeds: every template draws, and every answer is short ----------------------------------------------------

@pytest.mark.parametrize("template", NAMES)
def test_many_seeds_all_draw_short_answers(template):
    for seed in range(0, 400, 7):
        for exercise in generate(template, seed, 2).exercises:
            for _, answer in exercise.answers:
                for item in answer.strip("[]").split(","):
                    assert len(item.strip()) <= 12, (exercise.program, exercise.draft.given, answer)


# --- solving: the engine refuses what is not a good exercise -------------------------------------------------------

@pytest.mark.parametrize("draft, why", [
    (Draft(("y = relu(x) * w",), (("x", "0"), ("w", "2")), ("value", "x")), "kink"),
    (Draft(("y = w / x",), (("x", "0"), ("w", "2")), ("value", "x")), "undefined"),
    (Draft(("y = x / 7 / 13 / 31",), (("x", "1"),), ("x",)), "long"),
    (Draft(("y = (x - t)^2",), (("x", "1"), ("t", "1")), ("value", "x")), "zero"),
])
def test_unfit_drafts_are_refused(draft, why):
    with pytest.raises(Unfit):
        solve(draft)


def test_a_fit_draft_is_solved():
    assert solve(Draft(("y = x / 8",), (("x", "3"),), ("value", "x"))) == (("value", "0.375"), ("x", "0.125"))


@pytest.mark.parametrize("number, text", [
    (Fraction(3), "3"), (Fraction(-3, 4), "-0.75"), (Fraction(1, 16), "0.0625"), (Fraction(1, 32), "0.03125"),
    (Fraction(2, 3), "2/3"), (Fraction(-7, 640), "-7/640"), (0.7500000000000001, "0.75"), (-0.1875, "-0.1875"),
    (Fraction(21, 4), "5.25"), (Fraction(1, 4000), "0.00025"), (Fraction(3, 64), "3/64"),
    (Fraction(343, 16), "343/16"),
    (0.00025000000000000006, "0.00025"), (Fraction(-1234, 10 ** 8), "-0.00001234"), (Fraction(-12), "-12"),
])
def test_short_text(number, text):
    assert short_text(number) == text


@pytest.mark.parametrize("number", [Fraction(1, 4001), Fraction(1, 3 * 2 ** 12), 0.1234567891234, float("nan"), 1e300])
def test_what_is_not_short(number):
    with pytest.raises(Unfit):
        short_text(number)


# --- bad requests -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (("chian", 1, 1), ["no template named 'chian' (did you mean chain?)", "chain, neuron, fork, mazur, softmax",
                       "--list"]),
    (("zzz", 1, 1), ["no template named 'zzz';"]),
    (("chain", -1, 1), ["--seed must be a whole number from 0 to", "not -1"]),
    (("chain", 1, 0), ["--count must be from 1 to 1000, not 0"]),
    (("chain", 1, 1001), ["--count must be from 1 to 1000, not 1001"]),
])
def test_bad_requests(args, words):
    with pytest.raises(UsageError) as caught:
        generate(*args)
    for word in words:
        assert word in caught.value.message
