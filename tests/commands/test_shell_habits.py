"""The shell's habits (issue 13): a piped program, -h and help, unknown options, program words that look like
bindings, and JSON errors. Each failure the issue lists is a test here."""
from __future__ import annotations

import json
import subprocess

import pytest
from clirun import console_script, process_env, run_main

from conftest import strict_json

NO_PROGRAM = ("backprop: usage error: no program given: write it as the first argument, pipe it to standard input "
              "(or use - for it), or use --file PATH\n")


# ------------------------------------------------------------------------------------------
# 1. No program and standard input not a terminal: the program is read from it.

def test_a_piped_program_is_read_without_dash():
    """Regression: `echo "x^3" | backprop eval -x 2` said "no program given"."""
    run = run_main(["eval", "-x", "2", "--json"], stdin=b"x^3\n")
    assert run.code == 0, run.err
    doc = strict_json(run.out)
    assert doc["value"] == 8 and doc["gradient"] == {"x": 12}


def test_a_piped_program_as_a_process():
    proc = subprocess.run([*console_script(), "eval", "-x", "2", "--json"], input=b"x^3\n", capture_output=True,
                          timeout=60, env=process_env())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["gradient"] == {"x": 12}


@pytest.mark.parametrize("command", [["eval"], ["explain"], ["hessian"], ["check", "--expect", "x=12"]])
def test_every_program_command_reads_a_piped_program(command):
    run = run_main([*command, "-x", "2"], stdin=b"x^3\n")
    assert run.code == 0, run.err


def test_dash_still_reads_standard_input():
    run = run_main(["eval", "-", "-x", "2", "--json"], stdin=b"x^3\n")
    assert run.code == 0, run.err
    assert strict_json(run.out)["value"] == 8


@pytest.mark.parametrize("argv,stdin", [
    (["eval", "-x", "2"], b""),  # nothing piped (< /dev/null)
    (["eval", "-x", "2"], b"  \n\n"),  # only blanks
    (["eval", "--batch", "-"], b"x\n1\n"),  # standard input holds the points
    (["check", "-x", "1", "--answers", "-"], b"x=1\n"),  # standard input holds the answers
])
def test_no_program_when_standard_input_has_none(argv, stdin):
    run = run_main(argv, stdin=stdin)
    assert (run.code, run.out, run.err) == (2, "", NO_PROGRAM)


def test_a_terminal_on_standard_input_is_not_read():
    proc = subprocess.run([*console_script(), "eval", "-x", "2"], stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=60, env=process_env())
    assert (proc.returncode, proc.stderr.decode()) == (2, NO_PROGRAM)


@pytest.mark.parametrize("argv,stdin,title", [
    (["eval", "-x", "2"], b"x^3\n", "x^3 = 8"),  # regression: the title was `v3 = 8`
    (["eval", "-", "-x", "2"], b"x^3\n", "x^3 = 8"),
    (["eval", "-x", "1"], b"a = x*2\n# a comment\na^3\n", "a = x*2; a^3 = 8"),
    (["eval", "-x", "1"], b"x*1 + x*2 + x*3 + x*4 + x*5 + x*6 + x*7 + x*8 + x*9 + x*10 + x*11\n",
     "x*1 + x*2 + x*3 + x*4 + x*5 + x*6 + x*7 + x*8 + x*9 + x*1... = 66"),
    (["eval", "-x", "2"], b"y = x^3\n", "y = 8"),  # a named output keeps its name
])
def test_the_title_shows_a_program_read_from_standard_input(argv, stdin, title):
    run = run_main([*argv, "--color", "never"], stdin=stdin)
    assert run.code == 0, run.err
    assert run.out.splitlines()[0].startswith(title + "   ("), run.out.splitlines()[0]


def test_the_title_shows_a_program_read_from_a_file(tmp_path):
    path = tmp_path / "program.txt"
    path.write_text("x^3\n")
    run = run_main(["eval", "--file", str(path), "-x", "2", "--color", "never"])
    assert run.code == 0, run.err
    assert run.out.startswith("x^3 = 8   (3 nodes, 1 input)\n")


# ------------------------------------------------------------------------------------------
# 2. -h, --help, `backprop help` and `backprop help COMMAND`.

