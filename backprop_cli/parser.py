"""Text -> syntax tree. Loads grammar/backprop.lark and builds `nodes` during the LALR parse.

The transformer runs inside Lark's LALR parser (one callback per reduction, no
recursion), so 10,000 nested parentheses parse as easily as one. Lark's errors
are translated here, and only here, into ProgramError with a caret under the spot.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .errors import program_error
from .nodes import Apply, Assign, Name, Number, Program, Span

_HERE = Path(__file__).resolve().parent
# In a wheel the grammar is packaged as backprop_cli/grammar/; in a source checkout
# (and an editable install) it is the top-level grammar/ folder.
_GRAMMAR_CANDIDATES = (_HERE / "grammar" / "backprop.lark", _HERE.parent / "grammar" / "backprop.lark")

# How terminals read in error messages: symbols, not Lark's names for them.
_TERMINAL_WORDS = {
    "NUMBER": ("a number",),
    "NAME": ("a name",),
    "_SEP": ("';'", "a new line"),
    "NEWLINE": ("a new line",),
    "_POW": ("'^'",),
    "$END": ("the end of the program",),
}
# Operands first, then operators, then the ends of statements.
_WORD_ORDER = ("a number", "a name", "'('", "')'", "','", "'='", "'+'", "'-'", "'*'", "'/'", "'^'", "';'", "a new line")


def grammar_path() -> Path:
    for path in _GRAMMAR_CANDIDATES:
        if path.is_file():
            return path
    raise FileNotFoundError("grammar/backprop.lark is missing from this installation")


def _start(item) -> int:
    return item.start_pos if isinstance(item, Token) else item.span.start


def _end(item) -> int:
    return item.end_pos if isinstance(item, Token) else item.span.end


def _between(first, last) -> Span:
    return Span(_start(first), _end(last))


class _BuildNodes(Transformer):
    """One method per grammar alias; each returns a `nodes` record.

    The parser keeps all tokens, so every callback sees its parentheses and
    operator symbols and can give its node the exact span it covers.
    """

    def number(self, children):
        (token,) = children
        return Number(str(token), _between(token, token))

    def name(self, children):
        (token,) = children
        return Name(str(token), _between(token, token))

    def atom(self, children):  # "(" expr ")": the parentheses add nothing but span
        return replace(children[1], span=_between(children[0], children[-1]))

    def call(self, children):
        func, args = children[0], tuple(c for c in children[2:-1] if not isinstance(c, Token))
        return Apply(str(func), args, _between(func, children[-1]), is_call=True)

    def assign(self, children):
        target, _, expr = children
        return Assign(str(target), _between(target, target), expr, _between(target, expr))

    def _binary(op):  # noqa: N805 - builds the operator callbacks below
        def build(self, children):
            left, _, right = children
            return Apply(op, (left, right), _between(left, right))

        return build

    def _unary(op):  # noqa: N805
        def build(self, children):
            sign, operand = children
            return Apply(op, (operand,), _between(sign, operand))

        return build

    add, sub, mul, div, pow = _binary("add"), _binary("sub"), _binary("mul"), _binary("div"), _binary("pow")
    neg, pos = _unary("neg"), _unary("pos")
    del _binary, _unary

    def start(self, children):
        return tuple(c for c in children if not isinstance(c, Token))


def _cache_path(grammar_text: str) -> str | bool:
    """A per-user cache file for Lark's parse tables (never a predictable name in a shared temp dir)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "backprop")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if os.stat(folder).st_uid != os.getuid() or not os.access(folder, os.W_OK):
            return False
    except (OSError, AttributeError):
        return False
    digest = hashlib.sha256(grammar_text.encode()).hexdigest()[:16]
    return os.path.join(folder, f"grammar-{digest}.lark-cache")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    text = grammar_path().read_text(encoding="utf-8")
    options = dict(parser="lalr", transformer=_BuildNodes(), keep_all_tokens=True, maybe_placeholders=False)
    cache = _cache_path(text)
    if cache:
        try:
            return Lark(text, cache=cache, **options)
        except (OSError, EOFError, ValueError):
            pass  # an unreadable or unwritable cache only costs time
    return Lark(text, **options)


def _describe_expected(parser: Lark, names) -> str:
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
    return f"'{token.value}'"


def parse(source: str) -> Program:
    """Parse program text into a Program, or raise ProgramError pointing at the mistake."""
    parser = _parser()
    try:
        statements = parser.parse(source)
    except UnexpectedToken as err:
        token = err.token
        pos = len(source) if token.type == "$END" else (token.start_pos or 0)
        end = pos + max(1, len(token.value)) if token.type != "$END" else pos + 1
        expected = _describe_expected(parser, err.accepts or err.expected)
        raise program_error(source, pos, end, f"expected {expected}, found {_token_text(token)}") from None
    except UnexpectedCharacters as err:
        char = source[err.pos_in_stream] if err.pos_in_stream < len(source) else ""
        shown = repr(char) if char.isprintable() and char != "'" else f"U+{ord(char):04X}" if char else "end"
        raise program_error(source, err.pos_in_stream, err.pos_in_stream + 1, f"unexpected character {shown}") from None
    except UnexpectedInput as err:  # any other lark complaint, still with its position
        pos = getattr(err, "pos_in_stream", 0) or 0
        raise program_error(source, pos, pos + 1, "the program cannot be read here") from None
    if not statements:
        raise program_error(source, 0, 1, "the program is empty: there is no expression to differentiate")
    return Program(statements, source)
