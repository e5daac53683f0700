"""Property tests: programs generated from the grammar and by program_gen, and the relations they must keep.

- From the grammar itself (hypothesis.extra.lark.from_lark on grammar/backprop.lark):
  every string the grammar derives either evaluates (exit 0) or fails with a
  documented error (exit 3 for the program, 4 for the math), through the whole
  command line, and the command line says exactly what the library computes.
  The strings that write vectors or matrices (lists, indexing, @, .T) are read
  and printed back; running them waits for their lowering (TENSORS_RUN below).
- Metamorphic relations, on programs from tests/program_gen.py:
  forward mode = reverse mode; both agree with finite differences away from
  kinks; (f+g)' = f' + g'; renaming every variable, or reordering independent
  assignments, changes nothing; printing a program and parsing it back gives the
  same graph; exact mode (--exact) agrees with float mode to 1e-12 where both apply.

Every test runs a fixed number of examples, chosen by Hypothesis from a fixed
seed (derandomize=True, no example database), and asserts that it really ran
them: EXAMPLES below is the count docs/testing.md states. BACKPROP_PROPERTY_SCALE
multiplies every count for a longer hunt (e.g. 10 for a nightly run).
"""
from __future__ import annotations

import json
import math
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from backprop_cli.engine.arithmetic import EXACT, FLOAT
from backprop_cli.engine.compute import differentiate
from backprop_cli.base.errors import MathError, ProgramError
from backprop_cli.engine.forward import evaluate
from backprop_cli.language.syntax_tree import Apply, Assign, Define, Index, Name, Number, Slice
from backprop_cli.engine.ops import OPS
from backprop_cli.language.grammar import grammar_path
from backprop_cli.language.parser import parse
from backprop_cli.language.printer import print_expression, print_program
from backprop_cli.engine.tape import lower

from as_typed import as_typed
from clirun import assert_well_behaved, run_main
from numerics import EPS, rounding_bounds
from program_gen import (EVERY_OP, FUNCTIONS, NOWHERE, RandomSource, bindings, generate, hypothesis_programs,
                         identifier)

SCALE = max(1, int(os.environ.get("BACKPROP_PROPERTY_SCALE", "1")))
EXAMPLES = {  # examples (generated programs) per run, by test; docs/testing.md quotes the total
    "grammar": 150,
    "generated_cli": 150,
    "forward_reverse": 300,
    "finite_differences": 200,
    "sum_rule": 150,
    "sum_rule_exact": 100,
    "renaming": 150,
    "reordering": 150,
    "print_parse_generated": 300,
    "exact_float": 200,
    "typed": 300,
    "typed_cli": 100,
}
TOTAL_EXAMPLES = sum(EXAMPLES.values())


def profile(name: str):
    return settings(max_examples=EXAMPLES[name] * SCALE, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)


def run_counted(name: str, strategy, body) -> None:
    """Run `body` on EXAMPLES[name] generated examples and check that all of them really ran."""
    done = []

    @profile(name)
    @given(strategy)
    def property_(example):
        body(example)
        done.append(1)

    property_()
    assert len(done) >= EXAMPLES[name] * SCALE, f"{name}: only {len(done)} examples ran"


# ------------------------------------------------------------------------ programs from the grammar

# variables four times as often as function names: a NAME token is a variable more often than a call
_NAMES = ["x", "y", "e", "w_2", "E_o1"] * 4 + ["pi", "foo", *sorted(FUNCTIONS)]
_EXPRESSION_RULES = ("sum", "product", "unary", "power", "atom", "__atom_star_1")


