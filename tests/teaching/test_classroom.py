"""teaching/classroom.py: reading a class file (`check --class`), grading every answer, the summary per question.

The summary is checked against an independent count: a class drawn at random from answers labelled by hand
(right or wrong for the true values, worked out on paper), counted here with a Counter.
"""
from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

import pytest

from backprop_cli.base.errors import UsageError
from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.compute import as_floats, differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.teaching.classroom import (
    ACCEPTED,
    CORRECT,
    UNANSWERED,
    UNREADABLE,
    WRONG,
    decode,
    grade_class,
    questions,
    read_class,
)

# e = a + b; f = e * c; g = f / d at a=5, b=1, c=-2, d=-3: g = 4, dg/da = dg/db = dg/de = 2/3, dg/dc = -2,
# dg/dd = -f/d^2 = 12/9 = 4/3, e = 6, f = -12 (by hand).
PROGRAM = "e = a + b; f = e * c; g = f / d"
POINT = {"a": 5, "b": 1, "c": -2, "d": -3}


def computed(source: str = PROGRAM, point: dict = POINT):
    tape = lower(parse(source))
    truth = differentiate(tape, {k: Fraction(v) for k, v in point.items()}, EXACT, forward_mode=False,
                          keep_undefined=True)
    return as_floats(truth, keep_undefined=True), truth


def graded(text: str, source: str = PROGRAM, point: dict = POINT, **options):
    result, truth = computed(source, point)
    return grade_class(result, truth, read_class(text, "class.csv"), **options)


# ------------------------------------------------------------------ reading the file

# (text, student header, headers, rows as (student, line, cells), problems as (line, start of the message))
READS = [
    ("student,value,a\nann,4,2/3\n", "student", ("value", "a"), [("ann", 2, ("4", "2/3"))], []),
    # CRLF line ends, a last line without one, spaces around cells
    ("id , value , a\r\nann , 4 ,  2/3\r\nbo,4,1", "id", ("value", "a"),
     [("ann", 2, ("4", "2/3")), ("bo", 3, ("4", "1"))], []),
    # empty cells are unanswered; an all-empty row and blank lines are skipped, line numbers still count
    ("student,value,a\n\nann,,2/3\n,,\nbo,4,\n", "student", ("value", "a"),
     [("ann", 3, ("", "2/3")), ("bo", 5, ("4", ""))], []),
    # quoting: a comma and a quote inside a cell, and a quoted newline (the next row's line number follows it)
    ('student,value,a\n"Doe, Ann",4,"[1, 2]"\n"say ""hi""\nthere",4,1\nbo,4,1\n', "student", ("value", "a"),
     [("Doe, Ann", 2, ("4", "[1, 2]")), ('say "hi"\nthere', 3, ("4", "1")), ("bo", 5, ("4", "1"))], []),
    # blank lines before the header: the header's line is its own
    ("\n\nstudent,value\nann,4\n", "student", ("value",), [("ann", 4, ("4",))], []),
    # semicolons (a spreadsheet in a language with a decimal comma) and tabs are detected from the header
    ("student;value;a\nann;4;2/3\n", "student", ("value", "a"), [("ann", 2, ("4", "2/3"))], []),
    ("student\tvalue\ta\nann\t4\t2/3\n", "student", ("value", "a"), [("ann", 2, ("4", "2/3"))], []),
    # a comma inside a quoted header cell does not make the file comma-separated
    ('"name, first";value;a\nann;4;1\n', "name, first", ("value", "a"), [("ann", 2, ("4", "1"))], []),
    # malformed rows: too few cells, too many, an empty identifier, a repeated one; the rest are read
    ("student,value,a\nann,4\nbo,4,1,2\n,4,1\ncy,4,1\ncy,3,3\ndi,4,1\n", "student", ("value", "a"),
     [("cy", 5, ("4", "1")), ("di", 7, ("4", "1"))],
     [(2, "malformed row: 2 cells, and the header has 3 (an unanswered question is an empty cell"),
      (3, "malformed row: 4 cells, and the header has 3"),
      (4, "malformed row: the student column ('student') is empty"),
      (6, "malformed row: the student 'cy' is already at line 5; each student has one row")]),
    # the header alone: a class of nobody
    ("student,value\n", "student", ("value",), [], []),
]


