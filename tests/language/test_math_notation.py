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
