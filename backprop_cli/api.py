"""The public Python API: backprop's engine for scripts and notebooks, with the command line's answers.

    >>> import backprop_cli as bp
    >>> r = bp.evaluate("(a+b)*c/d", a=5, b=1, c=-2, d=-3)
    >>> r.value, r.gradient["d"]
    (4.0, -1.3333333333333333)

- `evaluate(program, values=None, *, exact=False, convention="pytorch", **values) -> Result`: every value
  and gradient at one point, as `backprop eval` computes them (`Result.to_json()` is its --json document,
  byte for byte; eval itself calls `evaluate_loaded`, so the two cannot disagree).
- `grade(program, answers, values=None, ...) -> Grading`: `backprop check`'s verdicts and diagnoses.
- `compile(program) -> Function`: parsed and lowered once; `f(**values)` is `evaluate` at one point,
  `f.value_and_grad(**arrays)` every point of NumPy arrays (or pandas columns) at once, `f.frame(df)` a
  pandas DataFrame. A Function pickles as its program text, so it travels to Dask or Spark workers.

Every error a user can cause is a `BackpropError` (base/errors.py) with the command line's message and
`kind`, `exit_code`, `line`, `column`. Values are numbers (int, float, Fraction, Decimal, NumPy scalars),
strings the command line would accept (`"1/3"`, `"pi"`), or nested lists of them for vectors and matrices.

This module sits above render/ and below commands/: it imports NumPy and pandas only inside the array
functions, so `import backprop_cli` and `evaluate` stay light.
"""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .base.errors import BackpropError, MathError, ProgramError, UsageError  # the family, re-exported
from .base.records import FrozenRecord, set_field
from .base.undefined import Undefined
from .engine.arithmetic import EXACT, FLOAT
from .engine.bindings import from_program, resolve
from .engine.conventions import CONVENTIONS, DEFAULT
from .engine.tape import Tape, lower
from .language.parser import parse

if TYPE_CHECKING:  # annotations only
    import numpy
    import pandas

__all__ = ["evaluate", "grade", "compile", "Result", "Grading", "Verdict", "Function", "BackpropError",
           "UsageError", "ProgramError", "MathError"]

GRAPH_FORMATS = ("dot", "mermaid", "tree")
EXPLAIN_FORMATS = ("text", "markdown", "latex", "html")


# -- values in, numbers out ----------------------------------------------------------------------------------

def _text(name: str, value: Any) -> str:
    """A value from Python as the text the command line reads: the same reader, so the same numbers (a float
    is written as its shortest round-tripping decimal, which reads back as the same float)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        raise UsageError(f"the value of {name} is {value!r}: give a number, such as 5, -2, 0.5, 1/3 or pi")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(name, v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "tolist") and not isinstance(value, float):  # a NumPy scalar or array
        return _text(name, value.tolist())
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise UsageError(f"the value of {name} is {type(value).__name__} {_short(value)}, not a number") from None
    return repr(number)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def _pairs(values: Mapping[str, Any] | None, bindings: Mapping[str, Any]) -> list[tuple[str, str]]:
    if values is not None and not isinstance(values, Mapping):
        raise UsageError(f"values must be a mapping of input names to values, not {type(values).__name__}")
    given = dict(values or {})
    for name in bindings:
        if name in given:
            raise UsageError(f"{name} is given a value twice; give each input one value")
    given.update(bindings)
    for name in given:
        if not isinstance(name, str):
            raise UsageError(f"input names are strings, not {type(name).__name__} {_short(name)}")
    return [(name, _text(name, value)) for name, value in given.items()]


def _number(x: Any) -> Any:
    """An engine number as Python's: a float, a Fraction under exact arithmetic, None where it is undefined."""
    if x is None or type(x) is Undefined:
        return None
    if isinstance(x, Fraction):
        return x
    return float(x)


def _tape(program: str) -> Tape:
    if not isinstance(program, str):
        raise UsageError(f"the program must be text (a str), not {type(program).__name__}")
    return lower(parse(program))


def _check_convention(convention: str) -> str:
    if not isinstance(convention, str) or convention.lower() not in CONVENTIONS:
        raise UsageError(f"convention must be one of {', '.join(CONVENTIONS)}, not {convention!r}")
    return convention.lower()


