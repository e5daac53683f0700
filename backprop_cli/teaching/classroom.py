"""Grading a whole class in one run (`backprop check --class FILE`): the class file, every answer, a summary.

Pure logic, no printing (render/class_report.py draws the result).

The class file is CSV, UTF-8 with or without a byte-order mark. Its first line that is not blank is the
header: the first cell names the student column (any text), each other cell is a target, written as
`--expect` writes it (`value`, `d`, `e.value`, `W[1, 0]`, ... read by answers.py, so every form it reads
works here). Then one row per student: an identifier, then an answer per target. The separator is the
comma, or the semicolon or the tab when the header holds more of those than commas (a spreadsheet set to
a language whose decimal mark is the comma writes `;`). Cells may be quoted as CSV quotes them.

- An empty cell is a question the student did not answer: `unanswered`, neither right nor wrong.
- A cell that is not an answer (`idk`, `0,67`, `2/3x`, a matrix of the wrong shape) is `unreadable`, with
  the reason: the student's other answers are graded, and it earns nothing.
- A row with more or fewer cells than the header, an empty identifier, or an identifier already used
  above is malformed: reported with its line number (the header is line 1 when it is the first line) and
  not graded; the other rows are. A row whose cells are all empty is skipped, as a blank line is.
- A header cell that is not a target, is empty, or repeats another, is a usage error naming the column.

Grading: the program is computed once (by the caller, as `check` does), and each distinct answer to each
question is graded once, by grading.grade, the rule of `--expect` (a class of 1,000 mostly writes the same
few answers). The summary counts each verdict per question and lists the most common wrong answers, a
wrong answer being the same number however written (`108` and `108.0`), each diagnosed once by
teaching/diagnosis.py (a wrong value is not: its catalogue is of mistakes in derivatives).
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

from ..base.errors import UsageError
from ..engine.tape import Tape
from .answers import GRADIENT, Expectation, expectations, read_target, resolve_target, split_expectation
from .grading import ACCEPTED, CORRECT, WRONG, Verdict, correct_value, grade

# CORRECT, ACCEPTED (one unit off a decimal's last digit) and WRONG are grading.py's verdicts; a cell adds two
UNANSWERED = "unanswered"  # an empty cell
UNREADABLE = "unreadable"  # a cell that is not an answer
STATUSES = (CORRECT, ACCEPTED, WRONG, UNANSWERED, UNREADABLE)
EARNS = (CORRECT, ACCEPTED)  # the verdicts that count in a student's score

COMMON_WRONG = 3  # wrong answers listed per question
SEPARATORS = (",", ";", "\t")


@dataclass(frozen=True)
class Row:
    """One student's row as written: the identifier, the line it starts on, an answer's text per question."""

    student: str
    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class ClassFile:
    name: str  # how messages call it: the path, or "standard input"
    student_header: str  # the first header cell, as written
    headers: tuple[str, ...]  # the targets, as written
    rows: tuple[Row, ...]
    problems: tuple[tuple[int, str], ...]  # (line, why) for each malformed row, in line order
    separator: str = ","
    header_line: int = 1


@dataclass(frozen=True)
class Question:
    header: str  # as written in the class file
    column: int  # its column in the class file, from 1 (the student column is 1)
    kind: str  # answers.VALUE, GRADIENT or NODE_VALUE
    name: str | None
    node: int
    correct: object = None  # the true value shown; None when no student's answer could be read
    example: Expectation | None = None  # a readable answer to it (what it is about: kind, name, index)


@dataclass(frozen=True)
class Mark:
    """One student's answer to one question and its verdict."""

    status: str  # one of STATUSES
    text: str  # as written ("" when unanswered)
    verdict: Verdict | None = None  # None when unanswered or unreadable
    error: str | None = None  # why an unreadable answer is not one (one line)


@dataclass(frozen=True)
class StudentGrade:
    student: str
    line: int
    marks: tuple[Mark, ...]

    @property
    def score(self) -> int:
        return sum(1 for mark in self.marks if mark.status in EARNS)