@pytest.mark.parametrize("text,student,headers,rows,problems", READS)
def test_read_class(text, student, headers, rows, problems):
    klass = read_class(text, "class.csv")
    assert klass.student_header == student
    assert klass.headers == headers
    assert [(r.student, r.line, r.cells) for r in klass.rows] == rows
    assert len(klass.problems) == len(problems), klass.problems
    for (line, message), (want_line, start) in zip(klass.problems, problems):
        assert line == want_line and message.startswith(start), (line, message)


def test_byte_order_mark_and_utf8():
    data = "\ufeffstudent,value\nZoë,4\n".encode("utf-8")
    klass = read_class(decode(data, "class.csv"), "class.csv")
    assert klass.student_header == "student"  # not "\ufeffstudent"
    assert klass.rows[0].student == "Zoë"


def test_not_utf8_is_a_usage_error():
    with pytest.raises(UsageError, match=r"the class file class.csv is not UTF-8 text \(byte 10\)"):
        decode(b"student\nZo\xeb,4\n", "class.csv")


@pytest.mark.parametrize("text,message", [
    ("", r"the class file class.csv is empty"),
    ("\n \n", r"the class file class.csv is empty"),
    ("student\nann\n", r"the header of the class file class.csv \(line 1\) has no question.*it is 'student'"),
])
def test_unusable_files(text, message):
    with pytest.raises(UsageError, match=message):
        read_class(text, "class.csv")


@pytest.mark.parametrize("header,message", [
    ("student,value,x", r"the class file class.csv, column 3 of the header: the program has no input or "
                        r"intermediate named x; the names are: a, b, e, c, f, d, g"),
    ("student,a,,d", r"column 3 of the header is empty"),
    ("student,a,d=1", r"column 3 of the header, 'd=1', holds '='"),
    ("student,a,d,a", r"column 4 of the header, 'a', asks what column 2 asks; name each question once"),
    # one question in two of its forms
    ("student,a,dg/da", r"column 3 of the header, 'dg/da', asks what column 2 asks"),
    ("student,g,value", r"column 3 of the header, 'value', asks what column 2 asks"),
    ("student,e.value,e.data", r"column 3 of the header, 'e.data', asks what column 2 asks"),
    ("student,dx/da", r"column 2 of the header: dx/da is a derivative of x"),
    ("student,value,2x", r"column 3 of the header: '2x' is not a name"),
])
def test_a_bad_header_names_its_column(header, message):
    tape = lower(parse(PROGRAM))
    with pytest.raises(UsageError, match=message):
        questions(tape, read_class(header + "\n", "class.csv"))


# ------------------------------------------------------------------ grading

def test_each_cell_is_graded_as_check_grades_it():
    grade = graded("student,value,a,d,e.value\n"
                   "ann,4,2/3,4/3,6\n"
                   "bo,4.0,0.67,108,-6\n"
                   "cy,,0.6,-4/3,6\n"
                   "di,four,2/3x,1.333,\n")
    statuses = {s.student: [m.status for m in s.marks] for s in grade.students}
    assert statuses == {
        "ann": [CORRECT] * 4,
        "bo": [CORRECT, CORRECT, WRONG, WRONG],
        "cy": [UNANSWERED, ACCEPTED, WRONG, CORRECT],  # 0.6 is 2/3 cut off: one unit off its last digit
        "di": [UNREADABLE, UNREADABLE, CORRECT, UNANSWERED],
    }
    assert [s.score for s in grade.students] == [4, 2, 2, 1]
    assert [q.correct for q in grade.questions] == [4.0, pytest.approx(2 / 3), pytest.approx(4 / 3), 6.0]
    # an unreadable answer keeps why, in one line, without the place (the report adds line and student)
    di = grade.students[3]
    assert di.marks[0].error == ("the answer for value, 'four', is not a number: write a number or a constant "
                                 "expression, such as 4/3, 0.67, pi or sqrt(2)/2")
    assert di.marks[1].error.startswith("the answer for a, '2/3x', uses the variable x")
    assert [(line, student, header, text) for line, student, header, text, _ in grade.unreadable] == \
        [(5, "di", "value", "four"), (5, "di", "a", "2/3x")]


