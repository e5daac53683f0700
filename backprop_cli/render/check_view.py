"""Rich output of `backprop check`: the answers table, the rule, the steps of wrong answers, the verdict.

Every cell is a rich.text.Text, so user text such as `[x]` is never read as markup. A program with vectors
or matrices has its own parts, from check_tensors.py: tensors in the heading and the table, and for a
wrong answer its wrong elements and its local rule instead of explain's steps.
"""
from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..base.numbers import format_number
from ..base.undefined import Undefined
from ..engine.compute import Result
from ..teaching import checking
from ..teaching.answers import GRADIENT, VALUE
from ..teaching.grading import ACCEPTED, CORRECT, WRONG, Grade, Verdict, rule_statement
from .tables import kink_notes, whole_words

GOOD_STYLE = "green"
BAD_STYLE = "bold red"
ACCEPTED_STYLE = "yellow"
# The verdict column: a mark and the word, readable without colour
MARKS = {CORRECT: ("✓ correct", GOOD_STYLE), ACCEPTED: ("~ accepted", ACCEPTED_STYLE), WRONG: ("✗ wrong", BAD_STYLE)}
NOTES_LISTED = 8  # accepted elements of one tensor answer given a note; past this, how many more
DIM = "dim"
# Rows of the answers table: past this many answers, the correct ones past the first are left out (the wrong
# and accepted ones are always shown) and a line says how many; --json has every answer (issue 16: a Rich table
# of 18,000 rows took most of check's time and is no table to read).
MAX_ANSWER_ROWS = 200
IDS_LISTED = 24  # unnamed node ids named in the heading; a bigger program's are elided in the middle


def output_symbol(result: Result) -> str:
    """How the output is called in ∂out/∂x: its name, or its node id for a bare expression."""
    tape = result.tape
    return tape.output_name or tape.label(tape.output)


def meaning(result: Result, verdict: Verdict) -> str:
    """What an answer is an answer to: `∂g/∂d`, `value of g`, `value of e` (`∂L/∂W[1, 0]` for an element)."""
    e = verdict.expectation
    at = "[" + ", ".join(map(str, e.index)) + "]" if e.index else ""
    if e.kind == GRADIENT:
        return f"∂{output_symbol(result)}/∂{e.name}{at}"
    if e.kind == VALUE:
        return f"value of {output_symbol(result)}{at}"
    return f"value of {e.name}{at}"


def _row_digits(verdict: Verdict, digits: int | None) -> int | None:
    """A decimal answer is compared with as many digits as it was written with, and one more (a tensor's
    decimals: as many as its longest)."""
    if digits is None:
        return digits
    answers = [v.expectation.answer for v in verdict.elements] or [verdict.expectation.answer]
    written = [len(a.text.lstrip("+-").split("e")[0].split("E")[0].replace(".", "").lstrip("0"))
               for a in answers if a.form == "decimal"]
    if not written:
        return digits
    return min(17, max(digits, max(written) + 1))


def heading(result: Result, digits: int | None) -> list[Text]:
    """`Program: ...` and `Given: ...`, as explain writes them."""
    tape = result.tape
    lines = [line.rstrip() for line in tape.source.strip("\n").splitlines() if line.strip()]
    if len(lines) == 1 and len(lines[0]) <= 200:
        out = [Text(f"Program: {lines[0].strip()}")]
    elif 1 < len(lines) <= 12 and all(len(line) <= 100 for line in lines):
        out = [Text("Program:")] + [Text(f"  {line}") for line in lines]
    else:
        out = [Text(f"Program: {len(lines)} lines, {len(tape.nodes)} nodes, output {output_symbol(result)}")]
    if result.tensor:  # vectors and matrices: abbreviated when big, an input a line when they do not fit on one
        from .check_tensors import given_lines

        out += [Text(line) for line in given_lines(result, digits)]
    else:
        given = ", ".join(f"{name} = {format_number(v, digits)}" for name, v in result.inputs.items())
        out.append(Text(f"Given:   {given or 'no inputs'}"))
    out += [Text(f"Note: {reading}.", style=DIM) for reading in tape.notes]  # how 1/2x was read
    unnamed = [node.id for i, node in enumerate(tape.nodes)
               if node.display_name is None and node.op not in ("input", "const")
               and (i == tape.output or result.grads[i] is not None)]
    if unnamed:
        if len(unnamed) > IDS_LISTED + 1:  # a big program: the ids run from the first to the last, in order
            ids = f"{', '.join(unnamed[:IDS_LISTED])}, ... ({len(unnamed) - IDS_LISTED - 1:,} more), {unnamed[-1]}"
        else:
            ids = ", ".join(unnamed)
        sentence = ("Intermediate results the program does not name are called by their node ids (as in "
                    f"`backprop eval`): {ids}.")
        if tape.output_name is None:
            sentence += f" The output is {output_symbol(result)}."
        out.append(Text(sentence, style=DIM))
    return out


