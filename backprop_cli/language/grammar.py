"""Where the grammar is, and how it is read: grammar/backprop.lark and the options of its LALR(1) parser.

The one source of the syntax is grammar/backprop.lark; the fast parser's tables
(_generated_parser.py) and the Lark fallback are both built from it.
"""
from __future__ import annotations

import os

# Python's implicit line joining: a new line inside parentheses or brackets continues the line, so a matrix
# may be written a row a line. The grammar's statement separator (_SEP: ';' or a new line) is dropped there
# when it is a new line, by fast_parser.py's loop and, for Lark, by JoinLines; by the names Lark gives the
# brackets' terminals.
BRACKET_DEPTH = {"LPAR": 1, "LSQB": 1, "RPAR": -1, "RSQB": -1}
SEPARATOR = "_SEP"


class JoinLines:
    """Lark's post-lexer for the line joining above (the same rule as fast_parser.py's loop)."""

    always_accept = (SEPARATOR,)  # lexed everywhere, so a new line inside brackets reaches process()

    def process(self, stream):
        depth = 0
        for token in stream:
            step = BRACKET_DEPTH.get(token.type)
            if step:
                depth += step
            elif token.type == SEPARATOR and depth > 0 and token.value != ";":
                continue
            yield token


# The parser options, shared by the generated tables (generate_parser.py) and the Lark fallback.
LARK_OPTIONS = dict(parser="lalr", keep_all_tokens=True, maybe_placeholders=False, postlex=JoinLines())

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # backprop_cli/
# In a wheel the grammar is packaged as backprop_cli/grammar/; in a source checkout
# (and an editable install) it is the top-level grammar/ folder.
_GRAMMAR_CANDIDATES = (
    os.path.join(_PACKAGE, "grammar", "backprop.lark"),
    os.path.join(os.path.dirname(_PACKAGE), "grammar", "backprop.lark"),
)

def _grammar_file() -> str:
    for path in _GRAMMAR_CANDIDATES:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("grammar/backprop.lark is missing from this installation")


def grammar_path():
    """The grammar file this installation parses with (a pathlib.Path)."""
    from pathlib import Path

    return Path(_grammar_file())


def grammar_text() -> str:
    with open(_grammar_file(), encoding="utf-8") as handle:
        return handle.read()