HELP_START = "Usage: backprop eval [OPTIONS] PROGRAM [-x VALUE | NAME=VALUE]..."


@pytest.mark.parametrize("argv", [
    ["eval", "-h"],  # regression: "-h needs a value"
    ["eval", "--help"],
    ["eval", "x^2", "-h"],
    ["eval", "x^2", "-x", "3", "-h"],
    ["eval", "x^2", "-h", "--json"],
    ["eval", "x^2", "-h", "3"],  # the program has no h: help
    ["eval", "hx + h2", "-h", "3"],  # names that merely contain an h
    ["help", "eval"],
])
def test_dash_h_and_help_show_help(argv):
    run = run_main(argv)
    assert run.code == 0, run.err
    assert run.out.startswith(HELP_START), run.out[:200]
    assert run.err == ""


@pytest.mark.parametrize("argv,value", [
    (["eval", "x + h", "-h", "0.5", "-x", "1"], 1.5),
    (["eval", "(f(x+h) - f(x))/h", "-h", "0.5", "-x", "1"], None),
    (["eval", "h^2", "-h", "-3"], 9),
    (["eval", "h", "-h", "2"], 2),
])
def test_dash_h_with_a_value_binds_a_variable_h(argv, value):
    run = run_main([*argv, "--json"])
    if value is None:  # f is not a function: the point is that -h was taken as a binding, not help
        assert not run.out.startswith("Usage"), run.out[:200]
        return
    assert run.code == 0, run.err
    assert strict_json(run.out)["value"] == value


@pytest.mark.parametrize("argv", [["-h"], ["--help"], ["help"]])
def test_help_of_the_group(argv):
    run = run_main(argv)
    assert run.code == 0, run.err
    assert run.out.startswith("Usage: backprop [OPTIONS] COMMAND [ARGS]..."), run.out[:200]
    assert "eval" in run.out and "help" in run.out


@pytest.mark.parametrize("command", ["check", "explain", "hessian", "step", "optimize"])
def test_help_of_every_command(command):
    for argv in (["help", command], [command, "-h"]):
        run = run_main(argv)
        assert run.code == 0, run.err
        assert run.out.startswith(f"Usage: backprop {command} "), run.out[:200]


def test_help_of_an_unknown_command():
    run = run_main(["help", "evaluate"])
    assert (run.code, run.out) == (2, "")
    assert run.err == ("backprop: usage error: no such command evaluate; the commands are: check, eval, explain, "
                       "generate, help, hessian, jacobian, optimize, step (did you mean eval?)\n")


# ------------------------------------------------------------------------------------------
# 3. An unknown option is named, with the commands that have it and click's "did you mean".

@pytest.mark.parametrize("argv,message", [
    # regression: "unexpected argument 'x'", never naming --wrt
    (["eval", "x^2", "--wrt", "x", "-x", "3"],
     "no such option --wrt for eval; explain, hessian and jacobian have --wrt (did you mean one of --rtol, --out?) "
     "(see 'backprop eval --help')"),
    (["eval", "x^2", "--wrt=x", "-x", "3"],
     "no such option --wrt for eval; explain, hessian and jacobian have --wrt (did you mean one of --rtol, --out?) "
     "(see 'backprop eval --help')"),
    (["eval", "x", "-x", "1", "--jsn"], "no such option --jsn for eval (did you mean --json?) (see 'backprop eval --help')"),
    (["check", "x", "-x", "1", "--symbolic"],
     "no such option --symbolic for check; eval and explain have --symbolic (see 'backprop check --help')"),
    (["eval", "x", "-x", "1", "--bogus"], "no such option --bogus for eval (did you mean --out?) (see 'backprop eval --help')"),
    (["--jsn"], "no such option --jsn for backprop (see 'backprop --help')"),
])
def test_an_unknown_option_is_named(argv, message):
    run = run_main(argv)
    assert (run.code, run.out, run.err) == (2, "", f"backprop: usage error: {message}\n")


# ------------------------------------------------------------------------------------------
# 4. A NAME=TEXT word whose TEXT names a variable is the program, not a binding.