@dataclass(frozen=True)
class WrongAnswer:
    """A wrong answer to a question, as the students wrote it most often, how many did, and why it may be."""

    text: str
    count: int
    verdict: Verdict
    lines: tuple[int, ...]  # the lines of the students who gave it
    diagnoses: tuple | None = None  # diagnosis.Diagnosis records; None where no diagnosis could be made


@dataclass(frozen=True)
class QuestionSummary:
    question: Question
    counts: dict  # status -> how many students
    common_wrong: tuple[WrongAnswer, ...] = ()
    wrong_distinct: int = 0  # how many different wrong answers there were


@dataclass(frozen=True)
class ClassGrade:
    file: ClassFile
    questions: tuple[Question, ...]
    students: tuple[StudentGrade, ...]
    summary: tuple[QuestionSummary, ...]
    tolerance: float | None = None
    strict: bool = False
    diagnosed: bool = False  # whether the likely mistakes were looked for
    unreadable: tuple = field(default=(), repr=False)  # (line, student, header, text, why) per unreadable cell

    @property
    def problems(self) -> tuple[tuple[int, str], ...]:
        return self.file.problems


# ---------------------------------------------------------------- reading


def decode(data: bytes, name: str) -> str:
    """The text of a class file: UTF-8, a byte-order mark dropped; anything else is a usage error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UsageError(f"the class file {name} is not UTF-8 text (byte {err.start}); save it as CSV UTF-8") \
            from None


def _show(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def _separator(header: str) -> str:
    """The comma, unless the header line holds more semicolons or tabs (outside quotes) than commas."""
    outside, quoted = [], False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(ch)
    counts = {sep: outside.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])  # (max keeps the first of a tie: the comma)
    return best if counts[best] > counts[","] else ","


def _records(text: str, separator: str, first_line: int):
    """(line the record starts on, its cells, or a CSV error message) for each record of `text`."""
    stream = io.StringIO(text, newline="")  # lines end at \n, \r\n or \r only, and quoted ones stay whole
    reader = csv.reader(stream, delimiter=separator)
    previous = 0
    while True:
        start = first_line + previous
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            previous = reader.line_num
            yield start, None, str(err).split(" - ")[0]
            continue
        previous = reader.line_num
        yield start, cells, None


def read_class(text: str, name: str) -> ClassFile:
    """Read a class file's text (already decoded): its header, its rows, and its malformed rows."""
    lines = text.split("\n")
    skipped = 0
    while skipped < len(lines) and not lines[skipped].strip(" \t\r\ufeff"):
        skipped += 1
    if skipped == len(lines):
        raise UsageError(f"the class file {name} is empty: its first line names the student column and the "
                         "questions (as in student,value,a,d), then one row per student")
    body = "\n".join(lines[skipped:])
    separator = _separator(lines[skipped])
    records = _records(body, separator, skipped + 1)
    header_line, header, error = next(records)
    if error is not None:
        raise UsageError(f"the header of the class file {name} (line {header_line}) is not CSV: {error}")
    header = [cell.strip() for cell in header]
    if len(header) < 2:
        raise UsageError(f"the header of the class file {name} (line {header_line}) has no question: after the "
                         f"student column, name a target a column (as in student,value,a,d)"
                         + (f"; it is {_show(header[0])}" if header and header[0] else ""))
    rows, problems, seen = [], [], {}
    width = len(header)
    for line, cells, error in records:
        if error is not None:
            problems.append((line, f"malformed row: not CSV ({error})"))
            continue
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue  # a blank line, or a spreadsheet's empty row
        if len(cells) != width:
            fewer = " (an unanswered question is an empty cell, as in alice,,4/3)" if len(cells) < width else ""
            problems.append((line, f"malformed row: {len(cells)} cell{'s' * (len(cells) != 1)}, and the header "
                                   f"has {width}{fewer}"))
            continue
        student = cells[0]
        if not student:
            problems.append((line, f"malformed row: the student column ({_show(header[0] or 'the first')}) "
                                   "is empty"))
            continue
        if student in seen:
            problems.append((line, f"malformed row: the student {_show(student)} is already at line "
                                   f"{seen[student]}; each student has one row"))
            continue
        seen[student] = line
        rows.append(Row(student, line, tuple(cells[1:])))
    return ClassFile(name, header[0], tuple(header[1:]), tuple(rows), tuple(problems), separator, header_line)


