"""The likely mistakes behind a wrong gradient (teaching/diagnosis.py), as `backprop check` writes them.

Text: a `Likely mistake:` line per diagnosis, the expression that gives the student's number beneath it;
where none does, one line that says so (diagnosis_view: the same for the terminal, with Rich). JSON: the
same records as dictionaries.
"""
from __future__ import annotations

from typing import Sequence

from ..base.numbers import exact_text, json_number


def diagnosis_lines(diagnoses: Sequence, given: str) -> list[str]:
    """The lines under a wrong gradient's steps."""
    if not diagnoses:  # (an answer written as a list: its wrong elements)
        return [f"No usual mistake gives {'its wrong elements' if given.startswith('[') else given}."]
    lines = []
    for d in diagnoses:
        lines += [f"Likely mistake: {d.words}.", f"  {d.expression}"]
    return lines


def diagnosis_view(diagnoses: Sequence, given: str, indent: int = 2) -> list:
    """diagnosis_lines for the terminal (Rich): a wrapped line keeps its indent."""
    from rich.padding import Padding
    from rich.text import Text

    out = []
    for line in diagnosis_lines(diagnoses, given):
        text = line.lstrip(" ")
        out.append(Padding(Text(text), (0, 0, 0, indent + len(line) - len(text)), expand=False))
    return out


def diagnosis_entries(diagnoses: Sequence) -> list[dict]:
    """`diagnoses` of an answer in check's JSON: mistake, words, nodes, expression, value (and value_exact;
    for a tensor answer, one number per wrong element the mistake gives, in their order)."""
    return [{"mistake": d.mistake, "words": d.words, "nodes": list(d.nodes), "expression": d.expression,
             "value": _each(json_number, d.value), "value_exact": _each(exact_text, d.value)} for d in diagnoses]


def with_diagnoses(document: dict, diagnoses: dict) -> dict:
    """check's JSON document (render/check_report.py) with `diagnoses` in each diagnosed answer."""
    for entry in document["answers"]:
        if entry["name"] in diagnoses:
            entry["diagnoses"] = diagnosis_entries(diagnoses[entry["name"]])
    return document


def _each(write, value):
    """A number written for JSON; the numbers of a tensor answer's wrong elements, as a list."""
    return [write(x) for x in value] if isinstance(value, tuple) else write(value)