@pytest.mark.parametrize("strict", [False, True])
def test_three_verdicts_and_strict(strict):
    """2/3 written 0.67 (rounded right), 0.66 and 0.6 (cut off: one unit off), 0.65 (wrong); --strict makes the
    accepted ones wrong, and only correct and accepted answers count in the score."""
    grade = graded("student,a\nann,0.67\nbo,0.66\ncy,0.6\ndi,0.65\n", strict=strict)
    one_off = WRONG if strict else ACCEPTED
    assert [s.marks[0].status for s in grade.students] == [CORRECT, one_off, one_off, WRONG]
    assert [s.score for s in grade.students] == [1, 0 if strict else 1, 0 if strict else 1, 0]
    assert grade.summary[0].counts[ACCEPTED] == (0 if strict else 2)
    assert grade.summary[0].counts[WRONG] == (3 if strict else 1)


# Every form of a target a student writes is a header: the output's name, d/d, ∂/∂, .grad, .data.
FORMS = [
    ("g", "4", "value"), ("value", "4", "value"), ("dg/da", "2/3", "gradient"), ("d g / d a", "2/3", "gradient"),
    ("∂g/∂d", "4/3", "gradient"), ("e.grad", "2/3", "gradient"), ("e", "2/3", "gradient"),
    ("e.data", "6", "node_value"), ("e.value", "6", "node_value"), ("f.value", "-12", "node_value"),
    ("c", "-2", "gradient"),
]


@pytest.mark.parametrize("header,answer,kind", FORMS)
def test_headers_in_every_form(header, answer, kind):
    grade = graded(f'student,"{header}"\nann,{answer}\nbo,{answer}1\n')
    assert [(q.header, q.kind) for q in grade.questions] == [(header, kind)]
    assert [s.marks[0].status for s in grade.students] == [CORRECT, WRONG]


# Answers to each question of PROGRAM, labelled by hand: (text, right?) with None for unanswered.
LABELLED = {
    "value": [("4", True), ("4.0", True), ("-4", False), ("12", False), ("", None)],
    "a": [("2/3", True), ("0.667", True), ("0.66667", True), ("-2/3", False), ("6", False), ("-0.667", False),
          ("", None)],
    "d": [("4/3", True), ("1.333", True), ("108", False), ("108.0", False), ("-4/3", False), ("-1.333", False),
          ("", None)],
    "c": [("-2", True), ("-2.00", True), ("2", False), ("6/-3", True), ("6", False), ("", None)],
    "e.value": [("6", True), ("2/3", False), ("-6", False), ("", None)],
}


def _random_class(seed: int, students: int):
    rnd = random.Random(seed)
    rows, labels = [], []
    for s in range(students):
        picks = {q: rnd.choice(options) for q, options in LABELLED.items()}
        rows.append(f"s{s}," + ",".join(text for text, _ in picks.values()))
        labels.append(picks)
    return "student," + ",".join(LABELLED) + "\n" + "\n".join(rows) + "\n", labels


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summary_matches_an_independent_count(seed):
    text, labels = _random_class(seed, 300)
    grade = graded(text)
    for k, question in enumerate(LABELLED):
        expected = Counter({True: CORRECT, False: WRONG, None: UNANSWERED}[right] for pick in labels
                           for q, (_, right) in pick.items() if q == question)
        summary = grade.summary[k]
        assert summary.question.header == question
        assert {s: n for s, n in summary.counts.items() if n} == dict(expected)
        # the most common wrong answers: the same number however written (108 and 108.0) is one answer
        wrong = Counter(Fraction(_number(pick[question][0])) for pick in labels if pick[question][1] is False)
        ranked = wrong.most_common()
        assert summary.wrong_distinct == len(wrong)
        assert [w.count for w in summary.common_wrong] == [n for _, n in ranked[:3]]
        for w in summary.common_wrong:
            assert wrong[Fraction(_number(w.text))] == w.count
            assert len(w.lines) == w.count
    for student, pick in zip(grade.students, labels):
        assert student.score == sum(1 for _, right in pick.values() if right)


