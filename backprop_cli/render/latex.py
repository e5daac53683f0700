"""LaTeX for the pieces of math the renderers write: names, numbers and expressions.

Expressions are not translated by string replacement: an operation's template,
a derivative rule or a symbolic gradient is parsed with the language's own
grammar and printed from its tree, so `-{0}/{1}^2` becomes `\\frac{-f}{d^{2}}`
and parentheses appear exactly where precedence needs them. The trees are
mostly a few nodes deep (templates and rules), but a formula of `--symbolic`
can be as deep as the program, so the tree is walked with an explicit stack.

Names: `E_o1` is `E_{o1}`, `x1` is `x_{1}`, `out` is `\\mathit{out}`, ids `v3` are `v_{3}`; Greek letters,
written or spelled out, are LaTeX's (`alpha`, `α` -> `\\alpha`, `w_alpha` -> `w_{\\alpha}`), and a word as a
subscript is upright (`E_total` -> `E_{\\text{total}}`).
Text mode: escape_text makes any user text safe in a LaTeX document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..base.errors import ProgramError
from ..language.parser import parse
from ..language.syntax_tree import Index, Name, Number, Slice

_PLACEHOLDER = re.compile(r"\{(\d+|out)\}")
_DIGITS_TAIL = re.compile(r"([^\W\d_]+)(\d+)")
# f(a), neuron(w1,x1,b): the label of the result of a call of the program's own function
_CALL_LABEL = re.compile(r"[^\W\d]\w*\(.*\)")
_NUMBER = re.compile(r"(≈)?(-)?(?:(\d+)/(\d+)|(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?)")

ATOM, POWER, UNARY, PRODUCT, SUM, LOOSE = 5, 4, 3, 2, 1, 0

_FUNCTIONS = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "tanh": r"\tanh",
    "max": r"\max", "min": r"\min", "sigmoid": r"\operatorname{sigmoid}", "relu": r"\operatorname{relu}",
    "sign": r"\operatorname{sign}", "sinh": r"\sinh", "cosh": r"\cosh", "asin": r"\arcsin", "acos": r"\arccos",
    "atan": r"\arctan", "atanh": r"\operatorname{artanh}", "asinh": r"\operatorname{arsinh}",
    "acosh": r"\operatorname{arcosh}", "log_base": r"\log", "log2": r"\log_{2}", "log10": r"\log_{10}",
    "erf": r"\operatorname{erf}", "floor": r"\operatorname{floor}", "ceil": r"\operatorname{ceil}",
}


@dataclass(frozen=True)
class Tex:
    """A printed piece of math: its text, how tightly it binds, and whether it starts with a sign."""

    text: str
    prec: int
    signed: bool = False


# ---------------------------------------------------------------------------------------------
# Text mode and names

# The Greek letters the grammar takes as names (grammar/backprop.lark), as LaTeX writes them. The capitals
# that look like Latin ones have no macro in LaTeX: they are the Latin letter, upright.
_GREEK_LOWER = ("alpha beta gamma delta varepsilon zeta eta theta iota kappa lambda mu nu xi o pi rho varsigma "
                "sigma tau upsilon varphi chi psi omega").split()
_GREEK_UPPER = "A B Gamma Delta E Z H Theta I K Lambda M N Xi O Pi P - Sigma T Upsilon Phi X Psi Omega".split()
GREEK = {
    **{chr(0x3B1 + k): ("\\" + m if len(m) > 1 else m) for k, m in enumerate(_GREEK_LOWER)},
    **{chr(0x391 + k): ("\\" + m if len(m) > 1 else r"\mathrm{" + m + "}") for k, m in enumerate(_GREEK_UPPER)
       if m != "-"},
    "ϑ": r"\vartheta", "ϕ": r"\phi", "ϖ": r"\varpi", "ϵ": r"\epsilon",
}


def _greek(text: str) -> str:
    """Greek letters as their macros (θ -> \\theta); a macro followed by a letter gets {} to end it."""
    if not any(ch in GREEK for ch in text):
        return text
    out = []
    for ch in text:
        if out and out[-1].startswith("\\") and not out[-1].endswith("}") and ch.isalpha() and ch not in GREEK:
            out[-1] += "{}"
        out.append(GREEK.get(ch, ch))
    return "".join(out)

_TEXT_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "^": r"\^{}",
    "_": r"\_", "%": r"\%", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def escape_text(text: str) -> str:
    """Text for LaTeX's text mode; a line break becomes a space, other characters outside printable ASCII (which
    pdflatex may lack) '?'."""
    out = []
    for ch in text:
        if ch in _TEXT_SPECIAL:
            out.append(_TEXT_SPECIAL[ch])
        elif ch == "∂":
            out.append(r"$\partial$")
        elif ch == "·":
            out.append(r"$\cdot$")
        elif ch == "≈":
            out.append(r"$\approx$")
        elif ch in GREEK:
            out.append(f"${GREEK[ch]}$")
        elif ord(ch) < 128 and (ch.isprintable() or ch == "\t"):
            out.append(ch)
        elif ch in "\n\r":  # a line break quoted from the program (in a note): a space, never a paragraph break
            out.append(" ")
        else:
            out.append("?")
    return "".join(out)


# Greek letters spelled out, as names in a program (alpha, w_alpha, theta1) and LaTeX writes them: \alpha. The
# capitals that look like Latin ones (Alpha, Beta...) have no macro and are not taken for Greek.
GREEK_NAMES = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho varrho sigma "
    "varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split())
# A subscript of at least this many letters is a word, set upright (E_total -> E_{\text{total}}); a shorter one
# is an index, in italic (w_ij, E_o1, W_hh). `in` is the one short word courses write as a subscript (x_in).
UPRIGHT_LETTERS = 3
_UPRIGHT_WORDS = frozenset({"in"})


def _base(text: str) -> str:
    """One letter as itself (a Greek one as its macro, spelled out or not), a longer name in italic text:
    rate -> \\mathit{rate}."""
    if text in GREEK_NAMES:
        return "\\" + text
    if len(text) == 1 or all(ch in GREEK for ch in text):
        return _greek(text)
    return rf"\mathit{{{_greek(text)}}}"


def _subscript(sub: str) -> str:
    """What goes in a name's subscript: digits as they are (w_12), a Greek letter as its macro (w_alpha), a word
    upright (E_total -> \\text{total}), an index in italic (E_o1, w_ij)."""
    if sub in GREEK_NAMES:
        return "\\" + sub
    letters = sum(ch.isalpha() for ch in sub)
    if (letters >= UPRIGHT_LETTERS or sub in _UPRIGHT_WORDS) and not all(ch in GREEK for ch in sub if ch.isalpha()):
        return rf"\text{{{escape_text(sub)}}}"
    return _greek(sub.replace("_", chr(92) + "_"))


@lru_cache(maxsize=1 << 16)  # a worked solution names each node many times: 150,000 calls on 10,000 nodes
def latex_name(label: str) -> str:
    """A label in math mode: E_o1 -> E_{o1}, x1 -> x_{1}, rate -> \\mathit{rate}; numbers as numbers."""
    if label in ("pi", "π"):
        return r"\pi"
    if _CALL_LABEL.fullmatch(label):  # written as the call it labels, as in an expression
        return latex_expression(label).text
    base, mark, version = label.partition("#")  # c#2: the second version of c (a name assigned again)
    if mark and base and version.isdigit():
        return f"{latex_name(base)}\\#{version}"
    if _NUMBER.fullmatch(label):
        return latex_number_text(label).text
    base, sep, sub = label.partition("_")
    if sep and base and sub:
        return f"{_base(base)}_{{{_subscript(sub)}}}"
    match = _DIGITS_TAIL.fullmatch(label)
    if match:
        return f"{_base(match.group(1))}_{{{match.group(2)}}}"
    return _base(label.replace("_", "\\_"))


def latex_number_text(text: str) -> Tex:
    """`2/3` -> \\frac{2}{3}, `-1.5e-07` -> -1.5 \\times 10^{-7}, `≈1.2e+50` -> \\approx ..."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return Tex(rf"\text{{{escape_text(text)}}}", ATOM)
    approx, minus, top, bottom, decimal, exponent = match.groups()
    if top is not None:
        body, prec = rf"\frac{{{top}}}{{{bottom}}}", POWER
    elif exponent is not None:
        power = exponent.lstrip("+")
        power = ("-" if power.startswith("-") else "") + (power.lstrip("-").lstrip("0") or "0")
        body = f"{decimal} \\times 10^{{{power}}}" if decimal not in ("1", "1.") else f"10^{{{power}}}"
        prec = PRODUCT if "times" in body else POWER
    else:
        body, prec = decimal, ATOM
    if minus:
        body, prec = "-" + body, min(prec, UNARY)
    if approx:
        return Tex(r"\approx " + body, LOOSE, False)
    return Tex(body, prec, bool(minus))


