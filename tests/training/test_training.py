"""backprop step and backprop optimize: gradient steps, PyTorch's optimizers, --update, --tol, streaming JSON.

The expected numbers are computed here by hand from the published update formulas
(torch.optim's documentation), step by step, never by calling the code under test.
"""
from __future__ import annotations

import json
import math

import pytest

from backprop_cli.render.training import sparkline

# f(x, y) = (x - 3)^2 + 2*y^2, started at x = 0, y = 1: df/dx = 2*(x - 3), df/dy = 4*y.
PROGRAM = "(x - 3)^2 + 2*y^2"
START = {"x": 0.0, "y": 1.0}


def gx(x):
    return 2 * (x - 3)


def gy(y):
    return 4 * y


def run_optimizer(cli, *options, steps=2, program=PROGRAM, bindings=("-x", "0", "-y", "1")):
    run = cli("optimize", program, *bindings, "--steps", str(steps), "--json", *options)
    assert run.code == 0, run.err
    lines = [line for line in run.out.split("\n") if line]
    docs = [json.loads(line) for line in lines]
    return docs


def two_steps(cli, *options):
    """(inputs after step 1, inputs after step 2) as printed by the tool."""
    docs = run_optimizer(cli, *options)
    assert [d.get("step") for d in docs[:-1]] == [1, 2]
    return docs[1]["inputs"], docs[-1]["summary"]["final"]["inputs"]


def assert_steps(got, want):
    (got1, got2), (want1, want2) = got, want
    for name in want1:
        assert got1[name] == pytest.approx(want1[name], rel=1e-12, abs=1e-15), ("step 1", name)
        assert got2[name] == pytest.approx(want2[name], rel=1e-12, abs=1e-15), ("step 2", name)


# ------------------------------------------------------------------------------------------------
# Each optimizer's first two steps, by hand.

def test_sgd(cli):
    lr = 0.1
    x1 = 0 - lr * gx(0)  # 0.6
    y1 = 1 - lr * gy(1)  # 0.6
    x2 = x1 - lr * gx(x1)  # 1.08
    y2 = y1 - lr * gy(y1)  # 0.36
    assert (x1, x2) == pytest.approx((0.6, 1.08))
    assert_steps(two_steps(cli, "--optimizer", "sgd", "--lr", "0.1"), ({"x": x1, "y": y1}, {"x": x2, "y": y2}))


def test_momentum(cli):
    lr, mu = 0.1, 0.9
    bx = gx(0)  # the first step's buffer is the gradient itself
    by = gy(1)
    x1, y1 = 0 - lr * bx, 1 - lr * by
    bx = mu * bx + gx(x1)
    by = mu * by + gy(y1)
    x2, y2 = x1 - lr * bx, y1 - lr * by
    assert (x1, x2) == pytest.approx((0.6, 1.62))
    assert_steps(two_steps(cli, "--optimizer", "momentum", "--lr", "0.1"), ({"x": x1, "y": y1}, {"x": x2, "y": y2}))


def test_momentum_nesterov(cli):
    lr, mu = 0.1, 0.5
    bx = gx(0)
    x1 = 0 - lr * (gx(0) + mu * bx)
    bx = mu * bx + gx(x1)
    x2 = x1 - lr * (gx(x1) + mu * bx)
    got = two_steps(cli, "--optimizer", "momentum", "--lr", "0.1", "--momentum", "0.5", "--nesterov", "--update", "x")
    assert_steps(got, ({"x": x1, "y": 1.0}, {"x": x2, "y": 1.0}))


def test_adagrad(cli):
    lr, eps = 0.1, 1e-10
    sx, sy = gx(0) ** 2, gy(1) ** 2
    x1 = 0 - lr * gx(0) / (math.sqrt(sx) + eps)
    y1 = 1 - lr * gy(1) / (math.sqrt(sy) + eps)
    sx, sy = sx + gx(x1) ** 2, sy + gy(y1) ** 2
    x2 = x1 - lr * gx(x1) / (math.sqrt(sx) + eps)
    y2 = y1 - lr * gy(y1) / (math.sqrt(sy) + eps)
    assert_steps(two_steps(cli, "--optimizer", "adagrad", "--lr", "0.1"), ({"x": x1, "y": y1}, {"x": x2, "y": y2}))


