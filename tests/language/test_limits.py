"""Limits that protect the machine: program length, nesting depth, what comments may hold, input that never
ends, exact-mode sizes, and the memory a program at the length limit takes."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from clirun import console_script, process_env, run_main

from backprop_cli.base.errors import ProgramError
from backprop_cli.language.limits import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_PROGRAM_CHARS,
    LimitError,
    check_source,
    read_limited,
)
from backprop_cli.language.parser import parse


def test_defaults_are_generous():
    assert DEFAULT_MAX_PROGRAM_CHARS == 1_000_000
    assert DEFAULT_MAX_DEPTH == 100_000


def test_a_program_at_the_length_limit_parses_and_one_past_it_does_not(monkeypatch):
    monkeypatch.setenv("BACKPROP_MAX_PROGRAM_CHARS", "21")
    parse("x+x+x+x+x+x+x+x+x+x+x")  # 21 characters
    with pytest.raises(LimitError) as caught:
        parse("x+x+x+x+x+x+x+x+x+x+x+x")
    assert "23 characters, more than the limit of 21" in caught.value.message
    assert "BACKPROP_MAX_PROGRAM_CHARS" in caught.value.message


def test_too_long_is_exit_3_with_a_message_naming_the_limit():
    run = run_main(["eval", "x+x+x", "-x", "1"], env={"BACKPROP_MAX_PROGRAM_CHARS": "4"})
    assert run.code == 3
    assert run.err.startswith("backprop: limit exceeded: the program has 5 characters, more than the limit of 4")
    assert "set BACKPROP_MAX_PROGRAM_CHARS" in run.err


@pytest.mark.parametrize("value", ["abc", "-1", "0", "1.5", "１２", "1e6"])
def test_a_bad_limit_setting_is_a_usage_error(value):
    for variable in ("BACKPROP_MAX_PROGRAM_CHARS", "BACKPROP_MAX_DEPTH"):
        run = run_main(["eval", "x", "-x", "1"], env={variable: value})
        assert run.code == 2, (variable, value)
        assert run.err.startswith(f"backprop: usage error: {variable} must be a positive whole number")


def test_default_depth_is_accepted_and_one_more_level_is_not():
    deep = "(" * DEFAULT_MAX_DEPTH + "x" + ")" * DEFAULT_MAX_DEPTH
    assert parse(deep).statements[0].name == "x"
    with pytest.raises(LimitError) as caught:
        parse("(" + deep + ")")
    assert "parentheses nest more than 100,000 deep" in caught.value.message
    assert "BACKPROP_MAX_DEPTH" in caught.value.message


def test_depth_counts_calls_but_not_comments(monkeypatch):
    monkeypatch.setenv("BACKPROP_MAX_DEPTH", "2")
    parse("exp(sin(x)) # ((((((((")
    with pytest.raises(LimitError):
        parse("exp(sin(cos(x)))")
    run = run_main(["eval", "((((x))))", "-x", "1"], env={"BACKPROP_MAX_DEPTH": "3"})
    assert run.code == 3
    assert "parentheses nest more than 3 deep here" in run.err and "^" in run.err


@pytest.mark.parametrize("argv, stdin", [
    (["eval", "--file", "/dev/zero", "-x", "1"], b""),
    (["eval", "-", "-x", "1"], None),
    (["explain", "--file", "/dev/zero"], b""),
    (["check", "x", "-x", "1", "--answers", "/dev/zero"], b""),
    (["check", "x", "-x", "1", "--answers", "-"], None),
])
def test_input_that_never_ends_is_refused_fast(argv, stdin):
    """Regression: `--file /dev/zero` read until the memory was gone. Now at most 4 bytes a character."""
    started = time.monotonic()
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run([*console_script(), *argv], stdin=zero if stdin is None else subprocess.DEVNULL,
                              capture_output=True, timeout=60, env=process_env())
    assert time.monotonic() - started < 30
    assert proc.returncode == 3, proc.stderr.decode()
    assert proc.stderr.decode().startswith("backprop: limit exceeded: ")


def test_read_limited_reads_no_further_than_the_limit(monkeypatch):
    monkeypatch.setenv("BACKPROP_MAX_PROGRAM_CHARS", "10")
    import io

    assert read_limited(io.BytesIO(b"x" * 40), "here") == b"x" * 40
    stream = io.BytesIO(b"x" * 1000)
    with pytest.raises(LimitError):
        read_limited(stream, "here")
    assert stream.tell() == 41


@pytest.mark.parametrize("comment", ["\x1b[31m", "\x1b]0;title\x07", "\x07", "\x00", "\x08\x08", "\u202e",
                                     "\u2066", "\u2028", "\u0085", "\x7f", "a\rb", "\x0b", "\x0c"])
def test_comments_may_not_hold_control_characters(comment):
    """Regression: comments are echoed (headline, explain, check), so ESC drove the terminal and U+202E
    showed the program reversed. Now such a program is refused, and the message shows a visible stand-in."""
    with pytest.raises(ProgramError):
        check_source(f"x # {comment}\n")
    run = run_main(["eval", f"x # {comment}", "-x", "1"])
    assert run.code == 3
    assert "in a comment" in run.err
    visible = run.err.replace("\n", "").replace("\t", "")
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u202e\u2066\u2028" for c in visible), run.err


@pytest.mark.parametrize("comment", ["# ∂f/∂x", "# 日本語 ✓", "# [bold]", "# tab\there", "# crlf\r\n", "#"])
def test_comments_may_hold_any_other_text(comment):
    parse(f"x {comment}\ny")


def test_bytes_that_are_not_utf8_are_refused_in_a_comment():
    """Regression: an argument with invalid UTF-8 in a comment was accepted and echoed as '\\udcff'."""
    run = run_main(["eval", "x # \udcff", "-x", "1"])
    assert run.code == 3
    assert "byte 0xFF in a comment is not UTF-8 text" in run.err
    assert "\udcff" not in run.err


def test_a_byte_order_mark_is_not_part_of_the_program(tmp_path):
    """Regression: a program file saved with a BOM (as Windows editors do) was a syntax error at U+FEFF."""
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfx*2\n")
    run = run_main(["eval", "--file", str(path), "-x", "3", "--json"])
    assert run.code == 0, run.err
    run = run_main(["eval", "-", "-x", "3", "--json"], stdin=b"\xef\xbb\xbfx*2\n")
    assert run.code == 0, run.err


@pytest.mark.parametrize("program", ["2^2^2^2^2^2", "10^10^10", "1e100000000", "(3/7)^100000", "x^99999999"])
def test_exact_sizes_are_estimated_before_computing(program):
    started = time.monotonic()
    run = run_main(["eval", program, "--exact", *(["-x", "3"] if "x" in program else [])])
    assert time.monotonic() - started < 1.0
    assert run.code == 4 and "too large for exact arithmetic" in run.err


def test_tiny_numbers_are_refused_as_huge_ones_are():
    """Regression: 1e-400 silently became 0, and every gradient through it (x*1e-400 gave d/dx = 0)."""
    assert run_main(["eval", "x*1e-400", "-x", "1"]).code == 4
    bound = run_main(["eval", "x", "-x", "1e-400"])
    assert bound.code == 2 and "too small for a 64-bit float" in bound.err
    assert run_main(["eval", "x*0e-400 + x*4.9e-324", "-x", "1"]).code == 0  # 0 and the smallest float are fine
    assert run_main(["eval", "x*1e-400", "-x", "1", "--exact"]).code == 0  # an exact fraction holds it


def test_a_program_at_the_length_limit_runs_in_bounded_memory(tmp_path):
    """The longest program allowed (1,000,000 characters, 500,000 nodes) in under 1 GB."""
    path = tmp_path / "longest.txt"
    path.write_text("+".join(["x"] * 500_000)[:DEFAULT_MAX_PROGRAM_CHARS - 1], encoding="utf-8")
    measure = (
        "import resource, subprocess, sys\n"
        "proc = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "print(proc.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    proc = subprocess.run([sys.executable, "-c", measure, *console_script(), "eval", "--file", str(path), "-x", "1"],
                          capture_output=True, timeout=300, env=process_env())
    code, kilobytes = map(int, proc.stdout.split())
    assert code == 0
    assert kilobytes < 1_000_000, f"{kilobytes} KB"


def test_out_of_memory_is_reported_not_called_a_bug(monkeypatch):
    import backprop_cli.commands.eval as eval_module

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(eval_module, "compute", exhausted)
    run = run_main(["eval", "x", "-x", "1"])
    assert run.code == 3
    assert run.err.startswith("backprop: limit exceeded: the machine ran out of memory")


def test_limits_apply_to_answers_too():
    run = run_main(["check", "x", "-x", "1", "--expect", "x=" + "(" * 5 + "1" + ")" * 5],
                   env={"BACKPROP_MAX_DEPTH": "3"})
    assert run.code in (2, 3) and "Traceback" not in run.err


def test_usage_error_for_bad_tolerances():
    """Regression: --rtol nan failed every check (exit 1, a verdict on nothing); --atol -1 likewise."""
    for option, value in (("--rtol", "nan"), ("--atol", "-1"), ("--rtol", "inf")):
        run = run_main(["eval", "x", "-x", "1", "--check", option, value])
        assert run.code == 2 and f"{option} must be a finite number >= 0" in run.err


def test_exact_values_beyond_floats_in_json_and_check():
    """Regression: --exact --json with 10^400/3 was an internal error (OverflowError); so was --exact --check."""
    run = run_main(["eval", "x^400/3", "-x", "10", "--exact", "--json"])
    assert run.code == 0, run.err
    import json

    doc = json.loads(run.out)
    assert doc["value"] is None and doc["exact"]["value"].startswith("10000")
    check = run_main(["eval", "x^400/3", "-x", "10", "--exact", "--check"])
    assert check.code == 1 and "too large for them" in check.out


def test_a_batch_that_never_ends_is_refused():
    """Regression (eval --batch, issue 5): `--batch /dev/zero` read until the memory was gone."""
    from backprop_cli.commands.eval import eval_command

    if not any("--batch" in p.opts for p in eval_command.params):
        pytest.skip("no eval --batch here")
    started = time.monotonic()
    with open("/dev/zero", "rb") as zero:
        for argv, stdin in ((["eval", "x", "--batch", "/dev/zero"], subprocess.DEVNULL),
                            (["eval", "x", "--batch", "-"], zero)):
            proc = subprocess.run([*console_script(), *argv], stdin=stdin, capture_output=True, timeout=60,
                                  env=process_env(BACKPROP_MAX_BATCH_BYTES="1000000"))
            assert proc.returncode == 3, proc.stderr.decode()
            assert b"limit exceeded" in proc.stderr and b"BACKPROP_MAX_BATCH_BYTES" in proc.stderr
    assert time.monotonic() - started < 30
