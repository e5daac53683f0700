"""`backprop check --class FILE`: a whole class graded in one run; tables, --json, --csv, exit codes, speed.

The true values of the program are worked out by hand (e = a + b; f = e * c; g = f / d at a=5, b=1, c=-2,
d=-3: g = 4, dg/da = 2/3, dg/dd = -f/d^2 = 4/3, e = 6), and every verdict is compared with what
`check --expect` says of the same answer, the one grading rule.
"""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import time
from pathlib import Path

import pytest
from clirun import run_process

from conftest import assert_one_paragraph_error

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ("e = a + b; f = e * c; g = f / d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3")
CLASS = ("student,value,a,d,e.value\n"
         "ann,4,2/3,4/3,6\n"
         "bo,4,0.67,108,6\n"
         "cy,-4,6,108,\n"
         "di,4,idk,-4/3,-6\n")


@pytest.fixture
def class_file(tmp_path):
    def write(text: str = CLASS, name: str = "class.csv", data: bytes | None = None) -> str:
        path = tmp_path / name
        path.write_bytes(data if data is not None else text.encode("utf-8"))
        return str(path)

    return write


def test_the_tables(cli, class_file):
    path = class_file()
    run = cli("check", *PROGRAM, "--class", path)
    assert run.code == 0, run.err
    assert run.err == ""
    lines = run.out.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("student ")))
    assert lines[at].split() == ["student", "value", "a", "d", "e.value", "score"]
    assert [line.split() for line in lines[at + 2:at + 6]] == [
        ["ann", "✓", "✓", "✓", "✓", "4/4"],
        ["bo", "✓", "✓", "✗", "✓", "3/4"],
        ["cy", "✗", "✗", "✗", "·", "0/4"],
        ["di", "✓", "?", "✗", "✗", "1/4"],
    ]
    assert f"Class: 4 students, 4 questions, from {path}" in " ".join(run.out.split())
    summary = lines.index("Per question (4 students):")
    rows = {line.split()[0]: line.split() for line in lines[summary + 3:summary + 7]}
    assert rows["value"][-6:] == ["4", "3", "0", "1", "0", "0"]
    assert rows["a"][-6:] == ["0.666667", "2", "0", "1", "0", "1"]
    assert rows["d"][-6:] == ["1.33333", "1", "0", "3", "0", "0"]
    assert rows["e.value"][-6:] == ["6", "2", "0", "1", "1", "0"]
    assert "  108   2 students" in run.out
    assert "  line 5, di, a: idk" in run.out


def test_every_verdict_is_the_one_check_expect_gives(cli, class_file):
    run = cli("check", *PROGRAM, "--class", class_file(), "--json")
    doc = json.loads(run.out)
    for student in doc["students"]:
        for name, answer in student["answers"].items():
            if answer["status"] in ("unanswered", "unreadable"):
                continue
            single = cli("check", *PROGRAM, "--expect", f"{name}={answer['given']}")
            assert single.code == (0 if answer["status"] in ("correct", "accepted") else 1), (name, answer)


def test_json_document(cli, class_file):
    path = class_file()
    run = cli("check", *PROGRAM, "--class", path, "--json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert list(doc) == ["program", "output", "inputs", "convention", "rule", "tolerance", "strict", "class",
                         "questions", "students", "summary", "problems"]
    assert doc["class"] == {"file": path, "student_column": "student", "students": 4, "not_graded": 0}
    assert [(q["name"], q["kind"], q["column"], q["node"], q["correct"]) for q in doc["questions"]] == [
        ("value", "value", 2, "g", 4.0), ("a", "gradient", 3, "a", pytest.approx(2 / 3)),
        ("d", "gradient", 4, "d", pytest.approx(4 / 3)), ("e.value", "node_value", 5, "e", 6.0)]
    exact = json.loads(cli("check", *PROGRAM, "--class", path, "--json", "--exact").out)
    assert [q["correct_exact"] for q in exact["questions"]] == ["4", "2/3", "4/3", "6"]
    assert [s["student"] for s in doc["students"]] == ["ann", "bo", "cy", "di"]
    assert [s["line"] for s in doc["students"]] == [2, 3, 4, 5]
    assert [s["score"] for s in doc["students"]] == [4, 3, 0, 1]
    cy = doc["students"][2]["answers"]
    assert cy["e.value"] == {"given": None, "status": "unanswered"}
    assert cy["d"] == {"given": "108", "status": "wrong"}
    assert doc["students"][3]["answers"]["a"]["status"] == "unreadable"
    assert doc["students"][3]["answers"]["a"]["error"].startswith("the answer for a, 'idk', is not a number")
    d = doc["summary"][2]
    assert (d["name"], d["correct"], d["accepted"], d["wrong"], d["unanswered"], d["unreadable"]) == \
        ("d", 1, 0, 3, 0, 0)
    assert [(w["given"], w["count"], w["lines"]) for w in d["common_wrong"]] == [("108", 2, [3, 4]),
                                                                                   ("-4/3", 1, [5])]
    # the summary agrees with the students' answers, counted here
    for k, question in enumerate(doc["questions"]):
        for status in ("correct", "accepted", "wrong", "unanswered", "unreadable"):
            count = sum(1 for s in doc["students"] if s["answers"][question["name"]]["status"] == status)
            assert doc["summary"][k][status] == count
    assert doc["problems"] == []


