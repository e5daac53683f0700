"""The fast path of parsing: the grammar's LALR(1) tables, generated ahead of time, driven by a plain loop.

The tables Lark computed from the grammar (`_generated_parser.py`, rewritten by
`python -m backprop_cli.language.generate_parser` and checked to be current by
tests/language/test_generated_parser.py): Lark's own lexer regex, then a
table-driven shift/reduce loop. It imports nothing of Lark, so a run of
`backprop` does not pay for loading Lark and building the grammar. Before
trusting the tables it compares the grammar text they were built from with the
grammar file; if they differ, tables() is None and Lark parses everything.
Anything the tables do not accept raises NotAccepted: Lark then parses it again
to say what is wrong.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .build import CALLBACKS
from .grammar import grammar_text


class NotAccepted(Exception):
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
def tables():
    """(lexer, table, reductions, start, accept), or None when the generated tables are not current."""
    try:
        from . import _generated_parser as generated
    except ImportError:
        return None
    try:
        if grammar_text() != generated.GRAMMAR:
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


def parse_fast(source: str, tables):
    lexer, table, reductions, start, accept, skip = tables
    states = [start]
    values = []
    state = start
    passes: dict = {}  # (state below, state, lookahead) -> state after the chain of pass-through reductions
    for match in lexer.finditer(source):
        kind = match.lastgroup
        if kind in skip:
            if kind == "_BACKPROP_UNMATCHED":
                raise NotAccepted
            continue
        while True:
            code = table[state].get(kind)
            if code is None:
                raise NotAccepted
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
            raise NotAccepted
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
