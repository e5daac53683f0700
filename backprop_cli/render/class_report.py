"""The output of `backprop check --class`: the class as tables, as one JSON document, or as a CSV gradebook.

The tables are made for a teacher reading a class of any size: one line per student, a mark per question
and the score, so 1,000 students are 1,000 lines that read down a column (who got d wrong?) and along a
row (how did bob do?), and that grep and sort; what each student wrote is in the class file, and the
answers that matter, the common wrong ones, are in the summary under it, with their diagnosis. When the
questions' names do not fit the width, the columns are numbered and a key names them.

Rich is imported by the tables only: --json and --csv load none of it. Every piece of user text (student
identifiers, answers) is a rich.text.Text, never markup, and on one line; in the
gradebook an identifier that a spreadsheet would read as a formula (=, +, -, @ first) is written with a
leading apostrophe, as OWASP advises against CSV injection.
"""
from __future__ import annotations

import csv
import io
from types import SimpleNamespace

from ..base.numbers import exact_text, format_number, json_number
from ..base.undefined import Undefined
from ..teaching.classroom import (
    ACCEPTED,
    CORRECT,
    STATUSES,
    UNANSWERED,
    UNREADABLE,
    WRONG,
    ClassGrade,
    Question,
)
from ..teaching.grading import rule_statement

MARKS = {CORRECT: "✓", ACCEPTED: "≈", WRONG: "✗", UNANSWERED: "·", UNREADABLE: "?"}
STYLES = {CORRECT: "green", ACCEPTED: "yellow", WRONG: "bold red", UNANSWERED: "dim", UNREADABLE: "magenta"}
WORDS = {CORRECT: "correct", ACCEPTED: "accepted", WRONG: "wrong",
         UNANSWERED: "unanswered", UNREADABLE: "not a number"}
UNREADABLE_LISTED = 20  # unreadable answers described under the tables; then how many more
GAP = "   "


# ---------------------------------------------------------------- tables


def meaning(result, question: Question) -> str:
    """What a question asks, as check's table says it: `∂g/∂d`, `value of g`."""
    from .check_view import meaning as check_meaning
    from ..teaching.answers import Expectation

    example = question.example
    if example is None:
        example = Expectation(question.header, question.kind, question.name, question.node, None, "")
    return check_meaning(result, SimpleNamespace(expectation=example))


def _correct_text(result, question: Question, digits: int | None) -> str:
    value = question.correct
    if isinstance(value, tuple):  # a whole tensor answered as nested lists
        from .check_tensors import correct_text

        return correct_text(SimpleNamespace(correct=value, expectation=question.example,
                                            elements=question.example.elements), digits)
    return format_number(value, digits) if value is not None else "—"


def shown(text: str) -> str:
    """User text on one line: a character that does not print (a newline in a quoted cell) as its escape."""
    return text if text.isprintable() else "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _cell_width(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _cell_width(text))


def students_table(grade: ClassGrade, width: int) -> list:
    """One line per student: the identifier, a mark per question, the score. Drawn by hand, not by
    rich.table: a Rich table of 1,000 rows takes 0.7 s to lay out, these lines 0.02 s."""
    from rich.text import Text

    headers = [q.header for q in grade.questions]
    count = len(headers)
    student_width = max([_cell_width(shown(grade.file.student_header or "student"))]
                        + [_cell_width(shown(s.student)) for s in grade.students])
    score_width = len(f"{count}/{count}")
    numbered = student_width + sum(_cell_width(h) + len(GAP) for h in headers) + len(GAP) + 5 > width
    titles = [str(k + 1) for k in range(count)] if numbered else headers
    widths = [max(1, _cell_width(t)) for t in titles]
    head = Text(_pad(shown(grade.file.student_header or "student"), student_width), style="bold")
    for title, w in zip(titles, widths):
        head.append(GAP + _pad(title, w), style="bold")
    head.append(GAP + "score".rjust(max(5, score_width)), style="bold")
    lines = [head, Text("─" * _cell_width(head.plain))]
    for student in grade.students:
        line = Text(_pad(shown(student.student), student_width))
        for mark, w in zip(student.marks, widths):
            line.append(GAP)
            line.append(MARKS[mark.status], style=STYLES[mark.status])
            line.append(" " * (w - 1))
        line.append(GAP + f"{student.score}/{count}".rjust(max(5, score_width)))
        lines.append(line)
    if not grade.students:
        lines.append(Text("(no student's row could be graded)", style="dim"))
    legend = Text("  ".join(f"{MARKS[s]} {WORDS[s]}" for s in STATUSES), style="dim")
    lines.append(legend)
    if numbered:
        lines.append(Text("Questions: " + ", ".join(f"{k + 1} = {h}" for k, h in enumerate(headers)), style="dim"))
    return lines