def test_csv_gradebook(cli, class_file):
    run = cli("check", *PROGRAM, "--class", class_file(), "--csv")
    assert run.code == 0, run.err
    rows = list(csv.reader(io.StringIO(run.out)))
    assert rows == [
        ["student", "value", "a", "d", "e.value", "score"],
        ["ann", "correct", "correct", "correct", "correct", "4"],
        ["bo", "correct", "correct", "wrong", "correct", "3"],
        ["cy", "wrong", "wrong", "wrong", "unanswered", "0"],
        ["di", "correct", "unreadable", "wrong", "wrong", "1"],
    ]


def test_the_gradebook_keeps_formulas_out_of_spreadsheets(cli, class_file):
    path = class_file('id,value\n"=HYPERLINK(""http://x"")",4\n+1,4\n@me,4\n-2,4\nplain,4\n')
    rows = list(csv.reader(io.StringIO(cli("check", *PROGRAM, "--class", path, "--csv").out)))
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "'+1", "'@me", "'-2", "plain"]


def test_user_text_is_never_markup_nor_a_line_break(cli, class_file):
    path = class_file('student,value\n"[bold]x[/bold]",4\n"two\nlines",[red]\n"\x1b[2Jclear",4\n')
    run = cli("check", *PROGRAM, "--class", path)
    assert "[bold]x[/bold]" in run.out
    assert "two\\nlines" in run.out
    assert "line 3, two\\nlines, value: [red]" in run.out
    assert "\x1b" not in run.out and "\\x1b[2Jclear" in run.out


