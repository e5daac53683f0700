"""The command line: bindings, program sources, exit codes, stderr, JSON, tables, colour, help.

Three ways in: cli.main(argv) in-process (it returns the exit code), click's CliRunner, and the
installed `backprop` script and `python -m backprop_cli` in a subprocess.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import backprop_cli
from backprop_cli.cli import cli as click_group
from backprop_cli.cli import run as console_entry
from backprop_cli.base.errors import BackpropError

from conftest import assert_one_paragraph_error, colour_codes, console_script, strict_json

SEED = ["(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3"]
SEED_GRADIENT = {"a": 2 / 3, "b": 2 / 3, "c": -2.0, "d": 4 / 3}


def rows_of(text: str) -> list[list[str]]:
    """Every output line split on whitespace, so table rows compare without their padding."""
    return [line.split() for line in text.splitlines()]


# ------------------------------------------------------------------------------------------
# Bindings

@pytest.mark.parametrize("argv", [
    SEED,
    ["-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "(a+b)*c/d"],  # bindings before the program
    ["-a", "5", "-b", "1", "(a+b)*c/d", "-c", "-2", "-d", "-3"],
    ["(a+b)*c/d", "a=5", "b=1", "c=-2", "d=-3"],
    ["a=5", "b=1", "c=-2", "d=-3", "(a+b)*c/d"],
    ["(a+b)*c/d", "-a", "5", "b=1", "-c", "-2", "d=-3"],
    ["--json", "(a+b)*c/d", "-a", "5.0", "-b", "+1", "-c", "-2e0", "-d", "-.3e1"],
    ["(a+b)*c/d", "-d", "-3", "-c", "-2", "-b", "1", "-a", "5"],  # any order
])
def test_bindings(cli, argv):
    run = cli("eval", *argv, *([] if "--json" in argv else ["--json"]))
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["inputs"] == {"a": 5, "b": 1, "c": -2, "d": -3}
    assert doc["value"] == 4
    assert doc["gradient"] == pytest.approx(SEED_GRADIENT, abs=1e-15)


@pytest.mark.parametrize("argv", [
    ["x1*E_o1", "x1=0.5", "E_o1=0.2"],
    ["x1=0.5", "E_o1=0.2", "x1*E_o1"],
    ["x1=0.5", "x1*E_o1", "E_o1=0.2"],
])
def test_long_names_take_name_equals_value(cli, argv):
    doc = cli("eval", *argv, "--json").json()
    assert doc["inputs"] == {"x1": 0.5, "E_o1": 0.2}
    assert doc["value"] == pytest.approx(0.1)
    assert doc["gradient"] == pytest.approx({"x1": 0.2, "E_o1": 0.5})


def test_a_program_of_only_an_assignment_is_still_the_program(cli):
    doc = cli("eval", "y=2", "--json").json()
    # y = 2 is a constant, or, once the program's plain numbers are defaults of inputs (issue 13), an input
    # whose value the program gives
    assert (doc["output"], doc["value"]) == ("y", 2) and doc["inputs"] in ({}, {"y": 2})


@pytest.mark.parametrize("argv,value,gradient", [
    (["--", "-x^2", "-x", "3"], -9, -6),  # -- : the next word is the program, whatever it looks like
    (["-x", "3", "--", "-x^2"], -9, -6),
    (["--", "-x", "-x", "3"], -3, -1),  # the program `-x`, then the binding -x 3
    (["-x^2", "-x", "3"], -9, -6),  # not a binding (-x^2 is not -LETTER), so it is the program
    (["--", "-(x)", "x=3"], -3, -1),
])
def test_a_program_starting_with_a_minus(cli, argv, value, gradient):
    doc = cli("eval", *argv, "--json").json()
    assert doc["value"] == value
    assert doc["gradient"] == {"x": gradient}


# ------------------------------------------------------------------------------------------
# Where the program comes from: the argument, standard input (-), or --file.

PROGRAM_TEXT = "# the textbook example\ne = a*b\nd = e + c  # a comment\n\nL = d*f\n"
PROGRAM_BINDINGS = ["-a", "2", "-b", "-3", "-c", "10", "-f", "-2"]


def _check_textbook(doc):
    assert doc["output"] == "L" and doc["value"] == -8
    assert doc["gradient"] == {"a": 6, "b": -4, "e": -2, "c": -2, "d": -2, "f": 4, "L": 1}


def test_program_from_standard_input(cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PROGRAM_TEXT.encode()), encoding="utf-8"))
    run = cli("eval", "-", *PROGRAM_BINDINGS, "--json")
    assert run.code == 0, run.err
    _check_textbook(run.json())


def test_program_from_standard_input_must_be_utf8(cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a * \xff"), encoding="latin-1"))
    run = cli("eval", "-", "-a", "1")
    assert run.code == 2
    assert_one_paragraph_error(run.err, "usage error")
    assert "UTF-8" in run.err


@pytest.mark.parametrize("form", ["separate", "equals"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_program_from_a_file(cli, tmp_path, form, newline):
    path = tmp_path / "program with spaces.bp"
    path.write_bytes(PROGRAM_TEXT.replace("\n", newline).encode())
    option = ["--file", str(path)] if form == "separate" else [f"--file={path}"]
    run = cli("eval", *option, *PROGRAM_BINDINGS, "--json")
    assert run.code == 0, run.err
    _check_textbook(run.json())


def test_program_file_errors(cli, tmp_path):
    missing = cli("eval", "--file", str(tmp_path / "missing.bp"), "-a", "1")
    assert missing.code == 2
    assert_one_paragraph_error(missing.err, "usage error")
    assert "missing.bp" in missing.err
    path = tmp_path / "p.bp"
    path.write_text("a*2")
    both = cli("eval", "a*3", "--file", str(path), "-a", "1")
    assert both.code == 2
    assert_one_paragraph_error(both.err, "usage error")


def test_syntax_errors_in_a_file_point_at_the_line(cli, tmp_path):
    path = tmp_path / "p.bp"
    path.write_text("e = a*b\nd = e + \nL = d\n")
    run = cli("eval", "--file", str(path), "-a", "1", "-b", "2")
    assert run.code == 3
    assert_one_paragraph_error(run.err, "syntax error")
    assert "(line 2, column 9)" in run.err
    assert "  d = e + \n" in run.err


# ------------------------------------------------------------------------------------------
# Exit codes, and the one-paragraph message on stderr.

@pytest.mark.parametrize("argv,code,kind,fragments", [
    # 2: usage errors, naming the variable
    (["a*b", "-a", "1"], 2, "usage error", ["b needs a value", "-b VALUE"]),
    (["a*x1", "-a", "1"], 2, "usage error", ["x1 needs a value", "x1=VALUE"]),
    (["a*b"], 2, "usage error", ["a, b need values"]),
    (["a", "-a", "1", "-b", "2"], 2, "usage error", ["b is not used by the program"]),
    (["a", "-a", "1", "zz=2"], 2, "usage error", ["zz is not used by the program"]),
    (["a", "-a", "1", "-a", "2"], 2, "usage error", ["a is given a value twice"]),
    (["a", "a=1", "-a", "1"], 2, "usage error", ["a is given a value twice"]),
    (["a", "-a", "abc"], 2, "usage error", ["the value of a", "'abc'", "is not a number"]),
    (["a", "-a", "nan"], 2, "usage error", ["the value of a", "'nan'"]),
    (["a", "-a", "inf"], 2, "usage error", ["the value of a", "'inf'"]),
    (["a", "a=-Infinity"], 2, "usage error", ["the value of a"]),
    (["a", "-a", "1e400"], 2, "usage error", ["1e400", "too large"]),
    (["a", "-a", "\uff11"], 2, "usage error", ["the value of a"]),  # a fullwidth digit 1
    (["a", "-a", "\u0661"], 2, "usage error", ["the value of a"]),  # an Arabic-Indic digit 1
    (["a", "-a", "0x10"], 2, "usage error", ["the value of a"]),
    (["a", "-a", "1_000"], 2, "usage error", ["the value of a"]),
    (["a", "-a", "5 5"], 2, "usage error", ["the value of a"]),
    (["a", "-a", ""], 2, "usage error", ["the value of a"]),
    (["a", "-a"], 2, "usage error", ["-a needs a value"]),
    (["ab", "-ab", "3"], 2, "usage error", ["-ab is neither an option nor a binding", "ab=VALUE"]),
    (["-ab", "3", "ab"], 2, "usage error", []),
    (["e = a*b; e", "-a", "1", "-b", "2", "-e", "3"], 2, "usage error", ["e is assigned by the program"]),
    (["a", "-a", "1", "--bogus"], 2, "usage error", ["--bogus"]),
    (["a", "-a", "1", "--digits", "0"], 2, "usage error", ["--digits"]),
    (["a", "-a", "1", "--rtol", "x"], 2, "usage error", ["--rtol"]),
    ([], 2, "usage error", ["no program given"]),
    (["a", "-a", "1", "stray"], 2, "usage error", ["stray"]),
    # 3: syntax and program errors
    (["(a+b", "-a", "1", "-b", "2"], 3, "syntax error", ["expected ')'", "(line 1, column 5)", "  (a+b\n      ^"]),
    (["a + * b"], 3, "syntax error", ["found '*'"]),
    (["y = x + 1; x = 2; y"], 3, "syntax error", ["x is used before it is assigned"]),
    (["foo(x)", "-x", "1"], 3, "syntax error", ["unknown function foo"]),
    ([""], 3, "syntax error", ["the program is empty"]),
    # 4: math errors that are not about the point (log(x) at 0 shows its tables, the value undefined and why,
    # and exits 4: tests/commands/test_undefined.py)
    (["1e400 * x", "-x", "1"], 4, "math error", ["1e400"]),
])
def test_exit_codes_and_messages(cli, argv, code, kind, fragments):
    run = cli("eval", *argv)
    assert run.code == code, run.err
    assert run.out == ""
    assert_one_paragraph_error(run.err, kind)
    for fragment in fragments:
        assert fragment in run.err


@pytest.mark.parametrize("argv,code", [
    (SEED, 0),
    (SEED + ["--check"], 0),
    (["relu(x)", "-x", "0", "--check"], 1),
    (["relu(x)", "-x", "0", "--check", "--json"], 1),
    (["y = relu(x) * w", "-x", "0", "-w", "2", "--check"], 1),
    (["relu(x)", "-x", "0"], 0),  # the kink is flagged, but without --check nothing failed
])
def test_success_and_check_exit_codes(cli, argv, code):
    run = cli("eval", *argv)
    assert run.code == code, run.err
    assert run.err == ""
    assert run.out


def test_internal_errors_are_exit_70_without_a_traceback(cli, monkeypatch):
    import backprop_cli.commands.eval as eval_module

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a planted bug")

    monkeypatch.setattr(eval_module, "compute", broken)
    run = cli("eval", *SEED)
    assert run.code == 70
    assert_one_paragraph_error(run.err, "internal error")
    assert "a planted bug" in run.err and "--debug" in run.err
    debug = cli("eval", *SEED, "--debug")
    assert debug.code == 70
    assert "Traceback" in debug.err and "a planted bug" in debug.err


def test_interrupt_is_exit_130(cli, monkeypatch):
    import backprop_cli.commands.eval as eval_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(eval_module, "compute", interrupted)
    run = cli("eval", *SEED)
    assert run.code == 130
    assert "Traceback" not in run.err


def test_the_console_entry_point_exits_with_the_code(monkeypatch, capsys):
    for argv, code in ((SEED, 0), (["a", "-a", "x"], 2), (["(a"], 3), (["log(0)"], 4)):
        monkeypatch.setattr(sys, "argv", ["backprop", "eval", *argv])
        with pytest.raises(SystemExit) as exited:
            console_entry()
        assert exited.value.code == code
    capsys.readouterr()


# ------------------------------------------------------------------------------------------
# JSON

def test_json_document_schema(cli):
    run = cli("eval", "e = a*b; d = e + c; L = d*f", "-a", "2", "-b", "-3", "-c", "10", "-f", "-2", "--json",
              "--check")
    assert run.code == 0, run.err
    doc = run.json()
    assert {"value", "output", "inputs", "gradient", "forward_gradient", "nodes", "check"} <= set(doc)
    assert doc["value"] == -8 and doc["output"] == "L"
    assert doc["inputs"] == {"a": 2, "b": -3, "c": 10, "f": -2}
    assert list(doc["inputs"]) == ["a", "b", "c", "f"]
    assert doc["gradient"] == {"a": 6, "b": -4, "e": -2, "c": -2, "d": -2, "f": 4, "L": 1}
    assert doc["forward_gradient"] == {"a": 6, "b": -4, "c": -2, "f": 4}
    ids = [node["id"] for node in doc["nodes"]]
    assert ids == [f"v{i}" for i in range(1, len(ids) + 1)]
    for node in doc["nodes"]:
        assert {"id", "name", "op", "args", "value", "grad"} <= set(node)
        assert node["name"] is None or isinstance(node["name"], str)
        assert isinstance(node["op"], str)
        assert all(arg in ids[: ids.index(node["id"])] for arg in node["args"])
        assert isinstance(node["value"], (int, float))
        assert node["grad"] is None or isinstance(node["grad"], (int, float))
    assert [(n["name"], n["op"]) for n in doc["nodes"]] == [
        ("a", "input"), ("b", "input"), ("e", "mul"), ("c", "input"), ("d", "add"), ("f", "input"), ("L", "mul"),
    ]
    check = doc["check"]
    assert check["ok"] is True
    assert set(check["inputs"]) == {"a", "b", "c", "f"}
    for name, entry in check["inputs"].items():
        assert {"numeric", "abs_error", "rel_error", "ok"} <= set(entry)
        assert entry["ok"] is True
        assert entry["numeric"] == pytest.approx(doc["gradient"][name], rel=1e-6)
        assert entry["abs_error"] == pytest.approx(abs(entry["numeric"] - doc["gradient"][name]), abs=1e-15)
        assert 0 <= entry["rel_error"] < 1e-6


def test_json_without_check_has_no_check_key(cli):
    doc = cli("eval", *SEED, "--json").json()
    assert "check" not in doc
    assert doc["output"] is None


def test_json_constants_have_null_gradients_and_names(cli):
    doc = cli("eval", "x * 2 + pi", "-x", "1", "--json").json()
    constants = [n for n in doc["nodes"] if n["op"] == "const"]
    assert len(constants) == 2
    assert all(n["name"] is None and n["args"] == [] for n in constants)
    assert doc["gradient"] == {"x": 2}


@pytest.mark.parametrize("argv", [
    ["exp(x)", "-x", "709"],
    ["x * y", "-x", "1e300", "-y", "1e-300", "--check"],
    ["log(x)", "-x", "1e-300", "--check"],
    ["sqrt(x)", "-x", "1e-12", "--check"],
    ["1/x", "-x", "1e-150", "--check"],
    ["relu(x) + abs(y) + max(x, y)", "-x", "0", "-y", "0", "--check"],
    ["tan(x)", "-x", "1.5707963267948966", "--check"],
    ["x - x", "-x", "1e308", "--check"],
    ["x * 0", "-x", "5e-324", "--check"],
])
def test_json_is_strict_even_at_extremes(cli, argv):
    run = cli("eval", *argv, "--json")
    assert run.code in (0, 1), run.err
    for token in ("NaN", "Infinity"):
        assert token not in run.out
    doc = strict_json(run.out)  # refuses NaN and Infinity
    assert "value" in doc
    if "--check" in argv:
        assert isinstance(doc["check"]["ok"], bool)
        assert (run.code == 0) == doc["check"]["ok"]


def test_json_output_is_one_document(cli):
    run = cli("eval", *SEED, "--json")
    decoder = json.JSONDecoder()
    doc, end = decoder.raw_decode(run.out)
    assert run.out[end:].strip() == ""
    assert doc["value"] == 4


# ------------------------------------------------------------------------------------------
# Tables: readable when piped, colour only when asked for, user text printed as typed.

def test_seed_example_tables(cli):
    run = cli("eval", *SEED)
    assert run.code == 0 and run.err == ""
    rows = rows_of(run.out)
    assert rows[0][:3] == ["(a+b)*c/d", "=", "4"]
    for row in (["v1", "a", "input", "5"], ["v3", "a", "+", "b", "6"], ["v5", "v3", "*", "c", "-12"],
                ["v7", "v5", "/", "d", "4"]):
        assert row in rows, row
    for row in (["a", "5", "0.666667", "0.666667"], ["b", "1", "0.666667", "0.666667"], ["c", "-2", "-2", "-2"],
                ["d", "-3", "1.33333", "1.33333"]):
        assert row in rows, row
    assert ["v7", "1", "(seed)", "1", "v5:", "-0.333333", "→", "v5:", "-0.333333"] in rows


@pytest.mark.parametrize("argv", [
    SEED,
    SEED + ["--check"],
    ["e = a*b; d = e + c; L = d*f", "-a", "2", "-b", "-3", "-c", "10", "-f", "-2"],
    ["(a+b)*(b+c)", "-a", "-1", "-b", "3", "-c", "4", "--check"],
    ["y = relu(x) * w", "-x", "0", "-w", "2", "--check"],
])
def test_tables_fit_80_columns(cli, argv):
    run = cli("eval", *argv)
    assert run.out
    widths = [len(line) for line in run.out.splitlines()]
    assert max(widths) <= 80, run.out


def test_piped_output_has_no_escape_codes(cli):
    run = cli("eval", *SEED)
    assert "\x1b" not in run.out
    forced = cli("eval", *SEED, "--color", "always")
    assert colour_codes(forced.out)  # the detector does see colour when there is some


def test_no_color_is_honoured(cli, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    run = cli("eval", *SEED)
    assert run.code == 0
    assert colour_codes(run.out) == []
    # no-color.org: a per-invocation command-line option overrides NO_COLOR (issue 4)
    always = cli("eval", *SEED, "--color", "always")
    assert colour_codes(always.out)


def test_color_never_beats_force_color(cli, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert colour_codes(cli("eval", *SEED).out)  # FORCE_COLOR alone does colour a pipe
    assert "\x1b" not in cli("eval", *SEED, "--color", "never").out


@pytest.mark.parametrize("color", ["auto", "always", "never"])
def test_user_text_is_never_read_as_markup(cli, color):
    program = "a*b # [bold]x[/bold] [x] [red]"
    run = cli("eval", program, "-a", "2", "-b", "3", "--color", color)
    assert run.code == 0, run.err
    plain = run.out
    if color == "always":
        import re

        plain = re.sub(r"\x1b\[[0-9;]*m", "", plain)
    assert "[bold]x[/bold] [x] [red]" in plain


def test_error_text_is_printed_literally(cli):
    run = cli("eval", "[bold]x")  # a list beside a name (issue 14): an error, and no Rich markup
    assert run.code == 3
    assert "[bold] and x side by side" in run.err
    assert "  [bold]x\n        ^" in run.err


def test_help_lists_the_options_and_examples(cli):
    run = cli("eval", "--help")
    assert run.code == 0
    for option in ("--json", "--check", "--file", "--rtol", "--atol", "--color", "--debug", "--help"):
        assert option in run.out
    assert "Examples:" in run.out
    assert 'backprop eval "(a+b)*c/d" -a 5 -b 1 -c -2 -d -3' in run.out
    assert "NAME=VALUE" in run.out and "-x VALUE" in run.out
    top = cli("--help")
    assert top.code == 0
    assert "eval" in top.out and "Exit codes" in top.out
    for code in ("0 success", "1 a check failed", "2 usage error", "3 syntax error", "4 math error", "70"):
        assert code in " ".join(top.out.split())


def test_help_ignores_the_program_and_bindings(cli):
    run = cli("eval", "(a+b)*c/d", "-a", "5", "x1=3", "--help")
    assert run.code == 0
    assert "Usage:" in run.out and run.err == ""


def test_version(cli):
    run = cli("--version")
    assert run.code == 0
    assert backprop_cli.__version__ in run.out


# ------------------------------------------------------------------------------------------
# click's CliRunner: the click group itself (errors surface as our exceptions, which main() maps).

def test_click_runner_runs_the_group():
    runner = CliRunner()
    result = runner.invoke(click_group, ["eval", *SEED, "--json"])
    assert result.exit_code == 0, result.output
    doc = strict_json(result.output)
    assert doc["gradient"] == pytest.approx(SEED_GRADIENT, abs=1e-15)


def test_click_runner_with_standard_input():
    result = CliRunner().invoke(click_group, ["eval", "-", *PROGRAM_BINDINGS, "--json"], input=PROGRAM_TEXT)
    assert result.exit_code == 0, result.output
    _check_textbook(strict_json(result.output))


@pytest.mark.parametrize("argv,code", [
    (["a", "-a", "x"], 2), (["(a"], 3), (["1e400 * x", "-x", "1"], 4),
])
def test_click_runner_errors_carry_their_exit_code(argv, code):
    result = CliRunner().invoke(click_group, ["eval", *argv])
    assert isinstance(result.exception, BackpropError)
    assert result.exception.exit_code == code


def test_click_runner_text_output_is_plain():
    result = CliRunner().invoke(click_group, ["eval", *SEED])
    assert result.exit_code == 0
    assert "\x1b" not in result.output
    assert ["v7", "v5", "/", "d", "4"] in rows_of(result.output)


# ------------------------------------------------------------------------------------------
# Subprocesses: the installed console script, and python -m backprop_cli, from another directory.

def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES")}
    env.update(extra)
    return env


def _module_env(**extra) -> dict:
    # `python -m` must find the package even when the tests run from a checkout without an install
    source_root = str(Path(backprop_cli.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (source_root, os.environ.get("PYTHONPATH")) if p)
    return _env(PYTHONPATH=path, **extra)


@pytest.fixture(scope="module")
def script():
    path = console_script()
    if path is None:
        pytest.skip(f"the backprop console script is not installed next to {sys.executable} "
                    "(pip install -e '.[test]' installs it)")
    return path


def _run(command, cwd, stdin=None, env=None):
    return subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=cwd, env=env or _env(),
                          timeout=60)


@pytest.mark.parametrize("how", ["script", "module"])
def test_subprocess_seed_example(request, tmp_path, how):
    command = [request.getfixturevalue("script")] if how == "script" else [sys.executable, "-m", "backprop_cli"]
    env = _env() if how == "script" else _module_env()
    proc = _run([*command, "eval", *SEED], tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "\x1b" not in proc.stdout
    assert ["v7", "v5", "/", "d", "4"] in rows_of(proc.stdout)
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    doc = strict_json(_run([*command, "eval", *SEED, "--json"], tmp_path, env=env).stdout)
    assert doc["value"] == 4
    assert doc["gradient"] == pytest.approx(SEED_GRADIENT, abs=1e-15)
    assert doc["forward_gradient"] == pytest.approx(SEED_GRADIENT, abs=1e-15)


@pytest.mark.parametrize("argv,code,kind", [
    (["relu(x)", "-x", "0", "--check"], 1, None),
    (["a", "-a", "1", "-b", "2"], 2, "usage error"),
    (["a", "-a", "\uff15"], 2, "usage error"),
    (["(a+b", "-a", "1", "-b", "2"], 3, "syntax error"),
    (["1e400 * x", "-x", "1"], 4, "math error"),
    (["log(x)", "-x", "0"], 4, None),  # the tables, with the value undefined and why
])
def test_subprocess_exit_codes(script, tmp_path, argv, code, kind):
    proc = _run([script, "eval", *argv], tmp_path)
    assert proc.returncode == code, proc.stderr
    if kind is not None:
        assert proc.stdout == ""
        assert_one_paragraph_error(proc.stderr, kind)
    else:
        assert ("FAILED" if code == 1 else "undefined") in proc.stdout


def test_subprocess_standard_input(script, tmp_path):
    proc = _run([script, "eval", "-", *PROGRAM_BINDINGS, "--json"], tmp_path, stdin=PROGRAM_TEXT)
    assert proc.returncode == 0, proc.stderr
    _check_textbook(strict_json(proc.stdout))


def test_subprocess_module_errors(tmp_path):
    proc = _run([sys.executable, "-m", "backprop_cli", "eval", "(a+b"], tmp_path, env=_module_env())
    assert proc.returncode == 3
    assert_one_paragraph_error(proc.stderr, "syntax error")
    assert "expected ')'" in proc.stderr


def test_subprocess_no_color(script, tmp_path):
    proc = _run([script, "eval", *SEED], tmp_path, env=_env(NO_COLOR="1", FORCE_COLOR="1"))
    assert proc.returncode == 0
    assert colour_codes(proc.stdout) == []
    coloured = _run([script, "eval", *SEED, "--color", "always"], tmp_path)
    assert colour_codes(coloured.stdout)
