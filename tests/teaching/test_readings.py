"""How an implicit product right after '/' was read (`1/2x` is (1/2)*x) is said wherever the program is shown:
the eval title and JSON (tests/language/test_math_notation.py), and here explain in every format and check."""
import json

import pytest

READING = "1/2x is read as (1 / 2) * x"


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_explain_says_how_1_over_2x_was_read(cli, fmt):
    run = cli("explain", "y = 1/2x", "-x", "3", "--format", fmt)
    assert run.code == 0, run.err
    flat = " ".join(run.out.split()).replace("\\", "")
    assert READING in flat
    assert "= 1.5" in flat or "= 1.5" in run.out  # the value follows the reading: (1/2)*3, not 1/6


def test_check_says_how_1_over_2x_was_read(cli):
    run = cli("check", "y = 1/2x", "-x", "3", "--expect", "x=0.5")
    assert run.code == 0, run.out + run.err
    assert READING in " ".join(run.out.split())


def test_no_note_when_nothing_could_be_misread(cli):
    for program in ("y = 1/(2x)", "y = x/2", "y = 2x/3"):
        run = cli("explain", program, "-x", "3")
        assert run.code == 0, run.err
        assert "is read as" not in run.out, program
    assert "notes" not in json.loads(cli("eval", "y = 1/(2x)", "-x", "3", "--json").out)
