"""Every command linear in the program's size (issue 16): each superlinearity that was found and removed has a
test here that fails if it comes back (operations counted, not times), and each cap of a human-readable output
that would be unreadably long has a test of its note."""
from __future__ import annotations

import re
from fractions import Fraction

import pytest

from backprop_cli.engine import tape as tape_module
from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.render import check_steps, check_view
from backprop_cli.teaching import checking
from backprop_cli.teaching import steps as steps_module
from tests.clirun import run_main

POINT = ["x0=0.5", "x1=0.75", "x2=1.25"]


def chain(lines: int) -> str:
    """h1 = ..., each line reading the line before and one further back (a chain with forks)."""
    body = ["h0 = x0*x1 - x2"]
    for k in range(1, lines):
        body.append(f"h{k} = tanh(h{k - 1}*x{k % 3} - h{max(0, k - 3)}*0.5)")
    return "\n".join(body) + f"\nL = h{lines - 1}\n"


def answers(source: str, wrong: int) -> list[str]:
    """Every intermediate's and input's gradient, right, except the last `wrong` ones (answered 7)."""
    result = differentiate(lower(parse(source)), {"x0": 0.5, "x1": 0.75, "x2": 1.25})
    names = [n for n in result.tape.named if n != "L"]
    items = []
    for k, name in enumerate(names):
        value = 7 if k >= len(names) - wrong else result.grads[result.tape.named[name]]
        items += ["--expect", f"{name}={value!r}"]
    return items


def counting(monkeypatch, module, name: str) -> list:
    calls = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_tapes_names_are_gathered_once_whatever_the_number_of_answers(monkeypatch):
    # check looks up each answer's name in Tape.named; rebuilding it per lookup was quadratic (10,000 nodes
    # and 1,800 answers: 5.7 s of 6)
    built = counting(monkeypatch, tape_module, "MappingProxyType")
    source = chain(60)
    done = run_main(["check", source, *POINT, *answers(source, wrong=0), "--json"])
    assert done.code == 0, done.err
    assert len(built) <= 2  # once per tape (load's, and none other)


def test_the_names_are_read_only_and_the_same_mapping_each_time():
    tape = lower(parse("e = a*b; f = e + a"))
    assert tape.named is tape.named and dict(tape.named) == {"a": 0, "b": 1, "e": 2, "f": 3}
    with pytest.raises(TypeError):
        tape.named["g"] = 0


def test_the_chain_rule_is_worked_out_once_for_all_wrong_answers(monkeypatch):
    # each wrong gradient's steps are a slice of one list (steps.slice_steps), not the chain rule again
    in_view = counting(monkeypatch, check_steps, "backward_steps")
    in_grading = counting(monkeypatch, steps_module, "backward_steps")  # grading takes the order alone
    source = chain(40)
    done = run_main(["check", source, *POINT, *answers(source, wrong=6), "--color", "never"])
    assert done.code == 1, done.err
    assert done.out.count("is found (you wrote 7)") == 6
    assert len(in_view) == 1 and len(in_grading) == 0


def test_a_sliced_list_of_steps_is_the_list_worked_out_for_the_answer():
    result = differentiate(lower(parse(chain(12))), {"x0": 0.5, "x1": 0.75, "x2": 1.25})
    every = steps_module.backward_steps(result)
    for name in ("h3", "h10", "x1", "L", "v5"):
        assert steps_module.slice_steps(result, every, name) == steps_module.backward_steps(result, wrt=name)


def test_only_the_step_lines_shown_are_written(monkeypatch):
    written = counting(monkeypatch, check_steps, "_backward_line")
    result = differentiate(lower(parse(chain(300))), {"x0": 0.5, "x1": 0.75, "x2": 1.25})
    lines = check_steps.gradient_steps(result, "x0", 6)
    assert len(written) == check_steps.MAX_LINES and len(lines) == check_steps.MAX_LINES + 1