class Loaded(FrozenRecord):
    """A program lowered and its inputs bound (what every command works on)."""

    __slots__ = __match_args__ = ("tape", "inputs", "from_program")
    tape: Tape
    inputs: dict
    from_program: tuple  # the inputs whose value the program gave (`x = 3`), not a binding

    def __init__(self, tape: Tape, inputs: dict, from_program: tuple = ()) -> None:
        set_field(self, "tape", tape)
        set_field(self, "inputs", inputs)
        set_field(self, "from_program", from_program)


def bind(tape: Tape, pairs: list[tuple[str, str]], arithmetic) -> Loaded:
    """The tape with its inputs bound from NAME=VALUE text pairs; a tensor program shaped by its values."""
    inputs = resolve(tape, pairs, arithmetic)
    if tape.tensor or any(type(v) is list for v in inputs.values()):  # vectors and matrices: their shapes
        from .engine.shaping import shaped

        tape = shaped(tape, inputs)
    return Loaded(tape, inputs, tuple(from_program(tape, pairs)))


NOT_YET = ("{what} is not yet for vectors and matrices: backprop eval gives their values and gradients, and "
           "backprop jacobian the Jacobian of a tensor output")


def refuse_tensors(tape: Tape, what: str) -> None:
    """The parts of the tool that do not handle vectors and matrices yet refuse them with a usage error."""
    if tape.tensor:
        raise UsageError(NOT_YET.format(what=what))


# -- evaluate ------------------------------------------------------------------------------------------------

def evaluate(program: str, values: Mapping[str, Any] | None = None, *, exact: bool = False,
             convention: str = DEFAULT, **bindings: Any) -> Result:
    """Every value and gradient of `program` at the point `values` (a mapping, or keyword arguments), as
    `backprop eval` computes them: in floats, or exact fractions with `exact=True`; at a kink, the
    derivatives `convention` takes (pytorch, jax, tensorflow, left, right). What does not exist at the
    point (log(-1)) is None in the Result, with its reason in `Result.undefined`."""
    convention = _check_convention(convention)
    arithmetic = EXACT if exact else FLOAT
    return evaluate_loaded(bind(_tape(program), _pairs(values, bindings), arithmetic), exact, convention)


def evaluate_loaded(loaded: Loaded, exact: bool, convention: str) -> Result:
    """`evaluate` for a program already lowered and bound."""
    result = compute(loaded, exact, convention)
    if not result.differentiated:
        raise tensor_output_error(result.raw)
    return result


def compute(loaded: Loaded, exact: bool, convention: str) -> Result:
    """`backprop eval`'s computation (commands/eval.py calls it): a Result, whose gradients are missing
    (`differentiated` False) when the output is a tensor; what is undefined at the point is an Undefined
    with its reason, and the rest computed."""
    from .engine.compute import differentiate

    arithmetic = EXACT if exact else FLOAT
    return Result(differentiate(loaded.tape, loaded.inputs, arithmetic, convention=convention, keep_undefined=True),
                  loaded)


def tensor_output_error(raw) -> UsageError:
    """The usage error of a program whose output is a tensor: eval differentiates a scalar."""
    from .engine.tensor.shapes import shape_text

    name = raw.tape.output_name or "the output"
    shape = shape_text(raw.shape(raw.tape.output))
    return UsageError(f"{name} is a tensor of shape {shape}, and eval differentiates a scalar: reduce it to one "
                      f"(sum, mean, an element such as [0], or a loss such as cross_entropy or mse), or use "
                      f"backprop jacobian for the derivatives of every element")


