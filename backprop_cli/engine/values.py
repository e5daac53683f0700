"""Numbers the user writes outside a program: values of inputs (`-x 1/3`, `a=pi`), `--direction` values and
`check` answers. One reader for all of them.

A number is an integer (`108`), a decimal (`0.67`, `-2e-3`), a fraction (`-4/3`), or a constant expression
in the tool's own language (`pi`, `sqrt(2)/2`, `2^-10`, `1/(1+exp(-1))`), read with the project's parser,
never with Python's eval.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from ..base.errors import BackpropError, UsageError
from .arithmetic import EXACT, FLOAT
from .ops import ALIASES, CONSTANTS, FUNCTIONS

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_WORD = re.compile(r"[^\W\d]\w*")


_TRANSPOSE = re.compile(r"(?<=[\])\w])\s*(\.\s*T\b|ᵀ)")  # [[1, 2]].T, [[1, 2]]ᵀ: no name, the transpose


def looks_like_constant(text: str) -> bool:
    """Whether `text` can be a number, or a vector or matrix of them, rather than a program: it names no
    variable (only the constants and functions of the language). `x^2`, `[x, 1]` and `a; b` cannot; `1/3`,
    `pi`, `sqrt(2)/2`, `[1, 2, 3]`, `[[0.1, 0.2], [0.3, 0.4]]`, `[pi, 1/3]` and `abc` (a bad number rather than a
    program) can. Lexical only: the text is read for real when the value is used."""
    words = _WORD.findall(_NUMBER.sub(" ", _TRANSPOSE.sub(" ", text)))
    if ";" in text or "\n" in text or "=" in text:
        return False
    if not words:
        return True
    known = {*CONSTANTS, *FUNCTIONS, *ALIASES}
    # one unknown word alone (`abc`, `nan`, `inf`) is a number written wrong, not a program
    return all(word in known for word in words) or (len(words) == 1 and text.strip().lstrip("+-") == words[0])


# ---------------------------------------------------------------- reading a number

_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?P<whole>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))?", re.ASCII)
_FRACTION = re.compile(r"(?P<num>[+-]?\d+)/(?P<den>\d+)", re.ASCII)
LONGEST_LITERAL = 400  # characters of a plain number; longer ones are refused, not computed
EXAMPLES = "such as 4/3, 0.67, pi or sqrt(2)/2"


@dataclass(frozen=True)
class Constant:
    """A number as the user wrote it, and the number it stands for."""

    text: str
    form: str  # "integer", "decimal", "fraction" or "expression"
    value: object  # Fraction when the number is rational as written, else float
    unit: Fraction | None = None  # decimals: one unit of the last written digit


def _show(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def read_constant(text: str, what: str) -> Constant:
    """Read a number: integer, decimal, fraction or constant expression; anything else is a usage error whose
    message starts with `what` (`the value of x`, `--expect d=4/3: the answer for d`)."""
    text = text.strip().replace("\u2212", "-")  # a typographic minus, as pasted from a worksheet
    if _INTEGER.fullmatch(text):
        return Constant(text, "integer", _exact_literal(text, what))
    match = _DECIMAL.fullmatch(text)
    if match is not None and (match["whole"] or match["frac"]):
        value = _exact_literal(text, what)
        places = len(match["frac"] or "")
        exponent = int(match["exp"] or 0) - places
        if abs(exponent) > 4 * LONGEST_LITERAL:
            raise UsageError(f"{what} is out of range")
        return Constant(text, "decimal", value, Fraction(10) ** exponent)
    match = _FRACTION.fullmatch(text)
    if match is not None:
        numerator = _exact_literal(match["num"], what)
        denominator = _exact_literal(match["den"], what)
        if denominator == 0:
            raise UsageError(f"{what}, {_show(text)}, divides by zero")
        return Constant(text, "fraction", numerator / denominator)
    return Constant(text, "expression", _constant_expression(text, what))


def _exact_literal(text: str, what: str) -> Fraction:
    if len(text) > LONGEST_LITERAL:
        raise UsageError(f"{what} is too long to be a number")
    try:
        value = EXACT.literal(text)
    except BackpropError:
        raise UsageError(f"{what}, {_show(text)}, is too large to read exactly") from None
    _check_float_range(value, what)
    return value


def _check_float_range(value, what: str) -> None:
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        finite = False
    if not finite:
        raise UsageError(f"{what} is too large (at most about 1.8e308)")


def _constant_expression(text: str, what: str):
    """The value of a constant expression, read by the project's own parser (never eval)."""
    from ..language.parser import parse
    from ..language.syntax_tree import Assign, Define
    from .forward import evaluate
    from .tape import lower

    head = f"{what}, {_show(text)},"
    try:
        program = parse(text)
        if len(program.statements) != 1 or isinstance(program.statements[0], (Assign, Define)):
            raise UsageError(f"{head} is not a number: write one number or constant expression, {EXAMPLES}")
        tape = lower(program)
    except BackpropError as err:
        if isinstance(err, UsageError):
            raise
        raise UsageError(f"{head} is not a number or a constant expression: {err.message}") from None
    if tape.inputs and len(tape.nodes) == 1 and "e" not in tape.inputs:  # one word (`abc`, `nan`, `inf`)
        raise UsageError(f"{head} is not a number: write a number or a constant expression, {EXAMPLES}")
    if tape.inputs:
        names = ", ".join(tape.inputs)
        hint = " (e is a variable name here, not Euler's number: write exp(1))" if "e" in tape.inputs else ""
        raise UsageError(f"{head} uses {'the variable' if len(tape.inputs) == 1 else 'the variables'} {names}; "
                         f"write a number or a constant expression, {EXAMPLES}{hint}")
    value = None
    for arithmetic in (EXACT, FLOAT):  # exact where it can be; a huge exact power falls back to floats
        try:
            value = evaluate(tape, {}, arithmetic)[tape.output]
            break
        except BackpropError as err:
            failure = err.message.splitlines()[0]
    if value is None:
        raise UsageError(f"{head} has no finite value: {failure}")
    _check_float_range(value, what)
    return value


