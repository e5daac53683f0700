"""Math as it is typed and pasted (issue 13): each form as typed, how it is read, and its gradients."""
from __future__ import annotations

import math

import pytest

from backprop_cli.base.errors import ProgramError
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse
from backprop_cli.language.printer import print_program


def read(source: str) -> str:
    return print_program(parse(source), "; ")


def gradients(source: str, **inputs) -> tuple[float, dict]:
    tape = lower(parse(source))
    result = differentiate(tape, {name: float(v) for name, v in inputs.items()})
    return result.value, {name: result.grads[i] for name, i in tape.inputs.items()}


# typed, read as (the canonical program), inputs, value, gradients
UNICODE = [
    ("a × b", "a * b", dict(a=2, b=3), 6, dict(a=3, b=2)),
    ("a · b", "a * b", dict(a=2, b=3), 6, dict(a=3, b=2)),
    ("a ∙ b", "a * b", dict(a=2, b=3), 6, dict(a=3, b=2)),
    ("a ÷ b", "a / b", dict(a=3, b=2), 1.5, dict(a=0.5, b=-0.75)),
    ("x − 1", "x - 1", dict(x=3), 2, dict(x=1)),
    ("x – 1", "x - 1", dict(x=3), 2, dict(x=1)),
    ("x — 1", "x - 1", dict(x=3), 2, dict(x=1)),
    ("x ‐ 1", "x - 1", dict(x=3), 2, dict(x=1)),
    ("−x", "-x", dict(x=3), -3, dict(x=-1)),
    ("x²", "x^2", dict(x=3), 9, dict(x=6)),
    ("x³", "x^3", dict(x=2), 8, dict(x=12)),
    ("x⁻¹", "x^-1", dict(x=2), 0.5, dict(x=-0.25)),
    ("x¹⁰", "x^10", dict(x=2), 1024, dict(x=5120)),
    ("−x²", "-x^2", dict(x=3), -9, dict(x=-6)),
    ("(a+b)²", "(a + b)^2", dict(a=1, b=2), 9, dict(a=6, b=6)),
    ("3·x² − 2x⁻¹".replace("2x", "2·x"), "3 * x^2 - 2 * x^-1", dict(x=1), 1, dict(x=8)),
    ("√x", "sqrt(x)", dict(x=4), 2, dict(x=0.25)),
    ("√(x)", "sqrt(x)", dict(x=4), 2, dict(x=0.25)),
    ("√x²", "sqrt(x^2)", dict(x=3), 3, dict(x=1)),
    ("π·r²", "pi * r^2", dict(r=2), 4 * math.pi, dict(r=4 * math.pi)),
    ("θ² + α", "θ^2 + α", dict(θ=3, α=1), 10, dict(θ=6, α=1)),
    ("σ * x", "σ * x", dict(σ=2, x=5), 10, dict(σ=5, x=2)),
]


@pytest.mark.parametrize("typed,reading,inputs,value,grads", UNICODE)
def test_unicode_as_math_is_written(typed, reading, inputs, value, grads):
    assert read(typed) == reading
    got_value, got = gradients(typed, **inputs)
    assert got_value == pytest.approx(value)
    assert got == pytest.approx(grads)
    assert read(reading) == reading  # the reading is itself a program that reads the same


@pytest.mark.parametrize("typed,character", [
    ("１ + x", "'１' (U+FF11 FULLWIDTH DIGIT ONE)"),
    ("x ＋ 1", "'＋' (U+FF0B FULLWIDTH PLUS SIGN)"),
    ("x ∗ y", "'∗' (U+2217 ASTERISK OPERATOR)"),
    ("x٣", "'٣' (U+0663 ARABIC-INDIC DIGIT THREE)"),
])
def test_look_alikes_stay_errors_naming_the_character(typed, character):
    with pytest.raises(ProgramError) as caught:
        parse(typed)
    assert f"unexpected character {character}" in caught.value.message


IMPLICIT = [
    ("2x", "2 * x", dict(x=3), 6, dict(x=2)),
    ("2 x", "2 * x", dict(x=3), 6, dict(x=2)),
    ("3sin(x)", "3 * sin(x)", dict(x=0), 0, dict(x=3)),
    ("2(a+b)", "2 * (a + b)", dict(a=1, b=2), 6, dict(a=2, b=2)),
    ("(a+b)(c+d)", "(a + b) * (c + d)", dict(a=1, b=2, c=3, d=4), 21, dict(a=7, b=7, c=3, d=3)),
    ("2x^2", "2 * x^2", dict(x=3), 18, dict(x=12)),
    ("2x²", "2 * x^2", dict(x=3), 18, dict(x=12)),
    ("-2x", "-2 * x", dict(x=3), -6, dict(x=-2)),
    ("2√x", "2 * sqrt(x)", dict(x=4), 4, dict(x=0.5)),
    ("1/2x", "1 / 2 * x", dict(x=3), 1.5, dict(x=0.5)),
    ("a*2x", "a * 2 * x", dict(a=5, x=3), 30, dict(a=6, x=10)),
    ("x + 2y", "x + 2 * y", dict(x=1, y=3), 7, dict(x=1, y=2)),
    ("xy", "xy", dict(xy=3), 3, dict(xy=1)),  # two names side by side are one name
    ("2xy", "2 * xy", dict(xy=3), 6, dict(xy=2)),
    ("3.5e2x", "3.5e2 * x", dict(x=1), 350, dict(x=350)),
]


