"""Generated programs written as people type and paste them (issue 13): the same program in the new notation.

`as_typed(program, source)` writes a Program of tests/program_gen.py (a syntax tree) as text that uses
what the grammar accepts beyond ASCII, each choice drawn from `source`:

- implicit products, only in the forms the issue lists: a number before a name, a call, `√` or a
  parenthesis (`2x`, `3sin(x)`, `2√x`, `2(a + b)`), and `)(` (`(a + b)(c + d)`); never two names side by
  side, never after a power (`x^2y`) or a root (`√2x`). A product right after a `/` (`1/2x`) is written
  only where the tree is (1/2)*x, which is what it means, and counted: the parser must say how it read each;
- the Unicode operators `×` `·` `∙` `÷`, every dash as minus, superscript integer powers (`x²`, `x⁻¹`),
  `√u`, `π`, and Greek letters for some names;
- code as the courses write it: `x**2`, `x.pow(2)`, `u.exp()`, `math.exp(u)`, `np.log(u, 2)`, `math.pi`;
- reassignment: `t = L op R` becomes `t = L` then `t = t op R` or `t op= R` (again inside L), so t's
  last version is the node the ASCII program calls t;
- with functions=True, functions of the program's own: a sub-expression whose shape occurs more than
  once (or any one) becomes `f(u, v) = body` at the top, each occurrence a call of it (`f(x, a + b)`),
  with arguments sometimes by keyword in any order (`f(v=a + b, u=x)`); the parameters may be spelled
  as the program's own names, which they hide. PyTorch's keywords for the tool's functions are written
  too (`leaky_relu(x, negative_slope=0.2)`);
- with defaults=..., a statement `x = 2.5` (or `x = Value(2.5)`, `x = torch.tensor(2.5)`) at the top for
  each input, so the program carries its own point and needs no bindings.

Each of these reads as the very tree the ASCII text reads as (a product without `*` binds exactly as `*`,
`t += e` is `t = t + (e)`): the tape has the same operations on the same operands in the same order, so
every value and gradient is bit for bit the ASCII program's, under new names (Typed.names). A call of a
program's function is expanded into the same nodes, but its arguments come before its body, so the tape
holds the same nodes in another order: the same values, and gradients that sum the same contributions,
perhaps in another order. The property suite (tests/whole/test_properties.py) checks exactly that, and
the SymPy oracle (tests/engine/test_sympy_oracle.py) checks the typed programs as well.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from backprop_cli.engine.ops import OPS
from backprop_cli.language.syntax_tree import Apply, Assign, Name, Number

from program_gen import Source, value_text

TIMES = ("*", "×", "·", "∙")
DIVIDE = ("/", "÷")
MINUS = ("-", "−", "‐", "‑", "‒", "–", "—", "﹣")  # the grammar's: ASCII, U+2212, U+2010-2014, U+FE63
AUGMENTED = {"add": ("+=",), "sub": ("-=", "−="), "mul": ("*=", "×="), "div": ("/=", "÷=")}
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# Greek letters as names (the grammar's range, with ϑ ϕ ϖ ϵ); never π, which is the constant pi.
GREEK = tuple("αβγδεζηθικλμνξορστυφχψω") + tuple("ΓΔΘΛΞΣΦΨΩ") + ("ϑ", "ϕ", "ϖ", "ϵ")
MODULES = ("math", "np", "numpy", "torch", "F")
WRAPPERS = ("{}", "Value({})", "torch.tensor({})", "np.array({})")
_LEVEL = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pos": 3, "pow": 4}
CALL = 5  # calls, names, numbers and anything in parentheses
IMPLICIT_AFTER = ("number", ")")


@dataclass
class Piece:
    """Written text, how tightly it binds, and what an implicit product needs to know of its two ends."""
    text: str
    level: int
    end: str = "other"  # "number": the last factor is a plain number (2, a*2, -2); ")": a group or a call
    start: str = "other"  # "name", "e" (a name starting with e or E: 2e is 2*e, 2e5 a number), "(", "√"


@dataclass
class Typed:
    text: str
    names: dict  # a name of the ASCII program -> its name here (a Greek letter; t#3 for a reassigned t)
    forms: set = field(default_factory=set)  # the notations used, for the suites to check they all occur
    slash_products: int = 0  # implicit products right after a '/': one note each


class _Writer:
    def __init__(self, source: Source, names: dict, forms: set, functions=frozenset()) -> None:
        self.s, self.names, self.forms = source, names, forms
        self.functions = functions  # the program's own: plain calls, never a method nor after a module
        self.slash_products = 0

    def pick(self, options, kind: str) -> str:
        choice = self.s.choice(options)
        self.forms.add(f"{kind} {choice}")
        return choice

    def grouped(self, piece: Piece, level: int) -> Piece:
        """`piece` where the grammar wants something that binds at least as tightly as `level`."""
        if piece.level >= level:
            return piece
        return Piece(f"({piece.text})", CALL, ")", "(")

    def write(self, node) -> Piece:
        if isinstance(node, Number):
            return Piece(node.text, CALL, "number", "digit")
        if isinstance(node, Name):
            if node.name == "pi":
                text = self.s.choice(("π", "π", "pi", "math.pi"))
                self.forms.add(text)
                return Piece(text, CALL, "other", "name" if text != "math.pi" else "module")
            name = self.names.get(node.name, node.name)
            return Piece(name, CALL, "other", "e" if name[0] in "eE" else "name")
        if node.is_call:
            return self.call(node)
        if node.op in ("neg", "pos"):
            (operand,) = node.args
            inner = self.grouped(self.write(operand), 3)
            sign = self.pick(MINUS, "minus") if node.op == "neg" else "+"
            return Piece(sign + inner.text, 3, inner.end if inner.end == "number" else "other", "sign")
        left, right = node.args
        if node.op == "pow":
            return self.power(left, right)
        a = self.grouped(self.write(left), _LEVEL[node.op])
        b = self.grouped(self.write(right), _LEVEL[node.op] + 1)  # left-associative: a - (b - c)
        if node.op == "add":
            return Piece(f"{a.text} + {b.text}", 1)
        if node.op == "sub":  # spaces around, so 2e - 3 never runs together into the number 2e-3
            return Piece(f"{a.text} {self.pick(MINUS, 'minus')} {b.text}", 1)
        if node.op == "div":
            spaced = self.s.chance(0.5)
            symbol = self.pick(DIVIDE, "divide")
            return Piece(f"{a.text} {symbol} {b.text}" if spaced else f"{a.text}{symbol}{b.text}", 2, b.end)
        return self.product(left, a, b)

    def product(self, left, a: Piece, b: Piece) -> Piece:
        if b.start in ("digit", "sign") and a.end in IMPLICIT_AFTER and self.s.chance(0.3):
            b = Piece(f"({b.text})", CALL, ")", "(")  # 2(3), 2(-b): a parenthesis makes room for the product
        number_then = a.end == "number" and b.start in ("name", "e", "(", "√")
        groups = a.end == ")" and b.start == "("
        after_slash = isinstance(left, Apply) and left.op == "div" and not left.is_call
        if (number_then or groups) and self.s.chance(0.9 if after_slash else 0.6):
            if after_slash:
                self.slash_products += 1  # 1/2x: read as (1/2)*x, which is this tree; the parser says so
                self.forms.add("implicit after /")
            # 2e is 2*e (e is a name), but 2e5 is a number: 2 e5 is 2*e5
            gap = " " if b.start == "e" and b.text[1:2].isdigit() or self.s.chance(0.15) else ""
            self.forms.add("implicit " + ("number " + b.start if number_then else ")("))
            return Piece(a.text + gap + b.text, 2, b.end)
        symbol = self.pick(TIMES, "times")
        spaced = self.s.chance(0.6)
        return Piece(f"{a.text} {symbol} {b.text}" if spaced else f"{a.text}{symbol}{b.text}", 2, b.end)

    def power(self, left, right) -> Piece:
        base = self.grouped(self.write(left), CALL)  # (√x)^2: √ takes the whole power after it
        digits = _integer_exponent(right)
        if digits is not None and self.s.chance(0.5):
            self.forms.add("superscript")
            return Piece(base.text + digits.translate(SUPERSCRIPT), 4, "other", base.start)
        if base.start in ("name", "e", "(") and base.text[-1] != "." and self.s.chance(0.15) \
                and base.text.split("(")[0] not in MODULES:
            self.forms.add("x.pow()")
            return Piece(f"{base.text}.pow({self.write(right).text})", CALL, ")", base.start)
        exponent = self.grouped(self.write(right), 3)
        symbol = self.s.choice(("^", "^", "**"))
        self.forms.add(symbol)
        return Piece(f"{base.text}{symbol}{exponent.text}", 4, "other", base.start)

    def call(self, node: Apply) -> Piece:
        args = [self.write(a) for a in node.args]
        if node.op in self.functions:
            return Piece(f"{node.op}({self.arguments(node, args)})", CALL, ")", "name")
        roll = self.s.integer(0, 9)
        if node.op == "sqrt" and len(args) == 1 and roll < 5:
            operand = self.grouped(args[0], 4)  # √ takes a power: √x², √(a + b)
            self.forms.add("√")
            return Piece("√" + operand.text, 4, "other", "√")  # √2x would be (√2)*x: never followed by one
        if len(args) == 1 and OPS.get(node.op) is not None and roll < 2:
            receiver = args[0]
            if receiver.level < CALL or receiver.start not in ("name", "e") or receiver.text in MODULES:
                receiver = Piece(f"({receiver.text})", CALL, ")", "(")
            self.forms.add("method")
            return Piece(f"{receiver.text}.{node.op}()", CALL, ")", "method")
        if roll < 4:
            module = self.pick(MODULES, "module")
            return Piece(f"{module}.{node.op}({self.arguments(node, args)})", CALL, ")", "module")
        return Piece(f"{node.op}({self.arguments(node, args)})", CALL, ")", "name")

    def arguments(self, node: Apply, args: list) -> str:
        """The arguments of a call, the last ones sometimes by keyword (a program's function: in any order)."""
        keywords = self.functions.get(node.op) if node.op in self.functions else \
            getattr(OPS.get(node.op), "keywords", None)
        if not keywords or len(keywords) < len(args) or not self.s.chance(0.4):
            return ", ".join(a.text for a in args)
        first = self.s.integer(0, len(args))
        named = [f"{keywords[k]}={args[k].text}" for k in range(first, len(args))]
        if node.op in self.functions and len(named) > 1 and self.s.chance(0.5):
            named.reverse()
            self.forms.add("keywords in another order")
        if named:
            self.forms.add("keyword " + ("function" if node.op in self.functions else node.op))
        return ", ".join([a.text for a in args[:first]] + named)


def _integer_exponent(node) -> str | None:
    """The superscript spelling's digits and sign of an exponent written as an integer (2, -1, +3)."""
    sign = ""
    if isinstance(node, Apply) and not node.is_call and node.op in ("neg", "pos"):
        sign, node = "⁻" if node.op == "neg" else "⁺", node.args[0]
    if isinstance(node, Number) and node.text.isdigit() and node.text.isascii():
        return sign + node.text
    return None


def _plain_number(expr) -> bool:
    """A number, perhaps signed: assigned to a name, it makes the name an input with a default."""
    while isinstance(expr, Apply) and not expr.is_call and expr.op in ("neg", "pos"):
        expr = expr.args[0]
    return isinstance(expr, Number)


def _splittable(expr) -> bool:
    """`t = L op R` can become `t = L; t op= R` when L is computed (not a name, nor a plain number, which
    would make t an input with a default)."""
    if not (isinstance(expr, Apply) and not expr.is_call and expr.op in AUGMENTED):
        return False
    left = expr.args[0]
    return isinstance(left, Apply) and not _plain_number(left)


FUNCTION_NAMES = ("f", "g", "h", "q", "neuron", "layer", "f_1", "φ", "Ψ2")
PARAMETER_NAMES = ("u", "v", "w", "s", "t", "z", "p_1", "ξ")


def _template(node, depth: int):
    """The shape of `node` to `depth` levels: below it, and at every name, a hole (a parameter)."""
    if isinstance(node, Number) or isinstance(node, Name) and node.name == "pi":
        return ("number", node.name if isinstance(node, Name) else node.text)
    if isinstance(node, Name) or depth == 0:
        return "hole"
    return (node.op, node.is_call, tuple(_template(a, depth - 1) for a in node.args))


def _holes(node, depth: int) -> list:
    """The sub-trees a call of the template of `node` passes as arguments, left to right."""
    if isinstance(node, Number) or isinstance(node, Name) and node.name == "pi":
        return []
    if isinstance(node, Name) or depth == 0:
        return [node]
    return [hole for a in node.args for hole in _holes(a, depth - 1)]


def _body(node, depth: int, params: list):
    """The template of `node` with its holes, left to right, replaced by the names `params` (consumed)."""
    if isinstance(node, Number) or isinstance(node, Name) and node.name == "pi":
        return node
    if isinstance(node, Name) or depth == 0:
        return Name(params.pop(0), node.span)
    return Apply(node.op, tuple(_body(a, depth - 1, params) for a in node.args), node.span, node.is_call)


def _lift(statements: list, source: Source, taken: set):
    """A function of the program's own, lifted out of `statements`: (statements with calls, its name, its
    parameters, its body, how many calls), or None when nothing fits. A shape that occurs twice or more is
    preferred."""
    depth = source.integer(1, 2)
    found: dict = {}
    for k, statement in enumerate(statements):
        stack = [(statement.expr if isinstance(statement, Assign) else statement, ())]
        while stack:
            node, path = stack.pop()
            if not isinstance(node, Apply):
                continue
            if not _plain_number(node) and _holes(node, depth):
                found.setdefault(_template(node, depth), []).append((k, path))
            stack.extend((a, (*path, i)) for i, a in enumerate(node.args))
    if not found:
        return None
    repeated = sorted((key for key, places in found.items() if len(places) > 1), key=repr)
    wider = [key for key in repeated if len(_holes(_at(statements[found[key][0][0]], found[key][0][1]), depth)) > 1]
    if wider and source.chance(0.5):
        key = source.choice(wider)  # (-u is the shape met most often; f(u, v) = u*v + 1 says more)
    elif repeated and source.chance(0.8):
        key = source.choice(repeated)
    else:
        key = source.choice(sorted(found, key=repr))
    places = found[key]
    name = source.choice([n for n in FUNCTION_NAMES if n not in taken])
    k, path = places[0]
    example = _at(statements[k], path)
    count = len(_holes(example, depth))
    pool = [p for p in PARAMETER_NAMES if p not in taken] + sorted(taken - set(FUNCTION_NAMES))
    params = []
    while len(params) < count:  # the program's own names now and then: a parameter hides them
        candidate = source.choice(pool)
        if candidate not in params and candidate != name:
            params.append(candidate)
    body = _body(example, depth, list(params))
    chosen: list = []  # occurrences apart from each other: an outer one's call holds the inner one as written
    for k, path in sorted(places, key=lambda place: (place[0], len(place[1]))):
        if not any(k == other and path[:len(at)] == at for other, at in chosen):
            chosen.append((k, path))
    statements = list(statements)
    for k, path in chosen:
        node = _at(statements[k], path)
        statements[k] = _replace(statements[k], path, Apply(name, tuple(_holes(node, depth)), node.span, True))
    return statements, name, params, body, len(chosen)


def _at(statement, path):
    node = statement.expr if isinstance(statement, Assign) else statement
    for i in path:
        node = node.args[i]
    return node


def _replace(statement, path, new):
    """`statement` with the node at `path` replaced by `new`."""
    def down(node, path):
        if not path:
            return new
        args = list(node.args)
        args[path[0]] = down(args[path[0]], path[1:])
        return Apply(node.op, tuple(args), node.span, node.is_call)

    if isinstance(statement, Assign):
        return Assign(statement.name, statement.name_span, down(statement.expr, path), statement.span)
    return down(statement, path)


def as_typed(program, source: Source, *, greek: bool = True, reassign: bool = True, functions: bool = False,
             defaults: dict | None = None) -> Typed:
    """`program` (a Program of program_gen) written in the notation of issue 13, reading as the same tree."""
    statements = list(program.statements)
    assigned = [s.name for s in statements if isinstance(s, Assign)]
    inputs = _inputs(statements)
    names: dict = {}
    forms: set = set()
    lifted = _lift(statements, source, set(assigned) | set(inputs)) if functions else None
    if lifted is not None:
        statements = lifted[0]
    if greek:
        free = [g for g in GREEK if g not in {*assigned, *inputs, *FUNCTION_NAMES, *PARAMETER_NAMES}]
        for name in [*inputs, *assigned]:
            if free and source.chance(0.25):
                letter = free.pop(source.integer(0, len(free) - 1))
                names[name] = letter + source.choice(("", "", "", "1", "_2", "x"))
                forms.add("greek")
            elif "e" not in inputs and "e" not in assigned and "e" not in names.values() and source.chance(0.1):
                names[name] = "e"  # a name like any other, never Euler's number: 2e is 2*e
    own = {}
    if lifted is not None:
        function, params = lifted[1], lifted[2]
        own[function] = tuple(names.get(p, p) for p in params)
    writer = _Writer(source, names, forms, own)
    lines = []
    if defaults is not None:
        for name in inputs:
            wrapper = writer.pick(WRAPPERS, "default")
            lines.append(f"{names.get(name, name)} = {wrapper.format(value_text(defaults[name]))}")
    if lifted is not None:
        function, body = lifted[1], lifted[3]
        lines.append(f"{function}({', '.join(own[function])}) = {writer.write(body).text}")
        forms.add("function" if lifted[4] == 1 else "function called twice or more")
    versions: dict = {}
    for statement in statements:
        if not isinstance(statement, Assign):
            lines.append(writer.write(statement).text)
            continue
        target = names.get(statement.name, statement.name)
        if defaults is not None and _plain_number(statement.expr):  # `n = 2`: an input, its default the point's
            wrapper = writer.pick(WRAPPERS, "default")
            lines.append(f"{target} = {wrapper.format(value_text(defaults[statement.name]))}")
        elif reassign and _splittable(statement.expr) and source.chance(0.5):
            steps = [statement.expr]  # t = ((L op1 R1) op2 R2): split while the left is splittable
            while _splittable(steps[-1].args[0]) and source.chance(0.5):
                steps.append(steps[-1].args[0])
            lines.append(f"{target} = {writer.write(steps[-1].args[0]).text}")
            for step in reversed(steps):
                right = step.args[1]
                if source.chance(0.6):
                    operator = writer.pick(AUGMENTED[step.op], "augmented")
                    lines.append(f"{target} {operator} {writer.write(right).text}")
                else:
                    fake = Apply(step.op, (Name(statement.name, step.span), right), step.span)
                    lines.append(f"{target} = {writer.write(fake).text}")
                    forms.add("reassign")
            versions[statement.name] = len(steps) + 1
        else:
            lines.append(f"{target} = {writer.write(statement.expr).text}")
    for name, count in versions.items():
        names[name] = f"{names.get(name, name)}#{count}"
    separator = source.choice(("\n", "; ", "\n"))
    return Typed(separator.join(lines), names, forms, writer.slash_products)


def _inputs(statements) -> list[str]:
    """The names used before any assignment, in order of first use (the ASCII program's inputs)."""
    seen, assigned, found = set(), set(), []
    for statement in statements:
        expr = statement.expr if isinstance(statement, Assign) else statement
        stack = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, Name):
                if node.name not in assigned and node.name not in seen and node.name != "pi":
                    seen.add(node.name)
                    found.append(node.name)
            elif isinstance(node, Apply):
                stack.extend(reversed(node.args))
        if isinstance(statement, Assign):
            assigned.add(statement.name)
    return found
