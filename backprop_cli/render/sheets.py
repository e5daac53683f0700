"""The files of an exercise set (`backprop generate`): the student sheet in Markdown and LaTeX, the
answer key around `backprop explain`'s worked solutions, and one answers file per exercise.

Pure functions of the `ExerciseSet` (teaching/exercises.py) and, for the key, of the worked solutions
the command had `explain` write. Every text that reaches LaTeX goes through render/latex.py (names,
expressions, escape_text), every text that reaches Markdown through escape_markdown or a code span.
"""
from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..teaching.exercises import Exercise, ExerciseSet
from .explain import escape_markdown, markdown_sentence
from .latex import escape_text, latex_expression, latex_name

SHEET_MD, SHEET_TEX, KEY_MD = "sheet.md", "sheet.tex", "key.md"

HOW_TO_ANSWER = ("Give each answer exactly: a whole number, a decimal or a fraction (3/64); a decimal "
                 "rounded correctly is right too.")
VECTORS = " The value or the gradient of a vector is a vector, written as a list: [1/2, 0, -1/2]."


def _how_to_answer(exercises: ExerciseSet) -> str:
    vectors = any(text.startswith("[") for e in exercises.exercises for _, text in e.draft.given)
    return HOW_TO_ANSWER + (VECTORS if vectors else "")


def answers_name(exercise: Exercise, count: int) -> str:
    """answers-1.txt, or answers-01.txt in a set of 10 or more, so the files sort in order."""
    return f"answers-{str(exercise.number).zfill(len(str(count)))}.txt"


def generate_command(exercises: ExerciseSet) -> str:
    count = len(exercises.exercises)
    return (f"backprop generate {shlex.quote(exercises.template)} --seed {exercises.seed}"
            + (f" --count {count}" if count > 1 else ""))


def command_line(command: str, exercise: Exercise, *extra: str) -> str:
    """The shell command that runs `command` (explain, check) on the exercise, quoted for a POSIX shell."""
    words = ["backprop", command, exercise.program, *exercise.bindings, *extra]
    return " ".join(shlex.quote(word) for word in words)


def output_name(exercise: Exercise) -> str:
    return exercise.draft.statements[-1].partition("=")[0].strip()


def _asks(exercise: Exercise) -> list[tuple[str, str]]:
    """(kind, name) of each target: ("value", L), ("gradient", w1)."""
    out = output_name(exercise)
    asks = []
    for target in exercise.draft.targets:
        if target == "value":
            asks.append(("value", out))
        elif target.endswith(".value"):
            asks.append(("value", target[:-len(".value")]))
        else:
            asks.append(("gradient", target))
    return asks


def _answer_names(exercise: Exercise) -> str:
    return ", ".join(f"{target}=" for target in exercise.draft.targets)


# ---------------------------------------------------------------------------------------------
# Markdown

def _md_task(exercise: Exercise) -> str:
    out = output_name(exercise)
    values = [f"the value of {escape_markdown(name)}" for kind, name in _asks(exercise) if kind == "value"]
    grads = [escape_markdown(f"∂{out}/∂{name}") for kind, name in _asks(exercise) if kind == "gradient"]
    parts = [", ".join(values)] if values else []
    if grads:
        parts.append("the gradients " + ", ".join(grads))
    return " and ".join(parts) + "."


def markdown_sheet(exercises: ExerciseSet) -> str:
    lines = [f"# Exercises: {escape_markdown(exercises.template)}, seed {exercises.seed}", "",
             markdown_sentence(f"Made by `{generate_command(exercises)}`. {_how_to_answer(exercises)}"), ""]
    for exercise in exercises.exercises:
        fence = "~~~"
        given = ", ".join(f"`{name} = {text}`" for name, text in exercise.draft.given)
        lines += [f"## Exercise {exercise.number}", "", "Program:", "", fence, *exercise.draft.statements, fence, "",
                  f"**Given:** {given}", "", f"**Compute:** {_md_task(exercise)}", ""]
        if exercise.draft.hint:
            lines += [f"*Hint:* {escape_markdown(exercise.draft.hint)}", ""]
        lines += [f"**Answer as:** `{_answer_names(exercise)}` (a name alone is the gradient of "
                  f"{escape_markdown(output_name(exercise))} with respect to it).", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def markdown_key(exercises: ExerciseSet, worked: list[str]) -> str:
    """The answer key: each exercise's answers, then its worked solution as `explain` wrote it."""
    lines = [f"# Answer key: {escape_markdown(exercises.template)}, seed {exercises.seed}", "",
             markdown_sentence(f"Made by `{generate_command(exercises)}`: each worked solution is what "
                               "`backprop explain` prints for the exercise."), ""]
    count = len(exercises.exercises)
    for exercise, text in zip(exercises.exercises, worked):
        lines += [f"# Exercise {exercise.number}", "",
                  f"Answers (the file {escape_markdown(answers_name(exercise, count))}):", "", "~~~",
                  *(f"{target}={answer}" for target, answer in exercise.answers), "~~~", "",
                  f"`{command_line('explain', exercise, '--format', 'markdown')}`", "", text.rstrip("\n"), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# LaTeX

def _statement_row(statement: str) -> str:
    name, _, expression = statement.partition("=")
    return f"  {latex_name(name.strip())} &= {latex_expression(expression.strip()).text}"


def _tex_task(exercise: Exercise) -> str:
    out = latex_name(output_name(exercise))
    values = [f"the value of ${latex_name(name)}$" for kind, name in _asks(exercise) if kind == "value"]
    grads = [rf"$\partial {out} / \partial {latex_name(name)}$" for kind, name in _asks(exercise)
             if kind == "gradient"]
    parts = [", ".join(values)] if values else []
    if grads:
        parts.append("the gradients " + ", ".join(grads))
    return " and ".join(parts) + "."


def latex_sheet(exercises: ExerciseSet) -> str:
    lines = [
        f"% {escape_text(generate_command(exercises))}: the student sheet. Compile as is: pdflatex sheet.tex",
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\begin{document}",
        "",
        rf"\section*{{Exercises: {escape_text(exercises.template)}, seed {exercises.seed}}}",
        "",
        escape_text(_how_to_answer(exercises)),
        "",
    ]
    for exercise in exercises.exercises:
        rows = [_statement_row(s) for s in exercise.draft.statements]
        given = ", ".join(f"${latex_name(name)} = {latex_expression(text).text}$"
                          for name, text in exercise.draft.given)
        lines += [rf"\subsection*{{Exercise {exercise.number}}}", "",
                  r"\begin{align*}", *[row + r" \\" for row in rows[:-1]], rows[-1], r"\end{align*}", "",
                  rf"\noindent Given: {given}.", "", rf"\noindent Compute: {_tex_task(exercise)}", ""]
        if exercise.draft.hint:
            lines += [rf"\noindent Hint: {escape_text(exercise.draft.hint)}", ""]
        lines += [rf"\noindent Answer as: \texttt{{{escape_text(_answer_names(exercise))}}}", ""]
    lines += [r"\end{document}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Answers files

def answers_file(exercises: ExerciseSet, exercise: Exercise) -> str:
    """NAME=ANSWER lines that `backprop check --answers` reads, with the command that grades them."""
    count = len(exercises.exercises)
    name = answers_name(exercise, count)
    lines = [f"# {generate_command(exercises)}: exercise {exercise.number} of {count}, the answers.",
             "# Grade this file, or a student's in the same form, in this folder with:",
             f"#   {command_line('check', exercise, '--answers', name)}",
             *(f"{target}={answer}" for target, answer in exercise.answers)]
    return "\n".join(lines) + "\n"