# ---------------------------------------------------------------------------------------------
# Expressions: parse with the grammar, print from the tree

def _wrap(piece: Tex) -> str:
    return rf"\left({piece.text}\right)"


def _children(node) -> list:
    """The expressions a node's printing needs first: an operation's arguments; an index's target and the
    parts of its items (a slice's start, stop and step where written)."""
    if isinstance(node, Index):
        parts = [node.target]
        for item in node.items:
            parts += [p for p in (item.start, item.stop, item.step) if p is not None] if isinstance(item, Slice) \
                else [item]
        return parts
    return list(node.args)


def _index(node: Index, parts: list[Tex]) -> Tex:
    """`W[1, 0]`, `x[k]`, `W[:, 0]` over the printed target and item parts."""
    target, rest = parts[0], iter(parts[1:])
    items = []
    for item in node.items:
        if isinstance(item, Slice):
            written = ["" if p is None else next(rest).text for p in (item.start, item.stop, item.step)]
            items.append(":".join(written[:2] + ([written[2]] if item.step is not None else [])))
        else:
            items.append(next(rest).text)
    base = _wrap(target) if target.prec < ATOM or target.signed else target.text
    return Tex(f"{base}[{', '.join(items)}]", ATOM)


def _emit(root, leaf) -> Tex:
    """The tree printed bottom-up, by an explicit stack (a formula's tree is as deep as the program)."""
    done: list[Tex] = []  # the printed operands waiting for their operation, in order
    stack: list = [(root, False)]
    while stack:
        node, operands_printed = stack.pop()
        if isinstance(node, Number):
            done.append(latex_number_text(node.text))
        elif isinstance(node, Name):
            found = leaf(node.name)
            done.append(found if found is not None else Tex(latex_name(node.name), ATOM))
        elif operands_printed:
            count = len(_children(node))
            args = done[len(done) - count:]
            del done[len(done) - count:]
            if isinstance(node, Index):
                done.append(_index(node, args))
            else:
                done.append(_combine(node.op, args, tuple(k.name for k in getattr(node, "keywords", ()))))
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(_children(node)))
    return done[0]