# ---------------------------------------------------------------- the questions


def questions(tape: Tape, class_file: ClassFile) -> tuple[Question, ...]:
    """Each header cell resolved against the program, as a target of `--expect` (in any of its forms); a cell
    that is not one, is empty, or asks what another column asks (`a` and `dg/da`) is a usage error naming
    its column."""
    out, seen = [], {}
    for k, header in enumerate(class_file.headers):
        column = k + 2
        where = f"the class file {class_file.name}, column {column} of the header"
        if not header:
            raise UsageError(f"{where} is empty: name a target (value, an input or intermediate name, NAME.value)")
        if "=" in header:
            raise UsageError(f"{where}, {_show(header)}, holds '=': a header cell names what is answered "
                             "(as d or e.value), and the rows hold the answers")
        target = read_target(split_expectation(f"{header}=0", where)[0])
        kind, name, node = resolve_target(tape, target, where)
        index = None if target.index is None else tuple(int(part) for part in target.index.split(","))
        if (kind, node, index) in seen:
            raise UsageError(f"{where}, {_show(header)}, asks what column {seen[kind, node, index]} asks; name each "
                             "question once")
        seen[kind, node, index] = column
        out.append(Question(header, column, kind, name, node))
    return tuple(out)


# ---------------------------------------------------------------- grading


def _first_line(message: str) -> str:
    return message.split("\n", 1)[0]


def _untracked(items, what: str = "", total: int | None = None, unit: str = ""):
    return items  # the default `track`: no progress bar (check passes render/progress.py's)


def grade_class(result, truth, class_file: ClassFile, tolerance: float | None = None, strict: bool = False,
                diagnose: bool = True, track=_untracked) -> ClassGrade:
    """Grade every row of a class file against one computed program (`result` shown, `truth` compared with,
    as check's _results and _tensor_results give them); `strict` as --strict (accepted is wrong); `track(items,
    what)` wraps the loops over the students (a progress bar's)."""
    tape = result.tape
    asked = questions(tape, class_file)
    # Each distinct (question, answer text) is read and graded once.
    readable: dict[tuple[int, str], int] = {}  # -> its position in `items`
    unreadable: dict[tuple[int, str], str] = {}
    items: list[Expectation] = []
    for row in track(class_file.rows, "reading the answers", unit="students"):
        for q, text in enumerate(row.cells):
            key = (q, text)
            if not text or key in readable or key in unreadable:
                continue
            where = f"{class_file.name} line {row.line}"
            try:
                (expectation,) = expectations(tape, [(f"{asked[q].header}={text}", where)])
            except UsageError as err:
                unreadable[key] = _first_line(err.message).removeprefix(f"{where}: ")
                continue
            readable[key] = len(items)
            items.append(expectation)
    verdicts = grade(result, items, tolerance, truth=truth, strict=strict).verdicts if items else ()
    asked = tuple(_with_correct(question, q, readable, verdicts, result) for q, question in enumerate(asked))

    students, problems_seen = [], []
    for row in track(class_file.rows, "marking", unit="students"):
        marks = []
        for q, text in enumerate(row.cells):
            if not text:
                marks.append(Mark(UNANSWERED, ""))
            elif (q, text) in readable:
                verdict = verdicts[readable[q, text]]
                marks.append(Mark(verdict.status, text, verdict))
            else:
                why = unreadable[q, text]
                marks.append(Mark(UNREADABLE, text, None, why))
                problems_seen.append((row.line, row.student, asked[q].header, text, why))
        students.append(StudentGrade(row.student, row.line, tuple(marks)))
    diagnoser = _diagnoser(result, truth) if diagnose else None
    summary = tuple(_summary(question, q, students, diagnoser) for q, question in enumerate(asked))
    return ClassGrade(class_file, asked, tuple(students), summary, tolerance, strict, diagnoser is not None,
                      tuple(problems_seen))


