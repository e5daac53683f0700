"""backprop step and optimize watch the run: a number that leaves the floats is exit 4 with the step, the number,
its last finite value and a smaller learning rate; a value that gets worse 5 steps in a row (to its worst yet)
is a warning under the output and `diverging` in JSON.

Every expected number is computed here by hand, in Python floats, from the update rule x <- x - lr * f'(x)
and the program written out; never by the code under test.
"""
from __future__ import annotations

import json
import math

import pytest

from backprop_cli.training import watch


def flat_text(text: str) -> str:
    """The text with its line breaks (the console's wrapping) as single spaces."""
    return " ".join(text.split())


def lines(run) -> list[dict]:
    return [json.loads(line) for line in run.out.splitlines() if line]


def sgd_values(f, df, x: float, lr: float, steps: int) -> list[float]:
    """f after 0, 1, ..., steps steps of sgd, by hand; stops before a value that is not finite."""
    values = [f(x)]
    for _ in range(steps):
        x = x - lr * df(x)
        try:
            value = f(x)
        except OverflowError:
            break
        if not math.isfinite(value):
            break
        values.append(value)
    return values


def growths(values: list[float]) -> list[int]:
    """The lengths of the runs of steps in a row that made the value grow."""
    runs, run = [], 0
    for before, after in zip(values, values[1:]):
        if after > before:
            run += 1
        elif run:
            runs, run = runs + [run], 0
    return runs + [run] if run else runs


def square(x):
    return (x - 3) ** 2


def d_square(x):
    return 2 * (x - 3)


def log1(x):  # log(1 + x^2): curvature 2 at 0, flatter away from it, so lr 2 first overshoots, then settles
    return math.log(1 + x * x)


def d_log1(x):
    return 2 * x / (1 + x * x)


# ------------------------------------------------------------------------------------------------
# The case of the issue: (x-3)^2 from 0 with lr 10. x - 3 is multiplied by 1 - 2·10 = -19 at each step, so
# the value 9·361^k grows at every step: it diverges from step 1 on, and leaves the floats at step 121.

def test_the_value_of_the_issue_grows_at_every_step_and_overflows_at_step_121():
    values = sgd_values(square, d_square, 0.0, 10.0, 200)
    assert len(values) == 121  # the values after steps 0..120 are finite; after step 121 it overflows
    assert values[100] == pytest.approx(9 * 361.0 ** 100, rel=1e-12) == pytest.approx(5.06947e256, rel=1e-6)
    top = math.log10(1.7976931348623157e308)  # the largest float
    assert math.log10(9) + 120 * math.log10(361) < top < math.log10(9) + 121 * math.log10(361)
    assert growths(values) == [120]


def test_100_steps_of_the_issue_warn_and_exit_0(cli):
    run = cli("optimize", "(x-3)^2", "-x", "0", "--lr", "10", "--steps", "100")
    assert run.code == 0 and run.err == ""
    note = flat_text(run.out[run.out.index("warning:"):])
    # lr 1 takes x to 6, where (6-3)^2 = 9 is no lower than 9; lr 0.1 takes it to 0.6: (0.6-3)^2 = 5.76
    assert (square(0 - 1 * d_square(0)), square(0 - 0.1 * d_square(0))) == (9, pytest.approx(5.76))
    assert note == ("warning: out grew at each of steps 1 to 100 (from 9 to 5.06947e256): the run is diverging; the "
                    "learning rate 10 is likely too large: try --lr 0.1, the largest of 1, 0.1, 0.01, ... with which "
                    "the first step lowers out (from 9 to 5.76)")
    assert "after 100 steps (ran every step)" in run.out