def test_a_long_answers_table_shows_the_wrong_ones_and_says_how_many_correct_ones_it_leaves_out(monkeypatch):
    monkeypatch.setattr(check_view, "MAX_ANSWER_ROWS", 20)
    source = chain(30)
    items = answers(source, wrong=2)
    done = run_main(["check", source, *POINT, *items, "--color", "never"], env={"COLUMNS": "200"})
    assert done.code == 1, done.err
    rows = [line for line in done.out.splitlines() if re.search(r"[✓✗~] (correct|wrong|accepted)", line)]
    assert len(rows) == 20 and sum("✗ wrong" in row for row in rows) == 2
    left_out = len(items) // 2 - 20
    assert (f"{left_out} more correct answers are not shown: the table shows at most 20 rows, every answer "
            "that is not correct among them (--json lists every answer).") in done.out
    everything = run_main(["check", source, *POINT, *items, "--json"])
    assert len(__import__("json").loads(everything.out)["answers"]) == len(items) // 2


def test_an_answers_table_within_the_cap_is_whole(monkeypatch):
    monkeypatch.setattr(check_view, "MAX_ANSWER_ROWS", 33)  # 32 answers: the names and the three inputs
    source = chain(30)
    done = run_main(["check", source, *POINT, *answers(source, wrong=2), "--color", "never"], env={"COLUMNS": "200"})
    assert "not shown" not in done.out


def test_the_steps_and_mistakes_of_the_first_wrong_answers_only_are_worked_out(monkeypatch):
    # each wrong answer's steps and diagnosis sweep the tape from its node: 1,800 wrong answers on 10,000 nodes
    # took 50 s and 3 GB; now the first MAX_WRONG_EXPLAINED, and a line says how many more
    from backprop_cli.teaching import diagnosis

    monkeypatch.setattr(checking, "MAX_EXPLAINED", 3)
    built = counting(monkeypatch, diagnosis.Diagnoser, "_build")
    source = chain(20)
    items = answers(source, wrong=8)
    done = run_main(["check", source, *POINT, *items, "--color", "never"], env={"COLUMNS": "200"})
    assert done.code == 1, done.err
    assert done.out.count("is found (you wrote 7)") == 3 and len(built) == 3
    assert ("The steps of 5 more answers that are not right are not shown: check shows them for the first 3 "
            "(`backprop explain --wrt NAME` shows any one).") in done.out
    document = __import__("json").loads(run_main(["check", source, *POINT, *items, "--json"]).out)
    assert sum("diagnoses" in entry for entry in document["answers"]) == 3  # the rest: not diagnosed


def test_no_line_about_steps_left_out_when_all_are_shown(monkeypatch):
    monkeypatch.setattr(checking, "MAX_EXPLAINED", 3)
    source = chain(20)
    done = run_main(["check", source, *POINT, *answers(source, wrong=3), "--color", "never"])
    assert done.out.count("is found (you wrote 7)") == 3 and "are not shown" not in done.out


def test_long_formulas_are_elided_past_max_rows_with_a_note(monkeypatch):
    # Rich took most of eval --symbolic's time wrapping 50,000 lines of formulas (10,000 nodes)
    from backprop_cli.render import formulas

    monkeypatch.setattr(formulas, "FORMULA_LINES", 0)
    source = chain(60)
    done = run_main(["eval", source, *POINT, "--symbolic", "--max-rows", "12", "--color", "never"],
                    env={"COLUMNS": "300"})
    assert done.code == 0, done.err
    assert re.search(r"The formulas have [\d,]+ lines; the table shows about 12 \(--max-rows N to raise it; --json "
                     r"has every formula whole\)\.", done.out)
    assert len(re.findall(r"^\s*where ", done.out, re.M)) <= 12 and "more shared parts" in done.out
    whole = run_main(["eval", source, *POINT, "--symbolic", "--max-rows", "100000", "--color", "never"],
                     env={"COLUMNS": "300"})
    assert "more shared parts" not in whole.out and "The formulas have" not in whole.out
    assert len(re.findall(r"^\s*where ", whole.out, re.M)) > 12


def test_max_rows_0_leaves_out_the_node_tables_not_the_formulas():
    source = chain(20)
    done = run_main(["eval", source, *POINT, "--symbolic", "--max-rows", "0", "--color", "never"])
    assert "more shared parts" not in done.out and "The formulas have" not in done.out


def kinked(lines: int) -> str:
    """The chain with two kinks at the point (relu at 0 for x0=0.5, abs at 0 for x1=0.75) near the output."""
    return chain(lines).replace(f"L = h{lines - 1}\n", f"L = h{lines - 1} + relu(x0 - 0.5)*0.01 + abs(x1 - 0.75)\n")


