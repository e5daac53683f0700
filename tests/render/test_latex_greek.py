"""Greek names in LaTeX (issue 13): the letters the grammar takes as names are written as LaTeX's macros, in
math mode and in the program's text, so the document stays ASCII and compiles with pdflatex."""
import re
import unicodedata

import pytest

from backprop_cli.render.latex import escape_text, latex_name

GRAMMAR = open("grammar/backprop.lark", encoding="utf-8").read()


def grammar_greek_letters() -> list[str]:
    """Every Greek letter the NAME terminal of the grammar accepts, read from the grammar itself."""
    pattern = re.search(r"^NAME: /(.*)/$", GRAMMAR, re.M).group(1)
    first = re.compile(pattern.split("][", 1)[0] + "]")
    return [chr(c) for c in range(0x370, 0x400) if first.fullmatch(chr(c)) and unicodedata.name(chr(c), None)]


# Written by hand from the LaTeX manual's table of Greek letters (capitals without a macro are Latin letters).
EXPECTED = {
    "θ": r"\theta", "α": r"\alpha", "σ": r"\sigma", "λ": r"\lambda", "η": r"\eta", "ω": r"\omega", "ε": r"\varepsilon",
    "ϵ": r"\epsilon", "φ": r"\varphi", "ϕ": r"\phi", "ϑ": r"\vartheta", "ϖ": r"\varpi", "ς": r"\varsigma", "ο": "o",
    "Θ": r"\Theta", "Σ": r"\Sigma", "Δ": r"\Delta", "Ω": r"\Omega", "Α": r"\mathrm{A}", "Β": r"\mathrm{B}",
}


def test_the_grammar_takes_every_greek_letter_and_each_has_a_macro():
    letters = grammar_greek_letters()
    assert len(letters) == 53, letters  # 24 capitals, 25 small (with final sigma), 4 symbols
    for letter in letters:
        tex = latex_name(letter)
        assert tex.isascii(), (letter, tex)
        words = set(unicodedata.name(letter).lower().split()) - {"greek", "small", "capital", "letter", "symbol",
                                                                 "lunate", "final"}
        name = words.pop()
        assert name.replace("lamda", "lambda")[:2] in tex.lower() or len(tex.strip("\\mathrm{}")) == 1, (letter, tex)


@pytest.mark.parametrize("letter,tex", EXPECTED.items())
def test_greek_letters_as_latex_writes_them(letter, tex):
    assert latex_name(letter) == tex


@pytest.mark.parametrize("label,tex", [
    ("θ1", r"\theta_{1}"), ("w_θ", r"w_{\theta}"), ("θ_k", r"\theta_{k}"), ("αβ", r"\alpha\beta"),
    ("dθ", r"\mathit{d\theta}"), ("Σx", r"\mathit{\Sigma{}x}"), ("θ#2", r"\theta\#2"), ("π", r"\pi"),
])
def test_greek_inside_longer_names(label, tex):
    assert latex_name(label) == tex


def test_greek_in_the_programs_text_is_math():
    assert escape_text("y = θ^2") == r"y = $\theta$\^{}2"


def test_explain_latex_with_greek_names_is_ascii(cli):
    run = cli("explain", "y = θ^2 + α*θ", "θ=3", "α=0.5", "--format", "latex")
    assert run.code == 0, run.err
    assert run.out.isascii()
    assert r"\frac{\partial y}{\partial \theta} &= 6.5" in run.out
    assert r"\frac{\partial y}{\partial \alpha} &= 3" in run.out
    assert r"$\theta = 3$, $\alpha = 0.5$" in run.out


def test_a_line_break_quoted_from_the_program_is_a_space_in_latex_text():
    # a note quotes the program's text, comments and line breaks included (y = 1/2(x # hi\n# two\n)): a blank
    # line would start a new paragraph in LaTeX and a '?' reads as a typo
    assert escape_text("(x # hi\n# two\n)") == r"(x \# hi \# two )"
    assert escape_text("a\r\n\nb") == "a   b"
