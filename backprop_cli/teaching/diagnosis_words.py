"""The words and the expression of a diagnosis (diagnosis.py finds the mistakes; this module says them).

Each diagnosis names the nodes involved and writes the expression that gives the student's number, over
the nodes' labels and then with their numbers: `-f·d^2 = -(-12)·(-3)^2 = 108`. A mistake at the very
step that makes the asked gradient (its only contribution) is written as that step; one further up the
chain, or at a fork, as the true gradient with the one contribution replaced:
`∂g/∂a - ∂g/∂h·∂h/∂z·∂z/∂a + ∂g/∂h·(z·(1 - z))·∂z/∂a = ...`.
"""
from __future__ import annotations

import math
from fractions import Fraction

from ..base.numbers import decimal_text, format_number
from ..engine.ops import OPS
from ..engine.tape import CONST, INPUT

# what a candidate is: an edge's wrong contribution, or one of the mistakes that need no sweep
EDGE, SIGN, OWN_VALUE, VALUE, GRADIENT_OF = range(5)
DROP, LOCAL, UPSTREAM = -1, -2, -3  # the generic wrong contributions of an edge (a Rule is its index, >= 0)


def number(value) -> str:
    """A number as a diagnosis writes it: exact as a short decimal where it has one (0.75), else as p/q (2/3),
    an inexact one to six significant digits."""
    if isinstance(value, Fraction) and value.denominator != 1:
        text = decimal_text(value)
        if text is not None and len(text) <= 12:
            return text
    return format_number(value, 6)


def _factor(text: str) -> str:
    """A number or a formula as a factor: in parentheses when signed or a fraction or a sum."""
    return f"({text})" if text.startswith("-") or "/" in text or " " in text else text


def _join(parts: list[str]) -> str:
    out: list[str] = []
    for part in parts:
        if not out or out[-1] != part:
            out.append(part)
    return " = ".join(out)


def _same(x, y) -> bool:
    """Equal: exactly for fractions, to rounding for floats."""
    if isinstance(x, float) or isinstance(y, float):
        return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-300)
    return x == y


