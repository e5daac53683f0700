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


class Rows:
    """A long list of a document made one element at a time, as it is read: `write` encodes each and
    drops it, so a 100,000-node document never holds all its rows at once (issue 16: a row dict of
    `nodes` costs about 700 bytes while it lives). Reads as a sequence; `list(rows)` makes them all."""

    __slots__ = ("_count", "_row")

    def __init__(self, count: int, row) -> None:
        self._count, self._row = count, row

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int):
        if not -self._count <= i < self._count:
            raise IndexError(i)
        return self._row(i % self._count)

    def __iter__(self):
        return map(self._row, range(self._count))


def eval_document(result: Result, report: CheckReport | None = None, *, lazy: bool = False) -> dict:
    """eval's --json document; with `lazy`, its per-node lists are Rows, made as `write` writes them."""
    if result.tensor:  # vectors and matrices: nested lists and shapes (tensor_json.py)
        from .tensor_json import eval_document as tensor_document

        return tensor_document(result, report, rows=Rows if lazy else None)
    tape = result.tape

    def node_row(i: int) -> dict:
        node = tape.nodes[i]
        local = result.partials[i]
        return {
            "id": node.id,
            "name": node.name,
            **({"call": node.call} if node.call else {}),  # the result of a call of the program's function
            "op": node.op,
            "args": [tape.nodes[a].id for a in node.args],
            "expr": tape.expression(i),
            "value": json_number(result.values[i]),
            "grad": json_number(result.grads[i]),
            "local": None if local is None else [json_number(d) for d in local],
        }

    count = len(tape.nodes)
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
        "nodes": Rows(count, node_row) if lazy else [node_row(i) for i in range(count)],
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

    return json.dumps(doc, allow_nan=False, indent=2 if pretty else None, default=_not_serializable)


# A list or dict of a document longer than this is written element by element, in batches of this many.
_LONG = 512


def write(doc: dict, stream, pretty: bool = False) -> None:
    """`dumps(doc, pretty)` and a new line, written to `stream` byte for byte, but in pieces: a long list
    or dict of the document (and its Rows, made only now) is encoded an element at a time, so the whole
    text never exists at once (at 100,000 nodes it is 17 MB, and its pieces as many again while joined)."""
    encode = None if pretty else _one_line_encoder()
    if encode is None or any(type(key) is not str for key in doc):  # indented, or not CPython: at once
        stream.write(dumps(doc, pretty) + "\n")
        return
    from _json import encode_basestring_ascii as key_text

    stream.write("{")
    for k, (key, value) in enumerate(doc.items()):
        stream.write((", " if k else "") + key_text(key) + ": ")
        kind = type(value)
        if kind is Rows or kind is list and len(value) > _LONG:
            _write_items(stream, "[", "]", ("".join(encode(item, 0)) for item in value))
        elif kind is dict and len(value) > _LONG and all(type(name) is str for name in value):
            _write_items(stream, "{", "}", (key_text(name) + ": " + "".join(encode(item, 0))
                                            for name, item in value.items()))
        else:
            stream.write("".join(encode(value, 0)))
    stream.write("}\n")


def _write_items(stream, opening: str, closing: str, texts) -> None:
    stream.write(opening)
    batch: list[str] = []
    first = True
    for text in texts:
        batch.append(text)
        if len(batch) == _LONG:
            stream.write(("" if first else ", ") + ", ".join(batch))
            batch.clear()
            first = False
    if batch:
        stream.write(("" if first else ", ") + ", ".join(batch))
    stream.write(closing)


def _not_serializable(value):
    if type(value) is Rows:  # a lazy document given to dumps: its rows, all at once
        return list(value)
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


def with_extras(doc: dict, extras) -> dict:
    """eval's document with the keys of --symbolic and --direction added (extras None: unchanged); the
    reasons of what is undefined in both, in one "undefined" object."""
    if extras is not None:
        more = extras_document(extras)
        if "undefined" in more:
            more["undefined"] = {**doc.get("undefined", {}), **more["undefined"]}
        doc.update(more)
    return doc
