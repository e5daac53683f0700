"""The --json document of `backprop eval` (its schema is in docs/json.md)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..base.numbers import exact_text, json_number
from ..base.undefined import Undefined

if TYPE_CHECKING:  # annotations only: --check's module is loaded when --check is given
    from ..engine.compute import Result
    from ..engine.finite_differences import CheckReport


def _check_document(report: CheckReport) -> dict:
    return {
        "ok": report.ok,
        "rtol": report.rtol,
        "atol": report.atol,
        "inputs": {
            name: {
                "numeric": json_number(c.numeric),
                "abs_error": json_number(c.abs_error),
                "rel_error": json_number(c.rel_error),
                "step": json_number(c.step),
                "ok": c.ok,
                "reason": c.reason,
            }
            for name, c in report.inputs.items()
        },
    }


def eval_document(result: Result, report: CheckReport | None = None) -> dict:
    if result.tensor:  # vectors and matrices: nested lists and shapes (tensor_json.py)
        from .tensor_json import eval_document as tensor_document

        return tensor_document(result, report)
    tape = result.tape
    doc = {
        "program": tape.source,
        "value": json_number(result.value),
        "output": tape.output_name,
        "inputs": {name: json_number(v) for name, v in result.inputs.items()},
        "gradient": {name: json_number(g) for name, g in result.gradient().items()},
        "convention": result.convention,
        **({"notes": list(tape.notes)} if tape.notes else {}),  # how what could be misread was read (1/2x)
        "forward_gradient": (
            None if result.forward_gradient is None
            else {name: json_number(g) for name, g in result.forward_gradient.items()}
        ),
        "nodes": [
            {
                "id": node.id,
                "name": node.name,
                **({"call": node.call} if node.call else {}),  # the result of a call of the program's function
                "op": node.op,
                "args": [tape.nodes[a].id for a in node.args],
                "expr": tape.expression(i),
                "value": json_number(result.values[i]),
                "grad": json_number(result.grads[i]),
                "local": None if result.partials[i] is None else [json_number(d) for d in result.partials[i]],
            }
            for i, node in enumerate(tape.nodes)
        ],
        "kinks": [
            {
                "id": tape.nodes[k.node].id,
                "op": k.op,
                "used": [json_number(d) for d in k.used],
                "one_sided": [[left, right] for left, right in k.one_sided],
                "convention": k.convention,
            }
            for k in result.kinks
        ],
    }
    if result.undefined:
        doc["undefined"] = undefined_document(result)
    if result.exact:
        doc["exact"] = _exact_document(result)
    if report is not None:
        doc["check"] = _check_document(report)
    return doc


def undefined_document(result: Result) -> dict:
    """The reason for every null of eval's document that stands for a missing number, at the same place:
    "value", "gradient": {name: reason}, "forward_gradient": {name: reason}, and "nodes": {id: {"value",
    "grad", "local": [reason or null per argument]}} (only what is missing is listed)."""
    tape = result.tape
    doc: dict = {}
    if type(result.value) is Undefined:
        doc["value"] = result.value.reason
    for key, entries in (("gradient", result.gradient()), ("forward_gradient", result.forward_gradient or {})):
        missing = {name: g.reason for name, g in entries.items() if type(g) is Undefined}
        if missing:
            doc[key] = missing
    nodes = {}
    for i, node in enumerate(tape.nodes):
        entry = {}
        for key, number in (("value", result.values[i]), ("grad", result.grads[i])):
            if type(number) is Undefined:
                entry[key] = number.reason
        local = result.partials[i]
        if local is not None and any(type(d) is Undefined for d in local):
            entry["local"] = [d.reason if type(d) is Undefined else None for d in local]
        if entry:
            nodes[node.id] = entry
    if nodes:
        doc["nodes"] = nodes
    return doc


def _exact_document(result: Result) -> dict:
    """--exact: every value that stayed rational as a string "p/q" (null where it did not)."""
    tape = result.tape
    lost = result.first_inexact()
    return {
        "value": exact_text(result.value),
        "inputs": {name: exact_text(v) for name, v in result.inputs.items()},
        "gradient": {name: exact_text(g) for name, g in result.gradient().items()},
        "nodes": [{"id": node.id, "value": exact_text(result.values[i]), "grad": exact_text(result.grads[i])}
                  for i, node in enumerate(tape.nodes)],
        "lost_at": None if lost is None else {
            "id": tape.nodes[lost[0]].id, "expr": tape.expression(lost[0]), "what": lost[1],
        },
    }


def dumps(doc: dict, pretty: bool = False) -> str:
    """Strict ASCII JSON (never NaN or Infinity): indented for a terminal, one line for pipes (as httpie does).

    One line is what json.dumps(doc, allow_nan=False) writes, byte for byte, by the same C encoder
    json.dumps uses, called directly: importing the json package (its decoder compiles regular
    expressions) is a noticeable part of a `backprop eval --json` run.
    """
    if not pretty:
        encode = _one_line_encoder()
        if encode is not None:
            return "".join(encode(doc, 0))
    import json

    return json.dumps(doc, allow_nan=False, indent=2 if pretty else None)


def _not_serializable(value):
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _one_line_encoder():
    """json.dumps' own encoder for indent=None, ensure_ascii and allow_nan=False; None where it is missing."""
    try:
        from _json import encode_basestring_ascii, make_encoder
    except ImportError:  # not CPython: the json package does it
        return None
    return make_encoder({}, _not_serializable, encode_basestring_ascii, None, ": ", ", ", False, False, False)


def extras_document(extras) -> dict:
    """The `symbolic` and `directional` keys of `eval --json` (engine/extras.py's Extras); an undefined
    directional derivative is null, and its reason is under "undefined": {"directional": {"value": ...}}."""
    doc: dict = {}
    if type(extras.directional) is Undefined:
        doc["undefined"] = {"directional": {"value": extras.directional.reason}}
    if extras.formulas is not None:
        doc["symbolic"] = {name: f.text for name, f in extras.formulas.items()}
    if extras.direction is not None:
        doc["directional"] = {
            "direction": {name: json_number(v) for name, v in extras.direction.items()},
            "value": json_number(extras.directional),
        }
        exact = exact_text(extras.directional)
        if exact is not None:
            doc["directional"]["exact"] = exact
    return doc
