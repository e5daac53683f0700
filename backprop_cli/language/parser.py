"""Text -> syntax tree: grammar/backprop.lark's LALR(1) parser, building `nodes` as it reduces.

One grammar, two engines for it:

- The fast path drives the tables Lark computed from the grammar ahead of time
  (`_generated_parser.py`, rewritten by `python -m backprop_cli.language.generate_parser`
  and checked to be current by tests/test_generated_parser.py): Lark's own lexer
  regex, then a table-driven shift/reduce loop. It imports nothing of Lark, so
  a run of `backprop` does not pay for loading Lark and building the grammar.
  Before trusting the tables it compares the grammar text they were built from
  with the grammar file; if they differ, Lark parses everything.
- Anything the fast path does not accept (every syntax error) is parsed again by
  Lark itself, imported only then, so error messages are Lark's analysis of the
  grammar, translated here, and only here, into ProgramError with a caret under
  the spot.

Both run the same callbacks, one per grammar alias, and neither recurses, so
10,000 nested parentheses parse as easily as one.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from sys import intern as _intern

from ..base.errors import program_error
from ..base.gc_pause import paused_gc
from .limits import check_source
from .syntax_tree import Apply, Assign, Name, Number, Program, Span

# The parser options, shared by the generated tables (generate_parser.py) and the Lark fallback.
LARK_OPTIONS = dict(parser="lalr", keep_all_tokens=True, maybe_placeholders=False)

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # backprop_cli/
# In a wheel the grammar is packaged as backprop_cli/grammar/; in a source checkout
# (and an editable install) it is the top-level grammar/ folder.
_GRAMMAR_CANDIDATES = (
    os.path.join(_PACKAGE, "grammar", "backprop.lark"),
    os.path.join(os.path.dirname(_PACKAGE), "grammar", "backprop.lark"),
)

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


def _grammar_file() -> str:
    for path in _GRAMMAR_CANDIDATES:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("grammar/backprop.lark is missing from this installation")


def grammar_path():
    """The grammar file this installation parses with (a pathlib.Path)."""
    from pathlib import Path

    return Path(_grammar_file())


def _grammar_text() -> str:
    with open(_grammar_file(), encoding="utf-8") as handle:
        return handle.read()


# ----------------------------------------------------------------------------------------------
# Building nodes. A token is anything with .group(), .start() and .end(): a regex match on the
# fast path, a _LarkToken on Lark's. Every other child is a node.

class _LarkToken:
    """A Lark token seen through the interface of a regex match."""

    __slots__ = ("value", "start_pos", "end_pos")

    def __init__(self, token) -> None:
        self.value, self.start_pos, self.end_pos = str(token), token.start_pos, token.end_pos

    def group(self) -> str:
        return self.value

    def start(self) -> int:
        return self.start_pos

    def end(self) -> int:
        return self.end_pos


_NODE_TYPES = (Number, Name, Apply, Assign)


def _number(children):
    (token,) = children
    return Number(token.group(), Span(token.start(), token.end()))


def _name(children):
    (token,) = children  # one string per distinct name, however often it is used
    return Name(_intern(token.group()), Span(token.start(), token.end()))


def _atom(children):  # "(" expr ")": the parentheses widen the span and add nothing else
    inner, span = children[1], Span(children[0].start(), children[-1].end())
    if type(inner) is Apply:
        return Apply(inner.op, inner.args, span, inner.is_call)
    return type(inner)(inner.text if type(inner) is Number else inner.name, span)


def _call(children):
    func = children[0]
    args = tuple(c for c in children[2:-1] if isinstance(c, _NODE_TYPES))
    return Apply(func.group(), args, Span(func.start(), children[-1].end()), is_call=True)


def _assign(children):
    target, _, expr = children
    start = target.start()
    return Assign(target.group(), Span(start, target.end()), expr, Span(start, expr.span.end))


def _binary(op):
    def build(children):
        left, _, right = children
        return Apply(op, (left, right), Span(left.span.start, right.span.end))

    return build


def _unary(op):
    def build(children):
        sign, operand = children
        return Apply(op, (operand,), Span(sign.start(), operand.span.end))

    return build


def _start(children):
    return tuple(c for c in children if isinstance(c, _NODE_TYPES))


# One callback per grammar alias (or rule name); rules named _... are inlined into their parent.
CALLBACKS = {
    "number": _number, "name": _name, "atom": _atom, "call": _call, "assign": _assign, "start": _start,
    "add": _binary("add"), "sub": _binary("sub"), "mul": _binary("mul"), "div": _binary("div"),
    "pow": _binary("pow"), "neg": _unary("neg"), "pos": _unary("pos"),
}


# ----------------------------------------------------------------------------------------------
# The fast path: the generated tables.

class _NotAccepted(Exception):
    """The fast path cannot parse this text; Lark will, or will say why not."""


def _reducer(size: int, callback: str, expand1: bool, inlined: tuple):
    """A reduction as Lark's tree builder does it: inline _rules, expand a single child, call back."""
    if callback.startswith("_"):
        function = None  # an inlined rule: its children go to its parent
    else:
        function = CALLBACKS[callback]
    if not inlined:
        if function is None:
            return list
        if expand1:
            return lambda children: children[0] if len(children) == 1 else function(children)
        return function
    positions = tuple((i, i in inlined) for i in range(size))

    def reduce(children):
        kept = None
        for i, inline in positions:
            child = children[i]
            if inline:
                if kept is None:
                    kept = child  # reuse the left-recursive list: no quadratic copying
                else:
                    kept.extend(child)
            elif kept is None:
                kept = [child]
            else:
                kept.append(child)
        kept = kept if kept is not None else []
        if function is None:
            return kept
        if expand1 and len(kept) == 1:
            return kept[0]
        return function(kept)

    return reduce