def summary_table(result, grade: ClassGrade, digits: int | None):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header, justify in (("question", "left"), ("is", "left"), ("correct", "right")):
        table.add_column(header, justify=justify, overflow="fold")
    for status in STATUSES:
        table.add_column(MARKS[status], justify="right")
    for summary in grade.summary:
        q = summary.question
        table.add_row(Text(q.header), Text(meaning(result, q)), Text(_correct_text(result, q, digits)),
                      *(Text(str(summary.counts[s])) for s in STATUSES))
    return table


def _students(n: int) -> str:
    return f"{n:,} student{'s' * (n != 1)}"


def wrong_answers(result, grade: ClassGrade, digits: int | None) -> list:
    """Per question with wrong answers: the most common ones, how many gave each, and their likely mistakes
    (written as check writes them, render/diagnosis_text.py)."""
    from rich.text import Text

    lines: list = []
    for summary in grade.summary:
        if not summary.common_wrong:
            continue
        q = summary.question
        more = summary.wrong_distinct - len(summary.common_wrong)
        what, correct = meaning(result, q), _correct_text(result, q, digits)
        title = Text(f"{what} = {correct}" if what == q.header else f"{q.header} ({what} = {correct})", style="bold")
        title.append(f": {summary.wrong_distinct} different wrong answers, the most common:" if more > 0 else ":")
        lines.append(title)
        answer_width = max(_cell_width(shown(w.text)) for w in summary.common_wrong)
        for wrong in summary.common_wrong:
            line = Text("  ")
            line.append(_pad(shown(wrong.text), answer_width), style="bold red")
            line.append(f"  {_students(wrong.count)}")
            lines.append(line)
            if wrong.diagnoses is not None:
                from .diagnosis_text import diagnosis_view

                lines += diagnosis_view(wrong.diagnoses, shown(wrong.text), indent=4)
    return lines


def unreadable_lines(grade: ClassGrade) -> list:
    """The answers marked ?, a line each (line, student, question, what was written); why each is not an
    answer is in --json, as `error`."""
    from rich.text import Text

    cells = grade.unreadable
    if not cells:
        return []
    lines = [Text(f"Answers that are not numbers, marked ? ({len(cells):,}; why, in --json):", style="bold")]
    for line, student, header, text, _why in cells[:UNREADABLE_LISTED]:
        row = Text(f"  line {line}, {shown(student)}, {header}: ")
        row.append(shown(text), style="magenta")
        lines.append(row)
    if len(cells) > UNREADABLE_LISTED:
        lines.append(Text(f"  ... and {len(cells) - UNREADABLE_LISTED:,} more"))
    return lines