def _combine(op: str, args: list[Tex], keywords: tuple = ()) -> Tex:
    """An operation over its printed operands (the last len(keywords) given by keyword: axis=0)."""
    if op in ("add", "sub"):
        left, right = args
        needs = right.signed or right.prec < (PRODUCT if op == "sub" else SUM)
        sign = "+" if op == "add" else "-"
        r = _wrap(right) if needs else right.text
        left_text = _wrap(left) if left.prec < SUM else left.text
        return Tex(f"{left_text} {sign} {r}", SUM, left.signed and left.prec >= SUM)
    if op == "mul":
        left, right = args
        left_text = _wrap(left) if left.prec < PRODUCT else left.text
        right_text = _wrap(right) if right.prec < UNARY or right.signed else right.text
        return Tex(f"{left_text} \\cdot {right_text}", PRODUCT, left.signed and left.prec >= PRODUCT)
    if op == "div":
        left, right = args
        return Tex(rf"\frac{{{left.text}}}{{{right.text}}}", POWER)
    if op == "pow":
        base, exponent = args
        base_text = _wrap(base) if base.prec < ATOM or base.signed else base.text
        return Tex(f"{base_text}^{{{exponent.text}}}", POWER)
    if op in ("neg", "pos"):
        (operand,) = args
        text = _wrap(operand) if operand.prec < PRODUCT or operand.signed else operand.text
        return Tex(("-" if op == "neg" else "+") + text, UNARY, True)
    if op == "copy":
        return args[0]
    if op == "matmul":  # W @ x as math writes it: W x
        left, right = args
        left_text = _wrap(left) if left.prec < PRODUCT else left.text
        right_text = _wrap(right) if right.prec < UNARY or right.signed else right.text
        return Tex(f"{left_text} {right_text}", PRODUCT, left.signed and left.prec >= PRODUCT)
    if op == "transpose":
        (base,) = args
        return Tex(f"{_wrap(base) if base.prec < ATOM or base.signed else base.text}^{{\\top}}", POWER)
    if op == "stack":
        return Tex(rf"\left[{', '.join(a.text for a in args)}\right]", ATOM)
    # an axis is no value, so it keeps its keyword (sum(W, axis=0)); other keywords name a value and are
    # written by position, as they always were (leaky_relu(x, 0.2))
    given = len(args) - len(keywords)
    named = [rf"\text{{{k}}} = {a.text}" if k == "axis" else a.text for k, a in zip(keywords, args[given:])]
    inner = ", ".join([a.text for a in args[:given]] + named)
    if op == "sqrt":
        return Tex(rf"\sqrt{{{inner}}}", ATOM)
    if op == "abs":
        return Tex(rf"\left|{inner}\right|", ATOM)
    # a one-letter function (the program's own f, φ) is written as math writes f(x); longer names upright
    name = _FUNCTIONS.get(op) or (rf"\operatorname{{{escape_text(op)}}}" if len(op) > 1 and op.isascii()
                                  and op not in GREEK_NAMES else latex_name(op))
    return Tex(rf"{name}\left({inner}\right)", ATOM)


