"""The parser's generated tables: current with grammar/backprop.lark, and the same parser as Lark's.

After editing the grammar, run `python -m backprop_cli.language.generate_parser`; this file fails until then.
"""
from __future__ import annotations

import pytest
from program_gen import seeded_programs

from backprop_cli.base.errors import ProgramError
from backprop_cli.language import fast_parser, generate_parser, parser
from backprop_cli.language.grammar import grammar_path


def test_the_generated_tables_are_current():
    expected = generate_parser.render(grammar_path().read_text(encoding="utf-8"))
    current = generate_parser.OUTPUT.read_text(encoding="utf-8")
    assert current == expected, "grammar/backprop.lark changed: run python -m backprop_cli.language.generate_parser"


def test_generation_does_not_depend_on_hash_randomisation():
    import os
    import subprocess
    import sys

    outputs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-m", "backprop_cli.language.generate_parser", "--check"], env=env,
                              capture_output=True, text=True, timeout=120)
        outputs.add((proc.returncode, proc.stdout))
    assert outputs == {(0, "_generated_parser.py is current\n")}


PROGRAMS = [
    "(a+b)*c/d", "a", "-a^2", "2^3^2", "a**-2", "-(-(a))", "+a - -b", "e = a + b; f = e * c; g = f / d",
    "x # a comment\n\ny = x*2\n", ";;a;", "max(a, b) + min(1, 2)", "f()", "g(1, 2, 3)", "((a))", "(a)^(b)",
    "1e-3*.5 + 3. + 2E+2", "a\r\nb", "sin(x)^2 + cos(x)**2", "y = x", "a = (b)", "pi * e", "x\t*\fy",
    "L = (w1*x1 + w2*x2 + b)\nL", "",
    "W @ x + b", "[[1, 2],\n [3, 4]].T", "x[1:3, ::-1][0]", "Wᵀ @ softmax(z)[k]", "c @= W", "[1, 2,]",
]


@pytest.mark.parametrize("source", PROGRAMS)
def test_the_fast_parser_builds_what_lark_builds(source):
    assert parser._statements(source) == parser._statements(source, engine="lark")


def test_random_programs_parse_the_same_both_ways():
    for generated in seeded_programs(77, 150, safe=False):
        assert parser._statements(generated.text) == parser._statements(generated.text, engine="lark")


@pytest.mark.parametrize("source", ["(a+b", "a b", "2 3", "a $ b", "a ** * b", "1e+", "a=", "f(,)", "a = = b",
                                    "x)", "sin(x", "1.2.3", "a;b c", "x[]", "[]", "[1, 2", "x[0]]", "[1, 2)",
                                    "2[1, 2]", "x[1:2:3:4]", "[1, 'a']", "Wᵀx", "x = [1,\n2\ny = 3"])
def test_errors_are_lark_s(source):
    """Text the tables do not accept is parsed again by Lark, so the message is the one Lark's analysis gives."""
    with pytest.raises(ProgramError) as fast:
        parser.parse(source)
    with pytest.raises(ProgramError) as slow:
        parser._statements(source, engine="lark")
    assert fast.value.message == slow.value.message


def test_stale_tables_fall_back_to_lark(monkeypatch):
    """If the grammar file and the generated tables disagree, Lark parses everything (and the test above fails)."""
    real = fast_parser.grammar_text
    monkeypatch.setattr(fast_parser, "grammar_text", lambda: "// edited\n" + real())
    fast_parser.tables.cache_clear()
    try:
        assert fast_parser.tables() is None
        program = parser.parse("(a+b)*c")
        assert program.statements == parser._statements("(a+b)*c", engine="lark")
    finally:
        monkeypatch.undo()
        fast_parser.tables.cache_clear()
    assert fast_parser.tables() is not None


def test_deep_nesting_does_not_recurse():
    depth = 50_000
    source = "(" * depth + "x" + ")" * depth
    (statement,) = parser.parse(source).statements
    assert statement.name == "x"
    assert (statement.span.start, statement.span.end) == (0, len(source))