class Result:
    """Every value and gradient of a program at one point (what `backprop eval` prints).

    Numbers are floats, Fractions under exact arithmetic, None where undefined; vectors and matrices are
    nested lists of them. `raw` is the engine's record (engine/compute.Result or tensor_compute.TensorResult)."""

    def __init__(self, raw, loaded) -> None:
        self.raw = raw
        self._loaded = loaded

    # numbers
    def _read(self, x: Any) -> Any:
        if self.raw.tensor and x is not None and type(x) is not Undefined:
            nested = self.raw.nested(x)
            if isinstance(nested, list):
                return _map_nested(nested, _number)
        return _number(x)

    @property
    def differentiated(self) -> bool:
        """False for a tensor output, which has values but no gradient."""
        return not self.raw.tensor or self.raw.differentiated

    @property
    def program(self) -> str:
        return self.raw.tape.source

    @property
    def exact(self) -> bool:
        return bool(self.raw.exact)

    @property
    def convention(self) -> str:
        return self.raw.convention

    @property
    def value(self) -> Any:
        """The output's value."""
        return self._read(self.raw.value)

    @property
    def inputs(self) -> dict[str, Any]:
        return {name: self._read(v) for name, v in self.raw.inputs.items()}

    @property
    def gradient(self) -> dict[str, Any]:
        """d output / d name for every input and named intermediate, in the program's order."""
        return {name: self._read(g) for name, g in self.raw.gradient().items()}

    @property
    def forward_gradient(self) -> dict[str, Any] | None:
        """d output / d input by forward mode (None where it was skipped: too big a program)."""
        fwd = self.raw.forward_gradient
        return None if fwd is None else {name: self._read(g) for name, g in fwd.items()}

    @property
    def undefined(self) -> dict:
        """Why each missing number is missing: the "undefined" object of the JSON ({} when none is)."""
        return self.document().get("undefined", {})

    def error(self) -> MathError | None:
        """The math error the first missing number is (what `eval` exits 4 for), or None."""
        return self.raw.error() if self.raw.undefined else None

    @property
    def nodes(self) -> list[dict]:
        """One record per node of the graph: the "nodes" of the JSON document (id, name, op, args, expr,
        value, grad, local)."""
        return self.document()["nodes"]

    # the command line's outputs
    def check(self, rtol: float = 1e-6, atol: float = 1e-9, *, sample: int | None = None,
              seed: int | None = None):
        """eval --check: each input's gradient against central finite differences (a CheckReport: `.ok`,
        `.inputs`); `sample` and `seed` choose elements of vectors and matrices to compare (a program of numbers has none)."""
        from .engine.finite_differences import check_tolerances

        check_tolerances(rtol, atol)
        if self.raw.tensor:
            from .engine.tensor_finite_differences import DEFAULT_SEED, tensor_check

            return tensor_check(self.raw, rtol, atol, sample, DEFAULT_SEED if seed is None else seed)
        from .engine.finite_differences import finite_difference_check

        loaded = self._loaded
        return finite_difference_check(loaded.tape, loaded.inputs, self.raw.gradient(), self.raw.values, rtol, atol)

    def extras(self, symbolic: bool = False, direction: str | None = None):
        """eval --symbolic and --direction (engine/extras.Extras)."""
        from .engine.extras import compute_extras

        if self.raw.tensor:
            for given, option in ((symbolic, "--symbolic"), (direction is not None, "--direction")):
                if given:
                    refuse_tensors(self.raw.tape, option)
        return compute_extras(self.raw, symbolic, direction, EXACT if self.exact else FLOAT)

    def symbolic(self) -> dict[str, str]:
        """d output / d input for each input as a formula (eval --symbolic)."""
        return {name: f.text for name, f in self.extras(symbolic=True).formulas.items()}

    def directional(self, direction: Mapping[str, Any]) -> Any:
        """The derivative along `direction` (inputs left out are 0), by one forward pass (eval --direction)."""
        text = ",".join(f"{name}={_text(name, v)}" for name, v in direction.items())
        return _number(self.extras(direction=text).directional)

    def hessian(self, wrt: Iterable[str] | None = None) -> dict:
        """The matrix of second derivatives over `wrt` (default: every input), as `backprop hessian`:
        {"names": [...], "matrix": [[...]]}."""
        loaded = self._loaded
        names = None if wrt is None else ",".join(wrt)
        arithmetic = EXACT if self.exact else FLOAT
        if self.raw.tensor:
            from .engine.tensor_second import tensor_hessian

            found = tensor_hessian(loaded.tape, loaded.inputs, names, arithmetic, self.convention)
            return {"names": list(found.names), "matrix": [[_number(v) for v in row] for row in found.matrix]}
        from .engine.bindings import select_inputs
        from .engine.second import hessian

        chosen = select_inputs(loaded.tape, names, "wrt")
        matrix = hessian(loaded.tape, loaded.inputs, chosen, arithmetic, self.convention).matrix
        return {"names": list(chosen), "matrix": [[_number(v) for v in row] for row in matrix]}

    def document(self, check=None, extras=None) -> dict:
        """The `eval --json` document (with a check report and extras as --check, --symbolic give them)."""
        from .render.json_report import eval_document, with_extras

        return with_extras(eval_document(self.raw, check), extras)

    def to_json(self, *, check=None, indent: bool = False) -> str:
        """The `backprop eval --json` document, byte for byte as the command prints it to a pipe (one line;
        `indent=True` as it prints it to a terminal); `check`, a report from `check()`, adds its verdicts."""
        from .render.json_report import dumps

        return dumps(self.document(check), pretty=indent)

    def graph(self, format: str = "dot", digits: int | None = 6) -> str:
        """The computational graph as `eval --graph` draws it: DOT, a Mermaid flowchart, or the tree."""
        if format not in GRAPH_FORMATS:
            raise UsageError(f"format must be one of {', '.join(GRAPH_FORMATS)}, not {format!r}")
        if format == "tree":
            from .render.graph_tree import graph_tree

            return _plain(graph_tree(self.raw, digits))
        from .render.graph_text import to_dot, to_mermaid

        return to_mermaid(self.raw, digits) if format == "mermaid" else to_dot(self.raw, digits)

    def view(self, digits: int | None = 6, max_rows: int = 200, check=None):
        """The Rich renderable `backprop eval` prints: the forward and backward tables and the notes."""
        if self.raw.tensor:
            from .render.tensor_tables import eval_view
        else:
            from .render.tables import eval_view
        return eval_view(self.raw, digits, check, max_rows, self._loaded.from_program)

    def tables(self, digits: int | None = 6) -> str:
        """The tables as plain text, as `backprop eval` prints them to a pipe."""
        return _plain(self.view(digits))

    def explain(self, format: str = "text", *, wrt: str | None = None, digits: int = 6) -> str:
        """The worked solution as `backprop explain --float` writes it (this Result's numbers: floats, or
        fractions when evaluated with exact=True) in text, markdown, latex or html."""
        return explanation(self.raw, format, wrt, digits, exact=self.exact)

    # notebooks
    def __rich__(self):
        return self.view()

    def _repr_html_(self) -> str | None:
        try:
            return self.explain("html")
        except BackpropError:
            return None

    def _repr_markdown_(self) -> str | None:
        try:
            return self.explain("markdown")
        except BackpropError:
            return None

    def __repr__(self) -> str:
        return f"<Result of {self.program!r}: value {self.value!r}, gradient {self.gradient!r}>"


