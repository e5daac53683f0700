"""--convention on every command that differentiates: the numbers at a kink follow it, the note and the JSON name it.

The program throughout is relu(x)*y at x = 0, y = 2, whose ∂/∂x is relu'(0)·y: 0 under pytorch, jax, tensorflow
and left, 2 under right; and abs(x)*y, whose ∂/∂x is 0 (pytorch, tensorflow), 3 (jax), -3 (left), 3 (right).
What each convention gives at each kink is tested in tests/engine/test_conventions.py.
"""
from __future__ import annotations

import builtins
import json

import pytest

from backprop_cli.engine.conventions import CONVENTIONS, LABELS

RELU = ("relu(x)*y", "-x", "0", "-y", "2")
RELU_DX = {"pytorch": 0.0, "jax": 0.0, "tensorflow": 0.0, "left": 0.0, "right": 2.0}
ABS = ("abs(x)*y", "-x", "0", "-y", "3")
ABS_DX = {"pytorch": 0.0, "jax": 3.0, "tensorflow": 0.0, "left": -3.0, "right": 3.0}


def json_lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# (command words, how to read d out / dx at x = 0 from its output)
def _eval(run):
    return run.json()["gradient"]["x"]


def _eval_forward(run):
    return run.json()["forward_gradient"]["x"]


def _explain(run):
    answer = next(line for line in run.out.splitlines() if line.strip().startswith("∂u2/∂x = ")
                  and line.count("=") == 1)
    return float(answer.split("=")[1])


def _check(run):
    return run.json()["answers"][0]["correct"]


def _hessian(run):
    return run.json()["gradient"]["x"]


def _step(run):
    return run.json()["gradient"]["x"]


def _optimize(run):
    return json_lines(run.out)[0]["gradient"]["x"]


def _direction(run):
    return run.json()["directional"]["value"]


def _eval_check(run):
    return run.json()["gradient"]["x"]


COMMANDS = {
    "eval": (("eval", "--json"), _eval),
    "eval forward mode": (("eval", "--json"), _eval_forward),
    "eval --check": (("eval", "--json", "--check"), _eval_check),
    "eval --direction": (("eval", "--json", "--direction", "x=1"), _direction),
    "explain": (("explain", "--wrt", "x"), _explain),
    "check": (("check", "--json", "--expect", "x=0"), _check),
    "hessian": (("hessian", "--json"), _hessian),
    "step": (("step", "--json", "--lr", "0.1"), _step),
    "optimize": (("optimize", "--json", "--steps", "1"), _optimize),
}


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_follows_the_convention(cli, command, convention):
    words, read = COMMANDS[command]
    for program, expected in ((RELU, RELU_DX), (ABS, ABS_DX)):
        run = cli(*words[:1], *program, *words[1:], "--convention", convention)
        assert run.code in (0, 1), run.err  # 1: --check and check fail at a kink, as they should
        assert read(run) == expected[convention], (command, program[0], convention)


@pytest.mark.parametrize("command", COMMANDS)
def test_the_default_is_pytorch(cli, command):
    words, read = COMMANDS[command]
    for program in (RELU, ABS):
        default = cli(*words[:1], *program, *words[1:])
        named = cli(*words[:1], *program, *words[1:], "--convention", "pytorch")
        assert (default.code, default.out, default.err) == (named.code, named.out, named.err)
        assert read(default) == 0.0


def test_the_json_names_the_convention(cli):
    for convention in CONVENTIONS:
        doc = cli("eval", *ABS, "--json", "--convention", convention).json()
        assert doc["convention"] == convention
        [kink] = doc["kinks"]
        assert kink["convention"] == convention and kink["used"] == [ABS_DX[convention] / 3]
        assert kink["one_sided"] == [[-1, 1]]
        assert cli("check", *ABS, "--json", "--expect", "x=0", "--convention", convention).json()["convention"] \
            == convention
        assert cli("hessian", *ABS, "--json", "--convention", convention).json()["convention"] == convention


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_the_kink_note_names_the_convention(cli, convention):
    sentence = f"convention ({LABELS[convention]}), not a fact"
    tables = cli("eval", *ABS, "--max-rows", "0", "--convention", convention)
    assert sentence in " ".join(tables.out.split())
    explained = cli("explain", *ABS, "--convention", convention)
    assert sentence in " ".join(explained.out.split())
    latex = cli("explain", *ABS, "--format", "latex", "--convention", convention)
    assert sentence in " ".join(latex.out.split())
    graded = cli("check", *ABS, "--expect", f"x={ABS_DX[convention]}", "--convention", convention)
    assert graded.code == 0 and sentence in " ".join(graded.out.split())
    hessian = cli("hessian", *ABS, "--convention", convention)
    assert f"{LABELS[convention]} conventions, not facts" in " ".join(hessian.out.split())