@pytest.mark.parametrize("typed,reading,inputs,value,grads", IMPLICIT)
def test_implicit_multiplication(typed, reading, inputs, value, grads):
    assert read(typed) == reading
    got_value, got = gradients(typed, **inputs)
    assert got_value == pytest.approx(value)
    assert got == pytest.approx(grads)
    assert read(reading) == reading


@pytest.mark.parametrize("typed,notes", [
    ("1/2x", ("1/2x is read as (1 / 2) * x: a product without '*' binds as '*' does; for 1 / (2 * x) write 1/(2x)",)),
    ("a/2(b+c)", ("a/2(b+c) is read as (a / 2) * (b + c): a product without '*' binds as '*' does; "
                  "for a / (2 * (b + c)) write a/(2(b+c))",)),
    ("y = 1/2x^2\ny", ("1/2x^2 is read as (1 / 2) * x^2: a product without '*' binds as '*' does; "
                       "for 1 / (2 * x^2) write 1/(2x^2)",)),
    ("2x/3", ()),  # the product comes before the '/': nothing to misread
    ("1/(2x)", ()),
    ("x/2", ()),
    ("(1/2)x", ()),
])
def test_an_implicit_product_right_after_a_slash_says_how_it_was_read(typed, notes):
    assert parse(typed).notes == notes


@pytest.mark.parametrize("typed,spot", [
    ("x y", "x and y side by side are not a product"),
    ("2x y", "x and y side by side are not a product"),
    ("a^b c", "b and c side by side are not a product"),
    ("sin(x) y", None),  # after a ')' it is a product
])
def test_two_names_side_by_side_are_never_a_product(typed, spot):
    if spot is None:
        parse(typed)
        return
    with pytest.raises(ProgramError) as caught:
        parse(typed)
    assert spot in caught.value.message


def test_after_a_name_a_parenthesis_is_a_call_not_a_product():
    assert read("sin(x)") == "sin(x)"
    with pytest.raises(ProgramError, match="unknown function x"):
        lower(parse("x(a+b)"))


CODE = [
    ("x.relu()", "relu(x)", dict(x=3), 3, dict(x=1)),
    ("(a*b).tanh()", "tanh(a * b)", dict(a=0, b=2), 0, dict(a=2, b=0)),
    ("x.exp()", "exp(x)", dict(x=0), 1, dict(x=1)),
    ("x.log()", "log(x)", dict(x=2), math.log(2), dict(x=0.5)),
    ("x.sigmoid()", "sigmoid(x)", dict(x=0), 0.5, dict(x=0.25)),
    ("x.pow(3)", "x^3", dict(x=2), 8, dict(x=12)),
    ("x**2", "x^2", dict(x=3), 9, dict(x=6)),
    ("math.exp(x)", "exp(x)", dict(x=0), 1, dict(x=1)),
    ("np.tanh(x)", "tanh(x)", dict(x=0), 0, dict(x=1)),
    ("numpy.log(x)", "log(x)", dict(x=1), 0, dict(x=1)),
    ("torch.sigmoid(x)", "sigmoid(x)", dict(x=0), 0.5, dict(x=0.25)),
    ("F.relu(x)", "relu(x)", dict(x=-1), 0, dict(x=0)),
    ("math.pi * x", "pi * x", dict(x=1), math.pi, dict(x=math.pi)),
    ("x * Value(-4.0)", "x * -4.0", dict(x=1), -4, dict(x=-4)),
    ("x * torch.tensor(2.0)", "x * 2.0", dict(x=1), 2, dict(x=2)),
    ("1 / (1 + math.exp(-x))", "1 / (1 + exp(-x))", dict(x=0), 0.5, dict(x=0.25)),
]


@pytest.mark.parametrize("typed,reading,inputs,value,grads", CODE)
def test_method_calls_and_module_prefixes(typed, reading, inputs, value, grads):
    assert read(typed) == reading
    got_value, got = gradients(typed, **inputs)
    assert got_value == pytest.approx(value)
    assert got == pytest.approx(grads)