def test_200_steps_of_the_issue_stop_at_step_121_with_exit_4_after_the_table(cli, helpers):
    run = cli("optimize", "(x-3)^2", "-x", "0", "--lr", "10", "--steps", "200")
    assert run.code == 4
    helpers.assert_one_paragraph_error(run.err, "math error")
    values = sgd_values(square, d_square, 0.0, 10.0, 200)
    assert values[120] == pytest.approx(7.16319e307, rel=1e-6)
    # the steps taken are shown, up to the last finite point; the note is in the error, not repeated
    assert "after 120 steps (stopped: step 121 leaves the finite numbers)" in flat_text(run.out)
    assert "at steps 0..120" in run.out and "warning" not in run.out
    head, excerpt1, excerpt2, *rest = run.err.rstrip("\n").split("\n")
    assert head.startswith("backprop: math error: after step 121 of sgd, the value of out overflows: the result is "
                           "too large for a 64-bit float (overflow) in v5 = v3^2 where v3 = ")
    assert (excerpt1, excerpt2) == ("  (x-3)^2", "  ^^^^^^^")
    assert rest == [
        "Its last finite value was 7.16319e307, after step 120.",
        "out had grown at each of steps 1 to 120 (from 9 to 7.16319e307).",
        "The learning rate 10 is likely too large: try --lr 0.1, the largest of 1, 0.1, 0.01, ... with which the "
        "first step lowers out (from 9 to 5.76).",
    ]


def test_with_json_the_steps_the_summary_and_the_error_are_lines(cli):
    run = cli("optimize", "(x-3)^2", "-x", "0", "--lr", "10", "--steps", "200", "--json")
    assert run.code == 4
    docs = lines(run)
    assert [d["step"] for d in docs[:-2]] == list(range(1, 122))  # step 121 was taken from a finite point
    summary, error = docs[-2]["summary"], docs[-1]["error"]
    assert (summary["steps"], summary["stopped"], summary["diverging"]) == (120, "not finite", True)
    assert summary["final"]["value"] == pytest.approx(sgd_values(square, d_square, 0.0, 10.0, 120)[-1], rel=1e-12)
    assert error["kind"] == "math" and error["message"].startswith("after step 121 of sgd, the value of out overflows")


# ------------------------------------------------------------------------------------------------
# The threshold: 5 steps in a row that make the value worse, the last to its worst yet.

@pytest.mark.parametrize("program,f,df,x0,lr,steps,diverging", [
    # (x-3)^2, lr 10: 4 steps, all growing: not yet
    ("(x-3)^2", square, d_square, 0.0, 10.0, 4, None),
    # 5 steps, all growing: steps 1 to 5
    ("(x-3)^2", square, d_square, 0.0, 10.0, 5, (1, 5)),
    # log(1 + x^2) from 0.02 with lr 2: grows 4 times (0.0004 -> 0.806), falls, then swings up and down
    ("log(1 + x^2)", log1, d_log1, 0.02, 2.0, 12, None),
    # from 0.01: grows exactly 5 times (0.0001 -> 0.867), then falls and swings
    ("log(1 + x^2)", log1, d_log1, 0.01, 2.0, 12, (1, 5)),
])
def test_five_growths_in_a_row_make_a_run_diverging(cli, program, f, df, x0, lr, steps, diverging):
    values = sgd_values(f, df, x0, lr, steps)
    runs = growths(values)
    assert max(runs) == (5 if diverging else 4 if program.startswith("log") else steps)  # the hand computation
    if program.startswith("log"):
        assert runs[0] == max(runs) and all(r == 1 for r in runs[1:])  # the first run is the long one, then it falls
    run = cli("optimize", program, "-x", str(x0), "--lr", str(lr), "--steps", str(steps), "--json")
    assert run.code == 0, run.err
    summary = lines(run)[-1]["summary"]
    assert summary["diverging"] is (diverging is not None)
    text = cli("optimize", program, "-x", str(x0), "--lr", str(lr), "--steps", str(steps))
    assert text.code == 0
    if diverging is None:
        assert "warning" not in text.out and summary["suggested_lr"] is None
    else:
        first, last = diverging
        assert flat_text(text.out).count(f"warning: out grew at each of steps {first} to {last} (from ") == 1


