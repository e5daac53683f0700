"""The --json document of `backprop check` (its schema is in docs/json.md). No Rich here."""
from __future__ import annotations

from ..base.numbers import exact_text, json_number
from ..base.undefined import Undefined
from ..engine.compute import Result
from ..teaching.grading import Grade, rule_statement


def check_document(result: Result, grade: Grade) -> dict:
    tape = result.tape
    doc = {
        "program": tape.source,
        "ok": grade.ok,
        "answers": [
            {
                "name": v.target,
                "kind": v.kind,
                "given": v.expectation.answer.text,
                "form": v.expectation.answer.form,
                "given_value": json_number(v.expectation.answer.value),
                "correct": json_number(v.correct),
                "correct_exact": exact_text(v.correct),
                "ok": v.ok,
                "tolerance": json_number(v.tolerance),
                "rule": v.rule,
                "where": v.expectation.where,
            }
            for v in grade.verdicts
        ],
        "first_wrong": grade.first_wrong.target if grade.first_wrong is not None else None,
        "first_wrong_value": grade.first_wrong_value.target if grade.first_wrong_value is not None else None,
        "rule": rule_statement(grade.tolerance),
        "tolerance": grade.tolerance,
        "value": json_number(result.value),
        "output": tape.output_name,
        "inputs": {name: json_number(v) for name, v in result.inputs.items()},
        "convention": result.convention,
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