@pytest.mark.parametrize("typed,message", [
    ("foo.exp(x)", "unknown module foo in foo.exp(...): the modules are math, np, numpy, torch, F"),
    ("scipy.special.expit(x)", "unknown attribute .special"),
    ("x.y", "unknown attribute .y"),
    ("math.e2", "math.e2 is not something this tool knows"),
])
def test_unknown_modules_and_attributes_are_errors_naming_the_part(typed, message):
    with pytest.raises(ProgramError) as caught:
        parse(typed)
    assert message in caught.value.message


def test_an_unknown_function_of_a_known_module_is_an_unknown_function():
    with pytest.raises(ProgramError, match="unknown function foo"):
        lower(parse("math.foo(x)"))


def tape_reading(source: str) -> list[str]:
    """The tape's named nodes as `name = expression`: how the versions of each name are read."""
    tape = lower(parse(source))
    return [f"{node.name} = {tape.expression(i)}" for i, node in enumerate(tape.nodes)
            if node.name is not None and node.op != "input"]


# typed, read as (canonical program), the tape's named nodes, inputs, output name, value, gradients
REASSIGNMENT = [
    ("c = a + b\nc = c + 1", "c = a + b; c = c + 1", ["c = a + b", "c#2 = c + 1"],
     dict(a=1, b=2), "c#2", 4, dict(a=1, b=1)),
    ("c = a * b; c += 1", "c = a * b; c = c + 1", ["c = a * b", "c#2 = c + 1"],
     dict(a=2, b=3), "c#2", 7, dict(a=3, b=2)),
    ("c = a; c += c + 1", "c = a; c = c + (c + 1)", ["c = a", "c#2 = c + v4"],
     dict(a=2), "c#2", 5, dict(a=2)),
    ("c = a; c -= b", "c = a; c = c - b", ["c = a", "c#2 = c - b"], dict(a=5, b=2), "c#2", 3,
     dict(a=1, b=-1)),
    ("c = a; c −= b", "c = a; c = c - b", ["c = a", "c#2 = c - b"], dict(a=5, b=2), "c#2", 3,
     dict(a=1, b=-1)),
    ("c = a; c *= a + 1", "c = a; c = c * (a + 1)", ["c = a", "c#2 = c * v4"], dict(a=3), "c#2", 12,
     dict(a=7)),
    ("c = a; c /= b", "c = a; c = c / b", ["c = a", "c#2 = c / b"], dict(a=3, b=2), "c#2", 1.5,
     dict(a=0.5, b=-0.75)),
    ("c = a; c += 1; c += 1; d = 2c", "c = a; c = c + 1; c = c + 1; d = 2 * c",
     ["c = a", "c#2 = c + 1", "c#3 = c#2 + 1", "d = 2 * c#3"], dict(a=1), "d", 6, dict(a=2)),
    ("c = a; c += 1; c", "c = a; c = c + 1; c", ["c = a", "c#2 = c + 1"], dict(a=1), None, 2, dict(a=1)),
]


@pytest.mark.parametrize("typed,reading,named,inputs,output,value,grads", REASSIGNMENT)
def test_reassignment_and_augmented_assignment(typed, reading, named, inputs, output, value, grads):
    assert read(typed) == reading
    assert tape_reading(typed) == named
    tape = lower(parse(typed))
    assert tape.output_name == output
    got_value, got = gradients(typed, **inputs)
    assert got_value == pytest.approx(value)
    assert got == pytest.approx(grads)


def test_a_name_means_its_latest_version():
    tape = lower(parse("c = a; c += 1; c *= 2; d = c"))
    assert tape.latest("c") == tape.named["c#3"]
    assert tape.latest("c#2") == tape.named["c#2"]
    assert tape.latest("a") == tape.inputs["a"]
    assert tape.latest("nothing") is None


def test_reassigned_names_in_the_json_and_the_tables(cli):
    run = cli("eval", "--json", "c = a + b; c += 1; c * 2", "-a", "1", "-b", "2")
    assert run.code == 0, run.err
    assert '"c#2"' in run.out
    run = cli("eval", "c = a + b; c += 1; c * 2", "-a", "1", "-b", "2")
    assert run.code == 0 and "c#2" in run.out


# typed, the inputs and their defaults, the gradient at the defaults, a binding that overrides one
DEFAULTS = [
    ("x = 3; y = x^2", dict(x="3"), 9, dict(x=6)),
    ("y = -4.0; z = y * y", dict(y="-4.0"), 16, dict(y=-8)),
    ("a = Value(-4.0); b = a * 2", dict(a="-4.0"), -8, dict(a=2)),
    ("w = torch.tensor(2.0); w * x", dict(w="2.0"), None, None),  # x has no default: it needs a value
    ("k = 4/2; k * x", dict(), None, None),  # not a plain number: a constant
]