def answers_table(result: Result, grade: Grade, digits: int | None) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header, justify in (("answer", "left"), ("is", "left"), ("given", "right"), ("correct", "right"),
                            ("", "left"), ("rule", "left")):
        table.add_column(header, justify=justify, overflow="fold")  # never cut a number short with …
    for v in shown_verdicts(grade):
        mark = Text(*MARKS[v.status])
        if result.tensor:
            from .check_tensors import correct_text, given_text

            cells = (meaning(result, v), given_text(v, digits), correct_text(v, _row_digits(v, digits)))
        else:
            cells = (meaning(result, v), v.expectation.answer.text, format_number(v.correct, _row_digits(v, digits)))
        table.add_row(Text(v.target), *map(Text, cells), mark, Text(v.rule, style=DIM))
    return whole_words(table)


def shown_verdicts(grade: Grade) -> list[Verdict]:
    """The answers the table shows, in their order: all of them up to MAX_ANSWER_ROWS; past that every one
    that is not correct and the first correct ones, up to MAX_ANSWER_ROWS rows in all (or more, if more are
    not correct)."""
    verdicts = grade.verdicts
    if len(verdicts) <= MAX_ANSWER_ROWS:
        return list(verdicts)
    room = max(0, MAX_ANSWER_ROWS - sum(1 for v in verdicts if v.status != CORRECT))
    shown = []
    for v in verdicts:
        if v.status != CORRECT:
            shown.append(v)
        elif room:
            shown.append(v)
            room -= 1
    return shown


def rows_left_out(grade: Grade) -> list[Text]:
    """The line under a capped answers table: how many correct answers it leaves out, and where they are."""
    left_out = len(grade.verdicts) - len(shown_verdicts(grade))
    if not left_out:
        return []
    return [Text(f"{left_out:,} more correct answers are not shown: the table shows at most {MAX_ANSWER_ROWS} "
                 "rows, every answer that is not correct among them (--json lists every answer).", style=DIM)]


def _names(result: Result, verdicts) -> str:
    names = [meaning(result, v) for v in verdicts]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _summary(grade: Grade) -> Text:
    """`Verdict: 3 answers: 1 correct, 1 accepted (a), 1 wrong (d).`, or `Verdict: 2 of 2 answers are correct.`"""
    count = len(grade.verdicts)
    wrong, accepted = grade.wrong, grade.accepted
    if not wrong and not accepted:
        return Text(f"Verdict: {count} of {count} answer{'s are' if count != 1 else ' is'} correct.", style=GOOD_STYLE)
    parts = [f"{grade.count(CORRECT)} correct"]
    if accepted:
        parts.append(f"{len(accepted)} accepted ({', '.join(v.target for v in accepted)})")
    if wrong:
        parts.append(f"{len(wrong)} wrong ({', '.join(v.target for v in wrong)})")
    strict = " (--strict: one unit off the last digit is wrong)" if grade.strict and any(
        v.note for v in wrong) else ""
    return Text(f"Verdict: {count} answer{'s' * (count != 1)}: {', '.join(parts)}.{strict}",
                style=BAD_STYLE if wrong else ACCEPTED_STYLE)