class Words:
    """Writes the diagnoses of one program: labels, formulas over labels and over numbers."""

    def __init__(self, truth) -> None:
        self.truth = truth
        self.tape = truth.tape
        tape = self.tape
        self.out = tape.output_name or tape.label(tape.output)

    def label(self, i: int) -> str:
        return self.tape.label(i)

    def d(self, of: int | None, by: int) -> str:
        """∂of/∂by (of None: the output)."""
        return f"∂{self.out if of is None else self.label(of)}/∂{self.label(by)}"

    def operand(self, i: int) -> str:
        """An operand's number as written into a formula: a literal as the program wrote it."""
        node = self.tape.nodes[i]
        if node.op == CONST and node.text and node.text[0].isdigit():
            return node.text
        return _factor(number(self.truth.values[i]))

    def fill(self, template: str, p: int, numbers: bool) -> str:
        args = self.tape.nodes[p].args
        texts = [self.operand(a) if numbers else self.label(a) for a in args]
        out = _factor(number(self.truth.values[p])) if numbers else self.label(p)
        return template.format(*texts, out=out)

    def forward(self, i: int) -> str:
        """`e = a + b = 5 + 1 = 6`, or `a = 5` for an input."""
        node = self.tape.nodes[i]
        value = number(self.truth.values[i])
        if node.op in (INPUT, CONST):
            return f"{self.label(i)} = {value}"
        template = OPS[node.op].template_for(len(node.args))
        return _join([self.label(i), self.tape.expression(i), self.fill(template, i, True), value])

    def node(self, p: int) -> str:
        """How a node is named in a sentence: `g = f / d`."""
        expression = self.tape.expression(p)
        return f"{self.label(p)} = {expression}" if self.label(p) != expression else self.label(p)

    # ------------------------------------------------------------ the diagnoses

    def describe(self, a: int, given: str, kind: int, p: int, k: int, rule, value, tangent, uses: int):
        """(words, nodes, expression) of one candidate that gives the student's number `value`."""
        t = self.truth
        G = number(t.grads[a])
        shown = number(value)
        if kind == SIGN:
            return (f"the sign is flipped: {self.d(None, a)} is {G}", (self.label(a),),
                    _join([f"-{_factor(self.d(None, a))}", f"-{_factor(G)}", shown]))
        if kind == OWN_VALUE:
            name = self.label(a)
            return (f"{given} is the value of {name}; its gradient is {G}; write {name}.value={given} for the value",
                    (name,), self.forward(a))
        if kind == VALUE:
            return (f"{given} is the value of {self.label(p)}, not a gradient", (self.label(p), self.label(a)),
                    self.forward(p))
        if kind == GRADIENT_OF:
            if p > a:
                where = f"{self.label(p)} is computed from {self.label(a)}: one step short of it on the way back"
            else:
                where = f"{self.label(a)} is computed from {self.label(p)}: one step past it on the way back"
            return (f"{given} is {self.d(None, p)}, the gradient of {self.label(p)}, not of {self.label(a)} ({where})",
                    (self.label(p), self.label(a)), f"{self.d(None, p)} = {shown}")
        return self._edge(a, p, k, rule, value, tangent, uses)

    def _edge(self, a: int, p: int, k: int, rule, value, tangent, uses: int):
        t = self.truth
        node = self.tape.nodes[p]
        q = node.args[k]
        output = p == self.tape.output
        gp = t.grads[p]
        P, Q = self.label(p), self.label(q)
        local = t.partials[p][k]
        if rule is not None and rule not in (DROP, LOCAL, UPSTREAM) and rule.whole:
            local = sum(d for x, d in zip(node.args, t.partials[p]) if x == q and d is not None)
        nodes = (P, Q) if q == a else (P, Q, self.label(a))
        if rule == DROP:
            words = (f"{Q} is used {uses} times and its gradient adds over its uses; the path through "
                     f"{self.node(p)} was left out")
            wrong_symbolic = wrong_numbers = None
        elif rule == LOCAL:
            words = (f"at {self.node(p)}, the local derivative {self.d(p, q)} was used without the upstream "
                     f"factor {self.d(None, p)}")
            wrong_symbolic, wrong_numbers = self._local_texts(p, k)
        elif rule == UPSTREAM:
            words = (f"at {self.node(p)}, the upstream gradient {self.d(None, p)} was passed on to {Q} without the "
                     f"local derivative {self.d(p, q)}")
            wrong_symbolic, wrong_numbers = self.d(None, p), number(gp)
        else:
            words = self._rule_words(rule, p, q)
            formula, numbers = self.fill(rule.text, p, False), self.fill(rule.text, p, True)
            if output:
                wrong_symbolic, wrong_numbers = formula, numbers
            else:
                wrong_symbolic = f"{self.d(None, p)}·{_factor(formula)}"
                wrong_numbers = f"{_factor(number(gp))}·{_factor(numbers)}"
        shown = number(value)
        if q == a and uses == 1 and wrong_symbolic is not None:  # the step that makes the answer, alone
            return words, nodes, _join([wrong_symbolic, wrong_numbers, shown])
        if wrong_symbolic is not None and q != a and tangent is not None and _same(gp * local * tangent, t.grads[a]):
            # every path from a to the output goes through this step: the chain with the wrong factor in it
            # (a product ∂L/∂h·(...) needs no parentheses as a factor; a formula alone may)
            product = not output and rule not in (LOCAL, UPSTREAM)
            wrap = (lambda text: text) if product else _factor
            return words, nodes, _join([f"{wrap(wrong_symbolic)}·{self.d(q, a)}",
                                        f"{wrap(wrong_numbers)}·{_factor(number(tangent))}", shown])
        if output:  # (∂L/∂v3 would read as v3's whole gradient: the rule's formula says which edge)
            right_symbolic = _factor(self._local_texts(p, k, whole=local is not t.partials[p][k])[0])
        else:
            right_symbolic = f"{self.d(None, p)}·{self.d(p, q)}"
        right_numbers = _factor(number(local)) if output else f"{_factor(number(gp))}·{_factor(number(local))}"
        through_symbolic = "" if q == a else f"·{self.d(q, a)}"
        through_numbers = "" if q == a else f"·{_factor(number(tangent))}"
        symbolic = f"{self.d(None, a)} - {right_symbolic}{through_symbolic}"
        numbers = f"{_factor(number(t.grads[a]))} - {right_numbers}{through_numbers}"
        if wrong_symbolic is not None:
            symbolic += f" + {_factor(wrong_symbolic)}{through_symbolic}"
            numbers += f" + {_factor(wrong_numbers)}{through_numbers}"
        return words, nodes, _join([symbolic, numbers, shown])

    def _local_texts(self, p: int, k: int, whole: bool = False) -> tuple[str, str]:
        """The true local derivative ∂p/∂(argument k), over labels and with numbers (whole: over every edge
        of p into that argument, u*u's 2·u)."""
        node = self.tape.nodes[p]
        op = OPS[node.op]
        q = node.args[k]
        local = sum(d for x, d in zip(node.args, self.truth.partials[p]) if x == q and d is not None)
        if whole:
            return f"2·{self.label(q)}", _factor(number(local))
        if op.variadic or " if " in op.derivative_text[k]:
            return self.d(p, q), number(local)
        text = op.derivative_text[k].replace("*", "·")
        return self.fill(text, p, False), self.fill(text, p, True)

    def _rule_words(self, rule, p: int, q: int) -> str:
        node = self.tape.nodes[p]
        labels = [self.label(x) for x in node.args]
        P, Q = self.label(p), self.label(q)
        mistake = rule.mistake
        if mistake == "quotient-power-multiplied":
            x, y = labels
            return (f"in the quotient {self.node(p)}, the denominator's square was multiplied instead of divided: "
                    f"∂{P}/∂{y} is -{x}/{y}^2, not -{x}·{y}^2")
        if mistake == "quotient-sign-dropped":
            x, y = labels
            return f"in the quotient {self.node(p)}, the minus sign of ∂{P}/∂{y} = -{x}/{y}^2 was dropped"
        if mistake == "product-wrong-operand":
            other = labels[1 - rule.arg]
            return (f"in the product {self.node(p)}, ∂{P}/∂{Q} was taken as {Q} itself instead of the other "
                    f"factor, {other}")
        if mistake == "sigmoid-of-input":
            return (f"at {self.node(p)}, σ'({Q}) was computed as {Q}·(1 - {Q}), from the input, instead of "
                    f"σ({Q})·(1 - σ({Q})) = {P}·(1 - {P})")
        if mistake == "tanh-of-input":
            return (f"at {self.node(p)}, tanh'({Q}) was computed as 1 - {Q}^2, from the input, instead of "
                    f"1 - tanh({Q})^2 = 1 - {P}^2")
        if mistake == "half-forgotten":
            return f"the ½ of the squared error {self.node(p)} was forgotten: ∂{P}/∂{Q} taken as 1, not 1/2"
        if mistake == "square-extra-factor-2":
            return f"an extra factor 2 at the square {self.node(p)}: ∂{P}/∂{Q} taken as 4·{Q}, not 2·{Q}"
        if mistake == "square-factor-2-forgotten":
            return f"the 2 of the square {self.node(p)} was forgotten: ∂{P}/∂{Q} taken as {Q}, not 2·{Q}"
        if mistake == "degrees-for-radians":
            right = OPS[node.op].derivative_text[0].format(Q).replace("*", "·")
            wrong = rule.text.format(Q)
            return (f"at {self.node(p)}, {Q} was taken in degrees: {wrong} instead of {right} ({Q} in radians)")
        raise KeyError(mistake)