@pytest.mark.parametrize("typed,defaults,value,grads", DEFAULTS)
def test_a_name_assigned_a_plain_number_is_an_input_with_that_default(typed, defaults, value, grads):
    tape = lower(parse(typed))
    assert tape.defaults == defaults
    assert set(defaults) <= set(tape.inputs)
    if value is not None:
        result = differentiate(tape, {})  # the defaults stand in for values not given
        assert result.value == pytest.approx(value)
        assert {name: result.grads[i] for name, i in tape.inputs.items()} == pytest.approx(grads)


def test_a_binding_overrides_a_default(cli):
    run = cli("eval", "--json", "x = 3; y = x^2", "-x", "5")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["value"] == 25 and doc["gradient"]["x"] == 10
    run = cli("eval", "--json", "x = 3; y = x^2")
    assert run.code == 0, run.err
    assert run.json()["value"] == 9 and run.json()["gradient"]["x"] == 6


MICROGRAD = """\
a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
"""


def test_the_micrograd_readme_example():
    """micrograd's README: g 24.7041, dg/da 138.8338, dg/db 645.5773."""
    tape = lower(parse(MICROGRAD))
    assert tape.defaults == {"a": "-4.0", "b": "2.0"}
    assert tape.output_name == "g#2"
    assert [node.name for node in tape.nodes if node.name] == [
        "a", "b", "c", "d", "c#2", "c#3", "d#2", "d#3", "e", "f", "g", "g#2"]
    result = differentiate(tape, {})
    grads = {name: result.grads[i] for name, i in tape.inputs.items()}
    assert f"{result.value:.4f}" == "24.7041"
    assert f"{grads['a']:.4f}" == "138.8338"
    assert f"{grads['b']:.4f}" == "645.5773"


def test_the_micrograd_readme_example_on_the_command_line(cli):
    run = cli("eval", "--json", MICROGRAD)
    assert run.code == 0, run.err
    doc = run.json()
    assert round(doc["value"], 4) == 24.7041
    assert round(doc["gradient"]["a"], 4) == 138.8338 and round(doc["gradient"]["b"], 4) == 645.5773


CS231N = """\
x = 3 # example values
y = -4

# forward pass
sigy = 1.0 / (1 + math.exp(-y)) # sigmoid in numerator   #(1)
num = x + sigy # numerator                               #(2)
sigx = 1.0 / (1 + math.exp(-x)) # sigmoid in denominator #(3)
xpy = x + y                                              #(4)
xpysqr = xpy**2                                          #(5)
den = sigx + xpysqr # denominator                        #(6)
invden = 1.0 / den                                       #(7)
f = num * invden # done!                                 #(8)
"""


def test_the_cs231n_staged_example():
    """cs231n's 'staged computation' of f(x, y) = (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2), as its notes
    write it: the gradients are those of the formula, at x = 3, y = -4."""
    tape = lower(parse(CS231N))
    assert tape.defaults == {"x": "3", "y": "-4"}
    result = differentiate(tape, {})
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    f = lambda x, y: (x + sig(y)) / (sig(x) + (x + y) ** 2)  # noqa: E731
    h = 1e-6
    assert result.value == pytest.approx(f(3, -4))
    dx = (f(3 + h, -4) - f(3 - h, -4)) / (2 * h)
    dy = (f(3, -4 + h) - f(3, -4 - h)) / (2 * h)
    assert result.grads[tape.inputs["x"]] == pytest.approx(dx, rel=1e-6)
    assert result.grads[tape.inputs["y"]] == pytest.approx(dy, rel=1e-6)
    named = tape.named
    for stage in ("sigy", "num", "sigx", "xpy", "xpysqr", "den", "invden", "f"):
        assert result.grads[named[stage]] is not None, stage  # every named stage has its gradient


def test_the_reading_of_an_implicit_product_after_a_slash_is_shown(cli):
    """Issue 13: whenever an implicit product stands right after a `/`, the output says how it was read."""
    from conftest import strict_json

    note = "1/2x is read as (1 / 2) * x: a product without '*' binds as '*' does; for 1 / (2 * x) write 1/(2x)"
    run = cli("eval", "1/2x", "-x", "3", "--max-rows", "0")
    assert run.code == 0 and " ".join(run.out.split()).count(" ".join(("note: " + note).split())) == 1
    doc = strict_json(cli("eval", "1/2x", "-x", "3", "--json").out)
    assert doc["notes"] == [note] and doc["value"] == 1.5
    assert "notes" not in strict_json(cli("eval", "x/2", "-x", "3", "--json").out)