def test_a_class_on_vectors_and_matrices(cli, class_file):
    """cs231n's D = W X: dL/dW = dD Xᵀ = [[1, 1], [0, 2]], dL/dX = Wᵀ dD = [[1, -1], [2, -4]], L = 1 (by hand);
    a whole matrix, an element and a row answered; an answer of the wrong shape is unreadable, not fatal."""
    path = class_file('student,W,"W[1, 0]",X[1],value\n'
                      'ann,"[[1, 1], [0, 2]]",0,"[2, -4]",1\n'
                      'bob,"[[1, 0], [1, 2]]",1,"[2, 2]",\n'
                      'cy,"[[1, 1]]",0,-1,3\n'
                      'di,"[[1, 0], [1, 2]]",1,"[2,2]",1\n')
    run = cli("check", "D = W @ X; L = sum(D * dD)", "W=[[1, 2], [0, -1]]", "X=[[1, 0], [2, 1]]",
              "dD=[[1, -1], [0, 2]]", "--class", path, "--json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert [q["correct"] for q in doc["questions"]] == [[[1, 1], [0, 2]], 0, [2, -4], 1]
    assert [[a["status"] for a in s["answers"].values()] for s in doc["students"]] == [
        ["correct", "correct", "correct", "correct"],
        ["wrong", "wrong", "wrong", "unanswered"],
        ["unreadable", "correct", "unreadable", "wrong"],
        ["wrong", "wrong", "wrong", "correct"],
    ]
    assert "has shape (1, 2), and W's gradient has shape (2, 2)" in doc["students"][2]["answers"]["W"]["error"]
    # [2, 2] and [2,2] are one wrong answer
    assert [(w["given"], w["count"]) for w in doc["summary"][2]["common_wrong"]] == [("[2, 2]", 2)]


# ------------------------------------------------------------------ exit codes

def test_malformed_rows_are_reported_and_the_rest_graded(cli, class_file):
    path = class_file("student,value,a\nann,4,2/3\nbo,4\ncy,4,2/3,1\nann,3,3\ndi,3,2/3\n")
    for options in ([], ["--json"], ["--csv"]):
        run = cli("check", *PROGRAM, "--class", path, *options)
        assert run.code == 2
        assert run.err.splitlines() == [
            f"backprop: {path} line 3: malformed row: 2 cells, and the header has 3 (an unanswered question is "
            "an empty cell, as in alice,,4/3)",
            f"backprop: {path} line 4: malformed row: 4 cells, and the header has 3",
            f"backprop: {path} line 5: malformed row: the student 'ann' is already at line 2; each student has "
            "one row",
            "backprop: 3 of 5 rows were not graded (malformed); the others were",
        ]
        if options == ["--csv"]:
            assert run.out == "student,value,a,score\nann,correct,correct,2\ndi,wrong,correct,1\n"
        if options == ["--json"]:
            doc = json.loads(run.out)
            assert [p["line"] for p in doc["problems"]] == [3, 4, 5]
            assert doc["class"]["not_graded"] == 3


def test_at_most_100_malformed_rows_are_described(cli, class_file):
    path = class_file("student,value\n" + "".join(f"s{k},4,5\n" for k in range(150)) + "ok,4\n")
    run = cli("check", *PROGRAM, "--class", path, "--csv")
    assert run.code == 2
    lines = run.err.splitlines()
    assert len(lines) == 102
    assert lines[-2] == "backprop: ... and 50 more malformed rows"
    assert lines[-1] == "backprop: 150 of 151 rows were not graded (malformed); the others were"


@pytest.mark.parametrize("text,message", [
    ("student,value,x\nann,4,1\n", "column 3 of the header: the program has no input or intermediate named x"),
    ("student,value,value\nann,4,4\n", "column 3 of the header, 'value', asks what column 2 asks"),
    ("", "is empty"),
    ("student\n", "has no question"),
])
def test_an_unusable_file_is_a_usage_error(cli, class_file, text, message):
    run = cli("check", *PROGRAM, "--class", class_file(text))
    assert run.code == 2
    assert run.out == ""
    assert_one_paragraph_error(run.err)
    assert message in run.err


def test_files_that_cannot_be_read(cli, class_file, tmp_path):
    run = cli("check", *PROGRAM, "--class", str(tmp_path / "missing.csv"))
    assert run.code == 2 and "cannot read the class file" in run.err and "No such file" in run.err
    run = cli("check", *PROGRAM, "--class", class_file(data=b"student,value\nZo\xeb,4\n"))
    assert run.code == 2 and "is not UTF-8 text (byte 16)" in run.err


@pytest.mark.parametrize("options,message", [
    (["--csv"], "--csv writes the gradebook of a class: give the class with --class FILE"),
    (["--class", "CLASS", "--expect", "a=1"], "give --expect and --answers without it"),
    (["--class", "CLASS", "--csv", "--json"], "--csv and --json are two formats of the same gradebook"),
    (["--class", "CLASS", "--tolerance", "-1"], "--tolerance must be a finite number >= 0"),
])
def test_option_mistakes(cli, class_file, options, message):
    path = class_file()
    run = cli("check", *PROGRAM, *[path if o == "CLASS" else o for o in options])
    assert run.code == 2
    assert message in run.err


def test_a_syntax_error_in_the_program_is_exit_3(cli, class_file):
    run = cli("check", "(a+", "-a", "1", "--class", class_file())
    assert run.code == 3


def test_an_undefined_question_is_exit_4_and_undefined_is_its_right_answer(cli, class_file):
    path = class_file("student,value,y.value\nann,undefined,2\nbo,3,2\n")
    run = cli("check", "log(x) + y", "-x", "-1", "-y", "2", "--class", path, "--csv")
    assert run.code == 4
    assert run.out == "student,value,y.value,score\nann,correct,correct,2\nbo,wrong,correct,1\n"


def test_the_class_from_standard_input():
    proc = run_process(["check", *PROGRAM, "--class", "-", "--csv"], stdin=CLASS.encode())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().splitlines()[1] == "ann,correct,correct,correct,correct,4"
    proc = run_process(["check", "-", "--class", "-"], stdin=b"x")
    assert proc.returncode == 2
    assert b"standard input cannot hold both the program and the class" in proc.stderr


def test_a_wide_class_numbers_its_columns(cli, class_file):
    names = ["a", "b", "c", "d", "e", "f", "e.value", "f.value", "g.value", "value", "a.value", "b.value",
             "c.value", "d.value"]
    path = class_file("student," + ",".join(names) + "\nann," + ",".join(["1"] * len(names)) + "\n")
    out = cli("check", *PROGRAM, "--class", path).out
    assert "Questions: 1 = a, 2 = b, 3 = c" in out
    assert max(len(line) for line in out.splitlines()) <= 80


# ------------------------------------------------------------------ speed

def _bench():
    spec = importlib.util.spec_from_file_location("bench_class", ROOT / "bench" / "class.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_class_of_1000_on_10_questions_grades_in_under_5_seconds(tmp_path):
    """The issue's bound, for the whole process; the best of three runs, so a busy machine does not fail it
    (bench/class.py prints the figures: about 0.6 s on the development machine)."""
    bench = _bench()
    path = tmp_path / "class.csv"
    path.write_text(bench.make_class(1000, seed=1), encoding="utf-8")
    best = None
    for _ in range(3):
        start = time.perf_counter()
        proc = run_process(["check", bench.PROGRAM, *bench.INPUTS, "--class", str(path)], timeout=120)
        elapsed = time.perf_counter() - start
        assert proc.returncode == 0, proc.stderr
        best = elapsed if best is None else min(best, elapsed)
        if best < 5:
            break
    assert best < 5, f"{best:.2f} s"
    out = proc.stdout.decode()
    assert "1,000 students, 10 questions" in " ".join(out.split())
    assert len([line for line in out.splitlines() if line.startswith("s0")]) == 1000


def test_the_docs_show_the_class_file_they_grade():
    """docs/classes.md prints docs/class.csv in a text block; its examples grade that file."""
    page = (ROOT / "docs" / "classes.md").read_text(encoding="utf-8")
    shown = page.split("```text\n", 1)[1].split("```", 1)[0]
    assert shown == (ROOT / "docs" / "class.csv").read_text(encoding="utf-8")


_PROBE = """
import sys
from backprop_cli.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""


@pytest.mark.parametrize("fmt", ["--json", "--csv"])
def test_json_and_the_gradebook_load_no_rich(class_file, fmt):
    """Start-up stays light: Rich is for the tables (as for eval --json)."""
    import os
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _PROBE, "check", *PROGRAM, "--class", class_file(), fmt],
                          capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")})
    assert proc.returncode == 0, proc.stderr
    modules = {name.split(".")[0] for name in proc.stderr.rsplit("MODULES ", 1)[1].split()}
    assert "rich" not in modules and "numpy" not in modules


def test_strict(cli, class_file):
    path = class_file("student,dg/da,∂g/∂d\nann,0.6,108\nbo,2/3,108\n")
    rows = list(csv.reader(io.StringIO(cli("check", *PROGRAM, "--class", path, "--csv").out)))
    assert rows[1] == ["ann", "accepted", "wrong", "1"]
    rows = list(csv.reader(io.StringIO(cli("check", *PROGRAM, "--class", path, "--csv", "--strict").out)))
    assert rows[1] == ["ann", "wrong", "wrong", "0"]
    assert json.loads(cli("check", *PROGRAM, "--class", path, "--json", "--strict").out)["strict"] is True


def test_the_diagnosis_in_json(cli, class_file):
    path = class_file("student,dg/da,∂g/∂d\nann,0.6,108\nbo,2/3,108\n")
    doc = json.loads(cli("check", *PROGRAM, "--class", path, "--json").out)
    (wrong,) = doc["summary"][1]["common_wrong"]
    assert (wrong["given"], wrong["count"], wrong["lines"]) == ("108", 2, [2, 3])
    assert wrong["diagnoses"][0]["mistake"] == "quotient-power-multiplied"
    assert wrong["diagnoses"][0]["expression"] == "-f·d^2 = -(-12)·(-3)^2 = 108"
    assert doc["strict"] is False