@lru_cache(maxsize=256)
def _template_tree(template: str):
    """A template's tree, with {0}, {1}, {out} read as the names _p0, _p1, _pout; None if it is not an expression."""
    text = _PLACEHOLDER.sub(lambda m: f"_p{m.group(1)}", template)
    try:
        program = parse(text)
    except ProgramError:
        return None
    return program.statements[0] if len(program.statements) == 1 else None


@lru_cache(maxsize=4096)
def _expression_tree(text: str):
    try:
        program = parse(text)
    except ProgramError:
        return None
    return program.statements[0] if len(program.statements) == 1 else None


def _placeholder_leaf(leaves: list[Tex], out: Tex | None):
    def leaf(name: str):
        if name == "_pout":
            return out
        if name.startswith("_p") and name[2:].isdigit() and int(name[2:]) < len(leaves):
            return leaves[int(name[2:])]
        return None

    return leaf


def _piecewise(template: str, leaves: list[Tex], out: Tex | None) -> Tex:
    """`1 if {0} > 0, else 0` as a cases environment."""
    rows = []
    for piece in template.split(", "):
        otherwise = piece.startswith("else ")
        value, _, condition = piece.removeprefix("else ").partition(" if ")
        value_tex = latex_template(value, leaves, out).text
        if otherwise:
            cond = r"\text{otherwise}"
        elif _PLACEHOLDER.search(condition) and re.fullmatch(r"\{\w+\} [<>=]+ \S+", condition):
            left, comparison, right = condition.split(" ")
            cond = (rf"\text{{if }} {latex_template(left, leaves, out).text} {comparison} "
                    rf"{latex_template(right, leaves, out).text}")
        else:
            cond = rf"\text{{if {escape_text(condition)}}}"
        rows.append(f"{value_tex} & {cond}")
    return Tex(r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}", LOOSE)


def latex_template(template: str, leaves: list[Tex], out: Tex | None = None) -> Tex:
    """An operation's template or derivative rule with its placeholders filled by `leaves`."""
    if " if " in template:
        return _piecewise(template, leaves, out)
    tree = _template_tree(template)
    if tree is None:
        return Tex(rf"\text{{{escape_text(template)}}}", ATOM)
    return _emit(tree, _placeholder_leaf(leaves, out))


def latex_expression(text: str) -> Tex:
    """An expression over labels (`1/d`, `f`) in LaTeX."""
    tree = _expression_tree(text)
    if tree is None:
        return Tex(rf"\text{{{escape_text(text)}}}", ATOM)
    return _emit(tree, lambda name: None)