def class_view(result, grade: ClassGrade, digits: int | None, width: int = 80):
    from rich.console import Group
    from rich.text import Text

    from .check_view import heading

    graded = len(grade.students)
    not_graded = len(grade.problems)
    class_line = f"Class:   {_students(graded)}, {len(grade.questions)} question" \
                 f"{'s' * (len(grade.questions) != 1)}, from {grade.file.name}"
    if not_graded:
        class_line += f" ({not_graded:,} malformed row{'s' * (not_graded != 1)} not graded: see standard error)"
    parts = [*heading(result, digits), Text(class_line), Text(""), *students_table(grade, width), Text(""),
             Text(f"Per question ({_students(graded)}):", style="bold"), summary_table(result, grade, digits)]
    wrong = wrong_answers(result, grade, digits)
    if wrong:
        parts += [Text(""), Text("Most common wrong answers:", style="bold"), *wrong]
    unreadable = unreadable_lines(grade)
    if unreadable:
        parts += [Text(""), *unreadable]
    parts += [Text(""), Text(f"Rule: {rule_statement(grade.tolerance, grade.strict)}.", style="dim")]
    return Group(*parts)


# ---------------------------------------------------------------- JSON


def _json_value(q: Question, write=json_number):
    """A question's true value: a number, or nested lists for a whole tensor."""
    if isinstance(q.correct, tuple):
        from ..engine.values import nested

        return nested(q.example.shape, [write(x) for x in q.correct])
    return write(q.correct)


def _question_entry(result, q: Question) -> dict:
    entry = {"name": q.header, "column": q.column, "kind": q.kind, "node": _node_name(result, q),
             "correct": _json_value(q), "correct_exact": _json_value(q, exact_text)}
    if type(q.correct) is Undefined:
        entry["undefined"] = q.correct.reason
    return entry


def _node_name(result, q: Question) -> str:
    """The node a question is about: its name, or its id (v7) for an unnamed output."""
    return q.name or result.tape.label(q.node)


def _diagnosis_entries(diagnoses):
    if diagnoses is None:
        return None
    from .diagnosis_text import diagnosis_entries

    return diagnosis_entries(diagnoses)


def class_document(result, grade: ClassGrade) -> dict:
    """The whole class as one document: the program, the questions, the students, then the summary."""
    tape = result.tape
    headers = [q.header for q in grade.questions]
    students = []
    for student in grade.students:
        answers = {}
        for header, mark in zip(headers, student.marks):
            entry = {"given": mark.text or None, "status": mark.status}
            if mark.error is not None:
                entry["error"] = mark.error
            answers[header] = entry
        students.append({"student": student.student, "line": student.line, "score": student.score,
                         "answers": answers})
    summary = []
    for s in grade.summary:
        summary.append({
            "name": s.question.header,
            **{status: s.counts[status] for status in STATUSES},
            "wrong_distinct": s.wrong_distinct,
            "common_wrong": [{"given": w.text, "count": w.count, "lines": list(w.lines),
                              "diagnoses": _diagnosis_entries(w.diagnoses)} for w in s.common_wrong],
        })
    return {
        "program": tape.source,
        "output": tape.output_name,
        "inputs": {name: _input(result, name, value) for name, value in result.inputs.items()},
        "convention": result.convention,
        "rule": rule_statement(grade.tolerance, grade.strict),
        "tolerance": grade.tolerance,
        "strict": grade.strict,
        "class": {"file": grade.file.name, "student_column": grade.file.student_header,
                  "students": len(grade.students), "not_graded": len(grade.problems)},
        "questions": [_question_entry(result, q) for q in grade.questions],
        "students": students,
        "summary": summary,
        "problems": [{"line": line, "message": message} for line, message in grade.problems],
    }


def _input(result, name: str, value):
    if getattr(result, "tensor", False):
        from .tensor_json import nested_numbers

        return nested_numbers(result, value, result.shape(result.tape.inputs[name]))
    return json_number(value)


# ---------------------------------------------------------------- CSV gradebook


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def gradebook(grade: ClassGrade) -> str:
    """One row per student: the identifier, a verdict word per question, the score (answers that earn)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(grade.file.student_header or "student"), *(q.header for q in grade.questions),
                     "score"])
    for student in grade.students:
        writer.writerow([_cell(student.student), *(mark.status for mark in student.marks), student.score])
    return out.getvalue()