@pytest.mark.parametrize("argv,value,gradient", [
    (["x=3", "y=x^2"], 9, {"x": 6, "y": 1}),  # regression: "the value of y, 'x^2', is not a finite decimal number"
    (["y=x^2", "x=3"], 9, {"x": 6, "y": 1}),
    (["x=3", "y=2*x; y^2"], 36, {"x": 24, "y": 12}),
    (["x1=0.5", "x1*2"], 1, {"x1": 2}),
    (["x=3", "z=sqrt(x)*pi"], 3 ** 0.5 * 3.141592653589793, None),
])
def test_a_word_whose_value_names_a_variable_is_the_program(argv, value, gradient):
    run = run_main(["eval", *argv, "--json"])
    assert run.code == 0, run.err
    doc = strict_json(run.out)
    assert doc["value"] == pytest.approx(value)
    if gradient is not None:
        assert doc["gradient"] == gradient


@pytest.mark.parametrize("text,constant", [
    ("3", True), ("-2e-3", True), ("1/3", True), ("pi", True), ("sqrt(2)/2", True), ("2^-10", True),
    ("abc", True), ("nan", True), ("", True),  # a number written wrong, reported as such
    ("x^2", False), ("2*x", False), ("a; b", False), ("x=1", False), ("sqrt(x)", False),
    # vectors and matrices (issue 14), with spaces or without, and constant expressions inside
    ("[1, 2, 3]", True), ("[1,2,3]", True), ("[[0.1, 0.2], [0.3, 0.4]]", True), ("[[0.1,0.2],[0.3,0.4]]", True),
    ("[pi, 1/3]", True), ("[-1, 2e-3, sqrt(2)/2]", True), ("[[1, 2]].T", True), ("[[1,2]]ᵀ", True),
    ("[1, 2][0]", True),
    ("[x, 1]", False), ("x.T", False), ("W.T", False), ("[1, 2] @ x", False), ("x[0]", False), ("[abc]", False),
])
def test_looks_like_constant(text, constant):
    from backprop_cli.engine.values import looks_like_constant

    assert looks_like_constant(text) is constant


@pytest.mark.parametrize("word,binding", [
    ("x=[1,2,3]", True), ("x=[1, 2, 3]", True), ("W=[[0.1,0.2],[0.3,0.4]]", True), ("W=[[0.1, 0.2], [0.3, 0.4]]", True),
    ("v=[pi, 1/3]", True), ("y=[x, 1]", False), ("y=W @ x", False), ("y=x[0]", False),
])
def test_a_word_binding_a_vector_or_matrix_is_a_binding(word, binding):
    """`backprop eval x=[1,2,3] "sum(x)"`: the first word binds x; `y=[x, 1]` names a variable, so it is the
    program."""
    from backprop_cli.commands.options import _binding_like

    assert _binding_like(word) is binding


# ------------------------------------------------------------------------------------------
# 5. Values are anything a constant expression can be, read by the reader of check's answers.

@pytest.mark.parametrize("text,value", [
    ("1/3", 1 / 3),  # regression: "not a finite decimal number"
    ("pi", 3.141592653589793),  # regression: "not a finite decimal number"
    ("sqrt(2)/2", 2 ** 0.5 / 2),
    ("-2e-3", -0.002),
    ("2^-10", 2 ** -10),
    ("-1/3", -1 / 3),
    ("1/(1+exp(-1))", 1 / (1 + 2.718281828459045 ** -1)),
    (" 5", 5),
])
def test_values_are_constant_expressions(text, value):
    run = run_main(["eval", "x*3", "-x", text, "--json"])
    assert run.code == 0, run.err
    doc = strict_json(run.out)
    assert doc["inputs"]["x"] == pytest.approx(value, rel=1e-15)
    named = run_main(["eval", "x1*3", f"x1={text}", "--json"])
    assert strict_json(named.out)["inputs"]["x1"] == doc["inputs"]["x"]


def test_a_fraction_stays_exact_under_exact():
    run = run_main(["eval", "x*3", "-x", "1/3", "--exact", "--color", "never"])
    assert run.code == 0, run.err
    assert ["x", "1/3", "3", "3"] in [line.split() for line in run.out.splitlines()]
    assert "exact: every value and gradient above is an exact fraction." in run.out
    assert run.out.startswith("x*3 = 1   ")