def _bounded(strategy, weight: int = 20):
    """from_lark picks each rule's expansions uniformly, and this grammar's expressions recurse in most of
    them (an expected size without bound: Hypothesis throws most drafts away as too large, which costs
    90 ms an example). Here the expansions that do not recurse are drawn `weight` times as often."""
    lark_strategy = getattr(strategy, "wrapped_strategy", strategy)
    table = getattr(lark_strategy, "nonterminal_strategies", None)
    if table is None:  # another Hypothesis: the plain strategy still works, only slower
        return strategy
    for rule in _EXPRESSION_RULES:
        if rule in table:
            expansions = list(table[rule].elements)
            leaves = [e for e in expansions if not any(sym.name in _EXPRESSION_RULES or sym.name == "expr"
                                                       for sym in e)]
            table[rule] = st.sampled_from(leaves * weight + expansions)
    return strategy


GRAMMAR_PROGRAMS = _bounded(from_lark(
    __import__("lark").Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr"),
    explicit={
        "NAME": st.sampled_from(_NAMES),
        "NUMBER": st.sampled_from(["0", "1", "2", "7", "0.5", ".5", "3.", "1e-3", "2.5E2", "1e400", "12345678901"]),
        "_SEP": st.sampled_from([";", "\n", "\r\n"]),
        "_POW": st.sampled_from(["^", "**"]),
        "COMMENT": st.just(""),  # from_lark would put a comment mid-line, where it swallows the rest
        "__IGNORE_0": st.sampled_from([" ", "\t"]),
    },
))


# Whether programs with vectors and matrices run through the command line here too. The language reads them
# (tests/language/test_tensor_syntax.py); lowering them to the tape is the engine's part of issue 14, and
# until it is there they are only read and printed back: set this to True when it lands.
TENSORS_RUN = False
_TENSOR_OPERATORS = ("stack", "matmul", "transpose")


def writes_tensors(statements) -> bool:
    """Whether any statement writes a list, an index, '@' or a transpose (an explicit stack: no recursion)."""
    stack = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, (Index, Slice)):
            return True
        if isinstance(node, Assign):
            stack.append(node.expr)
        elif isinstance(node, Define):
            stack.append(node.body)
        elif isinstance(node, Apply):
            if node.op in _TENSOR_OPERATORS and not node.is_call:
                return True
            stack.extend(node.args)
    return False


def classify(text: str, point: random.Random):
    """What the library makes of `text`: ("program error" | "math error" | "ok", tape, inputs, result)."""
    try:
        tape = lower(parse(text))
    except ProgramError:
        return "program error", None, {}, None
    inputs = {name: point.choice([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0]) for name in tape.inputs}
    try:
        return "ok", tape, inputs, differentiate(tape, inputs)
    except MathError:
        return "math error", tape, inputs, None


def test_programs_from_the_grammar_evaluate_or_fail_as_documented():
    seen = {"program error": 0, "math error": 0, "ok": 0, "tensors read": 0}

    def body(text):
        if not TENSORS_RUN:
            try:
                read = writes_tensors(parse(text).statements)
            except ProgramError:
                read = False
            if read:
                seen["tensors read"] += 1
                _check_print_parse(text)
                return
        outcome, tape, inputs, result = classify(text, random.Random(len(text)))
        seen[outcome] += 1
        run = run_main(["eval", "--json", "--", text, *bindings(inputs)])
        assert_well_behaved(run.code, run.out, run.err, repr(text))
        assert run.code == {"program error": 3, "math error": 4, "ok": 0}[outcome], (text, run.err)
        if outcome == "ok":
            doc = json.loads(run.out)
            assert doc["value"] == result.value
            assert doc["gradient"] == {k: float(v) for k, v in result.gradient().items()}
        _check_print_parse(text)  # the same programs, printed and parsed back (below)

    run_counted("grammar", GRAMMAR_PROGRAMS, body)
    assert seen["ok"] >= 8 and seen["program error"] >= 50, seen  # both kinds are really exercised
    assert seen["tensors read"] >= 5, seen  # and the syntax of vectors and matrices