def _map_nested(nested: Any, f) -> Any:
    """f over the numbers of nested lists, without recursion (a value's depth is the user's)."""
    if not isinstance(nested, list):
        return f(nested)
    out: list = []
    stack = [(nested, out)]
    while stack:
        source, target = stack.pop()
        for item in source:
            if isinstance(item, list):
                inner: list = []
                target.append(inner)
                stack.append((item, inner))
            else:
                target.append(f(item))
    return out


def _plain(renderable) -> str:
    """A Rich renderable as the plain text the command prints to a pipe (no colour, 100 columns)."""
    import io

    from .render.console import make_console

    class Text(io.StringIO):
        encoding = "utf-8"  # a str holds ∂ and the tree's lines

    buffer = Text()
    make_console("never", file=buffer).print(renderable, crop=False)
    return buffer.getvalue()


def explanation(raw, fmt: str, wrt: str | None, digits: int, exact: bool) -> str:
    """The worked solution of an engine result in a format (`backprop explain` writes it; the symbolic
    formulas of --symbolic are added by the command); `exact` writes exact values as fractions, not decimals.
    explanation_lines joined."""
    from .render.explain_tensor import joined

    return joined(explanation_lines(raw, fmt, wrt, digits, exact))


def explanation_lines(raw, fmt: str, wrt: str | None, digits: int, exact: bool):
    """explanation's lines, one at a time (each step made as its line is); a bad format or --wrt is an error
    now, before the first line."""
    if fmt not in EXPLAIN_FORMATS:
        raise UsageError(f"format must be one of {', '.join(EXPLAIN_FORMATS)}, not {fmt!r}")
    if raw.tensor:
        from .engine.shaping import index_only
        from .teaching.tensor_steps import check_wrt, tensor_worked

        if wrt is not None:
            check_wrt(raw.tape, wrt, index_only(raw.tape))
        return worked_lines(tensor_worked(raw, wrt, decimals=not exact), raw, fmt, digits)
    from .teaching.steps import resolve_wrt, worked_solution

    if wrt is not None:
        resolve_wrt(raw.tape, wrt)
    return worked_lines(worked_solution(raw, wrt, decimals=not exact), raw, fmt, digits)


