"""`backprop generate`: the files of a set, graded by `backprop check` itself; the key is explain's output;
the same seed gives the same bytes; the LaTeX sheet compiles; bad requests are one-paragraph usage errors."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess

import pytest
from conftest import assert_one_paragraph_error

from backprop_cli.teaching.exercise_templates import TEMPLATES

NAMES = sorted(TEMPLATES)


def _generate(cli, out, *args):
    run = cli("generate", *args, "--out", str(out))
    assert run.code == 0, run.err
    return run


def _check_command(answers_text: str) -> list[str]:
    """The command the answers file gives in its comments (`#   backprop check ... --answers FILE`)."""
    line = next(line for line in answers_text.splitlines() if line.startswith("#   backprop check "))
    return shlex.split(line[len("#   "):])


@pytest.mark.parametrize("template", NAMES)
def test_every_answers_file_passes_check(template, cli, tmp_path, monkeypatch):
    _generate(cli, tmp_path, template, "--seed", "5", "--count", "3")
    monkeypatch.chdir(tmp_path)  # the command in the file names the file as it is in the set's folder
    for k in (1, 2, 3):
        text = (tmp_path / f"answers-{k}.txt").read_text(encoding="utf-8")
        words = _check_command(text)
        assert words[:2] == ["backprop", "check"] and words[-2:] == ["--answers", f"answers-{k}.txt"]
        run = cli(*words[1:])
        answers = [line for line in text.splitlines() if line and not line.startswith("#")]
        assert run.code == 0, run.out + run.err
        assert f"Verdict: {len(answers)} of {len(answers)} answers are correct." in run.out
        assert "✗" not in run.out


def test_a_wrong_answer_in_a_generated_file_is_caught(cli, tmp_path, monkeypatch):
    # the check is not vacuous: spoil one answer and check says so
    _generate(cli, tmp_path, "fork", "--seed", "7")
    path = tmp_path / "answers-1.txt"
    text = path.read_text(encoding="utf-8")
    assert "\nx=-4/3\n" in text  # the pinned set (tests/teaching/test_exercises.py)
    path.write_text(text.replace("\nx=-4/3\n", "\nx=-2/3\n"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run = cli(*_check_command(text)[1:])
    assert run.code == 1 and "4 answers: 3 correct, 1 wrong (x)" in run.out


@pytest.mark.parametrize("template", NAMES)
def test_the_same_seed_writes_the_same_bytes(template, cli, tmp_path):
    _generate(cli, tmp_path / "one", template, "--seed", "9", "--count", "2")
    _generate(cli, tmp_path / "two", template, "--seed", "9", "--count", "2")
    names = sorted(os.listdir(tmp_path / "one"))
    assert names == ["answers-1.txt", "answers-2.txt", "key.md", "sheet.md", "sheet.tex"]
    assert names == sorted(os.listdir(tmp_path / "two"))
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    _generate(cli, tmp_path / "three", template, "--seed", "10", "--count", "2")
    assert (tmp_path / "three" / "sheet.md").read_bytes() != (tmp_path / "one" / "sheet.md").read_bytes()


def test_ten_or_more_answers_files_sort_in_order(cli, tmp_path):
    _generate(cli, tmp_path, "chain", "--seed", "1", "--count", "10")
    answers = sorted(name for name in os.listdir(tmp_path) if name.startswith("answers-"))
    assert answers == [f"answers-{k:02d}.txt" for k in range(1, 11)]


@pytest.mark.parametrize("template", ["neuron", "softmax"])
def test_the_key_is_explains_output(template, cli, tmp_path):
    _generate(cli, tmp_path, template, "--seed", "3", "--count", "2")
    key = (tmp_path / "key.md").read_text(encoding="utf-8")
    commands = re.findall(r"^`(backprop explain .*)`$", key, re.MULTILINE)
    assert len(commands) == 2
    for command in commands:
        run = cli(*shlex.split(command)[1:])
        assert run.code == 0, run.err
        assert f"`{command}`\n\n{run.out}" in key


def test_the_sheet_asks_for_what_the_answers_file_answers(cli, tmp_path):
    _generate(cli, tmp_path, "neuron", "--seed", "3")
    sheet = (tmp_path / "sheet.md").read_text(encoding="utf-8")
    answers = (tmp_path / "answers-1.txt").read_text(encoding="utf-8")
    names = [line.partition("=")[0] for line in answers.splitlines() if line and not line.startswith("#")]
    assert names == ["value", "y", "z", "w1", "w2", "b"]
    assert "**Answer as:** `value=, y=, z=, w1=, w2=, b=`" in sheet
    assert "the value of L and the gradients ∂L/∂y, ∂L/∂z, ∂L/∂w1, ∂L/∂w2, ∂L/∂b." in sheet
    for name, text in [line.split("=", 1) for line in _check_command(answers)[3:-2]]:
        assert f"`{name} = {text}`" in sheet  # every given value is on the sheet


@pytest.mark.parametrize("part, name", [("sheet", "sheet.md"), ("latex", "sheet.tex"), ("key", "key.md")])
def test_print_writes_one_part(part, name, cli, tmp_path):
    _generate(cli, tmp_path, "mazur", "--seed", "2", "--count", "2")
    run = cli("generate", "mazur", "--seed", "2", "--count", "2", "--print", part)
    assert run.code == 0 and run.out == (tmp_path / name).read_text(encoding="utf-8")


def test_print_answers_and_the_default(cli, tmp_path):
    _generate(cli, tmp_path, "chain", "--seed", "2", "--count", "2")
    run = cli("generate", "chain", "--seed", "2", "--count", "2", "--print", "answers")
    files = [(tmp_path / f"answers-{k}.txt").read_text(encoding="utf-8") for k in (1, 2)]
    assert run.out == "\n".join(files)
    assert cli("generate", "chain", "--seed", "2", "--count", "2").out == (tmp_path / "sheet.md").read_text()


def test_list(cli):
    run = cli("generate", "--list")
    assert run.code == 0
    lines = run.out.splitlines()
    assert [line.split()[0] for line in lines] == list(TEMPLATES)
    assert all(len(line.split(None, 1)[1]) > 20 for line in lines)


def _latex_engine():
    return shutil.which("pdflatex") or shutil.which("lualatex")


@pytest.mark.parametrize("template", NAMES)
def test_the_latex_sheet_compiles(template, cli, tmp_path):
    _generate(cli, tmp_path, template, "--seed", "4", "--count", "2")
    text = (tmp_path / "sheet.tex").read_text(encoding="utf-8")
    assert text.isascii() and text.count(r"\begin{align*}") == text.count(r"\end{align*}") == 2
    assert text.rstrip().endswith(r"\end{document}")
    engine = _latex_engine()
    if engine is None:
        pytest.skip("no pdflatex (the text is still checked)")
    done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "sheet.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "sheet.pdf").stat().st_size > 1000


# --- the folder ----------------------------------------------------------------------------------------------------

def test_files_already_there_are_kept_unless_forced(cli, tmp_path):
    _generate(cli, tmp_path, "fork", "--seed", "1", "--count", "6")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    run = cli("generate", "fork", "--seed", "2", "--out", str(tmp_path), "--count", "6")
    assert run.code == 2
    assert_one_paragraph_error(run.err, "usage error")
    assert "already holds sheet.md, sheet.tex, key.md, answers-1.txt and 5 more: give --force" in run.err
    before = (tmp_path / "sheet.md").read_text(encoding="utf-8")
    assert "seed 1" in before
    run = cli("generate", "fork", "--seed", "2", "--count", "6", "--out", str(tmp_path), "--force")
    assert run.code == 0 and "seed 2" in (tmp_path / "sheet.md").read_text(encoding="utf-8")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_the_summary_names_the_files_and_the_check_command(cli, tmp_path):
    run = _generate(cli, tmp_path / "new" / "folder", "fork", "--seed", "7", "--count", "2")
    assert (tmp_path / "new" / "folder" / "sheet.md").exists()
    assert "Wrote 2 exercises of fork (seed 7) into" in run.out
    assert "answers-1.txt ... answers-2.txt" in run.out
    assert "  backprop check 'q = x + y; f = x / q' x=1.5 y=-3 --answers FILE" in run.out


def test_out_is_a_file(cli, tmp_path):
    target = tmp_path / "taken"
    target.write_text("", encoding="utf-8")
    run = cli("generate", "fork", "--seed", "1", "--out", str(target))
    assert run.code == 2 and "it is a file" in run.err


# --- bad requests: one paragraph, exit 2 ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["chian", "--seed", "1"], ["no template named 'chian' (did you mean chain?)", "--list"]),
    (["chain"], ["give --seed N"]),
    ([], ["give a template: chain, neuron, fork, mazur, softmax"]),
    (["chain", "--seed", "abc"], ["--seed must be a whole number from 0 to", "not 'abc'"]),
    (["chain", "--seed", "-3"], ["--seed must be a whole number from 0 to", "not -3"]),
    (["chain", "--seed", "99999999999999999999"], ["--seed must be a whole number from 0 to 9223372036854775807"]),
    (["chain", "--seed", "1", "--count", "0"], ["--count must be from 1 to 1000, not 0"]),
    (["chain", "--seed", "1", "--count", "1001"], ["--count must be from 1 to 1000, not 1001"]),
    (["chain", "--seed", "1", "--count", "two"], ["--count must be a whole number from 1 to 1000, not 'two'"]),
    (["chain", "--seed", "1", "--out", "x", "--print", "key"], ["either --out DIR", "or --print PART"]),
    (["chain", "--seed", "1", "--force"], ["--force only applies with --out"]),
    (["chain", "--seed", "1", "--print", "pdf"], ["'pdf' is not one of"]),
])
def test_bad_requests(args, words, cli):
    run = cli("generate", *args)
    assert run.code == 2 and run.out == ""
    assert_one_paragraph_error(run.err, "usage error")
    for word in words:
        assert word in run.err