def test_generated_programs_through_the_command_line():
    def body(generated):
        run = run_main(["eval", "--json", "--", generated.text, *bindings(generated.values)])
        assert_well_behaved(run.code, run.out, run.err, generated.text)
        assert run.code in (0, 4)
        doc = json.loads(run.out)
        if "error" not in doc:  # (exit 4 with a document: something is undefined, the rest computed: issue 13)
            assert (run.code == 4) == ("undefined" in doc)
            missing = doc.get("undefined", {}).get("gradient", {})
            assert {name for name, g in doc["gradient"].items() if g is None} == set(missing)
            tape = lower(parse(generated.text))
            from_input = []  # a named node computed from constants alone is a constant: no gradient
            for node in tape.nodes:
                from_input.append(node.op == "input" or any(from_input[a] for a in node.args))
            expected = {name for name, i in tape.named.items() if from_input[i] or i == tape.output}
            assert set(doc["gradient"]) == expected  # every input and named intermediate computed from one
            assert set(doc["inputs"]) == set(generated.inputs)

    run_counted("generated_cli", hypothesis_programs(safe=False), body)


# ------------------------------------------------------------------------ metamorphic relations

def _evaluated(generated, arithmetic=FLOAT, values=None):
    tape = lower(parse(generated.text))
    values = generated.values if values is None else values
    try:
        return tape, differentiate(tape, values, arithmetic)
    except MathError:
        return tape, None


def _close(a, b, tolerance) -> bool:
    return abs(float(a) - float(b)) <= tolerance


def test_forward_mode_equals_reverse_mode():
    def body(generated):
        tape, result = _evaluated(generated)
        if result is None:
            return
        bounds = rounding_bounds(tape, result.values)
        gradient = result.gradient()
        for name, i in tape.inputs.items():
            # the same path products, summed in another order: equal up to that rounding
            tolerance = 1e-12 * abs(gradient[name]) + 64 * EPS * bounds.adjoint[i]
            assert _close(result.forward_gradient[name], gradient[name], tolerance), (generated.text, name)

    run_counted("forward_reverse", hypothesis_programs(), body)


def _smooth_near(tape, inputs, name, h) -> bool:
    """No kink or jump changes side (or sits) within [x - 2h, x + 2h] of input `name`."""
    x = inputs[name]
    try:
        sweeps = [evaluate(tape, {**inputs, name: x + k * h}) for k in (-2, -1, 0, 1, 2)]
    except MathError:
        return False
    for i, node in enumerate(tape.nodes):
        op = OPS.get(node.op)
        if op is None or op.branch is None:
            continue
        sides = {op.branch(*(values[a] for a in node.args)) for values in sweeps}
        if len(sides) > 1 or 0 in sides:
            return False
    return True


def _richardson(tape, inputs, name, h):
    """Central difference of order h^4, and an estimate of its error (the two orders' difference)."""
    def f(t):
        return evaluate(tape, {**inputs, name: t})[tape.output]

    x = inputs[name]
    coarse = (f(x + h) - f(x - h)) / (2 * h)
    fine = (f(x + h / 2) - f(x - h / 2)) / h
    return (4 * fine - coarse) / 3, abs(fine - coarse)


def test_both_modes_agree_with_finite_differences_away_from_kinks():
    checked = []

    def body(generated):
        tape, result = _evaluated(generated)
        if result is None:
            return
        for name in tape.inputs:
            h = 1e-3 * max(1.0, abs(generated.values[name]))
            if not _smooth_near(tape, generated.values, name, h):
                continue
            numeric, error = _richardson(tape, generated.values, name, h)
            scale = max(1.0, abs(result.value))
            if error > 1e-4 * max(scale, abs(numeric)):
                continue  # the function changes too fast at this scale for differences to measure it
            tolerance = 1e-6 * max(abs(numeric), scale) + 10 * error
            for mode, gradient in (("reverse", result.gradient()[name]), ("forward", result.forward_gradient[name])):
                assert _close(gradient, numeric, tolerance), (generated.text, name, mode, gradient, numeric)
            checked.append(name)

    run_counted("finite_differences", hypothesis_programs(), body)
    assert len(checked) >= EXAMPLES["finite_differences"] * SCALE // 2, len(checked)