def worked_lines(worked, raw, fmt: str, digits: int):
    """A worked solution (teaching/steps.Worked, or tensor_steps.TensorWorked for a tensor program) in a format,
    a line at a time, each step made as its line is (`backprop explain` writes them as they come, so a long
    program's solution is never held whole)."""
    if raw.tensor:
        if fmt == "latex":
            from .render.explain_tensor_latex import latex_lines

            return latex_lines(worked, digits)
        if fmt == "html":
            from .render.explain_html import tensor_html_lines

            return tensor_html_lines(worked, digits)
        from .render.explain_tensor import markdown_lines, text_lines

        return (markdown_lines if fmt == "markdown" else text_lines)(worked, digits)
    if fmt == "html":
        from .render.explain_html import html_lines

        return html_lines(worked, raw, digits)
    from .render.explain import worked_lines as lines

    return lines(worked, fmt, digits)


# -- grade ---------------------------------------------------------------------------------------------------

class Verdict:
    """One graded answer: `target` (as written: "value", "d", "e.value"), `kind` (value, gradient, node
    value), `given` (the answer's text), `status` (correct, accepted or wrong), `ok` (not wrong), `correct`
    (the true number), `rule` (the rule applied, in words), `note`, and `record` (teaching/grading.Verdict)."""

    __slots__ = ("target", "kind", "given", "status", "ok", "correct", "rule", "note", "record")

    def __init__(self, record) -> None:
        self.record = record
        self.target = record.target
        self.kind = record.expectation.kind
        self.given = getattr(record.expectation.answer, "text", None)
        self.status = record.status
        self.ok = record.ok
        self.correct = _map_nested(record.correct, _number) if not record.elements else \
            [_number(v.correct) for v in record.elements]
        self.rule = record.rule
        self.note = record.note

    def __repr__(self) -> str:
        return f"<Verdict {self.target}={self.given}: {self.status}>"


class Grading:
    """`backprop check`'s grading: `ok`, `verdicts` (Verdict records), `diagnoses` (target -> the likely
    mistakes, teaching/diagnosis.Diagnosis records), `to_json()` (its --json document)."""

    def __init__(self, result, graded, diagnoses: dict) -> None:
        self.raw, self.graded, self.diagnoses = result, graded, diagnoses
        self.verdicts = [Verdict(v) for v in graded.verdicts]

    @property
    def ok(self) -> bool:
        return bool(self.graded.ok)

    def document(self) -> dict:
        from .render.check_report import check_document
        from .render.diagnosis_text import with_diagnoses

        return with_diagnoses(check_document(self.raw, self.graded), self.diagnoses)

    def to_json(self, *, indent: bool = False) -> str:
        from .render.json_report import dumps

        return dumps(self.document(), pretty=indent)

    def __rich__(self):
        from .render.check_view import check_view

        return check_view(self.raw, self.graded, 6, self.diagnoses)

    def __repr__(self) -> str:
        return f"<Grading ok={self.ok}: " + ", ".join(f"{v.target} {v.status}" for v in self.verdicts) + ">"


def grade(program: str, answers: Mapping[str, Any] | Iterable[str], values: Mapping[str, Any] | None = None, *,
          exact: bool = False, convention: str = DEFAULT, tolerance: float | None = None, strict: bool = False,
          **bindings: Any) -> Grading:
    """Grade answers to `program` at a point as `backprop check` does: `answers` maps NAME to ANSWER
    ({"d": "4/3", "value": 4}) or is a list of "NAME=ANSWER" items; NAME as check reads it (value, e.value,
    dg/da, W[1, 0])."""
    from .teaching.answers import split_expectation

    convention = _check_convention(convention)
    if isinstance(answers, Mapping):
        items = [f"{name}={_text(str(name), answer)}" for name, answer in answers.items()]
    elif isinstance(answers, str):
        items = [answers]
    else:
        items = list(answers)
    items = [(item, f"answer {item}") for item in items]
    for item, where in items:
        if not isinstance(item, str):
            raise UsageError(f"an answer is NAME=ANSWER text, not {type(item).__name__}")
        split_expectation(item, where)
    if not items:
        raise UsageError("nothing to check: give at least one answer (as in {\"d\": \"4/3\"})")
    if tolerance is not None and not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance)
                                      and tolerance >= 0):
        raise UsageError(f"tolerance must be a finite number >= 0, not {tolerance}")
    loaded = bind(_tape(program), _pairs(values, bindings), EXACT)  # the decimals as written: 0.1 is 1/10
    return grade_loaded(loaded, items, exact=exact, convention=convention, tolerance=tolerance, strict=strict)


