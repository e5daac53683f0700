"""Where the grammar is, and how it is read: grammar/backprop.lark and the options of its LALR(1) parser.

The one source of the syntax is grammar/backprop.lark; the fast parser's tables
(_generated_parser.py) and the Lark fallback are both built from it.
"""
from __future__ import annotations

import os
import re

# Python's implicit line joining: a new line inside parentheses or brackets continues the line, so a matrix
# may be written a row a line. The grammar's statement separator (_SEP: ';' or a new line) is dropped there
# when it is a new line: for Lark by JoinLines, over its tokens (by the names Lark gives the brackets'
# terminals); for the fast parser by join_lines, over the text.
BRACKET_DEPTH = {"LPAR": 1, "LSQB": 1, "RPAR": -1, "RSQB": -1}
SEPARATOR = "_SEP"


class JoinLines:
    """Lark's post-lexer for the line joining above."""

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


# What join_lines looks at: a bracket or a new line, or what holds characters that are none (a comment, a
# string: the grammar's COMMENT and STRING, both within a line), matched from the left as the lexer does;
# last, a quote that opens no string on its line.
_JOIN_SCAN = re.compile(r"[()\[\]\n]|#[^\n]*|'[^'\n]*'|\"[^\"\n]*\"|['\"]")


def join_lines(source: str) -> str:
    """The text with the line joining above done, as the fast parser reads it: each new line inside brackets,
    and each comment there (which would run on), becomes spaces. The same length, so every span is the same.
    A quote that opens no string on its line leaves the text as it is: joined, it could close one (label="a
    then a new line), where the lexer is to refuse it, and then Lark says what is wrong. Otherwise a text
    the lexer takes is read as JoinLines reads its tokens."""
    if "\n" not in source or "(" not in source and "[" not in source:
        return source
    pieces: list = []
    kept = depth = 0
    for match in _JOIN_SCAN.finditer(source):
        text = match.group()
        if text in "([":
            depth += 1
        elif text in ")]":
            depth -= 1
        elif depth > 0 and (text == "\n" or text[0] == "#"):
            pieces += (source[kept:match.start()], " " * len(text))
            kept = match.end()
        elif text in "'\"":
            return source
    if not pieces:
        return source
    pieces.append(source[kept:])
    return "".join(pieces)


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