@lru_cache(maxsize=1)
def _tables():
    """(lexer, table, reductions, start, accept), or None when the generated tables are not current."""
    try:
        from . import _generated_parser as generated
    except ImportError:
        return None
    try:
        if _grammar_text() != generated.GRAMMAR:
            return None
    except OSError:
        return None
    lexer = re.compile(generated.TOKEN_PATTERN + r"|(?P<_BACKPROP_UNMATCHED>[\s\S])", generated.TOKEN_FLAGS)
    reductions = []
    for name, size, callback, expand1, inlined in generated.RULES:
        if expand1 and size == 1 and not inlined:
            reductions.append((name, size, None))  # `?rule: other`: the child passes through unchanged
        else:
            reductions.append((name, size, _reducer(size, callback, expand1, inlined)))
    ignore = frozenset(generated.IGNORE) | {"_BACKPROP_UNMATCHED"}
    return lexer, generated.TABLE, tuple(reductions), generated.START_STATE, generated.ACCEPT_STATE, ignore


def _parse_fast(source: str, tables):
    lexer, table, reductions, start, accept, skip = tables
    states = [start]
    values = []
    state = start
    passes: dict = {}  # (state below, state, lookahead) -> state after the chain of pass-through reductions
    for match in lexer.finditer(source):
        kind = match.lastgroup
        if kind in skip:
            if kind == "_BACKPROP_UNMATCHED":
                raise _NotAccepted
            continue
        while True:
            code = table[state].get(kind)
            if code is None:
                raise _NotAccepted
            if code >= 0:  # shift
                states.append(code)
                values.append(match)
                state = code
                break
            name, size, reduce = reductions[~code]
            if reduce is None:  # `?rule: other`: the child passes through, only the state changes
                key = (states[-2], state, kind)
                after = passes.get(key)
                if after is None:
                    after = passes[key] = _pass_through(table, reductions, states[-2], state, kind)
                state = states[-1] = after
                continue
            if size:
                children = values[-size:]
                del values[-size:]
                del states[-size:]
            else:
                children = []
            values.append(reduce(children))
            state = table[states[-1]][name]
            states.append(state)
    while True:  # the end of the text: reduce until the start rule is complete
        code = table[state].get("$END")
        if code is None or code >= 0:
            raise _NotAccepted
        name, size, reduce = reductions[~code]
        if reduce is None:
            state = states[-1] = table[states[-2]][name]
        else:
            if size:
                children = values[-size:]
                del values[-size:]
                del states[-size:]
            else:
                children = []
            values.append(reduce(children))
            state = table[states[-1]][name]
            states.append(state)
        if state == accept:
            return values[-1]


def _pass_through(table, reductions, below: int, state: int, kind: str) -> int:
    """Follow pass-through reductions on lookahead `kind` from `state` (over `below`) to where they stop."""
    while True:
        code = table[state].get(kind)
        if code is None or code >= 0:
            return state
        name, _, reduce = reductions[~code]
        if reduce is not None:
            return state
        state = table[below][name]


# ----------------------------------------------------------------------------------------------
# Lark: the errors, and the whole parse when the generated tables are not current.

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
    digest = hashlib.sha256(grammar_text.encode()).hexdigest()[:16]
    return os.path.join(folder, f"grammar-{digest}.lark-cache")


def _lark_transformer():
    from lark import Token, Transformer

    def method(function):
        def call(self, children):
            return function([_LarkToken(c) if isinstance(c, Token) else c for c in children])

        return call

    return type("BuildNodes", (Transformer,), {name: method(f) for name, f in CALLBACKS.items()})()


@lru_cache(maxsize=1)
def _lark_parser():
    from lark import Lark

    text = _grammar_text()
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
    return f"'{token.value}'"


def _parse_lark(source: str):
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    parser = _lark_parser()
    try:
        return parser.parse(source)
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


def _statements(source: str, engine: str = "auto"):
    """The parsed statements; engine "lark" forces Lark (the tests compare the two)."""
    tables = _tables() if engine != "lark" else None
    if tables is not None:
        try:
            return _parse_fast(source, tables)
        except _NotAccepted:
            pass
    return _parse_lark(source)


def parse(source: str) -> Program:
    """Parse program text into a Program, or raise ProgramError pointing at the mistake."""
    check_source(source)  # length, nesting and content limits (limits.py), before any parsing
    with paused_gc():
        statements = _statements(source)
    if not statements:
        raise program_error(source, 0, 1, "the program is empty: there is no expression to differentiate")
    return Program(statements, source)
