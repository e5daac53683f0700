"""Parsing with Lark itself: every syntax error, and the whole parse when the generated tables are not current.

Lark is imported only here and only then, so error messages are Lark's
analysis of the grammar, translated here, and only here, into ProgramError with
a caret under the spot. Its parse tables are cached per user.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache

from ..base.errors import program_error
from .brackets import open_brackets, still_open, where
from .build import CALLBACKS, LarkToken
from .grammar import LARK_OPTIONS, grammar_text

# How terminals read in error messages: symbols, not Lark's names for them.
_TERMINAL_WORDS = {
    "NUMBER": ("a number",),
    "NAME": ("a name",),
    "STRING": ("a string",),
    "_SEP": ("';'", "a new line"),
    "NEWLINE": ("a new line",),
    "_POW": ("'^'",),
    "_TIMES": ("'*'",),
    "_DIVIDE": ("'/'",),
    "_MINUS": ("'-'",),
    # the Unicode spellings are accepted, but the ASCII ones are what a message suggests
    "SUPERSCRIPT": (),
    "ROOT": (),
    "TRANSPOSE": (),
    # a list, an index and '@' are possible wherever an operand or '*' is: a message names the arithmetic
    # of scalars there, as it did before vectors and matrices (']', ',' and ':' inside brackets are named)
    "LSQB": (),
    "AT": (),
    "$END": ("the end of the program",),
}
# Operands first, then operators, then the ends of statements.
_WORD_ORDER = ("a number", "a name", "'('", "')'", "','", "'='", "'+'", "'-'", "'*'", "'/'", "'^'", "';'", "a new line")



def _cache_path(grammar_text: str) -> str | bool:
    """A per-user cache file for Lark's parse tables (never a predictable name in a shared temp dir)."""
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "backprop")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if os.stat(folder).st_uid != os.getuid() or not os.access(folder, os.W_OK):
            return False
    except (OSError, AttributeError):
        return False
    # the options too: a table built without grammar.JoinLines lexes new lines inside brackets differently
    options = sorted((key, value if isinstance(value, (str, bool)) else type(value).__name__)
                     for key, value in LARK_OPTIONS.items())
    digest = hashlib.sha256(f"{grammar_text}\0{options}".encode()).hexdigest()[:16]
    return os.path.join(folder, f"grammar-{digest}.lark-cache")


def _lark_transformer():
    from lark import Token, Transformer

    def method(function):
        def call(self, children):
            return function([LarkToken(c) if isinstance(c, Token) else c for c in children])

        return call

    return type("BuildNodes", (Transformer,), {name: method(f) for name, f in CALLBACKS.items()})()


@lru_cache(maxsize=1)
def _lark_parser():
    from lark import Lark

    text = grammar_text()
    options = dict(LARK_OPTIONS, transformer=_lark_transformer())
    cache = _cache_path(text)
    if cache:
        try:
            return Lark(text, cache=cache, **options)
        except (OSError, EOFError, ValueError):
            pass  # an unreadable or unwritable cache only costs time
    return Lark(text, **options)


def _describe_expected(parser, names) -> str:
    words = set()
    for name in names:
        if name in _TERMINAL_WORDS:
            words.update(_TERMINAL_WORDS[name])
        else:
            try:
                words.add(f"'{parser.get_terminal(name).pattern.value}'")
            except KeyError:
                words.add(name)
    words = sorted(words, key=lambda w: (_WORD_ORDER.index(w) if w in _WORD_ORDER else len(_WORD_ORDER), w))
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _token_text(token) -> str:
    if token.type == "$END":
        return "the end of the program"
    if token.type in ("_SEP", "NEWLINE") and token.value.strip() == "":
        return "a new line"
    if token.type == "STRING":  # only ever a keyword's value: label='a'
        return f"the string {token.value}"
    return f"'{token.value}'"