# ---- (f+g)' = f' + g'

def _rename(statements, mapping: dict):
    """The statements with every name (inputs and intermediates) renamed by `mapping`."""
    def expr(node):
        if isinstance(node, Name):
            return Name(mapping.get(node.name, node.name), NOWHERE)
        if isinstance(node, Apply):
            return Apply(node.op, tuple(expr(a) for a in node.args), NOWHERE, node.is_call)
        return node

    out = []
    for s in statements:
        if isinstance(s, Assign):
            out.append(Assign(mapping.get(s.name, s.name), NOWHERE, expr(s.expr), NOWHERE))
        else:
            out.append(expr(s))
    return out


def _with_output(statements, name: str):
    """The statements, the last one assigned to `name` (a bare expression gets that name; an assignment a copy)."""
    *head, last = statements
    if isinstance(last, Assign):
        return [*head, last, Assign(name, NOWHERE, Name(last.name, NOWHERE), NOWHERE)]
    return [*head, Assign(name, NOWHERE, last, NOWHERE)]


@st.composite
def program_pairs(draw, rational=False):
    source = __import__("program_gen").HypothesisSource(draw)
    f = generate(source, rational=rational)
    g = generate(source, rational=rational)
    taken = set(f.inputs) | {s.name for s in f.program.statements if isinstance(s, Assign)} | {"f_output", "g_output", "f_plus_g"}
    mapping = {}
    for name in g.inputs:  # share some inputs with f, keep others apart
        if f.inputs and source.chance(0.5):
            mapping[name] = source.choice(f.inputs)
        else:
            mapping[name] = identifier(source, taken)
    for s in g.program.statements:
        if isinstance(s, Assign):
            mapping[s.name] = identifier(source, taken)
    g_statements = _rename(g.program.statements, mapping)
    g_values = {mapping[n]: v for n, v in g.values.items()}
    values = {**g_values, **f.values}  # a shared input takes f's value ...
    g_values = {n: values[n] for n in g_values}  # ... in g as well
    return f, g_statements, g_values, values


def _sum_rule(pair, arithmetic):
    f, g_statements, g_values, values = pair
    f_statements = _with_output(list(f.program.statements), "f_output")
    g_statements = _with_output(g_statements, "g_output")
    h_text = print_program([*f_statements, *g_statements,
                            Assign("f_plus_g", NOWHERE, Apply("add", (Name("f_output", NOWHERE), Name("g_output", NOWHERE)),
                                                       NOWHERE), NOWHERE)])
    f_text, g_text = print_program(f_statements), print_program(g_statements)
    convert = (lambda v: EXACT.literal(repr(v))) if arithmetic is EXACT else float
    results = []
    for text, point in ((f_text, f.values), (g_text, g_values), (h_text, values)):
        tape = lower(parse(text))
        try:
            results.append((tape, differentiate(tape, {k: convert(v) for k, v in point.items()}, arithmetic)))
        except MathError:
            return None
    return results


def test_gradient_of_a_sum_is_the_sum_of_the_gradients():
    def body(pair):
        results = _sum_rule(pair, FLOAT)
        if results is None:
            return
        (ft, f), (gt, g), (ht, h) = results
        fb, gb = rounding_bounds(ft, f.values), rounding_bounds(gt, g.values)
        f_grad, g_grad, h_grad = f.gradient(), g.gradient(), h.gradient()
        for name in ht.inputs:
            expected = f_grad.get(name, 0.0) + g_grad.get(name, 0.0)
            scale = (fb.adjoint[ft.inputs[name]] if name in ft.inputs else 0) + \
                    (gb.adjoint[gt.inputs[name]] if name in gt.inputs else 0)
            assert _close(h_grad[name], expected, 1e-12 * abs(expected) + 64 * EPS * scale), (pair[0].text, name)
        assert _close(h.value, f.value + g.value, 4 * EPS * (abs(f.value) + abs(g.value)))

    run_counted("sum_rule", program_pairs(), body)