def test_explain_writes_a_rule_taken_by_convention_as_such(cli):
    run = cli("explain", *ABS, "--convention", "jax", "--wrt", "x")
    assert "y · (JAX's convention if on the kink, else sign(x)) = 3 · 1 = 3" in run.out
    run = cli("explain", *ABS, "--wrt", "x")  # the default: the rule's own value there, PyTorch's
    assert "y · sign(x) = 3 · 0 = 0" in run.out


def test_check_grades_against_the_conventions_value(cli):
    assert cli("check", *RELU, "--expect", "x=2", "--convention", "right").code == 0
    assert cli("check", *RELU, "--expect", "x=2").code == 1
    assert cli("check", *RELU, "--expect", "x=2", "--convention", "right", "--exact").code == 0


def test_step_and_optimize_move_by_the_conventions_gradient(cli):
    step = cli("step", *RELU, "--lr", "0.1", "--json", "--update", "x", "--convention", "right").json()
    assert step["after"]["inputs"]["x"] == pytest.approx(-0.2)
    step = cli("step", *RELU, "--lr", "0.1", "--json", "--update", "x").json()
    assert step["after"]["inputs"]["x"] == 0.0


@pytest.mark.parametrize("command", ["eval", "explain", "check", "hessian", "step", "optimize"])
def test_an_unknown_convention_is_a_usage_error_naming_the_choices(cli, command):
    extra = {"check": ("--expect", "x=0"), "step": ("--lr", "0.1")}.get(command, ())
    run = cli(command, *RELU, *extra, "--convention", "torch")
    assert run.code == 2, run.err
    assert run.err.startswith("backprop: usage error:") and "--convention" in run.err
    assert all(name in run.err for name in CONVENTIONS), run.err


def test_the_name_is_read_whatever_its_case(cli):
    assert cli("eval", *ABS, "--json", "--convention", "JAX").json()["convention"] == "jax"


def test_help_lists_the_conventions(cli):
    for command in ("eval", "explain", "check", "hessian", "step", "optimize"):
        text = " ".join(cli(command, "--help").out.split())
        assert "--convention" in text and all(name in text for name in CONVENTIONS), command


# -- eval --batch: rows on a kink follow the convention, with NumPy and without ---------------------------

POINTS = "x,y\n0,2\n1,2\n-1,2\n0,-3\n"


def _batch_rows(cli, tmp_path, *args):
    path = tmp_path / "points.csv"
    path.write_text(POINTS, encoding="utf-8")
    run = cli("eval", "relu(x)*y + abs(x)", "--batch", str(path), *args)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "value,grad_x,grad_y"
    return [[float(v) for v in line.split(",")] for line in lines[1:]], run


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_batch_rows_on_a_kink_follow_the_convention(cli, tmp_path, monkeypatch, convention):
    # relu(x)*y + abs(x) at x = 0: relu'(0)*y + abs'(0)
    expected_dx = {"pytorch": 0.0, "jax": 1.0, "tensorflow": 0.0, "left": -1.0, "right": 3.0}
    rows, fast = _batch_rows(cli, tmp_path, "--convention", convention)
    assert rows[0][1] == expected_dx[convention]
    assert rows[3][1] == {"pytorch": 0.0, "jax": 1.0, "tensorflow": 0.0, "left": -1.0, "right": -2.0}[convention]
    assert rows[1][1] == 3.0 and rows[2][1] == -1.0  # off the kink: the same under every convention
    for point, row in zip(([0, 2], [1, 2], [-1, 2], [0, -3]), rows):
        single = cli("eval", "relu(x)*y + abs(x)", "-x", str(point[0]), "-y", str(point[1]), "--json",
                     "--convention", convention).json()
        assert row[1:] == [single["gradient"]["x"], single["gradient"]["y"]]
    real_import = builtins.__import__

    def no_numpy(name, *args, **kwargs):
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError("no numpy here")
        return real_import(name, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(builtins, "__import__", no_numpy)
        slow_rows, slow = _batch_rows(cli, tmp_path, "--convention", convention)
    assert slow_rows == rows and slow.out == fast.out


def test_the_vectorized_path_flags_rows_on_a_kink_only_under_another_convention():
    np = pytest.importorskip("numpy")
    from conftest import tape_of

    from backprop_cli.engine.vectorized import Plan

    tape = tape_of("relu(x)*y + max(x, y)")
    columns = {"x": np.array([0.0, 1.0, 2.0, 0.5]), "y": np.array([2.0, 2.0, 2.0, 0.5])}
    _, _, bad = Plan(tape).run(columns, 4)
    assert not bad.any()
    _, _, bad = Plan(tape, "jax").run(columns, 4)
    assert bad.tolist() == [True, False, True, True]