def accepted_notes(grade: Grade) -> list[Text]:
    """Under the table: why each decimal one unit off its last digit is accepted, not correct (or, with --strict,
    wrong): which digit is off and what correct rounding gives."""
    lines = []
    for v in grade.verdicts:
        if v.note:
            lines.append(f"{v.target}: {v.note}.")
        noted = [element for element in v.elements if element.note]
        for element in noted[:NOTES_LISTED]:
            lines.append(f"{element.target}: {element.note}.")
        if len(noted) > NOTES_LISTED:
            lines.append(f"{v.target}: ... and {len(noted) - NOTES_LISTED} more elements one unit off their last "
                         "digit (--json has a note for each)")
    return [Text(line, style=ACCEPTED_STYLE) for line in lines]


def kink_lines(result: Result, grade: Grade, digits: int | None) -> list[Text]:
    """Where a graded gradient goes through a kink: the convention the grading used there, what the others give,
    and which wrong answers are right under another one."""
    from ..teaching.grading import KINKS_TOLD

    tape = result.tape
    lines = []
    for kink in grade.kinks[:KINKS_TOLD]:
        node = tape.nodes[kink.node]
        args = [tape.label(a) for a in node.args]
        default = " (the default)" if kink.convention == "pytorch" else ""
        used = ", ".join(f"∂{tape.label(kink.node)}/∂{arg} = {format_number(d, digits)}"
                         for arg, d in zip(args, kink.used) if d is not None)
        others = "; ".join(f"--convention {name} gives "  # (the table's numbers: fractions; floats, as shown)
                           + _and([format_number(d if result.exact else float(d), digits)
                                   for d in numbers if d is not None])
                           for name, numbers in kink.others)
        answers = _and([meaning(result, v) for v in kink.answers])
        text = (f"At a kink ({_kink_place(result, kink)}) this grading uses the {kink.convention} convention"
                f"{default}: {used}" + (f"; {others}" if others else "") + f". {answers} "
                f"{'goes' if len(kink.answers) == 1 else 'go'} through it.")
        lines.append(Text(text, style=ACCEPTED_STYLE))
    if len(grade.kinks) > KINKS_TOLD:
        lines.append(Text(f"... and {len(grade.kinks) - KINKS_TOLD} more kinks that graded gradients go through.",
                          style=ACCEPTED_STYLE))
    for target, conventions in grade.right_under:
        lines.append(Text(f"Your answer {target} is right under "
                          + _and([f"--convention {name}" for name in conventions], " or ") + "."))
    return lines


def _kink_place(result: Result, kink) -> str:
    """`max(a, b) with a = b`, `relu(v2) at v2 = 0`: the node's expression and where it sits on its kink."""
    tape = result.tape
    node = tape.nodes[kink.node]
    expression = f"{tape.label(kink.node)} = {tape.expression(kink.node)}" if node.name else tape.expression(
        kink.node)
    tied = [tape.label(a) for a, (left, right) in zip(node.args, kink.one_sided) if left != right]
    if node.op in ("max", "min") and len(tied) > 1:
        return f"{expression} with {' = '.join(tied)}"
    arg = node.args[0]
    return f"{expression} at {tape.label(arg)} = {format_number(result.values[arg], None)}"


def _and(items: list[str], last: str = " and ") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]


def verdict_lines(result: Result, grade: Grade, digits: int | None) -> list[Text]:
    wrong = grade.wrong
    lines = [_summary(grade)]
    if not wrong:
        return lines
    first = grade.first_wrong
    if first is not None and grade.gradient_answers > 1:
        text = f"First wrong step in backward order: {meaning(result, first)} ({_wrote(first, digits)}). "
        if grade.right_before:
            text += (f"Your gradients between it and the output, {_names(result, grade.right_before)}, "
                     "are right: the path went off at this step.")
        else:
            text += "It is the first gradient you answered on its path from the output."
        if grade.carried:
            text += (f" {_names(result, grade.carried)} {'is' if len(grade.carried) == 1 else 'are'} computed "
                     "through it, so the same mistake may be carried along.")
        if len(grade.separate) == 1:
            text += f" {_names(result, grade.separate)} is on another path: check it on its own."
        elif grade.separate:
            text += f" {_names(result, grade.separate)} are on other paths: check them on their own."
        lines.append(Text(text))
    value = grade.first_wrong_value
    if value is not None and first is not None:
        lines.append(Text(f"The forward pass already goes wrong at {value.target} ({_wrote(value, digits)}), and "
                          "the gradients are computed from the forward values: fix that first."))
    return lines


