"""The parts of `backprop check`'s output that are particular to vectors and matrices (check_view.py calls them).

A tensor answer's row in the answers table shows what was given and the correct tensor (in full when
small, else abbreviated with its shape, as eval's tables do); under the table, each wrong one has a
section: which elements are wrong, what was given there, the correct value, by how much and the rule
(at most WRONG_LISTED of them, then how many more), whether the answer is the transpose of the right
one, and the local rule the gradient is computed by, at tensor level (`∂L/∂W = ∂L/∂D · Xᵀ`). Nothing
here computes: the verdicts come from teaching/grading.py.
"""
from __future__ import annotations

from rich import box
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..base.numbers import format_number
from ..engine.values import nested
from ..teaching.answers import GRADIENT, TENSOR_ANSWER
from ..teaching.grading import Verdict
from .tables import whole_words
from .tensor_tables import nested_text

WRONG_LISTED = 8  # wrong elements listed per answer; past this, how many more
RULES_LISTED = 20  # local rules listed for how a gradient is computed; past this, how many more


GIVEN_WIDTH = 80  # a `Given:` line longer than this has an input a line


def given_lines(result, digits: int | None) -> list[str]:
    """`Given:   W = [[1, 2], [3, 4]], x = [1, 2]`: each value abbreviated with its shape when big, and one
    input a line when they do not fit on one."""
    tape = result.tape
    values = [f"{name} = {nested_text(value, digits, result.shape(tape.inputs[name]))}"
              for name, value in result.inputs.items()]
    line = "Given:   " + (", ".join(values) or "no inputs")
    if len(line) <= GIVEN_WIDTH:
        return [line]
    return [f"{'Given:' if k == 0 else '':9}{value}" for k, value in enumerate(values)]


def is_tensor_answer(verdict: Verdict) -> bool:
    return verdict.expectation.answer.form == TENSOR_ANSWER


def given_text(verdict: Verdict, digits: int | None) -> str:
    """What the student wrote: as written, each element as typed (abbreviated like a value when big)."""
    e = verdict.expectation
    if not is_tensor_answer(verdict):
        return e.answer.text
    return nested_text(nested(e.shape, [element.answer.text for element in e.elements]), digits, e.shape, write=str)


def correct_text(verdict: Verdict, digits: int | None) -> str:
    e = verdict.expectation
    if not is_tensor_answer(verdict):
        return format_number(verdict.correct, digits)
    return nested_text(nested(e.shape, list(verdict.correct)), digits, e.shape)


def wrong_count(verdict: Verdict) -> str:
    """`1 of 6 elements wrong`."""
    n, wrong = len(verdict.elements), len(verdict.wrong_elements)
    return f"{wrong} of {n} element{'s' * (n != 1)} wrong"


def _signed(value, digits: int | None) -> str:
    text = format_number(value, digits)
    return text if text.startswith(("-", "—")) or text == "0" else "+" + text


def elements_table(verdict: Verdict, digits: int | None) -> Table:
    """The wrong elements of a tensor answer: given, correct, off by (given - correct), rule."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header, justify in (("element", "left"), ("given", "right"), ("correct", "right"), ("off by", "right"),
                            ("rule", "left")):
        table.add_column(header, justify=justify, overflow="fold")
    for v in verdict.wrong_elements[:WRONG_LISTED]:
        off = v.off_by
        table.add_row(Text(v.target), Text(v.expectation.answer.text), Text(format_number(v.correct, digits)),
                      Text("—" if off is None else _signed(off, 3)), Text(v.rule, style="dim"))
    return whole_words(table)


def computed_by(result, verdict: Verdict) -> tuple[list[str], int]:
    """How the correct tensor is computed, one line per way: the local rules at tensor level that send a
    gradient to the node (`∂L/∂W = ∂L/∂D · Xᵀ   (in D = W @ X)`), or the node's forward expression; the
    first RULES_LISTED of them, and how many there are (a bias shared by every layer of a 100,000-node MLP
    gets 33,333, a list no one reads)."""
    tape = result.tape
    e = verdict.expectation
    node = e.node
    if e.kind != GRADIENT:
        if tape.nodes[node].op in ("input", "const"):
            return [], 0
        return [f"{tape.label(node)} = {tape.expression(node)}"], 1
    if node == tape.output:
        return [], 0
    lines, total = [], 0
    for consumer, _ in result.received()[node]:
        for argument, text in result.rules(consumer):
            if argument == node:
                total += 1
                if len(lines) < RULES_LISTED:
                    lines.append(f"{text}   (in {tape.label(consumer)} = {tape.expression(consumer)})")
    return lines, total


def more_rules(result, verdict: Verdict, shown: int, total: int) -> list[str]:
    """The line saying how many local rules computed_by left out, if it left any out."""
    if total <= shown:
        return []
    name = result.tape.label(verdict.expectation.node)
    return [f"... and {total - shown:,} more (`backprop explain --wrt {name}` works out each)"]


def wrong_section(result, verdict: Verdict, what: str, digits: int | None) -> Group:
    """For a wrong tensor answer: its wrong elements, whether it is the transpose, and how it is computed."""
    title = Text()
    title.append(f"{what}: {wrong_count(verdict)}", style="bold")
    title.append(f" (you wrote {verdict.target}={verdict.expectation.answer.text}):"
                 if len(verdict.expectation.answer.text) <= 60 else ":")
    parts: list = [elements_table(verdict, digits)]
    more = len(verdict.wrong_elements) - WRONG_LISTED
    if more > 0:
        parts.append(Text(f"... and {more} more (--json lists every element)"))
    if verdict.transposed:
        parts.append(Text(f"Your answer is the transpose of {what}: each element is right in the mirrored place. "
                          "Check the order of the factors and the transposes."))
    lines, total = computed_by(result, verdict)
    if lines:
        parts.append(Text(("It is computed by " if total == 1 else "It is the sum of ") + "the local "
                          f"rule{'s' * (total != 1)}:"))
        parts += [Padding(Text(line), (0, 0, 0, 2)) for line in lines + more_rules(result, verdict, len(lines), total)]
    return Group(title, *(_indented(part) for part in parts))


def _indented(part) -> Padding:
    """A part of a section shifted two columns to the right, under its title (wrapped lines too)."""
    return Padding(part, (0, 0, 0, 2), expand=False)