def _number(text: str) -> Fraction:
    """The hand-written answers of LABELLED as numbers (a fraction, a decimal or an integer)."""
    if "/" in text:
        num, den = text.split("/")
        return Fraction(int(num), int(den))
    return Fraction(text)


def test_each_distinct_answer_is_graded_once():
    """A class where everyone writes one of three answers grades three answers, not one per student."""
    import backprop_cli.teaching.classroom as classroom

    calls = []
    original = classroom.grade

    def counting(result, items, *args, **kwargs):
        calls.append(len(items))
        return original(result, items, *args, **kwargs)

    text = "student,d\n" + "".join(f"s{k},{['4/3', '108', '1.333'][k % 3]}\n" for k in range(900))
    classroom.grade = counting
    try:
        grade = graded(text)
    finally:
        classroom.grade = original
    assert calls == [3]
    assert grade.summary[0].counts[CORRECT] == 600 and grade.summary[0].counts[WRONG] == 300


def test_a_question_nobody_could_answer_still_has_its_true_value():
    grade = graded("student,value,a\nann,,\nbo,?,\n")
    assert [q.correct for q in grade.questions] == [4.0, pytest.approx(2 / 3)]
    assert [s.counts[UNANSWERED] for s in grade.summary] == [1, 2]
    assert grade.summary[0].counts[UNREADABLE] == 1


def test_tolerance_applies_to_every_cell():
    grade = graded("student,a\nann,0.7\nbo,0.9\n", tolerance=0.1)
    assert [s.marks[0].status for s in grade.students] == [CORRECT, WRONG]  # |0.7 - 2/3| <= 0.1 * 2/3


# ------------------------------------------------------------------ diagnosis (teaching/diagnosis.py)

def test_the_seed_108_is_diagnosed_once_for_the_whole_class(monkeypatch):
    """108 for dg/dd is -f·d² = -(-12)·(-3)² (the quotient rule with d² multiplied instead of divided), and -4/3
    is f/d² (its sign dropped) or the sign flipped; the Diagnoser is built once for the class, and each
    listed wrong answer diagnosed once, however many students gave it."""
    import backprop_cli.teaching.diagnosis as diagnosis

    built, asked = [], []
    original = diagnosis.Diagnoser

    class Counting(original):
        def __init__(self, *args, **kwargs):
            built.append(1)
            super().__init__(*args, **kwargs)

        def diagnose(self, verdict):
            asked.append((verdict.target, verdict.expectation.answer.text))
            return super().diagnose(verdict)

    monkeypatch.setattr(diagnosis, "Diagnoser", Counting)
    rows = ["ann,108,4", "bo,108,4", "cy,108.0,-4", "di,-4/3,4", "ed,4/3,4", "fay,7,4"] * 50
    grade = graded("student,d,value\n" + "\n".join(f"{row.split(',')[0]}{k},{row.split(',', 1)[1]}"
                                                    for k, row in enumerate(rows)) + "\n")
    assert built == [1]
    assert sorted(asked) == [("d", "-4/3"), ("d", "108"), ("d", "7")]
    d = grade.summary[0]
    assert [(w.text, w.count) for w in d.common_wrong] == [("108", 150), ("-4/3", 50), ("7", 50)]
    first = d.common_wrong[0].diagnoses[0]
    assert first.mistake == "quotient-power-multiplied"
    assert first.value == 108
    assert first.expression.endswith("= 108")
    assert {x.mistake for x in d.common_wrong[1].diagnoses} >= {"quotient-sign-dropped"}
    assert d.common_wrong[2].diagnoses == ()  # nothing gives 7: said plainly, never a guess
    # a value asked has no diagnosis (the catalogue is of mistakes in derivatives): no line, not "none"
    assert [w.diagnoses for w in grade.summary[1].common_wrong] == [None]


def test_without_diagnosis_the_summary_still_lists_the_wrong_answers():
    grade = graded("student,d\nann,108\nbo,108\n", diagnose=False)
    assert [(w.text, w.count, w.diagnoses) for w in grade.summary[0].common_wrong] == [("108", 2, None)]
    assert grade.diagnosed is False