def _wrote(verdict: Verdict, digits: int | None) -> str:
    """`you wrote 108, it is 1.33333`; for a tensor answer, how many of its elements are wrong."""
    if verdict.elements:
        from .check_tensors import wrong_count

        return wrong_count(verdict)
    return f"you wrote {verdict.expectation.answer.text}, it is {format_number(verdict.correct, digits)}"


def steps_section(result: Result, verdict: Verdict, digits: int | None) -> Group:
    """The steps that lead to the correct value of a wrong answer: the chain rule, or the forward pass (for a
    program with vectors or matrices: the wrong elements, and the local rule at tensor level)."""
    if result.tensor:
        return _tensor_section(result, verdict, digits)
    from .check_steps import gradient_steps, value_steps

    e = verdict.expectation
    if e.kind == GRADIENT:
        what, lines = meaning(result, verdict), gradient_steps(result, e.name, digits)
    else:
        what, lines = result.tape.label(e.node), value_steps(result, e.node, digits)
    title = Text()
    missing = verdict.correct if type(verdict.correct) is Undefined else None
    if missing is not None:  # the steps up to where the number goes missing, then why
        title.append(f"Why {what} is {missing.word}", style="bold")
        lines = [*lines, f"{what} is {missing.word} because {missing.cause}"]
    else:
        title.append(f"How {what} = {format_number(verdict.correct, digits)} is found", style="bold")
    title.append(f" (you wrote {e.answer.text}):")
    return Group(title, Text("\n".join("  " + line for line in lines)))


def _tensor_section(result, verdict: Verdict, digits: int | None) -> Group:
    from .check_tensors import computed_by, more_rules, wrong_section

    if verdict.elements:
        return wrong_section(result, verdict, meaning(result, verdict), digits)
    title = Text()
    title.append(f"How {meaning(result, verdict)} = {format_number(verdict.correct, digits)} is found", style="bold")
    title.append(f" (you wrote {verdict.expectation.answer.text}):")
    lines, total = computed_by(result, verdict)
    lines += more_rules(result, verdict, len(lines), total)
    return Group(title, *(Text(f"  {line}") for line in lines or ["(it is given)"]))


def check_view(result: Result, grade: Grade, digits: int | None, diagnoses: dict | None = None) -> Group:
    parts = [*heading(result, digits), Text(""), answers_table(result, grade, digits), *rows_left_out(grade)]
    notes = accepted_notes(grade)
    if notes:
        parts += [Text(""), *notes]
    parts += [Text(""), Text(f"Rule: {rule_statement(grade.tolerance, grade.strict)}.", style=DIM)]
    if result.tensor:
        from .tensor_tables import kink_notes as tensor_kink_notes

        notes = tensor_kink_notes(result, digits)
    else:
        notes = kink_notes(result, digits)  # the true value at a kink is a convention: say whose
    notes += kink_lines(result, grade, digits)  # whose convention the graded answers got, and the others
    if notes:
        parts += [Text(""), *notes]
    for v in [v for v in grade.verdicts if not v.ok][:checking.MAX_EXPLAINED]:
        parts += [Text(""), steps_section(result, v, digits)]
        if diagnoses and v.target in diagnoses:  # the likely mistakes (teaching/diagnosis.py)
            from .diagnosis_text import diagnosis_view

            parts += diagnosis_view(diagnoses[v.target], v.expectation.answer.text)
    parts += steps_left_out(grade)
    parts += [Text("")] + verdict_lines(result, grade, digits)
    return Group(*parts)


def steps_left_out(grade: Grade) -> list[Text]:
    """The line after the steps of the first checking.MAX_EXPLAINED answers that are not right, when there are more."""
    more = sum(1 for v in grade.verdicts if not v.ok) - checking.MAX_EXPLAINED
    if more <= 0:
        return []
    return [Text(""), Text(f"The steps of {more:,} more answers that are not right are not shown: check shows them "
                           f"for the first {checking.MAX_EXPLAINED} (`backprop explain --wrt NAME` shows any one).",
                           style=DIM)]