def test_adagrad_lr_decay_and_initial_accumulator(cli):
    lr, decay, eps, start = 0.1, 0.5, 1e-10, 0.25
    s = start + gx(0) ** 2
    x1 = 0 - (lr / (1 + 0 * decay)) * gx(0) / (math.sqrt(s) + eps)
    s = s + gx(x1) ** 2
    x2 = x1 - (lr / (1 + 1 * decay)) * gx(x1) / (math.sqrt(s) + eps)
    got = two_steps(cli, "--optimizer", "adagrad", "--lr", "0.1", "--lr-decay", "0.5", "--initial-accumulator",
                    "0.25", "--update", "x")
    assert_steps(got, ({"x": x1}, {"x": x2}))


def test_rmsprop(cli):
    lr, alpha, eps = 0.01, 0.99, 1e-8
    vx, vy = (1 - alpha) * gx(0) ** 2, (1 - alpha) * gy(1) ** 2
    x1 = 0 - lr * gx(0) / (math.sqrt(vx) + eps)
    y1 = 1 - lr * gy(1) / (math.sqrt(vy) + eps)
    vx = alpha * vx + (1 - alpha) * gx(x1) ** 2
    vy = alpha * vy + (1 - alpha) * gy(y1) ** 2
    x2 = x1 - lr * gx(x1) / (math.sqrt(vx) + eps)
    y2 = y1 - lr * gy(y1) / (math.sqrt(vy) + eps)
    assert_steps(two_steps(cli, "--optimizer", "rmsprop"), ({"x": x1, "y": y1}, {"x": x2, "y": y2}))  # lr 0.01


def test_rmsprop_centered_with_momentum(cli):
    lr, alpha, eps, mu = 0.01, 0.9, 1e-8, 0.5
    v = (1 - alpha) * gx(0) ** 2
    avg = (1 - alpha) * gx(0)
    b = gx(0) / (math.sqrt(v - avg ** 2) + eps)
    x1 = 0 - lr * b
    v = alpha * v + (1 - alpha) * gx(x1) ** 2
    avg = alpha * avg + (1 - alpha) * gx(x1)
    b = mu * b + gx(x1) / (math.sqrt(v - avg ** 2) + eps)
    x2 = x1 - lr * b
    got = two_steps(cli, "--optimizer", "rmsprop", "--alpha", "0.9", "--centered", "--momentum", "0.5",
                    "--update", "x")
    assert_steps(got, ({"x": x1}, {"x": x2}))


def test_adam(cli):
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    # written as the textbook states it: bias-corrected moments m^ and v^
    m = (1 - b1) * gx(0)
    v = (1 - b2) * gx(0) ** 2
    x1 = 0 - lr * (m / (1 - b1)) / (math.sqrt(v / (1 - b2)) + eps)
    m = b1 * m + (1 - b1) * gx(x1)
    v = b2 * v + (1 - b2) * gx(x1) ** 2
    x2 = x1 - lr * (m / (1 - b1 ** 2)) / (math.sqrt(v / (1 - b2 ** 2)) + eps)
    my = (1 - b1) * gy(1)
    vy = (1 - b2) * gy(1) ** 2
    y1 = 1 - lr * (my / (1 - b1)) / (math.sqrt(vy / (1 - b2)) + eps)
    my = b1 * my + (1 - b1) * gy(y1)
    vy = b2 * vy + (1 - b2) * gy(y1) ** 2
    y2 = y1 - lr * (my / (1 - b1 ** 2)) / (math.sqrt(vy / (1 - b2 ** 2)) + eps)
    assert x1 == pytest.approx(0.1, rel=1e-8)  # Adam's first step is lr * sign(g)
    assert_steps(two_steps(cli, "--optimizer", "adam", "--lr", "0.1"), ({"x": x1, "y": y1}, {"x": x2, "y": y2}))


def test_adam_other_betas(cli):
    lr, b1, b2, eps = 0.05, 0.5, 0.9, 1e-6
    m, v = (1 - b1) * gx(0), (1 - b2) * gx(0) ** 2
    x1 = 0 - lr * (m / (1 - b1)) / (math.sqrt(v / (1 - b2)) + eps)
    m, v = b1 * m + (1 - b1) * gx(x1), b2 * v + (1 - b2) * gx(x1) ** 2
    x2 = x1 - lr * (m / (1 - b1 ** 2)) / (math.sqrt(v / (1 - b2 ** 2)) + eps)
    got = two_steps(cli, "--optimizer", "adam", "--lr", "0.05", "--beta1", "0.5", "--beta2", "0.9", "--eps", "1e-6",
                    "--update", "x")
    assert_steps(got, ({"x": x1}, {"x": x2}))


