"""Undefined is local on the command line (issue 13): eval shows every number that exists, the rest as
"undefined" with the reason under the tables (or null plus an "undefined" object in JSON), and exits 4.

The numbers are PyTorch's at the same points (float64, torch 2.13.0+cpu, observed with /tmp/oracle/bin/python):
x**y at (-2, 2) is 4 with gradient (-4, nan); sqrt(x) + y**2 at (0, 3) is 9 with gradient (inf, 6).
"""
from __future__ import annotations

import pytest

from conftest import assert_one_paragraph_error

NEGATIVE_BASE = ["x^y", "-x", "-2", "-y", "2"]
POW_REASON = ("the derivative of x^y with respect to the exponent y is x^y·log(x), and log needs x > 0 in "
              "v3 = x^y where x = -2.0, y = 2.0")


def rows_of(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def notes_of(text: str) -> str:
    """The lines under the tables, joined back into one line each (Rich wraps them at 80 columns)."""
    return " ".join(text.split())


def test_the_issues_example_shows_the_value_and_the_gradient_that_exist(cli):
    run = cli("eval", *NEGATIVE_BASE)
    assert run.code == 4, run.err
    assert run.err == ""
    rows = rows_of(run.out)
    assert rows[0][:3] == ["x^y", "=", "4"]
    assert ["x", "-2", "-4", "-4"] in rows  # input, value, reverse mode, forward mode
    assert ["y", "2", "undefined", "undefined"] in rows
    assert ["y:", "undefined", "→", "y:", "undefined"] in rows  # the backward pass: the edge itself
    assert f"undefined: ∂v3/∂y, and so the gradient of y: {POW_REASON}" in notes_of(run.out)


def test_json_has_null_and_the_reason_at_the_same_place(cli):
    run = cli("eval", *NEGATIVE_BASE, "--json")
    assert run.code == 4, run.err
    assert run.err == ""
    doc = run.json()
    assert doc["value"] == 4 and doc["gradient"] == {"x": -4, "y": None}
    assert doc["forward_gradient"] == {"x": -4, "y": None}
    through = f"depends on ∂v3/∂y, which is undefined: {POW_REASON}"
    assert doc["undefined"] == {
        "gradient": {"y": through},
        "forward_gradient": {"y": through},
        "nodes": {"v2": {"grad": through}, "v3": {"local": [None, POW_REASON]}},
    }
    assert doc["nodes"][2]["local"] == [-4, None]
    assert "error" not in doc


def test_a_program_with_nothing_undefined_has_no_undefined_key(cli):
    run = cli("eval", "x^y", "-x", "2", "-y", "2", "--json")
    assert run.code == 0
    assert "undefined" not in run.json()


def test_sqrt_at_zero(cli):
    run = cli("eval", "sqrt(x) + y^2", "-x", "0", "-y", "3")
    assert run.code == 4
    rows = rows_of(run.out)
    assert rows[0][:3] == ["sqrt(x)", "+", "y^2"] and rows[0][4] == "9"
    assert ["x", "0", "undefined", "undefined"] in rows and ["y", "3", "6", "6"] in rows
    assert ("undefined: ∂v2/∂x, and so the gradient of x: sqrt has an infinite derivative at 0 in v2 = sqrt(x) "
            "where x = 0.0") in notes_of(run.out)


def test_log_of_a_negative_number_in_a_branch_the_output_does_not_use(cli):
    run = cli("eval", "a = log(x); b = x*y", "-x", "-1", "-y", "2", "--json")
    assert run.code == 4
    doc = run.json()
    assert doc["value"] == -2 and doc["gradient"] == {"x": 2, "a": 0, "y": -1, "b": 1}
    assert doc["nodes"][1]["value"] is None
    assert doc["undefined"] == {"nodes": {"v2": {"value": "log is defined for positive numbers only in a = log(x) "
                                                           "where x = -1.0"}}}


def test_an_undefined_output_shows_the_values_before_it_and_no_gradient(cli):
    run = cli("eval", "a = log(x); b = x*y; c = b + 0*a", "-x", "-1", "-y", "2")
    assert run.code == 4
    rows = rows_of(run.out)
    assert rows[0][:3] == ["c", "=", "undefined"]
    assert ["v4", "b", "x", "*", "y", "-2"] in rows  # b's value is still shown
    assert ["x", "-1", "undefined", "undefined"] in rows and ["y", "2", "undefined", "undefined"] in rows
    assert ("undefined: the value of a, and so the output c and the gradients of x and y: log is defined for "
            "positive numbers only in a = log(x) where x = -1.0") in notes_of(run.out)
    doc = cli("eval", "a = log(x); b = x*y; c = b + 0*a", "-x", "-1", "-y", "2", "--json").json()
    assert doc["value"] is None and doc["undefined"]["value"].startswith("depends on a, which is undefined: ")
    assert all(g is None for g in doc["gradient"].values())
    assert doc["nodes"][3]["value"] == -2


@pytest.mark.parametrize("argv, fragments", [  # these used to stop with the message alone (exit 4)
    (["log(x)", "-x", "0"], ["log(x) = undefined", "log is defined for positive numbers only", "x = 0.0"]),
    (["a/b", "-a", "1", "-b", "0"], ["a/b = undefined", "division by zero in v3 = a / b where a = 1.0, b = 0.0"]),
    (["exp(x)", "-x", "1000"], ["exp(x) = too large", "too large for a 64-bit float (overflow) in v2 = exp(x) "
                                                      "where x = 1000.0"]),
])
def test_what_was_all_or_nothing_is_shown_with_its_reason(cli, argv, fragments):
    run = cli("eval", *argv)
    assert run.code == 4 and run.err == ""
    for fragment in fragments:
        assert fragment in notes_of(run.out)


def test_a_value_too_large_for_a_float_does_not_hide_the_rest(cli):
    """exp(1000) * exp(-1000) is 1: its factor exp(1000) has no float, the product and its gradient do."""
    run = cli("eval", "exp(x) * exp(-x)", "-x", "1000", "--json")
    assert run.code == 4
    doc = run.json()
    assert doc["value"] == 1 and doc["gradient"] == {"x": 0}
    assert doc["nodes"][1]["value"] is None
    assert "1.9700711e+434, too large for a 64-bit float" in doc["undefined"]["nodes"]["v2"]["value"]


def test_exact_mode(cli):
    run = cli("eval", "x^y + x/3", "-x", "-2", "-y", "2", "--exact", "--json")
    assert run.code == 4
    doc = run.json()
    assert doc["exact"]["value"] == "10/3" and doc["exact"]["gradient"] == {"x": "-11/3", "y": None}
    assert doc["undefined"]["gradient"]["y"].startswith("depends on ∂v3/∂y, which is undefined")
    text = cli("eval", "x^y + x/3", "-x", "-2", "-y", "2", "--exact").out
    assert ["x", "-2", "-11/3", "-11/3"] in rows_of(text)
    assert "exact: every value and gradient above is an exact fraction." in text


def test_the_wide_path(cli):
    """1e300 * exp(-800) leaves float range on the way (the computation is redone in wide decimals)."""
    run = cli("eval", "a = 1e300 * exp(-800) * x; b = log(y); a", "-x", "3", "-y", "-1", "--json")
    assert run.code == 4
    doc = run.json()
    assert doc["value"] == pytest.approx(1.1093e-47, rel=1e-4)  # 3 * 1e300 * exp(-800) = 3 * 3.6979e-48
    assert doc["gradient"]["y"] == 0 and doc["undefined"]["nodes"]["v9"]["value"].startswith("log is defined")


def test_check_skips_an_undefined_gradient_saying_so(cli):
    run = cli("eval", "sqrt(x) + y^2", "-x", "0", "-y", "3", "--check")
    assert run.code == 4  # undefined wins over the check's verdict
    rows = rows_of(run.out)
    assert ["x", "0", "undefined", "undefined", "—", "—", "skipped"] in rows
    assert ["y", "3", "6", "6", "6", "0", "ok"] in rows
    assert "check x: not checked: the gradient of x is undefined" in notes_of(run.out)
    doc = cli("eval", "sqrt(x) + y^2", "-x", "0", "-y", "3", "--check", "--json").json()
    assert doc["check"]["inputs"]["x"]["ok"] is None and doc["check"]["inputs"]["y"]["ok"] is True
    assert doc["check"]["ok"] is True


def test_the_directional_derivative(cli):
    along_y = cli("eval", "sqrt(x) + y^2", "-x", "0", "-y", "3", "--direction", "y=1")
    assert along_y.code == 4 and "Directional derivative along (x=0, y=1): 6" in along_y.out
    doc = cli("eval", "sqrt(x) + y^2", "-x", "0", "-y", "3", "--direction", "x=1,y=1", "--json").json()
    assert doc["directional"]["value"] is None
    assert doc["undefined"]["directional"]["value"].startswith("depends on ∂v2/∂x, which is undefined")
    assert "gradient" in doc["undefined"]  # both sets of reasons kept


@pytest.mark.parametrize("graph", ["tree", "dot", "mermaid"])
def test_pictures_show_the_word(cli, graph):
    run = cli("eval", *NEGATIVE_BASE, "--graph", graph)
    assert run.code == 4 and "undefined" in run.out
    for bad in ("nan", "inf"):
        assert bad not in run.out
    # the reason is a note on standard error: standard output holds only the picture
    assert run.err == f"backprop: note: undefined: ∂v3/∂y, and so the gradient of y: {POW_REASON}\n"


def test_an_error_that_is_not_about_the_point_is_still_an_error(cli):
    run = cli("eval", "1e400 * x", "-x", "1")
    assert run.code == 4 and run.out == ""
    assert_one_paragraph_error(run.err, "math error")


def test_beyond_even_wide_decimals_is_too_large_not_a_crash(cli):
    """10^10^10 has an exponent past the wide decimals' billion: found by the fuzz suite as an internal error."""
    run = cli("eval", "10^10^x", "-x", "10")
    assert run.code == 4 and run.err == ""
    assert ["x", "10", "too", "large", "too", "large"] in rows_of(run.out)
    assert "the result is too large for a 64-bit float (overflow) in v5 = 10^v4" in notes_of(run.out)


def test_check_of_an_input_beyond_float_range(cli):
    """check reads 1e400 exactly; shown as floats it is too large, and the gradient 1 is still graded."""
    run = cli("check", "x", "x=1e400", "--expect", "x=1")
    assert run.code == 0 and "Given:   x = too large" in run.out