def grade_loaded(loaded: Loaded, items: list[tuple[str, str]], *, exact: bool, convention: str,
                 tolerance: float | None, strict: bool) -> Grading:
    """`grade` for a program already lowered and bound in exact arithmetic, its answers as (NAME=ANSWER,
    where it was written) pairs: `backprop check`'s computation (commands/check.py calls it)."""
    from .teaching.answers import expectations
    from .teaching.checking import backward_order, diagnoses, graded_results, other_conventions, tensor_results
    from .teaching.grading import grade as grade_answers

    wanted = expectations(loaded.tape, items)
    if loaded.tape.tensor:  # vectors and matrices: graded element by element
        result, truth = tensor_results(loaded, exact, convention)
        graded = grade_answers(result, wanted, tolerance, truth=truth, strict=strict)  # (backward: tape reversed)
    else:
        result, truth = graded_results(loaded, exact, convention)
        graded = grade_answers(result, wanted, tolerance, backward_order=backward_order(result),
                               truth=truth, strict=strict)
        graded = other_conventions(loaded, exact, convention, graded, wanted, tolerance, strict)
    return Grading(result, graded, diagnoses(result, graded, truth))


# -- compile -------------------------------------------------------------------------------------------------

_compile = compile  # Python's, before the name below hides it here


def compile(program: str, *, convention: str = DEFAULT) -> Function:  # noqa: A001 (the API's word for it)
    """`program` parsed and lowered once, for many points (see Function)."""
    return Function(program, convention=convention)