def test_ascent_and_weight_decay(cli):
    lr, wd = 0.1, 0.5
    # maximize: the gradient changes sign, then the decay term is added (PyTorch's order)
    x1 = 0 - lr * (-gx(0) + wd * 0)
    x2 = x1 - lr * (-gx(x1) + wd * x1)
    got = two_steps(cli, "--lr", "0.1", "--ascent", "--weight-decay", "0.5", "--update", "x")
    assert_steps(got, ({"x": x1}, {"x": x2}))


def test_default_learning_rates_are_pytorchs(cli):
    for optimizer, lr in (("sgd", 1e-3), ("momentum", 1e-3), ("adagrad", 1e-2), ("rmsprop", 1e-2), ("adam", 1e-3)):
        docs = run_optimizer(cli, "--optimizer", optimizer, steps=1)
        assert docs[-1]["summary"]["hyperparameters"]["lr"] == lr, optimizer
    adam = run_optimizer(cli, "--optimizer", "adam", steps=1)[-1]["summary"]["hyperparameters"]
    assert (adam["beta1"], adam["beta2"], adam["eps"]) == (0.9, 0.999, 1e-8)
    assert run_optimizer(cli, "--optimizer", "rmsprop", steps=1)[-1]["summary"]["hyperparameters"]["alpha"] == 0.99
    assert run_optimizer(cli, "--optimizer", "adagrad", steps=1)[-1]["summary"]["hyperparameters"]["eps"] == 1e-10
    assert run_optimizer(cli, "--optimizer", "momentum", steps=1)[-1]["summary"]["hyperparameters"]["momentum"] == 0.9


# ------------------------------------------------------------------------------------------------
# --update: only the named inputs move.

@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "rmsprop", "adam"])
def test_update_moves_only_the_named_inputs(cli, optimizer):
    docs = run_optimizer(cli, "--optimizer", optimizer, "--lr", "0.1", "--update", "x", steps=5)
    for doc in docs[:-1]:
        assert doc["inputs"]["y"] == 1.0
        assert doc["gradient"]["y"] == 4.0  # still reported
    final = docs[-1]["summary"]["final"]["inputs"]
    assert final["y"] == 1.0 and final["x"] != 0.0
    assert docs[-1]["summary"]["update"] == ["x"]


def test_step_update_keeps_data_fixed(cli):
    run = cli("step", "E = (y - w*x)^2", "-w", "0.5", "-x", "2", "-y", "3", "--lr", "0.1", "--update", "w", "--json")
    doc = run.json()
    assert doc["after"]["inputs"] == {"w": 0.5 - 0.1 * (2 * (0.5 * 2 - 3) * 2), "x": 2.0, "y": 3.0}
    assert doc["update"] == ["w"]


# ------------------------------------------------------------------------------------------------
# backprop step.

def test_textbook_step(cli):
    """d = a + b; f = d * c at a=5, b=-3, c=-2: one ascent step with H = 0.01 goes from -4 to -3.8808."""
    run = cli("step", "d = a + b; f = d * c", "-a", "5", "-b", "-3", "-c", "-2", "--lr", "0.01", "--ascent", "--json")
    assert run.code == 0
    doc = run.json()
    assert doc["before"] == {"value": -4.0, "inputs": {"a": 5.0, "b": -3.0, "c": -2.0}}
    assert doc["after"]["inputs"] == pytest.approx({"a": 4.98, "b": -3.02, "c": -1.98}, rel=1e-15)
    assert doc["after"]["value"] == pytest.approx(-3.8808, rel=1e-14)
    text = cli("step", "d = a + b; f = d * c", "-a", "5", "-b", "-3", "-c", "-2", "--lr", "0.01", "--ascent")
    assert text.code == 0
    assert "f: -4 → -3.8808" in text.out
    assert "4.98" in text.out and "-3.02" in text.out and "-1.98" in text.out


def test_step_descends_by_default(cli):
    doc = cli("step", "x^2", "-x", "3", "--lr", "0.25", "--json").json()
    assert doc["after"] == {"value": 2.25, "inputs": {"x": 1.5}}
    assert doc["ascent"] is False