def test_gradient_of_a_sum_is_the_sum_of_the_gradients_exactly():
    """The same with --exact on rational programs: equal as fractions, no tolerance."""
    def body(pair):
        results = _sum_rule(pair, EXACT)
        if results is None:
            return
        (ft, f), (gt, g), (ht, h) = results
        f_grad, g_grad = f.gradient(), g.gradient()
        for name, gradient in h.gradient().items():
            if name in ht.inputs:
                assert gradient == f_grad.get(name, 0) + g_grad.get(name, 0), (pair[0].text, name)
            elif name in f_grad:
                assert gradient == f_grad[name]
            elif name in g_grad:
                assert gradient == g_grad[name]
        assert h.value == f.value + g.value

    run_counted("sum_rule_exact", program_pairs(rational=True), body)


# ---- renaming and reordering

@st.composite
def renamed(draw):
    source = __import__("program_gen").HypothesisSource(draw)
    g = generate(source)
    names = list(g.inputs) + [s.name for s in g.program.statements if isinstance(s, Assign)]
    taken = set(names)
    mapping = {name: identifier(source, taken) for name in names}
    return g, mapping


def test_renaming_every_variable_changes_nothing():
    def body(example):
        generated, mapping = example
        text = print_program(_rename(generated.program.statements, mapping))
        tape, result = _evaluated(generated)
        other = lower(parse(text))
        try:
            other_result = differentiate(other, {mapping[k]: v for k, v in generated.values.items()})
        except MathError:
            assert result is None, text
            return
        assert result is not None
        assert [n.op for n in tape.nodes] == [n.op for n in other.nodes]
        assert result.values == other_result.values  # bit for bit: the same operations in the same order
        assert {mapping[k]: v for k, v in result.gradient().items()} == other_result.gradient()
        assert {mapping[k]: v for k, v in result.forward_gradient.items()} == other_result.forward_gradient

    run_counted("renaming", renamed(), body)