def test_direction_values_are_constant_expressions():
    run = run_main(["eval", "x*y", "-x", "1", "-y", "2", "--direction", "x=1/3,y=pi", "--json"])
    assert run.code == 0, run.err
    assert strict_json(run.out)["directional"]["direction"] == {"x": pytest.approx(1 / 3, rel=1e-15),
                                                               "y": pytest.approx(3.141592653589793)}
    exact = run_main(["eval", "x*y", "-x", "1", "-y", "2", "--direction", "x=1/3", "--exact", "--json"])
    assert strict_json(exact.out)["directional"]["exact"] == "2/3"


@pytest.mark.parametrize("text,message", [
    ("abc", "the value of x, 'abc', is not a number: write a number or a constant expression, such as 4/3, 0.67, "
            "pi or sqrt(2)/2"),
    ("y+1", "the value of x, 'y+1', uses the variable y; write a number or a constant expression, such as 4/3, "
            "0.67, pi or sqrt(2)/2"),
    ("1/0", "the value of x, '1/0', divides by zero"),
    ("log(0)", "the value of x, 'log(0)', has no finite value: "),
    ("2^-2000", "the value of x is out of range: 2^-2000 is too small for a 64-bit float: it would be 0 "
                "(the smallest is about 4.9e-324)"),
    ("2^2000", "the value of x is too large (at most about 1.8e308)"),
    ("", "the value of x is empty: write a number, such as 5, -2, 0.5, 1/3 or pi"),
])
def test_values_that_are_not_numbers(text, message):
    run = run_main(["eval", "x*3", "-x", text])
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith(f"backprop: usage error: {message}"), run.err


def test_one_reader_for_values_and_answers():
    from backprop_cli.engine import bindings, values
    from backprop_cli.teaching import answers

    assert answers.read_constant is values.read_constant is bindings.read_constant
    for text in ("1/3", "pi", "sqrt(2)/2", "-2e-3", "2^-10"):
        assert answers.parse_answer(text, "--expect x", "x").value == values.read_constant(text, "x").value
        run = run_main(["check", "x", "-x", text, "--expect", f"value={text}"])
        assert run.code == 0, (text, run.out, run.err)


# ------------------------------------------------------------------------------------------
# 6. With --json, an error is also a JSON document on standard output, with the same exit code.

@pytest.mark.parametrize("argv,code,kind,message,line,column", [
    (["eval", "(a+b", "-a", "1", "--json"], 3, "syntax",
     "expected ')', found the end of the program (line 1, column 5)\n  (a+b\n      ^", 1, 5),
    (["eval", "x = 1\ny = (x +", "--json"], 3, "syntax", None, 2, 9),
    # (log(x) at 0 is no error: its document has "value": null and the reason under "undefined", issue 13)
    (["eval", "2^2^2^2^2^2*x", "-x", "1", "--exact", "--json"], 4, "math",
     "2^65536 has more than 4214 digits, too large for exact arithmetic (leave out --exact for a floating-point "
     "answer) in v10 = 2^v9 where v9 = 65536\n  2^2^2^2^2^2*x\n    ^^^^^^^^^", 1, 3),
    (["eval", "x", "--json"], 2, "usage", "x needs a value: add -x VALUE", None, None),
    (["eval", "x", "-x", "1", "--json", "--jsn"], 2, "usage",
     "no such option --jsn for eval (did you mean --json?) (see 'backprop eval --help')", None, None),
    (["eval", "x", "-x", "1", "--json", "--digits", "0"], 2, "usage", None, None, None),
    (["check", "x", "-x", "1", "--json", "--expect", "x=y"], 2, "usage", None, None, None),
    (["hessian", "x^3*y", "-x", "1e100", "-y", "1e200", "--json"], 4, "math", None, 1, 1),
])
def test_with_json_an_error_is_a_json_document(argv, code, kind, message, line, column):
    run = run_main(argv)
    assert run.code == code, run.err
    doc = strict_json(run.out)
    assert list(doc) == ["error"] and list(doc["error"]) == ["kind", "message", "line", "column"]
    error = doc["error"]
    assert (error["kind"], error["line"], error["column"]) == (kind, line, column)
    human = run.err.split(": ", 2)[2].rstrip("\n")  # backprop: KIND: MESSAGE
    assert error["message"] == human
    if message is not None:
        assert error["message"] == message