# A 2-2-2 sigmoid network with squared error, from Matt Mazur, "A Step by Step Backpropagation Example"
# (2015), https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/ . He updates the
# eight weights with learning rate 0.5 and leaves the biases alone.
MAZUR = """
h1 = sigmoid(w1*i1 + w2*i2 + b1)
h2 = sigmoid(w3*i1 + w4*i2 + b1)
o1 = sigmoid(w5*h1 + w6*h2 + b2)
o2 = sigmoid(w7*h1 + w8*h2 + b2)
E = 0.5*(target_o1 - o1)^2 + 0.5*(target_o2 - o2)^2
"""
MAZUR_START = ["i1=0.05", "i2=0.10", "w1=0.15", "w2=0.20", "w3=0.25", "w4=0.30", "b1=0.35", "w5=0.40", "w6=0.45",
               "w7=0.50", "w8=0.55", "b2=0.60", "target_o1=0.01", "target_o2=0.99"]
MAZUR_WEIGHTS = "w1,w2,w3,w4,w5,w6,w7,w8"
# The post's numbers, as printed there (each is right to the digits it shows).
MAZUR_ERROR = "0.298371109"
MAZUR_NEW = {"w5": "0.35891648", "w6": "0.408666186", "w7": "0.511301270", "w8": "0.561370121",
             "w1": "0.149780716", "w2": "0.19956143", "w3": "0.24975114", "w4": "0.29950229"}


def _to_its_digits(text: str) -> dict:
    decimals = len(text.split(".")[1])
    return {"expected": float(text), "abs": 0.5 * 10 ** -decimals + 1e-15}


def test_mazur_network_one_sgd_step(cli):
    run = cli("step", "--", MAZUR, *MAZUR_START, "--lr", "0.5", "--update", MAZUR_WEIGHTS, "--json")
    assert run.code == 0, run.err
    doc = run.json()
    error = _to_its_digits(MAZUR_ERROR)
    assert doc["before"]["value"] == pytest.approx(error["expected"], abs=error["abs"])
    for name, text in MAZUR_NEW.items():
        want = _to_its_digits(text)
        assert doc["after"]["inputs"][name] == pytest.approx(want["expected"], abs=want["abs"]), name
    for name in ("b1", "b2", "i1", "i2", "target_o1", "target_o2"):
        assert doc["after"]["inputs"][name] == doc["before"]["inputs"][name]

    # the same step as one step of the sgd optimizer
    lines = cli("optimize", "--", MAZUR, *MAZUR_START, "--optimizer", "sgd", "--lr", "0.5", "--steps", "1",
                "--update", MAZUR_WEIGHTS, "--json")
    summary = lines.out.strip().splitlines()[-1]
    final = json.loads(summary)["summary"]["final"]["inputs"]
    assert final == doc["after"]["inputs"]


# ------------------------------------------------------------------------------------------------
# Streaming JSON and --tol.

def test_streaming_json_lines(cli, helpers):
    run = cli("optimize", PROGRAM, "-x", "0", "-y", "1", "--lr", "0.1", "--steps", "7", "--json")
    assert run.code == 0
    assert run.out.endswith("\n")
    lines = run.out.split("\n")[:-1]
    assert len(lines) == 7 + 1  # one per step, then the summary
    docs = [helpers.strict_json(line) for line in lines]
    for k, doc in enumerate(docs[:-1], start=1):
        assert set(doc) == {"step", "value", "inputs", "gradient"}
        assert doc["step"] == k
        x, y = doc["inputs"]["x"], doc["inputs"]["y"]
        assert doc["value"] == pytest.approx((x - 3) ** 2 + 2 * y ** 2, rel=1e-14)
        assert doc["gradient"] == pytest.approx({"x": gx(x), "y": gy(y)}, rel=1e-14)
    assert docs[0]["inputs"] == START
    summary = docs[-1]["summary"]
    assert summary["steps"] == 7 and summary["stopped"] == "steps" and summary["optimizer"] == "sgd"
    assert summary["start"] == {"value": 11.0, "inputs": START}
    x, y = summary["final"]["inputs"]["x"], summary["final"]["inputs"]["y"]
    assert summary["final"]["value"] == pytest.approx((x - 3) ** 2 + 2 * y ** 2, rel=1e-14)


def test_tol_stops_on_a_zero_gradient(cli, helpers):
    # sgd with lr 0.5 on (x - 3)^2 lands on 3 in one step; the second step finds gradient 0 and stops
    run = cli("optimize", "(x - 3)^2", "-x", "0", "--lr", "0.5", "--steps", "50", "--tol", "1e-12", "--json")
    docs = [helpers.strict_json(line) for line in run.out.splitlines()]
    assert len(docs) == 1 + 1
    assert docs[-1]["summary"]["steps"] == 1
    assert docs[-1]["summary"]["stopped"] == "gradient"
    assert docs[-1]["summary"]["final"]["inputs"] == {"x": 3.0}