def _character_name(char: str) -> str:
    """` (U+FF12 FULLWIDTH DIGIT TWO)` for a character outside ASCII: which look-alike it is."""
    if not char or ord(char) < 128:
        return ""
    import unicodedata

    name = unicodedata.name(char, "")
    if not char.isprintable():  # already shown as U+XXXX
        return f" ({name})" if name else ""
    return f" (U+{ord(char):04X} {name})" if name else f" (U+{ord(char):04X})"


_STRING_CHARACTER = re.compile("[ -~\u0391-\u03A9\u03B1-\u03C9]")  # what the grammar's STRING may hold


def _string_error(source: str, start: int):
    """A quoted string the STRING terminal does not take, for holding a character a string may not (anything
    but printable ASCII and Greek letters); None if the quote opens no string on its line (`f'(x)`)."""
    quote = source[start]
    end = source.find(quote, start + 1)
    line_end = source.find("\n", start)
    if end < 0 or 0 <= line_end < end:
        return None
    allowed = _STRING_CHARACTER.fullmatch
    pos = next((k for k in range(start + 1, end) if not allowed(source[k])), None)
    if pos is None:
        return None
    import unicodedata

    name = unicodedata.name(source[pos], "")
    shown = f"U+{ord(source[pos]):04X}" + (f" ({name})" if name else "")
    return program_error(source, pos, pos + 1, f"character {shown} in a string: a string holds printable ASCII "
                         "and Greek letters")


def _bracket_error(source: str, token, names):
    """The error for a '[' never closed, a bracket that closes the wrong one or nothing, or a string in a
    list; None for anything else (parentheses alone keep the general message)."""
    pos = len(source) if token.type == "$END" else (token.start_pos or 0)
    opened = open_brackets(source, pos)
    inner = source[opened[-1]] if opened else None
    if token.type == "$END" and inner == "[" and "RSQB" in names:
        return program_error(source, opened[-1], opened[-1] + 1, "this '[' is never closed: the program ends "
                             "before its ']'")
    if token.type == "RPAR" and inner == "[":
        return program_error(source, pos, pos + 1, f"')' cannot close the '[' at {where(source, opened[-1])}: a "
                             "list or an index ends with ']'")
    if token.type == "RSQB" and inner == "(":
        return program_error(source, pos, pos + 1, f"']' cannot close the '(' at {where(source, opened[-1])}: "
                             "write ')'")
    if token.type == "RSQB" and inner is None:
        return program_error(source, pos, pos + 1, "this ']' closes no '[': a list or an index starts with '['")
    if token.type == "STRING" and inner == "[":
        return program_error(source, pos, pos + len(token.value), f"found the string {token.value} in a list "
                             "or an index, which hold numbers and expressions: a string is only ever a "
                             "keyword's value, as in Value(2.0, label='a')")
    return None


def parse_lark(source: str):
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    parser = _lark_parser()
    try:
        return parser.parse(source)
    except UnexpectedToken as err:
        token = err.token
        names = err.accepts or err.expected
        bracket = _bracket_error(source, token, names)
        if bracket is not None:
            raise bracket from None
        pos = len(source) if token.type == "$END" else (token.start_pos or 0)
        end = pos + max(1, len(token.value)) if token.type != "$END" else pos + 1
        expected = _describe_expected(parser, names)
        raise program_error(source, pos, end, f"expected {expected}, found {_token_text(token)}",
                            still_open(source, pos)) from None
    except UnexpectedCharacters as err:
        char = source[err.pos_in_stream] if err.pos_in_stream < len(source) else ""
        if char in "'\"" and _string_error(source, err.pos_in_stream) is not None:
            raise _string_error(source, err.pos_in_stream) from None
        shown = repr(char) if char.isprintable() and char != "'" else f"U+{ord(char):04X}" if char else "end"
        raise program_error(source, err.pos_in_stream, err.pos_in_stream + 1,
                            f"unexpected character {shown}{_character_name(char)}") from None
    except UnexpectedInput as err:  # any other lark complaint, still with its position
        pos = getattr(err, "pos_in_stream", 0) or 0
        raise program_error(source, pos, pos + 1, "the program cannot be read here") from None