class Function:
    """A program parsed and lowered once.

    - `f(**values)` / `f(values)`: a Result at one point, as `evaluate`.
    - `f.value_and_grad(**columns)`: the value and every gradient at many points, computed on NumPy arrays
      (engine/vectorized.py, the engine of `eval --batch`) with the scalar engine's numbers, bit for bit;
      columns are arrays, lists or pandas Series of one length, or numbers (the same for every row).
      Where a number does not exist (log of a negative) it is NaN, and the rest of the row is computed, as
      `evaluate` computes it (`eval --batch` leaves such a row empty instead).
    - `f.frame(df)`: a pandas DataFrame of those, one row per row of df.

    It pickles as its program text and convention (and is lowered again on unpickling), so it can be sent
    to Dask's map_partitions or Spark's mapInPandas workers."""

    def __init__(self, program: str, *, convention: str = DEFAULT) -> None:
        self.convention = _check_convention(convention)
        self.tape = _tape(program)
        self.program = program
        self._plan = None

    def __getstate__(self) -> dict:
        return {"program": self.program, "convention": self.convention}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["program"], convention=state["convention"])

    def __repr__(self) -> str:
        return f"<Function {self.program!r}, inputs {', '.join(self.inputs)}>"

    @property
    def inputs(self) -> list[str]:
        return list(self.tape.inputs)

    @property
    def gradient_names(self) -> list[str]:
        """The names of value_and_grad's gradients: the inputs and named intermediates, in the program's order."""
        from .batch.run import gradient_names

        return gradient_names(self.tape)

    def __call__(self, values: Mapping[str, Any] | None = None, *, exact: bool = False, **bindings: Any) -> Result:
        arithmetic = EXACT if exact else FLOAT
        return evaluate_loaded(bind(self.tape, _pairs(values, bindings), arithmetic), exact, self.convention)

    def value_and_grad(self, columns: Mapping[str, Any] | None = None, **more: Any):
        """(values, {name: gradients}) as NumPy float64 arrays, one entry per row."""
        import numpy as np

        refuse_tensors(self.tape, "value_and_grad over arrays")
        given = {**(columns or {}), **more}
        arrays, constants, rows = self._columns(given, np)
        names = self.gradient_names
        if self._plan is None:
            from .engine.vectorized import Plan

            self._plan = Plan(self.tape, self.convention)
        value, gradient, bad = self._plan.run({**arrays, **{n: np.float64(v) for n, v in constants.items()}}, rows)
        value = np.array(value, dtype=np.float64)
        gradient = {name: np.array(gradient[name], dtype=np.float64) for name in names}
        for r in np.flatnonzero(bad).tolist():  # the scalar engine fixes the row, or says there is no number
            point = {**{name: float(a[r]) for name, a in arrays.items()}, **constants}
            numbers = self._scalar_row(point, names)
            value[r] = numbers[0]
            for name, number in zip(names, numbers[1:]):
                gradient[name][r] = number
        value += 0.0  # -0.0 as 0, as eval --json writes it
        for g in gradient.values():
            g += 0.0
        return value, gradient

    def _scalar_row(self, point: dict, names: list[str]) -> list[float]:
        """The row by the scalar engine, as `evaluate` gives it: NaN where a number does not exist (or does
        not fit a float), every other number computed."""
        from .engine.compute import differentiate

        result = differentiate(self.tape, point, FLOAT, forward_mode=False, convention=self.convention,
                               keep_undefined=True)
        gradient = result.gradient()
        numbers = [result.value, *(gradient.get(name) for name in names)]
        return [math.nan if n is None or type(n) is Undefined or not math.isfinite(n) else float(n)
                for n in numbers]

    def _columns(self, given: dict, np):
        """(arrays by input, numbers by input, rows): every input given, the arrays one length, floats."""
        tape = self.tape
        defaults = getattr(tape, "defaults", None) or {}
        missing = [name for name in tape.inputs if name not in given and name not in defaults]
        if missing:
            raise UsageError(f"{', '.join(missing)} {'needs' if len(missing) == 1 else 'need'} values")
        for name in given:
            if name not in tape.inputs:
                if name in tape.named:
                    raise UsageError(f"{name} is assigned by the program, so it is not an input and takes no value")
                raise UsageError(f"{name} is not used by the program (its inputs are: "
                                 f"{', '.join(tape.inputs) or 'none'})")
        arrays, constants = {}, {name: FLOAT.literal(defaults[name]) for name in tape.inputs
                                 if name in defaults and name not in given}
        rows = None
        for name, column in given.items():
            if np.ndim(column) == 0 and not isinstance(column, str):
                constants[name] = _float(name, column)
                continue
            try:
                array = np.asarray(column, dtype=np.float64)
            except (TypeError, ValueError):
                raise UsageError(f"the values of {name} are not numbers") from None
            if array.ndim != 1:
                raise UsageError(f"the values of {name} have shape {array.shape}: give one number per row")
            if rows is not None and len(array) != rows:
                raise UsageError(f"the columns have different lengths: {name} has {len(array)} rows, not {rows}")
            rows = len(array)
            if not np.isfinite(array).all():
                raise UsageError(f"the values of {name} include {'NaN' if np.isnan(array).any() else 'an infinity'}:"
                                 " give finite numbers")
            arrays[name] = np.ascontiguousarray(array)
        return arrays, constants, 1 if rows is None else rows

    def frame(self, df: pandas.DataFrame, *, with_inputs: bool = False) -> pandas.DataFrame:
        """A DataFrame with the value and every gradient (columns value, grad_<name>, as `eval --batch`
        writes them) for each row of `df`, whose columns named like the program's inputs are read (others
        are ignored); `with_inputs` puts df's input columns first."""
        import pandas as pd

        columns = {name: df[name].to_numpy(dtype="float64") for name in self.tape.inputs if name in df.columns}
        value, gradient = self.value_and_grad(columns)
        data = {}
        if with_inputs:
            data.update({name: df[name] for name in columns})
        data["value"] = value
        data.update({f"grad_{name}": g for name, g in gradient.items()})
        return pd.DataFrame(data, index=df.index)


def _float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise UsageError(f"the value of {name} is not a number: {_short(value)}") from None
    if not math.isfinite(number):
        raise UsageError(f"the value of {name} is {number}: give a finite number")
    return number