def test_tol_stops_on_a_small_change(cli, helpers):
    run = cli("optimize", "(x - 3)^2", "-x", "0", "--lr", "0.1", "--steps", "1000", "--tol", "1e-3", "--json")
    docs = [helpers.strict_json(line) for line in run.out.splitlines()]
    summary = docs[-1]["summary"]
    assert summary["stopped"] in ("change", "gradient") and summary["steps"] < 1000
    assert len(docs) == summary["steps"] + 1
    values = [d["value"] for d in docs[:-1]] + [summary["final"]["value"]]
    # it stopped at the first step that changed the value by at most tol (or with a small gradient)
    assert abs(values[-1] - values[-2]) <= 1e-3 or abs(gx(summary["final"]["inputs"]["x"])) <= 1e-3
    assert all(abs(a - b) > 1e-3 for a, b in zip(values[:-2], values[1:-1]))


# ------------------------------------------------------------------------------------------------
# The tables and the plot.

def test_optimize_tables(cli):
    run = cli("optimize", PROGRAM, "-x", "0", "-y", "1", "--lr", "0.1", "--steps", "20", "--update", "x")
    assert run.code == 0
    out = run.out
    assert out.startswith("sgd (lr 0.1)")
    assert "after 20 steps (ran every step)" in out
    assert "at steps 0..20" in out
    bars = set("▁▂▃▄▅▆▇█")
    assert any(set(line.strip()) <= bars and len(line.strip()) == 21 for line in out.splitlines())
    y_row = next(line for line in out.splitlines() if line.startswith("y "))
    assert "fixed" in y_row
    assert "Traceback" not in run.err


def test_sparkline():
    assert sparkline([3, 2, 1, 0]) == "█▆▃▁"
    assert sparkline([3, 2, 1, 0], unicode=False) == "#+-_"
    assert sparkline([5, 5, 5]) == "▅▅▅"
    assert len(sparkline(list(range(1000)))) == 60


# ------------------------------------------------------------------------------------------------
# Errors.

@pytest.mark.parametrize("args,fragment", [
    (("--optimizer", "sgd", "--beta1", "0.8"), "--beta1 does not apply to --optimizer sgd"),
    (("--optimizer", "sgd", "--momentum", "0.9"), "use --optimizer momentum"),
    (("--optimizer", "adam", "--alpha", "0.9"), "--alpha does not apply"),
    (("--optimizer", "adam", "--beta1", "1"), "--beta1 must be in [0, 1)"),
    (("--lr", "-1",), "--lr must be"),
    (("--update", "z"), "no input z"),
    (("--optimizer", "momentum", "--momentum", "0", "--nesterov"), "--nesterov needs a momentum"),
    (("--tol", "-1"), "--tol must be"),
])
def test_optimize_usage_errors(cli, helpers, args, fragment):
    run = cli("optimize", PROGRAM, "-x", "0", "-y", "1", *args)
    assert run.code == 2, run.out
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert fragment in run.err


def test_step_usage_errors(cli, helpers):
    run = cli("step", "x^2", "-x", "1")
    assert run.code == 2  # --lr is required
    run = cli("step", "e = x^2; e + 1", "-x", "1", "--lr", "0.1", "--update", "e")
    assert run.code == 2
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert "assigned by the program" in run.err


def test_divergence_is_a_math_error(cli, helpers):
    run = cli("optimize", "exp(x)", "-x", "1", "--lr", "1000", "--steps", "10", "--ascent")
    assert run.code == 4
    helpers.assert_one_paragraph_error(run.err, "math error")
    run = cli("step", "log(x)", "-x", "1", "--lr", "10")
    assert run.code == 4
    assert "after the step" in run.err


def math_error(cli, *argv) -> str:
    """The message of a math error; `step` prints nothing else, `optimize` the steps it took (see test_watch.py)."""
    run = cli(*argv)
    assert run.code == 4, (run.code, run.out, run.err)
    assert run.err.startswith("backprop: math error: ") and "\n\n" not in run.err, run.err
    assert run.out == "" if argv[0] == "step" else run.out.startswith(argv[argv.index("--optimizer") + 1]
                                                                       if "--optimizer" in argv else "sgd")
    return run.err.removeprefix("backprop: math error: ").rstrip("\n")


