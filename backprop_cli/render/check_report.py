"""The --json document of `backprop check` (its schema is in docs/json.md). No Rich here.

In a program with vectors or matrices, every answer also has its `shape` and `index`, values are nested
lists, and an answer written as nested lists has `elements`: the verdict on each of its elements.
"""
from __future__ import annotations

from ..base.numbers import exact_text, json_number
from ..base.undefined import Undefined
from ..engine.compute import Result
from ..teaching.grading import ACCEPTED, CORRECT, WRONG, Grade, rule_statement


def check_document(result: Result, grade: Grade) -> dict:
    if result.tensor:
        return _tensor_document(result, grade)
    tape = result.tape
    doc = {
        "program": tape.source,
        "ok": grade.ok,
        "answers": [
            {
                "name": v.target,
                "kind": v.kind,
                **_graded(v),
                "tolerance": json_number(v.tolerance),
                "rule": v.rule,
                "where": v.expectation.where,
            }
            for v in grade.verdicts
        ],
        "verdicts": _counts(grade),
        "strict": grade.strict,
        "first_wrong": grade.first_wrong.target if grade.first_wrong is not None else None,
        "first_wrong_value": grade.first_wrong_value.target if grade.first_wrong_value is not None else None,
        "rule": rule_statement(grade.tolerance, grade.strict),
        "tolerance": grade.tolerance,
        "value": json_number(result.value),
        "output": tape.output_name,
        "inputs": {name: json_number(v) for name, v in result.inputs.items()},
        "convention": result.convention,
        "kinks": [_kink(tape, kink) for kink in grade.kinks],
        "right_under": {target: list(conventions) for target, conventions in grade.right_under},
    }
    missing = {v.target: v.correct.reason for v in grade.verdicts if type(v.correct) is Undefined}
    if type(result.value) is Undefined:
        missing_value = {"value": result.value.reason}
    else:
        missing_value = {}
    if missing or missing_value:  # the reason for each null "correct" (and "value"), as in eval's document
        doc["undefined"] = {**missing_value, **({"answers": missing} if missing else {})}
    if result.exact:
        lost = result.first_inexact()
        doc["exact"] = {
            "value": exact_text(result.value),
            "lost_at": None if lost is None else {
                "id": tape.nodes[lost[0]].id, "expr": tape.expression(lost[0]), "what": lost[1],
            },
        }
    return doc


def _counts(grade: Grade) -> dict:
    """How many answers are correct, accepted and wrong."""
    return {status: grade.count(status) for status in (CORRECT, ACCEPTED, WRONG)}


def _kink(tape, kink) -> dict:
    """A kink a graded gradient goes through: the node, the convention used, the derivatives per argument under
    it and under the others that differ, and the answers through it."""
    node = tape.nodes[kink.node]
    args = [tape.label(a) for a in node.args]

    def per_argument(numbers):
        return {arg: json_number(d) for arg, d in zip(args, numbers) if d is not None}

    return {"id": node.id, "expr": tape.expression(kink.node), "convention": kink.convention,
            "used": per_argument(kink.used), "others": {name: per_argument(numbers) for name, numbers in kink.others},
            "answers": [v.target for v in kink.answers]}


# ---------------------------------------------------------------- vectors and matrices


def _graded(v) -> dict:
    """The keys every graded number has, in the documents' order: the answer as given, the truth, the verdict."""
    return {
        "given": v.expectation.answer.text,
        "form": v.expectation.answer.form,
        "given_value": json_number(v.expectation.answer.value),
        "correct": json_number(v.correct),
        "correct_exact": exact_text(v.correct),
        "ok": v.ok,
        "verdict": v.status,
        "note": v.note or None,
    }


def _element(v) -> dict:
    """The verdict on one number: an element of a tensor answer, or an answer for an element (W[1, 0]=0.25)."""
    return {
        "name": v.target,
        "index": list(v.expectation.index),
        **_graded(v),
        "off_by": json_number(v.off_by),
        "tolerance": json_number(v.tolerance),
        "rule": v.rule,
    }


def _nested(shape: tuple, flat: list, write=json_number):
    from ..engine.values import nested

    return nested(shape, [write(x) for x in flat])


def _tensor_answer(v) -> dict:
    e = v.expectation
    entry = {"name": v.target, "kind": v.kind, "shape": list(e.shape), "index": list(e.index)}
    if not v.elements:
        element = _element(v)
        del element["name"], element["index"]
        return {**entry, **element, "where": e.where}
    shape = e.shape
    return {
        **entry,
        "given": e.answer.text,
        "form": e.answer.form,
        "given_value": _nested(shape, [element.answer.value for element in e.elements]),
        "correct": _nested(shape, list(v.correct)),
        "correct_exact": _nested(shape, list(v.correct), exact_text),
        "ok": v.ok,
        "verdict": v.status,
        "tolerance": None,
        "rule": v.rule,
        "where": e.where,
        "wrong": [element.target for element in v.wrong_elements],
        "accepted": [element.target for element in v.accepted_elements],
        "transposed": v.transposed,
        "elements": [_element(element) for element in v.elements],
    }


def _tensor_document(result, grade: Grade) -> dict:
    from .tensor_json import nested_numbers

    tape = result.tape
    doc = {
        "program": tape.source,
        "ok": grade.ok,
        "answers": [_tensor_answer(v) for v in grade.verdicts],
        "verdicts": _counts(grade),
        "strict": grade.strict,
        "first_wrong": grade.first_wrong.target if grade.first_wrong is not None else None,
        "first_wrong_value": grade.first_wrong_value.target if grade.first_wrong_value is not None else None,
        "rule": rule_statement(grade.tolerance, grade.strict),
        "tolerance": grade.tolerance,
        "value": nested_numbers(result, result.value, result.shape(tape.output)),
        "output": tape.output_name,
        "shape": list(result.shape(tape.output)),
        "inputs": {name: nested_numbers(result, value, result.shape(tape.inputs[name]))
                   for name, value in result.inputs.items()},
        "convention": result.convention,
    }
    if result.exact:
        lost = result.first_inexact()
        doc["exact"] = {
            "value": nested_numbers(result, result.value, result.shape(tape.output), exact_text),
            "lost_at": None if lost is None else {
                "id": tape.nodes[lost[0]].id, "expr": tape.expression(lost[0]), "what": lost[1],
            },
        }
    return doc