def test_the_note_of_a_run_that_grows_5_times_then_falls(cli):
    values = sgd_values(log1, d_log1, 0.01, 2.0, 12)
    assert (values[0], values[5]) == (pytest.approx(9.9995e-5, rel=1e-5), pytest.approx(0.867373, rel=1e-5))
    # lr 0.2: x = 0.01 - 0.2·0.02/1.0001 = 0.0060004, log(1 + 0.0060004^2) = 3.60042e-5 < 1e-4
    x1 = 0.01 - 0.2 * d_log1(0.01)
    assert log1(x1) == pytest.approx(3.60042e-5, rel=1e-5)
    run = cli("optimize", "log(1 + x^2)", "-x", "0.01", "--lr", "2", "--steps", "12")
    assert flat_text(run.out[run.out.index("warning:"):]) == (
        "warning: out grew at each of steps 1 to 5 (from 9.9995e-5 to 0.867373): the run is diverging; the learning "
        "rate 2 is likely too large: try --lr 0.2, the largest of 0.2, 0.02, 0.002, ... with which the first step "
        "lowers out (from 9.9995e-5 to 3.60042e-5)")


def test_a_damped_momentum_swing_rises_5_times_in_a_row_but_is_not_diverging(cli):
    # the momentum example of docs/formulas-and-training.md: E = (y - w*x - b)^2, PyTorch's momentum by hand
    w = b = 0.0
    bw = bb = None
    values = []
    for _ in range(201):
        r = 3 - w * 2 - b
        values.append(r * r)
        gw, gb = -2 * r * 2, -2 * r
        bw, bb = (gw, gb) if bw is None else (0.9 * bw + gw, 0.9 * bb + gb)
        w, b = w - 0.01 * bw, b - 0.01 * bb
    assert max(growths(values)) == 5 and max(values[1:]) < values[0]  # 5 in a row, but never back above 9
    run = cli("optimize", "E = (y - w*x - b)^2", "-w", "0", "-b", "0", "-x", "2", "-y", "3", "--update", "w,b",
              "--optimizer", "momentum", "--lr", "0.01", "--steps", "200", "--json")
    summary = lines(run)[-1]["summary"]
    assert summary["final"]["value"] == pytest.approx(values[-1], rel=1e-6)
    assert summary["diverging"] is False


@pytest.mark.parametrize("values,ascent,expected", [
    ([9, 8, 9, 10, 11, 12], False, None),  # 4 growths
    ([9, 10, 11, 12, 13, 14], False, (1, 5, 9, 14)),
    ([9, 10, 11, 12, 13, 14, 13, 15], False, (1, 5, 9, 14)),  # the first run, to its end
    ([9, 1, 2, 3, 4, 5, 6], False, None),  # 6 growths, all below the start
    ([9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], False, (2, 10, 1, 10)),  # the 9th growth passes 9
    ([9, 8, 7, 6, 5, 4], True, (1, 5, 9, 4)),  # an ascent gets worse when its value falls
    ([9, 9, 9, 9, 9, 9, 9], False, None),  # equal is not worse
])
def test_diverging_by_itself(values, ascent, expected):
    found = watch.diverging([float(v) for v in values], ascent)
    assert (None if found is None else (found.first, found.last, found.before, found.after)) == expected


# ------------------------------------------------------------------------------------------------
# A number that leaves the floats.

def test_a_gradient_that_overflows_at_step_3(cli, helpers):
    # out = 1e308·x^2: ∂out/∂x = 1e308·2x; lr 2e-308 multiplies x by about 1 - 4 = -3 at each step:
    # 0.04, -0.12, 0.36, -1.08, where the value 1.1664e308 is still a float and the gradient -2.16e308 is not
    x, lr = 0.04, 2e-308
    points = [x]
    for _ in range(3):
        x = x - lr * (1e308 * (2 * x))
        points.append(x)
    assert points[3] == pytest.approx(-1.08)
    assert math.isfinite(1e308 * points[3] ** 2) and math.isinf(1e308 * (2 * points[3]))
    assert all(math.isfinite(1e308 * (2 * p)) for p in points[:3])
    last = 1e308 * (2 * points[2])
    assert last == pytest.approx(7.2e307)
    trial = 0.04 - 2e-309 * (1e308 * (2 * 0.04))  # lr/10 = 2e-309 lowers out: 1.6e305 -> 5.76e304
    assert 1e308 * trial ** 2 == pytest.approx(5.76e304, rel=1e-3)
    assert 1e308 * trial ** 2 < 1e308 * 0.04 ** 2
    run = cli("optimize", "1e308*x^2", "-x", "0.04", "--lr", "2e-308", "--steps", "10")
    assert run.code == 4
    helpers.assert_one_paragraph_error(run.err, "math error")
    assert "after 2 steps (stopped: step 3 leaves the finite numbers)" in flat_text(run.out)
    head, _, _, *rest = run.err.rstrip("\n").split("\n")
    assert head.startswith("backprop: math error: after step 3 of sgd, ∂out/∂x overflows: the gradient d v5 / d x "
                           "is -2.16e+308, too large for a 64-bit float (overflow)")
    assert rest == ["Its last finite value was 7.2e307, after step 2.",
                    "The learning rate 2e-308 is likely too large: try --lr 2e-309, the largest of 2e-309, 2e-310, "
                    "2e-311, ... with which the first step lowers out (from 1.6e305 to 5.76e304)."]