@pytest.mark.parametrize("argv,message", [
    # --lr 0 and --eps 0 at a zero gradient: 0/0, whatever the learning rate (was "try a smaller --lr or an --eps > 0")
    (("x^2", "-x", "0", "--optimizer", "adam", "--eps", "0", "--lr", "0"),
     "step 1 of adam sends x to a value that is not a finite number (from 0.0 with gradient 0.0); try an --eps > 0"),
    (("x^2", "-x", "0", "--optimizer", "rmsprop", "--eps", "0", "--lr", "0.1"),
     "step 1 of rmsprop sends x to a value that is not a finite number (from 0.0 with gradient 0.0); try an --eps > 0"),
    # the weight decay overflows the gradient; with --lr 0 a smaller --lr cannot help (was "try a smaller --lr")
    (("x^2", "-x", "1e10", "--weight-decay", "1e300", "--lr", "0"),
     "step 1 of sgd sends x to a value that is not a finite number (from 10000000000.0 with gradient "
     "20000000000.0); try a smaller --weight-decay"),
    # momentum's buffer overflows at step 2: with --lr 0 there is nothing to advise about --lr
    (("x*1e308", "-x", "1", "--optimizer", "momentum", "--lr", "0"),
     "step 2 of momentum sends x to a value that is not a finite number (from 1.0 with gradient 1e+308)"),
    # a step that overflows with --lr > 0: the learning rate is the advice; x - lr'·2x = x(1 - 2lr') grows in size
    # for every lr' > 1, so none of lr/10, ..., lr/10^12 (1e299 ... 1e288) lowers x^2 at the first step
    (("x^2", "-x", "1e100", "--lr", "1e300"),
     "step 1 of sgd sends x to a value that is not a finite number (from 1e+100 with gradient 2e+100)\n"
     "The learning rate 1e300 is likely too large: with each of 1e299, 1e298, ... down to 1e288 the first step "
     "does not lower out either; try a much smaller one."),
])
def test_optimize_advice_names_only_a_setting_that_can_help(cli, argv, message):
    assert math_error(cli, "optimize", *argv, "--steps", "3") == message


def test_step_advice_names_only_a_setting_that_can_help(cli, monkeypatch):
    too_large = ("The learning rate 1e300 is likely too large: with each of 1e299, 1e298, ... down to 1e288 the first "
                 "step does not {} out either; try a much smaller one.")
    sends = "the step sends x to a value that is not a finite number (1e+100 {} 1e+300 * 2e+100)\n"
    assert math_error(cli, "step", "x^2", "-x", "1e100", "--lr", "1e300") == \
        sends.format("-") + too_large.format("lower")
    assert math_error(cli, "step", "x^2", "-x", "1e100", "--lr", "1e300", "--ascent") == \
        sends.format("+") + too_large.format("raise")
    doc = cli("step", "x^2", "-x", "3", "--lr", "0", "--json").json()  # --lr 0 moves nothing
    assert doc["after"] == doc["before"] == {"value": 9.0, "inputs": {"x": 3.0}}

    # --lr 0 times a gradient that is not finite (engine/compute.py may one day report one): no "smaller --lr"
    from backprop_cli.training import optimizers

    real = optimizers.at

    def infinite_gradient(tape, inputs, *convention):
        point = real(tape, inputs, *convention)
        return optimizers.Point(point.inputs, point.value, {name: math.inf for name in point.gradient})

    monkeypatch.setattr(optimizers, "at", infinite_gradient)
    assert math_error(cli, "step", "x^2", "-x", "1", "--lr", "0") == \
        "the step sends x to a value that is not a finite number (1.0 - 0.0 * inf)"
    assert math_error(cli, "optimize", "x^2", "-x", "1", "--lr", "0", "--steps", "1") == \
        "step 1 of sgd sends x to a value that is not a finite number (from 1.0 with gradient inf)"


def test_the_plot_falls_back_to_ascii(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": "ascii", "NO_COLOR": "1", "COLUMNS": "80"}
    done = subprocess.run([sys.executable, "-m", "backprop_cli", "optimize", "(x - 3)^2", "-x", "0", "--lr", "0.1",
                           "--steps", "30"], capture_output=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("ascii")
    assert "#=:-.._" in text  # the ASCII ramp, high to low
    assert "out: 9 -> 1.37925e-5" in text
