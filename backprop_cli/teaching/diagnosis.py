"""Diagnosis of a wrong gradient: the usual mistakes that reproduce the student's number (`backprop check`).

For a wrong answer to d out / d a, each mistake of the catalogue (MISTAKES) is computed from the same tape
and numbers as the truth, and those whose number equals the student's to the precision written (a decimal:
within one unit of its last digit; an integer, fraction or expression: 1e-9 relative, 1e-12 absolute at 0)
are reported, most specific first. Nothing else is said: where no mistake reproduces the number, there is
no diagnosis, never a guess.

The method, linear in the tape. Backpropagation computes each edge p -> q (q an argument of p) once, as
the contribution c = ∂out/∂p · ∂p/∂q, and everything below q is computed from the sum of q's contributions.
Every path from the asked node a to the output through that edge carries ∂out/∂p · ∂p/∂q · ∂q/∂a, so a
student who got that one edge wrong, writing c' instead of c, and everything else right, answers

    ∂out/∂a + (c' - c) · ∂q/∂a.

∂q/∂a for every q comes from one forward (tangent) sweep seeded at a; ∂out/∂p and ∂p/∂q are the Result's
gradients and local derivatives. So every one-step mistake anywhere between a and the output, however far
it propagates, is one multiply-add per edge and mistake:
- a path left out at a fork (q used more than once): c' = 0, for each of q's contributions in turn (never
  a subset of them: one at a time is linear, and it is what a student forgets);
- the local derivative without the upstream factor: c' = ∂p/∂q; the upstream without it: c' = ∂out/∂p;
- a wrong local rule (RULES, by operation, as data): c' = ∂out/∂p · (the wrong local derivative): the
  quotient rule's d² multiplied (-f·d²) or its sign dropped, a product's factor from the wrong operand,
  σ'(z) as z(1-z), tanh'(z) as 1-z², the ½ of a squared error forgotten, an extra (or a missing) factor 2
  at a square, sin/cos/tan differentiated at x·π/180 (degrees for radians).
The rest need no sweep: the sign flipped (-∂out/∂a), the value of a (or of a node next to it: its operands,
its consumers and their other operands, the output) given for its gradient, and the gradient of a node one
step along the chain (a consumer or an operand of a). Another node's value is said only when nothing else
gives the number (small programs are full of small integers); the same mistake giving the same number at
many places (a path left out at any of x's 1,000 uses) is one diagnosis that says how many.

A Diagnoser precomputes, per asked node and once (lazily), the number every candidate gives, in floats,
sorted: a diagnosis is then a binary search for the student's number and an exact check of the few
candidates near it (a class of a thousand students costs one table per question, not per student). The
exact check recomputes the candidate in the truth's arithmetic (fractions where the program is rational).

Programs with vectors or matrices get the two mistakes that need no rule at tensor level, element by
element: the sign flipped and the element's value given (a diagnosis per mistake, naming the elements it
explains; the tensor check already names a transposed answer). The rest of the catalogue is for programs
of numbers.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import NamedTuple

from ..base.undefined import Undefined
from ..engine.tape import CONST
from .answers import GRADIENT
from .mistakes import MISTAKES, RULES, is_square
from .diagnosis_words import number as _number
from .diagnosis_words import (DROP as _DROP, EDGE as _EDGE, GRADIENT_OF as _GRADIENT, LOCAL as _LOCAL,
                              OWN_VALUE as _OWN_VALUE, SIGN as _SIGN, UPSTREAM as _UPSTREAM, VALUE as _VALUE, Words)

EXACT_RELATIVE = Fraction(1, 10**9)  # integers, fractions and expressions, as grading.py
DECIMAL_FLOOR_RELATIVE = Fraction(1, 10**12)
ZERO_FLOOR = Fraction(1, 10**12)
_HALF = Fraction(1, 2)
_RANK = {key: rank for rank, key in enumerate(MISTAKES)}
# Reported only when nothing else gives the number: small programs are full of small integers, and a
# sign flip that happens to equal an operand's value is a sign flip.
_LAST_RESORT = _RANK["value-of-other-node"]
MOST = 5  # diagnoses returned at most (a number that many edges give is rarely worth more lines)


@dataclass(frozen=True)
class Diagnosis:
    mistake: str  # catalogue key (MISTAKES), e.g. "quotient-power-multiplied"
    words: str  # one sentence a student understands, naming the nodes
    nodes: tuple[str, ...]  # labels of the nodes involved
    expression: str  # the expression that reproduces the student's number, with numbers
    value: object  # what that expression gives (Fraction where exact, else float)


class _Table(NamedTuple):
    keys: list  # the candidates' numbers in floats, ascending
    candidates: list  # (key, rank, kind, p, k, rule) in the same order
    tangents: list  # exact ∂node/∂a for every node (None where unknown), once a candidate needs them ([] before)


def _float(x) -> float:
    if x is None or type(x) is Undefined:
        return math.nan
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


class Diagnoser:
    """The usual mistakes behind wrong gradients of one program at one point (module docstring).

    result: the Result shown; truth: the one graded against (exact where rational; default result)."""

    def __init__(self, result, truth=None) -> None:
        self.result = result
        self.truth = truth if truth is not None else result
        self.tape = self.truth.tape
        self.tensor = bool(getattr(self.truth, "tensor", False))
        # the table of the node asked last: a few numbers per edge above it, so one at a time (a class is
        # diagnosed question by question, check answer by answer; 21 tables kept on 100,000 nodes were 0.5 GB)
        self._table_of: tuple[int, _Table] | None = None
        self._cache: dict = {}

    # ------------------------------------------------------------ what the tables share, computed once

    def _floats(self):
        """(values, gradients, local derivatives) in floats: the Result shown where it is one (the same
        numbers rounded, at no cost), else the truth's converted."""
        if "floats" not in self._cache:
            shown = self.result
            if not shown.exact and not shown.undefined and shown.tape is self.tape:
                self._cache["floats"] = (shown.values, [0.0 if g is None else g for g in shown.grads],
                                         shown.partials)
                return self._cache["floats"]
            t = self.truth
            partials = [None if row is None else tuple(None if d is None else _float(d) for d in row)
                        for row in t.partials]
            self._cache["floats"] = ([_float(v) for v in t.values],
                                     [0.0 if g is None else _float(g) for g in t.grads], partials)
        return self._cache["floats"]

    def consumers(self) -> list[list[int]]:
        """Per node: the nodes that use it along an edge the backward sweep differentiates."""
        if "consumers" not in self._cache:
            consumers: list[list[int]] = [[] for _ in self.tape.nodes]
            for p, row in enumerate(self.truth.partials):
                if row is not None:
                    for q, d in zip(self.tape.nodes[p].args, row):
                        if d is not None and (not consumers[q] or consumers[q][-1] != p):
                            consumers[q].append(p)
            self._cache["consumers"] = consumers
        return self._cache["consumers"]

    def _uses(self) -> list[int]:
        """Per node: how many contributions its gradient sums (edges, so u*u counts twice)."""
        if "uses" not in self._cache:
            uses = [0] * len(self.tape.nodes)
            for p, row in enumerate(self.truth.partials):
                if row is not None:
                    for q, d in zip(self.tape.nodes[p].args, row):
                        if d is not None:
                            uses[q] += 1
            self._cache["uses"] = uses
        return self._cache["uses"]

    def squared(self) -> list[bool]:
        """Per node: is it a square, or computed from one (a squared error under its ½)?"""
        if "squared" not in self._cache:
            squared = [False] * len(self.tape.nodes)
            for i, node in enumerate(self.tape.nodes):
                squared[i] = is_square(self, i) or any(squared[a] for a in node.args)
            self._cache["squared"] = squared
        return self._cache["squared"]

    def constant(self, i: int):
        return self.truth.values[i] if self.tape.nodes[i].op == CONST else None

    def is_half(self, p: int) -> bool:
        """p halves a squared error: 0.5 * s, s * (1/2) or s / 2 with s computed from a square."""
        if "halves" not in self._cache:  # (asked per edge and per asked node: worked out once per node)
            self._cache["halves"] = [self._halves(i) for i in range(len(self.tape.nodes))]
        return self._cache["halves"][p]

    def _halves(self, p: int) -> bool:
        node = self.tape.nodes[p]
        if node.op not in ("mul", "div") or len(node.args) != 2:
            return False
        x, y = node.args
        if node.op == "div":
            return self.constant(y) == 2 and self.squared()[x]
        return ((self.constant(x) == _HALF and self.squared()[y])
                or (self.constant(y) == _HALF and self.squared()[x]))

    def _converted_partials(self) -> list:
        """The truth's local derivatives with each Fraction converted to its float, for the exact tangents:
        where a tangent is already a float, Fraction * float is float(Fraction) * float, so the product is
        the same number without converting on every product (what made a class's diagnosis slow)."""
        if "converted" not in self._cache:
            self._cache["converted"] = [
                row if row is None or not any(type(d) is Fraction for d in row)
                else tuple(float(d) if type(d) is Fraction else d for d in row)
                for row in self.truth.partials]
        return self._cache["converted"]

    def _tangents(self, a: int, exact: bool = True) -> list:
        """∂node/∂a for every node: exact where the truth is (None where a local derivative is missing), or
        in floats (NaN there)."""
        nodes = self.tape.nodes
        if exact:
            partials, converted = self.truth.partials, self._converted_partials()
        else:
            partials = converted = self._floats()[2]
        zero = Fraction(0) if exact and self.truth.exact else 0.0
        tangent: list = [zero] * len(nodes)
        tangent[a] = zero + 1
        for i in range(a + 1, len(nodes)):
            row = partials[i]
            if row is None:
                continue
            total = zero
            for q, d, f in zip(nodes[i].args, row, converted[i]):
                t = tangent[q]
                if d is None or (t is not None and not t):
                    continue
                if t is None or type(d) is Undefined:
                    total = None if exact else math.nan
                    break
                product = (f if type(t) is float else d) * t
                # (Fraction + float is float(Fraction) + float: the same number, without Fraction's dispatch)
                if type(total) is Fraction and type(product) is float:
                    total = (0.0 if total is zero else float(total)) + product
                else:
                    total = total + product
            tangent[i] = total
        return tangent

    # ------------------------------------------------------------ the candidates for one asked node

    def _table(self, a: int) -> _Table:
        if self._table_of is None or self._table_of[0] != a:
            self._table_of = None  # (the old one goes before the new one is built)
            self._table_of = (a, self._build(a))
        return self._table_of[1]

    def _build(self, a: int) -> _Table:
        nodes = self.tape.nodes
        values, grads, partials = self._floats()
        uses, output = self._uses(), self.tape.output
        ft = self._tangents(a, exact=False)
        G = grads[a]
        out: list = []
        add = out.append
        add((-G, _RANK["sign-flipped"], _SIGN, a, 0, None))
        add((values[a], _RANK["value-for-gradient"], _OWN_VALUE, a, 0, None))
        near = [q for q in nodes[a].args]
        for p in range(a + 1, len(nodes)):
            row = partials[p]
            if row is None:
                continue
            node = nodes[p]
            gp = grads[p]
            rules = RULES.get(node.op, ())
            for k, q in enumerate(node.args):
                d = row[k]
                if d is None or q < a or not ft[q]:
                    continue
                t = ft[q]
                c = gp * d
                if q == a:
                    near.append(p)
                    near.extend(node.args)
                if uses[q] > 1:
                    add((G - c * t, _RANK["path-left-out"], _EDGE, p, k, _DROP))
                if p != output and gp != 1:
                    add((G + (d - c) * t, _RANK["local-without-upstream"], _EDGE, p, k, _LOCAL))
                if d != 1 and p != output:
                    add((G + (gp - c) * t, _RANK["upstream-without-local"], _EDGE, p, k, _UPSTREAM))
                for r, rule in enumerate(rules):
                    if rule.arg != k or (rule.applies is not None and not rule.applies(self, p)):
                        continue
                    try:
                        wrong = _float(rule.local(*(values[x] for x in node.args), values[p]))
                    except (ArithmeticError, ValueError):
                        continue
                    whole = c * (2 if rule.whole else 1)
                    add((G + (gp * wrong - whole) * t, _RANK[rule.mistake], _EDGE, p, k, r))
        for q in dict.fromkeys(near):
            if q == a:
                continue
            if nodes[q].op != CONST:
                add((values[q], _RANK["value-of-other-node"], _VALUE, q, 0, None))
            if q in nodes[a].args or any(x == a for x in nodes[q].args):
                if self.truth.grads[q] is not None:
                    add((grads[q], _RANK["gradient-of-neighbour"], _GRADIENT, q, 0, None))
        if output != a and nodes[output].op != CONST:
            add((values[output], _RANK["value-of-other-node"], _VALUE, output, 0, None))
        out = [c for c in out if c[0] == c[0]]  # (a NaN key is a number that could not be computed)
        out.sort(key=lambda c: c[0])
        return _Table([c[0] for c in out], out, [])

    # ------------------------------------------------------------ one answer

    def diagnose(self, verdict) -> tuple[Diagnosis, ...]:
        """The usual mistakes that give the student's number, most specific first (at most MOST); () when
        none does, or for an answer that is not a wrong gradient of a program of numbers."""
        e = verdict.expectation
        if verdict.ok or e.kind != GRADIENT or getattr(verdict, "status", "wrong") != "wrong":
            return ()
        if self.tensor:
            return self._diagnose_tensor(verdict)
        given = e.answer.value
        if given is None:
            return ()
        truth = self.truth.grads[e.node]
        if truth is None or type(truth) is Undefined:
            return ()
        table = self._table(e.node)
        s = float(given)
        reach = _float(_allowed(e.answer, given)) + 1e-7 * max(abs(s), 1e-300)
        lo, hi = bisect_left(table.keys, s - reach), bisect_right(table.keys, s + reach)
        # most specific first; the same mistake giving the same number at several places is one diagnosis
        groups: dict = {}
        checked: dict = {}  # (rank, float) -> the group of the first candidate checked exactly, or None
        for candidate in sorted(table.candidates[lo:hi], key=lambda c: c[1:5:2] + c[4:5]):
            # The same mistake with the same number in floats (a path left out at any of 25,000 uses of x)
            # is the same diagnosis: checked exactly once, counted for the rest.
            twin = candidate[1], candidate[0]
            if twin in checked:
                if checked[twin] is not None:
                    checked[twin][1] += 1
                continue
            checked[twin] = None
            try:
                value = self._exact(e.node, table, candidate)
            except (TypeError, ArithmeticError, ValueError):  # an undefined factor: no number to match
                continue
            if value is None or value == truth or not _matches(e.answer, given, value):
                continue
            group = checked[twin] = groups.setdefault((candidate[1], value), [candidate, 0])
            group[1] += 1
        if any(rank != _LAST_RESORT for rank, _ in groups):  # a value of another node is a coincidence then
            groups = {key: group for key, group in groups.items() if key[0] != _LAST_RESORT}
        out: list[Diagnosis] = []
        seen = set()
        for (_, value), (candidate, count) in groups.items():
            diagnosis = self._diagnosis(e, table, candidate, value)
            key = (frozenset(diagnosis.nodes), value)
            if key in seen:  # the same nodes and number: one story told twice (the ½ and the upstream alone)
                continue
            seen.add(key)
            if count > 1:
                diagnosis = replace(diagnosis, words=f"{diagnosis.words} (the same mistake at any of {count:,} "
                                                     "such places gives this number)")
            out.append(diagnosis)
            if len(out) == MOST:
                break
        return tuple(out)

    # ------------------------------------------------------------ vectors and matrices

    def _diagnose_tensor(self, verdict) -> tuple[Diagnosis, ...]:
        """A program with vectors or matrices: each wrong element checked for the two mistakes that need no
        rule at tensor level, the sign flipped and the element's value given; a diagnosis per mistake,
        naming the wrong elements it gives (and saying when it gives them all)."""
        wrong = [v for v in (verdict.elements or (verdict,)) if not v.ok and v.expectation.answer.value is not None]
        node = verdict.expectation.node
        values = self.truth.flat(self.truth.values[node])
        shape = tuple(self.truth.shape(node))
        found: dict[str, list] = {"sign-flipped": [], "value-for-gradient": []}
        for v in wrong:
            e = v.expectation
            if type(v.correct) is Undefined:
                continue
            at = 0
            for axis, n in enumerate(shape):
                at = at * n + (e.index[axis] if axis < len(e.index) else 0)
            for mistake, value in (("sign-flipped", -v.correct), ("value-for-gradient", values[at])):
                if value != v.correct and _matches(e.answer, e.answer.value, value):
                    found[mistake].append((e.target, value))
        out = []
        name = verdict.expectation.name or self.tape.label(node)
        output = self.tape.output_name or self.tape.label(self.tape.output)
        for mistake, hits in found.items():
            if not hits:
                continue
            listed = ", ".join(target for target, _ in hits[:8]) + (f" and {len(hits) - 8:,} more"
                                                                   if len(hits) > 8 else "")
            every = " (every wrong element)" if len(hits) == len(wrong) and len(wrong) > 1 else ""
            words = (f"the sign is flipped at {listed}{every}" if mistake == "sign-flipped"
                     else f"the value of {name} is given for its gradient at {listed}{every}")
            shown = []
            for target, value in hits[:3]:
                if mistake == "sign-flipped":
                    shown.append(f"-(∂{output}/∂{target}) = -({_number(-value)}) = {_number(value)}")
                else:
                    shown.append(f"{target}.value = {_number(value)}")
            expression = "; ".join(shown) + ("; ..." if len(hits) > 3 else "")
            out.append(Diagnosis(mistake, words, (name,), expression, tuple(value for _, value in hits)
                                 if verdict.elements else hits[0][1]))
        return tuple(out)

    def _exact(self, a: int, table: _Table, candidate):
        """The candidate's number in the truth's arithmetic."""
        _, _, kind, p, k, rule = candidate
        t = self.truth
        if kind == _SIGN:
            return -t.grads[a]
        if kind in (_OWN_VALUE, _VALUE):
            return t.values[p]
        if kind == _GRADIENT:
            return t.grads[p]
        q = self.tape.nodes[p].args[k]
        wrong = self._wrong(p, k, rule)
        if q == a and self._uses()[a] == 1:  # the answer is this one contribution: exactly the wrong one
            return wrong
        if q == a:
            return t.grads[a] + (wrong - self._right(p, k, rule))
        if not table.tangents:  # the exact tangent sweep, once, when a candidate first needs it
            table.tangents.extend(self._tangents(a))
        return t.grads[a] + (wrong - self._right(p, k, rule)) * table.tangents[q]

    def _right(self, p: int, k: int, rule) -> object:
        """The contribution the edge p -> its argument k sends (all of p's edges into it for a whole rule)."""
        t = self.truth
        node = self.tape.nodes[p]
        if rule is not None and rule >= 0 and RULES[node.op][rule].whole:
            q = node.args[k]
            return t.grads[p] * sum(d for x, d in zip(node.args, t.partials[p]) if x == q and d is not None)
        return t.grads[p] * t.partials[p][k]

    def _wrong(self, p: int, k: int, rule) -> object:
        t = self.truth
        if rule == _DROP:
            return 0
        if rule == _LOCAL:
            return t.partials[p][k]
        if rule == _UPSTREAM:
            return t.grads[p]
        node = self.tape.nodes[p]
        return t.grads[p] * RULES[node.op][rule].local(*(t.values[x] for x in node.args), t.values[p])

    # ------------------------------------------------------------ words

    def _diagnosis(self, e, table: _Table, candidate, value) -> Diagnosis:
        if "words" not in self._cache:
            self._cache["words"] = Words(self.truth)
        _, rank, kind, p, k, rule = candidate
        a = e.node
        if kind == _EDGE:
            q = self.tape.nodes[p].args[k]
            if rule is not None and rule >= 0:
                rule = RULES[self.tape.nodes[p].op][rule]
            tangent, uses = (table.tangents[q] if table.tangents else None), self._uses()[q]
        else:
            tangent = uses = None
        words, nodes, expression = self._cache["words"].describe(a, e.answer.text, kind, p, k, rule, value,
                                                                 tangent, uses)
        return Diagnosis(list(MISTAKES)[rank], words, nodes, expression, value)