def test_a_step_out_of_the_domain_names_the_value_before_it(cli):
    # log(x) from 1: x - 10·(1/1) = -9. Trials: lr 1 takes x to 0 (log 0 is not finite), lr 0.1 to 0.9
    assert math.log(0.9) == pytest.approx(-0.105361, rel=1e-5)
    run = cli("step", "log(x)", "-x", "1", "--lr", "10")
    assert (run.code, run.out) == (4, "")
    assert run.err == (
        "backprop: math error: after the step (lr 10), the value of out is undefined: log is defined for positive "
        "numbers only in v2 = log(x) where x = -9.0\n  log(x)\n  ^^^^^^\nIts last finite value was 0, before the "
        "step.\nThe learning rate 10 is likely too large: try --lr 0.1, the largest of 1, 0.1, 0.01, ... with which "
        "the first step lowers out (from 0 to -0.105361).\n")


def test_the_start_itself_is_not_the_learning_rates_fault(cli):
    run = cli("optimize", "log(x)", "-x", "-1", "--lr", "10")
    assert run.code == 4 and run.out == ""
    assert "learning rate" not in run.err


# ------------------------------------------------------------------------------------------------
# backprop step: one step cannot grow 5 times; it warns when its one step made the value worse.

@pytest.mark.parametrize("argv,worse,suggested", [
    (("(x-3)^2", "-x", "0", "--lr", "10"), True, 0.1),  # 0 -> 60: 9 -> 3249
    (("(x-3)^2", "-x", "0", "--lr", "0.1"), False, None),  # 0 -> 0.6: 9 -> 5.76
    (("-(x-3)^2", "-x", "0", "--lr", "10", "--ascent"), True, 0.1),  # an ascent that falls: -9 -> -3249
    (("(x-3)^2", "-x", "0", "--lr", "1"), False, None),  # 0 -> 6: 9 -> 9, equal is not worse
])
def test_step_json_says_whether_the_step_made_the_value_worse(cli, argv, worse, suggested):
    lr = float(argv[argv.index("--lr") + 1])
    sign = 1 if "--ascent" in argv else -1
    x1 = 0 + sign * lr * (-d_square(0) if "--ascent" in argv else d_square(0))
    value = -square(x1) if argv[0].startswith("-") else square(x1)
    doc = cli("step", *argv, "--json").json()
    assert doc["after"]["value"] == pytest.approx(value)
    assert (doc["worse"], doc["suggested_lr"]) == (worse, suggested)


def test_step_note(cli):
    assert square(0 - 10 * d_square(0)) == 3249
    run = cli("step", "(x-3)^2", "-x", "0", "--lr", "10")
    assert run.code == 0
    assert flat_text(run.out[run.out.index("warning:"):]) == (
        "warning: the step raised out from 9 to 3249; the learning rate 10 is likely too large: try --lr 0.1, the "
        "largest of 1, 0.1, 0.01, ... with which the first step lowers out (from 9 to 5.76)")
    assert "warning" not in cli("step", "(x-3)^2", "-x", "0", "--lr", "0.1").out


# ------------------------------------------------------------------------------------------------
# A healthy run, and an ascent.

def test_a_healthy_run_has_diverging_false(cli):
    run = cli("optimize", "(x-3)^2", "-x", "0", "--lr", "0.1", "--steps", "20", "--json")
    summary = lines(run)[-1]["summary"]
    assert (run.code, summary["diverging"], summary["suggested_lr"]) == (0, False, None)
    assert "warning" not in cli("optimize", "(x-3)^2", "-x", "0", "--lr", "0.1", "--steps", "20").out


