"""The --json documents of programs with vectors and matrices (`eval` and `jacobian`; docs/json.md).

A tensor is nested lists of numbers, as NumPy's tolist() writes it, and every node has its `shape` (a list,
[] for a number). Numbers are json_number's (full precision), and under --exact also exact_text's strings.
"""
from __future__ import annotations

from ..base.numbers import exact_text, json_number
from ..engine.values import nested


def nested_numbers(result, value, shape: tuple, write=json_number):
    """A value (an array, nested lists or a number) as nested lists of `write`'s numbers (None stays None)."""
    if value is None:
        return None
    if write is json_number:  # a float as itself (-0.0 as 0.0): json_number's common case, without its checks
        flat = [x if type(x) is float and x != 0 else json_number(x) for x in result.flat(value)]
    else:
        flat = [write(x) for x in result.flat(value)]
    return flat[0] if not shape else nested(shape, flat)


def _kink(result, kink) -> dict:
    tape = result.tape
    node = tape.nodes[kink.node]
    return {
        "id": node.id,
        "op": kink.op,
        "at": list(kink.at),
        "sources": [{"arg": tape.nodes[node.args[k]].id, "element": list(index)} for k, index in kink.sources],
        "used": [json_number(d) for d in kink.used],
        "one_sided": [[left, right] for left, right in kink.one_sided],
        "convention": kink.convention,
    }


def check_document(report) -> dict:
    """`eval --check --json` on vectors and matrices: per input, every element checked (engine/
    tensor_finite_differences.py's TensorCheckReport)."""
    inputs = {}
    for name, c in report.inputs.items():
        worst = c.worst()
        inputs[name] = {
            "shape": list(c.shape),
            "size": c.size,
            "checked": c.checked,
            "ok": c.ok,
            "reason": c.reason,
            "worst": None if worst is None else list(worst[0]),
            "elements": [
                {"at": list(index), "gradient": json_number(e.analytic), "numeric": json_number(e.numeric),
                 "abs_error": json_number(e.abs_error), "rel_error": json_number(e.rel_error),
                 "step": json_number(e.step), "ok": e.ok, "reason": e.reason}
                for index, e in c.elements
            ],
        }
    return {"ok": report.ok, "rtol": report.rtol, "atol": report.atol, "seed": report.seed,
            "sample": report.sample, "limit": report.limit, "sampled": report.sampled, "inputs": inputs}


def eval_document(result, report=None, *, rows=None) -> dict:
    """eval's --json document; with `rows` (json_report.Rows), its nodes are rows(count, row), made one at a
    time as they are written."""
    tape = result.tape

    def node_row(i: int) -> dict:
        node = tape.nodes[i]
        return {
            "id": node.id,
            "name": node.name,
            **({"call": node.call} if node.call else {}),
            "op": node.op,
            "args": [tape.nodes[a].id for a in node.args],
            "expr": tape.expression(i),
            "shape": list(node.shape),
            "value": nested_numbers(result, result.values[i], node.shape),
            "grad": nested_numbers(result, result.grads[i], node.shape),
            "rules": [text for _, text in result.rules(i)],
        }

    count = len(tape.nodes)
    inputs = {name: tape.nodes[at].shape for name, at in tape.inputs.items()}
    gradient = result.gradient()
    named = {node.name: node.shape for node in tape.nodes if node.name is not None}
    doc = {
        "program": tape.source,
        "value": nested_numbers(result, result.value, result.shape(tape.output)),
        "output": tape.output_name,
        "shape": list(result.shape(tape.output)),
        "inputs": {name: nested_numbers(result, result.inputs[name], shape) for name, shape in inputs.items()},
        "gradient": {name: nested_numbers(result, g, named[name]) for name, g in gradient.items()},
        "convention": result.convention,
        **({"notes": list(tape.notes)} if tape.notes else {}),
        "forward_gradient": (
            None if result.forward_gradient is None
            else {name: nested_numbers(result, g, inputs[name]) for name, g in result.forward_gradient.items()}
        ),
        **({"forward_skipped": result.forward_skipped} if result.forward_skipped else {}),
        **({"no_gradient": sorted(result.no_gradient)} if result.no_gradient else {}),
        "nodes": rows(count, node_row) if rows is not None else [node_row(i) for i in range(count)],
        "kinks": [_kink(result, k) for k in result.kinks],
    }
    if result.exact:
        doc["exact"] = _exact_document(result)
    if report is not None:
        doc["check"] = check_document(report)
    return doc


def _exact_document(result) -> dict:
    """--exact: every number that stayed rational as a string "p/q" (null where it did not), nested as its tensor."""
    tape = result.tape
    lost = result.first_inexact()

    def exact(value, shape):
        return nested_numbers(result, value, shape, exact_text)

    named = {node.name: node.shape for node in tape.nodes if node.name is not None}
    return {
        "value": exact(result.value, result.shape(tape.output)),
        "inputs": {name: exact(result.inputs[name], tape.nodes[at].shape) for name, at in tape.inputs.items()},
        "gradient": {name: exact(g, named[name]) for name, g in result.gradient().items()},
        "nodes": [{"id": node.id, "value": exact(result.values[i], node.shape),
                   "grad": exact(result.grads[i], node.shape)} for i, node in enumerate(tape.nodes)],
        "lost_at": None if lost is None else {
            "id": tape.nodes[lost[0]].id, "expr": tape.expression(lost[0]), "what": lost[1],
        },
    }


def jacobian_document(result) -> dict:
    """`backprop jacobian --json`: the output's value and, per input, d output / d input of shape
    output.shape + input.shape (null for an input used only as an index)."""
    tape = result.tape
    out = result.shape(tape.output)
    doc = {
        "program": tape.source,
        "output": tape.output_name,
        "shape": list(out),
        "value": nested_numbers(result, result.value, out),
        "inputs": {name: nested_numbers(result, result.inputs[name], tape.nodes[at].shape)
                   for name, at in tape.inputs.items()},
        "jacobian": {},
    }
    for name, jacobian in result.jacobians.items():
        shape = out + tape.nodes[tape.inputs[name]].shape
        doc["jacobian"][name] = None if jacobian is None else {
            "shape": list(shape), "value": nested_numbers(result, jacobian, shape)}
    if result.exact:
        doc["exact"] = {
            "value": nested_numbers(result, result.value, out, exact_text),
            "jacobian": {name: None if j is None else nested_numbers(result, j, out + tape.nodes[tape.inputs[name]].shape,
                                                                     exact_text)
                         for name, j in result.jacobians.items()},
        }
    return doc
