"""Numbers the user writes outside a program: values of inputs (`-x 1/3`, `a=pi`), `--direction` values and
`check` answers. One reader for all of them.

A number is an integer (`108`), a decimal (`0.67`, `-2e-3`), a fraction (`-4/3`), or a constant expression
in the tool's own language (`pi`, `sqrt(2)/2`, `2^-10`, `1/(1+exp(-1))`), read with the project's parser,
never with Python's eval.
"""
from __future__ import annotations

import re

from .ops import ALIASES, CONSTANTS, FUNCTIONS

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_WORD = re.compile(r"[^\W\d]\w*")


def looks_like_constant(text: str) -> bool:
    """Whether `text` can be a number rather than a program: it names no variable (only the constants and
    functions of the language). `x^2` and `a; b` cannot; `1/3`, `pi`, `sqrt(2)/2` and `abc` (a bad number
    rather than a program) can. Lexical only: the text is read for real when the number is used."""
    words = _WORD.findall(_NUMBER.sub(" ", text))
    if ";" in text or "\n" in text or "=" in text:
        return False
    if not words:
        return True
    known = {*CONSTANTS, *FUNCTIONS, *ALIASES}
    # one unknown word alone (`abc`, `nan`, `inf`) is a number written wrong, not a program
    return all(word in known for word in words) or (len(words) == 1 and text.strip().lstrip("+-") == words[0])