def as_number(constant: Constant, arithmetic, what: str):
    """The number of the arithmetic a read constant stands for: exact thirds stay exact under EXACT; in
    floats, a value that would become 0 is refused, as 1e-400 is."""
    value = constant.value
    if arithmetic.exact:
        return arithmetic.coerce(value)
    number = float(value)  # finite: read_constant checked the float range
    if number == 0 and value != 0:
        raise UsageError(f"{what} is out of range: {constant.text} is too small for a 64-bit float: it would "
                         "be 0 (the smallest is about 4.9e-324)")
    return arithmetic.coerce(number)


# ---------------------------------------------------------------- reading a list of numbers

_SPECIAL = re.compile(r"[\[\],()]")
MAX_LIST_NESTING = 32  # as engine/tensor/pure.py's MAX_NESTING: a tensor of 32 dimensions is already absurd


class _Written(str):
    """A number of JSON text as written there (a JSON string is a plain str)."""


def is_list_text(text: str) -> bool:
    """Whether a value is written as a list (`[1, 2]`), that is, a vector or a matrix."""
    return text.lstrip().startswith("[")


def read_list(text: str, what: str) -> tuple[tuple, list[str]]:
    """A value written as nested lists, `[1, 2/3, pi]` or `[[0.1, 0.2], [0.3, 0.4]]`: its shape and the texts
    of its elements, flat and row-major (each read later as a number, as any value is). Read with an explicit
    stack, never recursion; a bracket out of place, an empty list or a ragged one is a UsageError naming the
    position."""
    fast = _read_plain_list(text)
    if fast is not None:
        return _shape_and_elements(fast, what)
    head = f"{what}, {_show(text)},"
    root: list = []
    open_lists: list[list] = [root]
    element: list[str] = []  # the pieces of the element being read
    closed = False  # a list was just closed: a ',' or ']' must follow
    i, n, depth = 0, len(text), 0
    while i < n:
        match = _SPECIAL.search(text, i)
        end = match.start() if match else n
        if end > i:
            piece = text[i:end]
            if closed and piece.strip():
                raise UsageError(f"{head} is not a list of numbers: a ',' is missing after a ']'")
            element.append(piece)
        if match is None:
            break
        c = match.group()
        i = end + 1
        if depth or c == "(":  # inside an element's parentheses (atan2(1, 2)) everything belongs to it
            depth += {"(": 1, ")": -1}.get(c, 0)
            element.append(c)
            continue
        if c == ")":
            raise UsageError(f"{head} is not a list of numbers: a ')' is not opened")
        if c == "[":
            if len(open_lists) == 1 and root:
                raise UsageError(f"{head} is not one list: there is more after its closing ']'")
            if "".join(element).strip() or closed:
                raise UsageError(f"{head} is not a list of numbers: a ',' is missing before a '['")
            if len(open_lists) > MAX_LIST_NESTING:
                raise UsageError(f"{head} is nested more than {MAX_LIST_NESTING} lists deep")
            child: list = []
            open_lists[-1].append(child)
            open_lists.append(child)
            element = []
            continue
        if len(open_lists) == 1:
            raise UsageError(f"{head} is not a list of numbers: a '{c}' outside the brackets")
        item = "".join(element).strip()
        element = []
        if item:
            open_lists[-1].append(item)
        elif c == "," and not closed:
            raise UsageError(f"{head} is not a list of numbers: an element is missing before a ','")
        if c == "]":
            if not open_lists[-1]:
                raise UsageError(f"{head} is not a list of numbers: an empty list has no shape")
            open_lists.pop()
        closed = c == "]"
    if depth:
        raise UsageError(f"{head} is not a list of numbers: a '(' is not closed")
    if len(open_lists) > 1 or not root:
        raise UsageError(f"{head} is not a list of numbers: a '[' is not closed")
    if "".join(element).strip():
        raise UsageError(f"{head} is not one list: there is more after its closing ']'")
    return _shape_and_elements(root[0], what)