def test_the_kinks_answers_go_through_are_found_in_one_pass_whatever_the_number_of_answers(monkeypatch):
    # kinks_used asked computed_from (a pass over the tape) once per gradient answered: with a kink in the
    # program and an answer per name, check was quadratic, and five times over when a wrong answer makes it
    # grade again under each other convention
    from backprop_cli.teaching import grading

    passes = counting(monkeypatch, grading, "computed_from")
    source = kinked(60)
    given = [("x0=7" if item.startswith("x0=") else item) for item in answers(source, wrong=0)]
    done = run_main(["check", source, *POINT, *given, "--json"])
    assert done.code == 1, done.err
    # one per grading (the first wrong answer's): the answers', and x0's again under the one convention that
    # takes another derivative at relu(0) (right); the others give x0 the same gradient, so are not asked
    assert len(passes) <= 2
    import json

    kinks = json.loads(done.out)["kinks"]
    assert [kink["expr"].split("(")[0] for kink in kinks] == ["relu", "abs"]  # the two kinks, each once
    assert kinks[0]["answers"] == ["x0"] and kinks[1]["answers"] == ["x1"]


@pytest.mark.parametrize("seed", range(8))
def test_the_answers_through_each_kink_are_those_a_pass_per_answer_finds(seed):
    # the oracle is the definition: a gradient answer goes through a kink when the kink is computed from it
    import random

    from backprop_cli.teaching import answers as answers_module
    from backprop_cli.teaching import grading

    rnd = random.Random(seed)
    names = ["x0", "x1", "x2"]
    lines = []
    for k in range(12):
        a, b = rnd.choice(names), rnd.choice(names)
        lines.append(rnd.choice([f"h{k} = relu({a} - {b})", f"h{k} = max({a}, {b})", f"h{k} = abs({a} - {b})*{b}",
                                 f"h{k} = {a}*{b} + 1"]))
        names.append(f"h{k}")
    source = "\n".join(lines) + "\nL = " + " + ".join(names[3:]) + "\n"
    values = {"x0": 1.0, "x1": 1.0, "x2": 2.0}  # ties and zeros everywhere: many kinks
    result = differentiate(lower(parse(source)), values)
    assert result.kinks
    asked = [n for n in names if n in result.tape.named]  # (an input no line reads is not in the program)
    wanted = answers_module.expectations(result.tape, [(f"{n}=0", f"--expect {n}=0") for n in asked])
    verdicts = grading.grade(result, wanted, None).verdicts
    found = grading.kinks_used(result, verdicts)
    reach = {v.expectation.node: grading.computed_from(result.tape, v.expectation.node) for v in verdicts}
    expected = {kink.node: [v.target for v in verdicts if reach[v.expectation.node][kink.node]] for kink in result.kinks}
    assert {use.node: [v.target for v in use.answers] for use in found} == {k: v for k, v in expected.items() if v}


@pytest.mark.parametrize("source, at", [("e = a + b; f = e * c; g = f / d", ["a=5", "b=1", "c=-2", "d=-3"]),
                                        ("h = relu(x)*y + y; L = h*h + log(y)", ["x=0", "y=2"]),
                                        ("L = log(x) + y", ["x=-1", "y=2"]),  # no value: no steps
                                        ("k = 2; L = k*x + max(x, y)", ["x=1", "y=1"])])
def test_the_order_check_grades_in_is_the_order_of_the_backward_steps(source, at):
    # check ranks wrong answers by the backward steps' order, now without writing the steps
    from backprop_cli.api import evaluate

    result = evaluate(source, **dict(item.split("=") for item in at)).raw
    assert checking.backward_order(result) == [step.node for step in steps_module.backward_steps(result)]


# ---------------------------------------------------------------------------------------------
# explain writes each line as it is made (issue 16): the worked solution is never held whole

EXPLAIN_FORMATS = ["text", "markdown", "latex", "html"]


def counting_steps(monkeypatch) -> list:
    """Every forward and backward step made, in order (their records' constructors, counted)."""
    made = []
    for name in ("ForwardStep", "BackwardStep"):
        original = getattr(steps_module, name)

        def counted(*args, _original=original, **kwargs):
            made.append(1)
            return _original(*args, **kwargs)

        monkeypatch.setattr(steps_module, name, counted)
    return made


