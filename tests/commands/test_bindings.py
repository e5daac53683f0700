"""Bindings, `--`, --direction and their messages: what each names and its exit code (issue 11)."""
from __future__ import annotations

import pytest

from conftest import assert_one_paragraph_error


def usage_error(cli, *argv) -> str:
    run = cli(*argv)
    assert run.code == 2, (run.code, run.out, run.err)
    assert_one_paragraph_error(run.err, "usage error")
    message = run.err.removeprefix("backprop: usage error: ").rstrip("\n")
    if "--json" in argv:  # the error is also a JSON document on standard output (issue 13)
        assert run.json() == {"error": {"kind": "usage", "message": message, "line": None, "column": None}}
    else:
        assert run.out == ""
    return message


# ------------------------------------------------------------------------------------------
# `--`: the next word is the program, as it is.

@pytest.mark.parametrize("argv,value,gradient", [
    (["--", "-x1", "x1=2"], -2, {"x1": -1}),  # regression: exit 2, "-x1 is neither an option nor a binding"
    (["x1=2", "--", "-x1"], -2, {"x1": -1}),
    (["--", "-ab", "ab=3"], -3, {"ab": -1}),
    (["--", "-x1*y", "x1=2", "-y", "3"], -6, {"x1": -3, "y": -2}),
    (["--", "-y", "-y", "2"], -2, {"y": -1}),  # one letter worked already
])
def test_a_program_after_double_dash_is_taken_as_is(cli, argv, value, gradient):
    run = cli("eval", *argv, "--json")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["program"] == next(word for word in argv[argv.index("--") + 1:])
    assert (doc["value"], doc["gradient"]) == (value, gradient)


def test_without_double_dash_a_cluster_is_still_not_a_program(cli):
    message = usage_error(cli, "eval", "-ab", "3", "ab")
    assert message == ("-ab is neither an option nor a binding: options are long (--json), a single-letter input "
                       "takes -x VALUE, and any other name takes NAME=VALUE (here ab=VALUE)")


def test_a_short_binding_followed_by_an_option_has_no_value(cli):
    assert usage_error(cli, "eval", "a*2", "-a", "--json") == "-a needs a value after it, as in -a 5 (--json is an option)"
    assert usage_error(cli, "eval", "a*2", "-a") == "-a needs a value after it, as in -a 5"


# ------------------------------------------------------------------------------------------
# Values a 64-bit float cannot hold are usage errors, named, wherever they are given.

FLOAT_TOO_LARGE = "the number 1e400 is too large for a 64-bit float (at most about 1.8e308)"
FLOAT_TOO_SMALL = "the number 1e-400 is too small for a 64-bit float: it would be 0 (the smallest is about 4.9e-324)"


@pytest.mark.parametrize("direction,message", [
    # regression: 1e400 and 1e-400 were math errors (exit 4)
    ("x=1e400", f"--direction x=1e400 is out of range: {FLOAT_TOO_LARGE}"),
    ("x=1e-400", f"--direction x=1e-400 is out of range: {FLOAT_TOO_SMALL}"),
    ("x=1,y=-1e400", "--direction y=-1e400 is out of range: the number -1e400 is too large for a 64-bit float "
                     "(at most about 1.8e308)"),
    ("x=nan", "the value of x in --direction, 'nan', is not a number: write a number or a constant expression, "
              "such as 4/3, 0.67, pi or sqrt(2)/2"),
    ("x=inf", "the value of x in --direction, 'inf', is not a number: write a number or a constant expression, "
              "such as 4/3, 0.67, pi or sqrt(2)/2"),
    ("x=2^-2000", "--direction x=2^-2000 is out of range: 2^-2000 is too small for a 64-bit float: it would be 0 "
                  "(the smallest is about 4.9e-324)"),
])
def test_direction_values_out_of_range_are_usage_errors(cli, direction, message):
    assert usage_error(cli, "eval", "x*y", "-x", "1", "-y", "2", "--direction", direction) == message


def test_direction_values_too_large_for_exact_arithmetic_are_usage_errors(cli):
    message = usage_error(cli, "eval", "x^2", "-x", "1", "--exact", "--direction", "x=1e99999")
    assert message.startswith("--direction x=1e99999 is out of range: the number 1e99999 has more than ")
    assert message.endswith(" digits, too large for exact arithmetic (leave out --exact for a floating-point answer)")


@pytest.mark.parametrize("argv,message", [
    (["x", "-x", "1e400"], f"the value of x is out of range: {FLOAT_TOO_LARGE}"),
    (["x*y1", "-x", "1", "y1=1e-400"], f"the value of y1 is out of range: {FLOAT_TOO_SMALL}"),
])
def test_binding_values_out_of_range_name_the_input(cli, argv, message):
    assert usage_error(cli, "eval", *argv) == message  # was "a value is out of range: ..."


# ------------------------------------------------------------------------------------------
# Messages that named the wrong thing.

def test_a_one_character_name_that_is_not_a_letter_takes_name_equals_value(cli):
    assert usage_error(cli, "eval", "_*2") == "_ needs a value: add _=VALUE"  # was "add -_ VALUE", which cannot work
    assert usage_error(cli, "eval", "_*x") == "_, x need values: add _=VALUE -x VALUE"
    assert cli("eval", "_*2", "_=1", "--json").json()["gradient"] == {"_": 2}


def test_a_constant_takes_no_value(cli):
    assert usage_error(cli, "eval", "pi*x", "-x", "1", "pi=3") == \
        "pi is a constant of the language, not an input, and takes no value"  # was "pi is not used by the program"
    assert usage_error(cli, "eval", "x", "-x", "1", "-y", "2") == "y is not used by the program (its inputs are: x)"


@pytest.mark.parametrize("option,value", [("--rtol", "nan"), ("--atol", "-1"), ("--rtol", "inf")])
def test_a_bad_check_tolerance_is_a_usage_error_before_anything_is_computed(cli, option, value):
    shown = {"nan": "nan", "-1": "-1.0", "inf": "inf"}[value]
    message = f"{option} must be a finite number >= 0, not {shown}"
    assert usage_error(cli, "eval", "x", "-x", "1", "--check", option, value) == message
    assert usage_error(cli, "eval", "log(x)", "-x", "0", "--check", option, value) == message  # was exit 4