def _with_correct(question: Question, q: int, readable: dict, verdicts: Sequence[Verdict], result) -> Question:
    """The question with its true value: from the verdict on any readable answer to it, or, in a program of
    numbers where nobody's could be read, as grading reads it (a tensor element's index comes with an answer)."""
    for (column, _), position in readable.items():
        if column == q:
            verdict = verdicts[position]
            return Question(question.header, question.column, question.kind, question.name, question.node,
                            verdict.correct, verdict.expectation)
    if getattr(result, "tensor", False):
        return question
    probe = Expectation(question.header, question.kind, question.name, question.node, None, "")
    return Question(question.header, question.column, question.kind, question.name, question.node,
                    correct_value(result, probe))


def _same_answer(verdict: Verdict):
    """What makes two wrong answers the same: their number (108 and 108.0 are one answer), their elements'
    numbers for a tensor, or the word (`undefined`)."""
    e = verdict.expectation
    if e.elements:
        return ("elements", tuple(element.answer.value for element in e.elements))
    if e.answer.value is None:
        return ("word", e.answer.text.lower())
    return ("number", Fraction(e.answer.value))


def _summary(question: Question, q: int, students: Sequence[StudentGrade], diagnoser) -> QuestionSummary:
    counts = dict.fromkeys(STATUSES, 0)
    groups: dict = {}  # same answer -> (Counter of its spellings, its first verdict, lines)
    keys: dict = {}  # an answer's text -> its key (computed once: most students share their answers)
    for student in students:
        mark = student.marks[q]
        counts[mark.status] += 1
        if mark.status != WRONG:
            continue
        key = keys.get(mark.text)
        if key is None:
            key = keys[mark.text] = _same_answer(mark.verdict)
        if key not in groups:
            groups[key] = (Counter(), mark.verdict, [])
        spellings, _, lines = groups[key]
        spellings[mark.text] += 1
        lines.append(student.line)
    ranked = sorted(groups.values(), key=lambda group: -len(group[2]))  # (stable: the first seen first in a tie)
    common = []
    for spellings, verdict, lines in ranked[:COMMON_WRONG]:
        text = spellings.most_common(1)[0][0]
        diagnoses = _diagnose(diagnoser, verdict)
        common.append(WrongAnswer(text, len(lines), verdict, tuple(lines), diagnoses))
    return QuestionSummary(question, counts, tuple(common), len(groups))


# ---------------------------------------------------------------- diagnosis (teaching/diagnosis.py)


def _diagnoser(result, truth):
    """A Diagnoser for the program, built once for the class (its tables are built per question, lazily)."""
    from .diagnosis import Diagnoser

    return Diagnoser(result, truth)


def _diagnose(diagnoser, verdict: Verdict):
    """The likely mistakes behind a wrong gradient; None where none is looked for (a value asked: the
    catalogue is of mistakes in derivatives)."""
    if diagnoser is None or verdict.kind != GRADIENT:
        return None
    return tuple(diagnoser.diagnose(verdict))


# ---------------------------------------------------------------- totals


def status_counts(grade: ClassGrade) -> dict:
    """Over the whole class: how many answers had each verdict."""
    totals = dict.fromkeys(STATUSES, 0)
    for summary in grade.summary:
        for status, count in summary.counts.items():
            totals[status] += count
    return totals


def undefined_questions(grade: ClassGrade) -> list[Question]:
    """The questions whose true value does not exist at the point (check exits 4 for them)."""
    from ..base.undefined import Undefined

    return [q for q in grade.questions if type(q.correct) is Undefined]