@pytest.mark.parametrize("fmt", EXPLAIN_FORMATS)
def test_explain_writes_its_lines_while_the_steps_are_still_being_made(monkeypatch, fmt):
    from backprop_cli.commands import explain as explain_module

    made = counting_steps(monkeypatch)
    writes = []  # per write: the steps made by then
    original = explain_module._write_text
    monkeypatch.setattr(explain_module, "CHUNK", 10)
    monkeypatch.setattr(explain_module, "_write_text", lambda *args: (writes.append(len(made)), original(*args)))
    source = chain(40)
    done = run_main(["explain", source, *POINT, "--format", fmt])
    assert done.code == 0, done.err
    total = len(made)
    assert total > 200  # 2 x 40 lines of nodes, forward and backward
    # the first lines go out before any step is made, and most writes come before the last step is made
    assert writes[0] == 0 and sum(count < total for count in writes) > len(writes) // 2
    # and the output is the one the public API writes whole
    from backprop_cli import api

    whole = api.explanation(differentiate(lower(parse(source)), {"x0": Fraction(1, 2), "x1": Fraction(3, 4),
                                                                  "x2": Fraction(5, 4)}, EXACT,
                                          forward_mode=False, keep_undefined=True), fmt, None, 6, exact=False)
    assert done.out == whole


def explain_peak(source: str, fmt: str) -> tuple[int, int]:
    """(nodes, the peak of the memory traced while its worked solution is made and written, its lines dropped)."""
    import tracemalloc

    from backprop_cli import api

    result = differentiate(lower(parse(source)), {"x0": Fraction(1, 2), "x1": Fraction(3, 4), "x2": Fraction(5, 4)},
                           EXACT, forward_mode=False, keep_undefined=True)
    tracemalloc.start()
    try:
        for _ in api.worked_lines(steps_module.worked_solution(result, decimals=True), result, fmt, 6):
            pass
        return len(result.tape.nodes), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["text", "latex"])
def test_explains_memory_grows_by_far_less_than_its_text_per_node(fmt):
    # holding the steps as records and the text as one string took 1,850-2,600 bytes a node more here (peak
    # resident size 3.0-3.9 KiB a node at 100,000 nodes); written as it is made, about 300 (1.2-1.3 KiB)
    explain_peak(chain(30), fmt)  # what is made once (imports, caches) is not counted below
    (small, low), (large, high) = explain_peak(chain(100), fmt), explain_peak(chain(300), fmt)
    assert (high - low) / (large - small) < 1000


def test_the_numbers_a_dialect_remembers_are_few_and_never_confused():
    from backprop_cli.render.explain_parts import NumberCache

    cache = NumberCache(repr)
    # equal keys of another kind or sign are not the same number written
    assert [cache(x) for x in (Fraction(1, 2), 0.5, 0.0, -0.0, 1, float("nan"))] == \
        ["Fraction(1, 2)", "0.5", "0.0", "-0.0", "1", "nan"]
    for k in range(3 * NumberCache.SIZE):
        assert cache(Fraction(k, 7)) == repr(Fraction(k, 7))
    assert 0 < len(cache.written) <= NumberCache.SIZE


def _recurrent(layers: int) -> str:
    lines = ["h0 = tanh(W @ x + b)"] + [f"h{k} = tanh(W @ h{k - 1} + b)" for k in range(1, layers)]
    return "\n".join(lines) + f"\nL = sum(h{layers - 1})\n"


@pytest.mark.parametrize("layers, more", [(30, 10), (20, 0)])
def test_the_local_rules_of_a_shared_tensor_are_listed_up_to_20_with_a_count_of_the_rest(tmp_path, layers, more):
    # b feeds every layer: a 100,000-node MLP listed 33,333 rules under a wrong answer (and held them)
    values = tmp_path / "values.json"
    values.write_text('{"W": [[0.5, -0.25], [0.2, 0.3]], "x": [1.0, -0.5], "b": [0.1, 0.0]}')
    done = run_main(["check", _recurrent(layers), "--values", str(values), "--expect", "b=[1, 2]",
                     "--color", "never"])
    assert done.code == 1, done.err
    assert "It is the sum of the local rules:" in done.out
    assert done.out.count("∂L/∂b = ") == 20
    note = f"... and {more} more (`backprop explain --wrt b` works out each)"
    assert (note in done.out) == (more > 0)