def _allowed(answer, given) -> Fraction:
    """How far the student's number may be from a candidate's to be reproduced by it (about the student's)."""
    if answer.form == "decimal":
        return max(answer.unit, DECIMAL_FLOOR_RELATIVE * abs(given))
    return max(EXACT_RELATIVE * abs(given), ZERO_FLOOR)


def _matches(answer, given, value) -> bool:
    """The candidate gives the student's number, to the precision the student wrote it with."""
    value = value if isinstance(value, Fraction) else Fraction(value) if isinstance(value, int) else value
    if isinstance(value, float):
        if not math.isfinite(value):
            return False
        value = Fraction(value)
    size = abs(value)
    if answer.form == "decimal":
        allowed = max(answer.unit, DECIMAL_FLOOR_RELATIVE * size)
    elif value == 0:
        allowed = ZERO_FLOOR
    else:
        allowed = EXACT_RELATIVE * size
    return abs(Fraction(given) - value) <= allowed


def diagnose_grade(result, grade, truth=None, limit: int | None = None) -> dict[str, tuple[Diagnosis, ...]]:
    """target -> diagnoses, for every wrong gradient answer of a program of numbers (() where none fits); with
    `limit`, among the first `limit` answers that are not right only (each costs a sweep of the tape from its
    node: check diagnoses those it shows the steps of, so 1,800 wrong answers on 10,000 nodes are not 1,800
    sweeps and tables)."""
    diagnoser = Diagnoser(result, truth)
    return {v.target: diagnoser.diagnose(v) for v in [v for v in grade.verdicts if not v.ok][:limit]
            if v.kind == GRADIENT and (v.expectation.answer.value is not None or v.elements)
            and type(v.correct) is not Undefined and getattr(v, "status", "wrong") == "wrong"}