def test_an_ascent_that_keeps_falling_warns(cli):
    # -(x-3)^2 climbed with lr 10: x moves as in the descent of (x-3)^2, the value -9·361^k falls
    run = cli("optimize", "-(x-3)^2", "-x", "0", "--lr", "10", "--steps", "6", "--ascent")
    assert run.code == 0
    assert -9 * 361.0 ** 6 == pytest.approx(-1.99198e16, rel=1e-5)
    assert flat_text(run.out[run.out.index("warning:"):]) == (
        "warning: out fell at each of steps 1 to 6 (from -9 to -1.99198e16): the run is diverging; the learning "
        "rate 10 is likely too large: try --lr 0.1, the largest of 1, 0.1, 0.01, ... with which the first step "
        "raises out (from -9 to -5.76)")


# ------------------------------------------------------------------------------------------------
# Vectors and matrices: every element moves as a scalar does, and the run is watched the same way.
# L = sum((x - t)^2) from x = [0, 0], t = [1, 2] with lr 10: each x - t is multiplied by -19, L = 5·361^k.

def test_a_tensor_run_that_grows_warns(cli):
    run = cli("optimize", "L = sum((x - t)^2)", "x=[0, 0]", "t=[1, 2]", "--update", "x", "--lr", "10", "--steps",
              "10")
    assert run.code == 0
    assert 5 * 361.0 ** 10 == pytest.approx(1.8795e26, rel=1e-5)
    # lr 1: x = [2, 4], L = 1 + 4 = 5, not lower; lr 0.1: x = [0.2, 0.4], L = 0.64 + 2.56 = 3.2
    assert flat_text(run.out[run.out.index("warning:"):]) == (
        "warning: L grew at each of steps 1 to 10 (from 5 to 1.8795e26): the run is diverging; the learning rate 10 "
        "is likely too large: try --lr 0.1, the largest of 1, 0.1, 0.01, ... with which the first step lowers L "
        "(from 5 to 3.2)")
    summary = lines(cli("optimize", "L = sum((x - t)^2)", "x=[0, 0]", "t=[1, 2]", "--update", "x", "--lr", "10",
                        "--steps", "10", "--json"))[-1]["summary"]
    assert (summary["diverging"], summary["suggested_lr"]) == (True, 0.1)


def test_a_tensor_run_that_overflows_stops_at_step_121(cli, helpers):
    top = math.log10(1.7976931348623157e308)  # the largest float
    assert math.log10(5) + 120 * math.log10(361) < top < math.log10(5) + 121 * math.log10(361)
    run = cli("optimize", "L = sum((x - t)^2)", "x=[0, 0]", "t=[1, 2]", "--update", "x", "--lr", "10", "--steps",
              "200")
    assert run.code == 4
    helpers.assert_one_paragraph_error(run.err, "math error")
    assert "after 120 steps (stopped: step 121 leaves the finite numbers)" in flat_text(run.out)
    assert run.err.startswith("backprop: math error: after step 121 of sgd: the value of (x - t)^2 is too large for a "
                              "64-bit float (overflow)")
    assert run.err.rstrip("\n").split("\n")[3:] == [
        f"L was {watch.number(5 * 361.0 ** 120)} after step 120.",
        "L had grown at each of steps 1 to 120 (from 5 to 3.97955e307).",
        "The learning rate 10 is likely too large: try --lr 0.1, the largest of 1, 0.1, 0.01, ... with which the "
        "first step lowers L (from 5 to 3.2).",
    ]


def test_a_tensor_step_that_makes_the_value_worse(cli):
    doc = cli("step", "L = sum((x - t)^2)", "x=[0, 0]", "t=[1, 2]", "--update", "x", "--lr", "10", "--json").json()
    assert doc["after"] == {"value": 19 ** 2 * 5, "inputs": {"x": [20, 40], "t": [1, 2]}}  # x - t = -19·(-1, -2)
    assert (doc["worse"], doc["suggested_lr"]) == (True, 0.1)