def _uses(expr) -> set:
    found, stack = set(), [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found.add(node.name)
        elif isinstance(node, Apply):
            stack.extend(node.args)
    return found


@st.composite
def reordered(draw):
    """A program and an order of its statements that respects every dependency (the output stays last)."""
    source = __import__("program_gen").HypothesisSource(draw)
    g = generate(source, max_statements=6)
    *head, last = g.program.statements
    assigned = {s.name: k for k, s in enumerate(head) if isinstance(s, Assign)}
    needs = [{assigned[n] for n in _uses(s.expr if isinstance(s, Assign) else s) if n in assigned} for s in head]
    order, placed = [], set()
    while len(order) < len(head):
        ready = [k for k in range(len(head)) if k not in placed and needs[k] <= placed]
        k = source.choice(ready)
        order.append(k)
        placed.add(k)
    return g, [head[k] for k in order] + [last]


def test_reordering_independent_assignments_changes_nothing():
    def body(example):
        generated, statements = example
        tape, result = _evaluated(generated)
        other = lower(parse(print_program(statements)))
        try:
            other_result = differentiate(other, generated.values)
        except MathError:
            assert result is None
            return
        assert result is not None
        bounds = rounding_bounds(tape, result.values)
        named = tape.named
        other_values = {n.name: other_result.values[i] for i, n in enumerate(other.nodes) if n.name}
        for name, i in named.items():
            assert result.values[i] == other_values[name]  # each value: the same operations on the same operands
        other_gradient = other_result.gradient()
        for name, gradient in result.gradient().items():
            # gradients sum the same contributions, perhaps in another order
            tolerance = 1e-12 * abs(gradient) + 64 * EPS * bounds.adjoint[named[name]]
            assert _close(other_gradient[name], gradient, tolerance), (generated.text, name)
        assert result.value == other_result.value

    run_counted("reordering", reordered(), body)


# ---- printing and parsing back

def _shape(statements):
    """The statements without source positions: what must survive printing and parsing back."""
    def expr(node):
        stack, out = [node], []
        while stack:
            n = stack.pop()
            if isinstance(n, Number):
                out.append(("number", n.text))
            elif isinstance(n, Name):
                out.append(("name", n.name))
            elif isinstance(n, Index):
                out.append(("index", len(n.items)))
                stack.extend(reversed((n.target, *n.items)))
            elif isinstance(n, Slice):
                parts = (n.start, n.stop, n.step)
                out.append(("slice", tuple(part is None for part in parts)))
                stack.extend(reversed([part for part in parts if part is not None]))
            else:
                out.append(("apply", n.op, len(n.args), n.is_call, tuple(k.name for k in n.keywords)))
                stack.extend(reversed(n.args))
        return tuple(out)

    def statement(s):
        if isinstance(s, Assign):
            return ("assign", s.name, expr(s.expr))
        if isinstance(s, Define):
            return ("define", s.name, tuple(p.name for p in s.params), expr(s.body))
        return ("expr", expr(s))

    return [statement(s) for s in statements]


def _graph(tape):
    return [(n.op, n.args, n.name, n.text) for n in tape.nodes], tape.output, dict(tape.inputs)


def test_printing_a_generated_program_and_parsing_it_back_gives_the_same_graph():
    def body(generated):
        assert _shape(parse(generated.text).statements) == _shape(generated.program.statements), generated.text
        again = print_program(parse(generated.text))
        assert _graph(lower(parse(again))) == _graph(lower(parse(generated.text)))

    run_counted("print_parse_generated", hypothesis_programs(safe=False, max_depth=6), body)


def _check_print_parse(text: str) -> None:
    """For programs from the grammar (run by the first test of this file, on the same examples)."""
    try:
        program = parse(text)
    except ProgramError:
        return
    printed = print_program(program)
    assert _shape(parse(printed).statements) == _shape(program.statements), (text, printed)
    if not TENSORS_RUN and writes_tensors(program.statements):
        return
    try:
        tape = lower(program)
    except ProgramError:
        return
    assert _graph(lower(parse(printed))) == _graph(tape)


def test_printer_puts_parentheses_exactly_where_the_grammar_needs_them():
    cases = {
        "-a^2": "-a^2", "(-a)^2": "(-a)^2", "2^3^2": "2^3^2", "(2^3)^2": "(2^3)^2", "a^-b": "a^-b",
        "a-(b-c)": "a - (b - c)", "(a-b)-c": "a - b - c", "a/(b*c)": "a / (b * c)", "a*-b": "a * -b",
        "-(a+b)*c": "-(a + b) * c", "exp(x)^2": "exp(x)^2", "max(a,(b))": "max(a, b)", "((x))": "x",
        "a**b": "a^b", "--x": "--x", "-(a*b)": "-(a * b)",
    }
    for text, printed in cases.items():
        assert print_program(parse(text)) == printed
    assert print_program(parse("e = a + b; f = e*c"), separator="; ") == "e = a + b; f = e * c"


def test_printer_does_not_recurse_on_deep_programs():
    depth = 100_000
    text = "(" * depth + "x" + ")" * depth + "^2"
    assert print_expression(parse(text).statements[0]) == "x^2"
    chain = "-" * depth + "x"
    assert print_program(parse(chain)) == chain
    power = "x^" * 20_000 + "x"
    assert print_program(parse(power)) == power


# ---- exact mode against float mode

def test_exact_mode_agrees_with_float_mode():
    compared = []

    def body(generated):
        tape, result = _evaluated(generated)
        try:
            exact = differentiate(tape, {k: EXACT.literal(repr(v)) for k, v in generated.values.items()}, EXACT)
        except MathError:
            return
        if result is None:
            return  # a float overflow the fractions do not have: float mode does not apply
        bounds = rounding_bounds(tape, result.values)
        if bounds.ambiguous:
            return
        assert math.isclose(float(exact.value), result.value, rel_tol=1e-12,
                            abs_tol=2 * bounds.value_tolerance(tape.output)), generated.text
        for name, gradient in exact.gradient().items():
            tolerance = 2 * bounds.gradient_tolerance(tape.named[name])
            assert math.isclose(float(gradient), result.gradient()[name], rel_tol=1e-12, abs_tol=tolerance), \
                (generated.text, name)
        compared.append(generated.text)

    strategy = st.one_of(hypothesis_programs(rational=True), hypothesis_programs())
    run_counted("exact_float", strategy, body)
    assert len(compared) >= EXAMPLES["exact_float"] * SCALE // 2


# ---- the same programs as people type them (issue 13)

@st.composite
def typed_programs(draw, defaults: bool = False):
    """A formula-like program (tests/program_gen.py) and the same program written as typed (tests/as_typed.py):
    implicit products, Unicode operators, superscripts, √, π, Greek names, method calls, module prefixes,
    reassignment, functions of its own and keywords; with `defaults`, its point written in it (x = 2.5,
    a = Value(-1.5)) instead of bound."""
    source = __import__("program_gen").HypothesisSource(draw)
    generated = generate(source, safe=source.chance(0.8), arithmetic=0.6)
    return generated, as_typed(generated.program, source, functions=source.chance(0.5),
                               defaults=generated.values if defaults else None)


def _check_typed(generated, typed) -> None:
    """The typed program lowers to the ASCII program's tape (the same operations on the same operands, in
    the same order), so every value and gradient is the same, bit for bit, under the typed names; and the
    parser says how it read each implicit product right after a '/' (1/2x), and nothing else. A call of a
    function of the program's own puts its arguments' nodes before its body's: the same nodes in another
    order, so the same values, and gradients that sum the same contributions, perhaps in another order."""
    program = parse(typed.text)
    assert len(program.notes) == typed.slash_products, (typed.text, program.notes)
    ascii_tape, tape = lower(parse(generated.text)), lower(program)
    rename = lambda name: typed.names.get(name, name)  # noqa: E731
    in_order = not any(form.startswith("function") for form in typed.forms)
    nodes = [(n.op, n.args, n.text) for n in tape.nodes]
    ascii_nodes = [(n.op, n.args, n.text) for n in ascii_tape.nodes]
    if in_order:
        assert nodes == ascii_nodes, (generated.text, typed.text)
        for ascii_node, node in zip(ascii_tape.nodes, tape.nodes):
            if ascii_node.name is not None:
                assert node.name == rename(ascii_node.name), (typed.text, ascii_node.name, node.name)
    else:
        assert sorted((op, text) for op, _, text in nodes) == sorted((op, text) for op, _, text in ascii_nodes)
    assert tape.output_name == (ascii_tape.output_name and rename(ascii_tape.output_name))
    try:
        expected = differentiate(ascii_tape, generated.values)
    except MathError:
        expected = None
    try:
        result = differentiate(tape, {rename(k): v for k, v in generated.values.items()})
    except MathError:
        assert expected is None, typed.text
        return
    assert expected is not None, typed.text
    gradient = result.gradient()
    if in_order:
        assert result.values == expected.values
        assert {rename(k): v for k, v in expected.gradient().items()}.items() <= gradient.items()
        assert {rename(k): v for k, v in expected.forward_gradient.items()} == result.forward_gradient
        return
    assert result.value == expected.value, typed.text
    named = tape.named
    bounds = rounding_bounds(ascii_tape, expected.values)
    for name, i in ascii_tape.named.items():
        assert result.values[named[rename(name)]] == expected.values[i], (typed.text, name)
        want = expected.gradient()[name] if name in expected.gradient() else None
        if want is not None:  # the same contributions, perhaps summed in another order
            tolerance = 1e-12 * abs(want) + 64 * EPS * bounds.adjoint[i]
            assert _close(gradient[rename(name)], want, tolerance), (typed.text, name)


def test_a_program_typed_as_math_is_read_as_its_ascii_text():
    run_counted("typed", typed_programs(), lambda example: _check_typed(*example))


def test_the_typed_programs_use_every_form():
    """Hypothesis leans to small drafts, so whether it writes every form is left to a plain seeded stream:
    every operator symbol, dash and augmented assignment, each kind of implicit product, and the rest."""
    from as_typed import AUGMENTED, DIVIDE, MINUS, MODULES, TIMES, WRAPPERS

    forms: set = set()
    source = RandomSource(random.Random(13))
    for k in range(800):
        generated = generate(source, safe=k % 4 != 0, arithmetic=0.6)
        typed = as_typed(generated.program, source, functions=k % 3 == 0,
                         defaults=generated.values if k % 2 else None)
        if not k % 2:  # (with its point written in, the program's inputs come first: another tape)
            _check_typed(generated, typed)
        forms |= typed.forms
    every = {"implicit number name", "implicit number e", "implicit number (", "implicit number √", "implicit )(",
             "implicit after /", "superscript", "√", "π", "pi", "math.pi", "greek", "reassign", "method", "x.pow()",
             "**", "^", *(f"times {t}" for t in TIMES), *(f"divide {d}" for d in DIVIDE),
             *(f"minus {m}" for m in MINUS), *(f"augmented {a}" for ops in AUGMENTED.values() for a in ops),
             *(f"module {m}" for m in MODULES), *(f"default {w}" for w in WRAPPERS),
             "function", "function called twice or more", "keyword function", "keywords in another order",
             "keyword leaky_relu", "keyword softplus", "keyword elu"}
    assert forms >= every, f"never written: {every - forms}"


def test_a_program_typed_with_its_point_through_the_command_line():
    """The typed program carrying its point (x = 2.5, Value(...), torch.tensor(...)) and run with no bindings
    prints what the ASCII program with bindings prints, under the typed names."""
    def body(example):
        generated, typed = example
        ascii_run = run_main(["eval", "--json", "--", generated.text, *bindings(generated.values)])
        run = run_main(["eval", "--json", "--", typed.text])
        assert_well_behaved(run.code, run.out, run.err, typed.text)
        assert run.code == ascii_run.code, (generated.text, typed.text, run.err, ascii_run.err)
        if run.code != 0:
            return
        rename = lambda name: typed.names.get(name, name)  # noqa: E731
        doc, ascii_doc = json.loads(run.out), json.loads(ascii_run.out)
        assert doc["value"] == ascii_doc["value"]
        assert doc["inputs"] == {rename(k): v for k, v in ascii_doc["inputs"].items()}
        gradient = {rename(k): v for k, v in ascii_doc["gradient"].items()}
        if any(form.startswith("function") for form in typed.forms):  # the same sums, perhaps reordered
            assert {k: doc["gradient"][k] for k in gradient} == pytest.approx(gradient, rel=1e-9, abs=1e-12)
        else:
            assert gradient.items() <= doc["gradient"].items()
        assert len(doc.get("notes", ())) == typed.slash_products

    run_counted("typed_cli", typed_programs(defaults=True), body)


def test_generators_use_every_operation():
    used: set = set()
    source = RandomSource(random.Random(7))
    for _ in range(300):
        used |= generate(source).ops
    assert used >= set(EVERY_OP), set(EVERY_OP) - used


def test_total_examples_matches_the_docs_statement():
    """docs/testing.md says how many programs the property suite generates; keep them in step."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "testing.md").read_text(encoding="utf-8")
    assert f"{TOTAL_EXAMPLES:,} generated examples" in " ".join(text.split())