def test_without_json_an_error_leaves_standard_output_empty():
    run = run_main(["eval", "(a+b", "-a", "1"])
    assert (run.code, run.out) == (3, "")


def test_an_internal_error_with_json(monkeypatch):
    import backprop_cli.commands.eval as eval_module

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a planted bug")

    monkeypatch.setattr(eval_module, "compute", broken)
    run = run_main(["eval", "x", "-x", "1", "--json"])
    assert run.code == 70
    assert strict_json(run.out)["error"]["kind"] == "internal"
    assert "a planted bug" in strict_json(run.out)["error"]["message"]


def test_json_error_piped_to_a_process():
    proc = subprocess.run([*console_script(), "eval", "1e400 * x", "-x", "1", "--json"], capture_output=True,
                          timeout=60, env=process_env())
    assert proc.returncode == 4
    assert json.loads(proc.stdout)["error"]["kind"] == "math"
    assert proc.stderr.decode().startswith("backprop: math error: the number 1e400 is too large")


# ------------------------------------------------------------------------------------------
# Inputs the program assigns a plain number (`x = 3`): their value unless a binding overrides it.

def _has_defaults() -> bool:
    from backprop_cli.engine.tape import lower
    from backprop_cli.language.parser import parse

    return bool(getattr(lower(parse("x = 3; y = x*2")), "defaults", None))


needs_defaults = pytest.mark.skipif(not _has_defaults(), reason="the tape has no defaults yet")


@needs_defaults
@pytest.mark.parametrize("argv,inputs,value,title", [
    (["x = 3; y = -4; f = x*y"], {"x": 3, "y": -4}, -12, "f = -12   (3 nodes, 2 inputs; x = 3, y = -4 from the program)"),
    (["x = 3; y = -4; f = x*y", "-x", "2"], {"x": 2, "y": -4}, -8,
     "f = -8   (3 nodes, 2 inputs; y = -4 from the program)"),
    (["x = 3; y = -4; f = x*y", "-x", "2", "-y", "1"], {"x": 2, "y": 1}, 2, "f = 2   (3 nodes, 2 inputs)"),
    (["x = 3; f = x*w", "-w", "2"], {"x": 3, "w": 2}, 6, "f = 6   (3 nodes, 2 inputs; x = 3 from the program)"),
])
def test_values_from_the_program(argv, inputs, value, title):
    run = run_main(["eval", *argv, "--json"])
    assert run.code == 0, run.err
    doc = strict_json(run.out)
    assert (doc["inputs"], doc["value"]) == (inputs, value)
    tables = run_main(["eval", *argv, "--color", "never"])
    assert tables.out.splitlines()[0] == title


@needs_defaults
def test_values_from_the_program_under_exact_and_in_check():
    run = run_main(["eval", "x = 0.1; y = x*3", "--exact", "--json"])
    assert strict_json(run.out)["exact"]["value"] == "3/10"
    check = run_main(["check", "x = 3; y = -4; f = x*y", "--expect", "x=-4", "--expect", "y=3"])
    assert check.code == 0, check.out + check.err


def test_dash_h_with_a_value_and_a_piped_program_binds_h():
    run = run_main(["eval", "-h", "0.5", "-x", "1", "--json"], stdin=b"x+h\n")
    assert run.code == 0, run.err
    assert strict_json(run.out)["inputs"] == {"x": 1, "h": 0.5}
    assert run_main(["eval", "-h"], stdin=b"x+h\n").out.startswith(HELP_START)  # no value: help


def test_greek_names_bind_and_grade(cli):
    """Issue 13: Greek letters are names in the language, so they take values and answers too."""
    run = cli("eval", "sin(θ)*α", "θ=0.5", "α=2", "--json")
    assert run.code == 0, run.err
    run = cli("check", "sin(θ)*α", "θ=0.5", "α=2", "--expect", "θ=1.75517", "--expect", "α=0.479426")
    assert run.code == 0, run.out