def _read_plain_list(text: str) -> list | None:
    """Nested lists of plain numbers written as JSON writes them (what --values and most bindings hold), read by
    the json module's parser with each number kept as written; None for anything else (read_list's own
    reader then reads it, or says what is wrong)."""
    if "(" in text or "/" in text:
        return None
    import json

    try:
        value = json.loads(text, parse_float=_Written, parse_int=_Written, parse_constant=_not_plain)
    except ValueError:
        return None
    level = [value]
    while level:  # every leaf a number as written (a JSON string is not one), and no list empty
        if not all(type(x) is _Written or type(x) is list and x for x in level):
            return None
        level = [x for item in level if type(item) is list for x in item]
    return value if type(value) is list else None


def _not_plain(constant):
    raise ValueError(constant)


def _position(j: int, shape: list) -> str:
    index = []
    for size in reversed(shape):
        j, i = divmod(j, size)
        index.append(i)
    return "[" + ", ".join(map(str, reversed(index))) + "]"


def _shape_and_elements(value: list, what: str) -> tuple[tuple, list[str]]:
    """The shape and flat elements of nested lists, level by level; a ragged one is a UsageError naming where."""
    level, shape = [value], []
    while isinstance(level[0], list):
        size = len(level[0])
        children: list = []
        for j, item in enumerate(level):
            if not isinstance(item, list):
                raise UsageError(f"{what} is ragged: at {_position(j, shape)} there is a number where a list of "
                                 f"{size} is expected")
            if len(item) != size:
                raise UsageError(f"{what} is ragged: the list at {_position(j, shape)} has {len(item)} "
                                 f"element{'s' * (len(item) != 1)}, the list at {_position(0, shape)} has {size}")
            children.extend(item)
        shape.append(size)
        level = children
    for j, item in enumerate(level):
        if isinstance(item, list):
            raise UsageError(f"{what} is ragged: at {_position(j, shape)} there is a list where a number is expected")
    return tuple(shape), level


def position_text(j: int, shape: tuple) -> str:
    """The index of the flat (row-major) position j in a tensor of `shape`: `[1, 0]`."""
    return _position(j, list(shape))


def nested(shape: tuple, flat: list) -> list:
    """Flat row-major elements as nested lists of `shape` (at least one axis)."""
    rows: list = list(flat)
    for axis in range(len(shape) - 1, 0, -1):
        size = shape[axis]
        rows = [rows[k:k + size] for k in range(0, len(rows), size)]
    return rows


def read_values_file(path: str) -> list[tuple[str, str]]:
    """--values FILE: a JSON object of input values, `{"W": [[0.1, 0.2], [0.3, 0.4]], "x": [1, 2], "b": 0.5}`,
    as (name, value text) pairs, each number as written in the file (so --exact reads 0.1 as 1/10) and each
    list written as the command line writes one. Anything but numbers and nested lists is a UsageError
    naming the key and the position."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as err:
        raise UsageError(f"cannot read the values file {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise UsageError(f"the values file {path} is not UTF-8 text (byte {err.start})") from None
    except ValueError:  # a NUL byte in the name: no file can have it (open raises ValueError, not OSError)
        raise UsageError(f"cannot read the values file {path!r}: a file name cannot hold a NUL byte") from None

    def refuse(constant):
        raise ValueError(f"{constant} is not a number JSON has")

    try:
        doc = json.loads(text, parse_float=_Written, parse_int=_Written, parse_constant=refuse)
    except ValueError as err:
        raise UsageError(f"the values file {path} is not JSON: {err}") from None
    if not isinstance(doc, dict):
        raise UsageError(f"the values file {path} holds a JSON {type(doc).__name__}; it must be one object of "
                         'values, as {"W": [[0.1, 0.2], [0.3, 0.4]], "x": [1, 2], "b": 0.5}')
    return [(name, _json_value_text(value, f"--values {path}: the value of {name}")) for name, value in doc.items()]


def _json_kind(value) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return "a string" if isinstance(value, str) else "an object" if isinstance(value, dict) else "a list"


def _json_value_text(value, what: str) -> str:
    """A JSON value read with numbers kept as their text: the number, or the list written `[1, [2, 3]]`."""
    if isinstance(value, _Written):
        return str(value)
    if not isinstance(value, list):
        raise UsageError(f"{what} is {_json_kind(value)}, not a number or a list of numbers")
    level = [value]
    while level and all(type(x) is list or type(x) is _Written for x in level):
        level = [x for item in level if type(item) is list for x in item]
    if not level:  # numbers and lists only: JSON writes it, each number (a string here) unquoted
        import json

        return json.dumps(value).replace('"', "")
    # else written out with an explicit stack, to say where the first thing that is not a number is
    parts: list[str] = []
    stack: list = [(value, 0, ())]
    while stack:
        items, k, where = stack.pop()
        if k == 0:
            parts.append("[")
        if k == len(items):
            parts.append("]")
            continue
        stack.append((items, k + 1, where))
        if k:
            parts.append(", ")
        item = items[k]
        if isinstance(item, list):
            stack.append((item, 0, where + (k,)))
        elif isinstance(item, _Written):
            parts.append(str(item))
        else:
            at = "[" + ", ".join(map(str, where + (k,))) + "]"
            raise UsageError(f"{what} at {at} is {_json_kind(item)}, not a number")
    return "".join(parts)
