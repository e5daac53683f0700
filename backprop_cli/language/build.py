"""Building syntax tree nodes as the parser reduces: one callback per grammar alias.

Both parsers (the generated tables of fast_parser.py and Lark in
lark_parser.py) call the same callbacks with the same children. A token is
anything with .group(), .start() and .end(): a regex match on the fast path, a
LarkToken on Lark's. Every other child is a node.
"""
from __future__ import annotations

from sys import intern as _intern

from .syntax_tree import Apply, Assign, Define, Index, Name, Number, Slice, Span


class LarkToken:
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


NODE_TYPES = (Number, Name, Apply, Index, Assign, Define)


def _number(children):
    (token,) = children
    text = token.group()
    if "−" in text:  # 2e−3 with the Unicode minus in its exponent is 2e-3
        text = text.replace("−", "-")
    return Number(text, Span(token.start(), token.end()))


def _name(children):
    (token,) = children  # one string per distinct name, however often it is used
    text = token.group()
    return Name(_intern(_NAME_READINGS.get(text, text)), Span(token.start(), token.end()))


_NAME_READINGS = {"π": "pi"}  # names written as math writes them, read as the language's own
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def _superscript_pow(children):  # x² is x^2, x⁻¹ is x^-1: the same tree as the ASCII spelling
    base, token = children
    text = token.group()
    sign = text[0] if text[0] in "⁺⁻" else ""
    start, end = token.start(), token.end()
    exponent = Number(text[len(sign):].translate(_SUPERSCRIPT_DIGITS), Span(start + len(sign), end))
    if sign:
        exponent = Apply("neg" if sign == "⁻" else "pos", (exponent,), Span(start, end))
    return Apply("pow", (base, exponent), Span(base.span.start, end))


def _root(children):  # √x and √(x) are sqrt(x)
    sign, operand = children
    return Apply("sqrt", (operand,), Span(sign.start(), operand.span.end), is_call=True)


def _atom(children):  # "(" expr ")": the parentheses widen the span and add nothing else
    inner, span = children[1], Span(children[0].start(), children[-1].end())
    if type(inner) is Apply:
        return Apply(inner.op, inner.args, span, inner.is_call, inner.keywords)
    if type(inner) is Index:
        return Index(inner.target, inner.items, span)
    return type(inner)(inner.text if type(inner) is Number else inner.name, span)


def _bounds(child) -> tuple[int, int]:
    """Where a child, a node or a token, starts and ends."""
    if isinstance(child, NODE_TYPES):
        return child.span.start, child.span.end
    return child.start(), child.end()


def _elements(children):
    """A list's elements so far, as a Python list: the first one, or one more (the comma is dropped now: a
    million-number list would otherwise hold a million commas' matches, 500 bytes each, until its ']')."""
    if len(children) == 1:
        return [children[0]]
    elements = children[0]
    elements.append(children[2])
    return elements


def _list(children):
    """`[a, b, c]` is stack(a, b, c), and `[[1, 2], [3, 4]]` a stack of stacks: a vector, a matrix."""
    span = Span(children[0].start(), children[-1].end())
    if len(children) == 2:
        raise Unreadable(span, "an empty list has no shape: a list holds at least one element, as in [1, 2, 3]")
    return Apply("stack", tuple(children[1]), span)


def _index(children):
    """`x[0]`, `W[1, 0]`, `W[:, 0]`: the target, then its items (expressions or slices)."""
    target, opening, closing = children[0], children[1], children[-1]
    items = tuple(children[2:-1:2])
    if not items:
        raise Unreadable(Span(opening.start(), closing.end()), "an index needs at least one item, as in x[0], "
                         "W[1, 0], x[1:3] or W[:, 0]")
    return Index(target, items, Span(target.span.start, closing.end()))


def _slice(children):
    """`start:stop:step`, any part left out: the nodes between the colons."""
    parts: list = [None]
    colons = []
    for child in children:
        if isinstance(child, NODE_TYPES):
            parts[-1] = child
        else:
            colons.append(child)
            parts.append(None)
    end = _bounds(children[-1])[1]
    if len(colons) > 2:
        raise Unreadable(Span(colons[2].start(), end), f"a slice has at most three parts, start:stop:step (as in "
                         f"x[1:3] or x[::-1]), not {len(colons) + 1}")
    start, stop, step = parts + [None] * (3 - len(parts))
    return Slice(start, stop, step, Span(_bounds(children[0])[0], end))


def _transpose(children):  # Wᵀ is W.T
    target, mark = children
    return Apply("transpose", (target,), Span(target.span.start, mark.end()))


class Unreadable(Exception):
    """Code the grammar accepts but the language does not know (`foo.exp(x)`): parser.py makes it a
    ProgramError with a caret under `span`."""

    def __init__(self, span: Span, message: str) -> None:
        super().__init__(span, message)
        self.span, self.message = span, message


# The modules of the code that courses write; a function after one of them is the tool's own function.
MODULES = ("math", "np", "numpy", "torch", "F")
# Wrappers that, around a plain number, are that number: micrograd's Value(-4.0), torch.tensor(2.0), and the
# keywords each accepts there (micrograd's lecture writes Value(2.0, label='a'); PyTorch
# torch.tensor(2.0, requires_grad=True)). `data` (`object` for NumPy) is the number itself, by keyword.
WRAPPER_KEYWORDS = {"Value": ("data", "label"), "tensor": ("data", "requires_grad"), "array": ("object",)}
NUMBER_WRAPPERS = tuple(WRAPPER_KEYWORDS)
# What a wrapper's keyword may be given: a string for a label, True or False for requires_grad.
_KEYWORD_VALUES = {"label": ("a string", "label='a'"), "requires_grad": ("True or False", "requires_grad=True")}
# Methods that take an argument, so that `W.dot(x)` (cs231n's D = W.dot(X)) is the call dot(W, x) and not a
# function of a module W; any other name.f(args) names a module.
_ARGUMENT_METHODS = ("dot",)
# Attributes of the modules that are constants of the language.
_MODULE_CONSTANTS = {"pi": "pi", "tau": "tau"}


class Keyword:
    """`name=value` among a call's arguments, until the call is built: the value is a node, or a String."""

    __slots__ = ("name", "value", "span")

    def __init__(self, name: Name, value, span: Span) -> None:
        self.name, self.value, self.span = name, value, span


class String:
    """A quoted string, which the language has only as a keyword's value (label='a')."""

    __slots__ = ("text", "span")

    def __init__(self, text: str, span: Span) -> None:
        self.text, self.span = text, span


def unknown_keyword(word: str, function: str, known) -> str:
    """`unknown keyword lable for Value (did you mean label?): its keywords are data, label`."""
    import difflib

    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown keyword {word} for {function}{hint}: its keywords are {', '.join(known)}"


def _keyword(children):
    token, _, value = children
    name = Name(_intern(token.group()), Span(token.start(), token.end()))
    if not isinstance(value, NODE_TYPES):  # a STRING token
        value = String(value.group()[1:-1], Span(value.start(), value.end()))
    return Keyword(name, value, Span(name.span.start, value.span.end))


def _arguments(children) -> tuple[tuple, list]:
    """The arguments between a call's parentheses: (positional nodes, keywords), Python's rules kept: no
    positional argument after a keyword one, no keyword twice."""
    positional: list = []
    keywords: list = []
    for child in children:
        if type(child) is Keyword:
            if any(k.name.name == child.name.name for k in keywords):
                raise Unreadable(child.name.span, f"keyword {child.name.name} is given twice")
            keywords.append(child)
        elif isinstance(child, NODE_TYPES):
            if keywords:
                raise Unreadable(child.span, "an argument without a keyword cannot follow one with a keyword "
                                 f"({keywords[-1].name.name}=...), as in Python")
            positional.append(child)
    return tuple(positional), keywords


def _plain_number(node) -> bool:
    """A number, or a signed one: what Value(...) may wrap."""
    if type(node) is Apply and node.op in ("neg", "pos") and not node.is_call:
        node = node.args[0]
    return type(node) is Number


def _unwrap(name: str, args: tuple, keywords: list):
    """Value(2.0, label='a') is 2.0, and torch.tensor([1.0, 2.0]) or np.array([[1, 2], [3, 4]]) is the list;
    None when the wrapper wraps anything else (then it is a call)."""
    known = WRAPPER_KEYWORDS[name]
    data = list(args)
    for keyword in keywords:
        word = keyword.name.name
        if word not in known:
            raise Unreadable(keyword.name.span, unknown_keyword(word, name, known))
        if word == known[0]:
            if data:
                raise Unreadable(keyword.name.span, f"{word} is given twice, by position and by keyword")
            data.append(keyword.value)
            continue
        kind, example = _KEYWORD_VALUES[word]
        value = keyword.value
        if word == "label" and type(value) is not String or word == "requires_grad" and not (
                type(value) is Name and value.name in ("True", "False")):
            raise Unreadable(value.span, f"{word} is {kind}: {example}")
    if len(data) == 1 and not isinstance(data[0], String) and (_plain_number(data[0]) or name != "Value" and (
            type(data[0]) is Apply and data[0].op == "stack" and not data[0].is_call)):
        return data[0]
    return None


def _function(name: str, args: tuple, keywords: list, span: Span, wrapper_allowed: bool = True):
    if wrapper_allowed and name in WRAPPER_KEYWORDS:
        number = _unwrap(name, args, keywords)
        if number is not None:
            return number
        keywords = [k for k in keywords if k.name.name not in WRAPPER_KEYWORDS[name][1:]]
    for keyword in keywords:
        if type(keyword.value) is String:
            raise Unreadable(keyword.value.span, "a string is only ever a label, as in Value(2.0, label='a')")
    return Apply(name, args + tuple(k.value for k in keywords), span, True, tuple(k.name for k in keywords))


def _call(children):
    func = children[0]
    args, keywords = _arguments(children[2:-1])
    name = func.group()
    return _function(name, args, keywords, Span(func.start(), children[-1].end()), name == "Value")


def _define(children):
    """`f(x, y) = body`: the left side was read as a call; each parameter must be a distinct plain name."""
    func, body = children[0], children[-1]
    params, keywords = _arguments(children[2:-3])
    if keywords:
        raise Unreadable(keywords[0].span, "a parameter must be a name: f(x, y) = ... has no keywords")
    seen: set = set()
    for param in params:
        if type(param) is not Name or param.span.end - param.span.start != len(param.name):
            raise Unreadable(param.span, "a parameter must be a name, as in f(x, y) = x*y")
        if param.name in seen:
            raise Unreadable(param.span, f"parameter {param.name} appears twice")
        seen.add(param.name)
    start = func.start()
    return Define(_intern(func.group()), Span(start, func.end()), params, body, Span(start, body.span.end))


def _is_module(node) -> bool:
    """A bare (unparenthesized) name of a known module."""
    return type(node) is Name and node.name in MODULES and node.span.end - node.span.start == len(node.name)


def _method(children):
    """`x.relu()` is relu(x); `W.dot(x)` is dot(W, x); `math.exp(x)` is exp(x); `torch.tensor(2.0)` is 2.0."""
    receiver, name = children[0], children[2]
    args, keywords = _arguments(children[4:-1])
    span = Span(receiver.span.start, children[-1].end())
    method = name.group()
    if _is_module(receiver):
        if method in MODULES or method == "Value":
            raise Unreadable(Span(name.start(), name.end()), f"{receiver.name}.{method} is not a function this "
                             f"tool knows")
        return _function(method, args, keywords, span, method in NUMBER_WRAPPERS[1:])
    if method == "pow" and len(args) == 1 and not keywords:  # x.pow(2), as PyTorch writes x**2
        return Apply("pow", (receiver, args[0]), span)
    if type(receiver) is Name and args and receiver.span.end - receiver.span.start == len(receiver.name) \
            and method not in _ARGUMENT_METHODS:
        raise Unreadable(receiver.span, f"unknown module {receiver.name} in {receiver.name}.{method}(...): the "
                         f"modules are {', '.join(MODULES)} (or call the function itself: {method}(...))")
    return _function(method, (receiver, *args), keywords, span, False)


def _attribute(children):
    """`math.pi` is pi; any other attribute is refused, naming the part that is not known."""
    receiver, name = children[0], children[2]
    span = Span(receiver.span.start, name.end())
    attribute = name.group()
    if _is_module(receiver) and attribute in _MODULE_CONSTANTS:
        # spanning the attribute only: a name wider than itself is one in parentheses (see _last_piece), and
        # math.pi x, like pi x, is two names side by side, never a product
        return Name(_MODULE_CONSTANTS[attribute], Span(name.start(), name.end()))
    if attribute == "T" and not _is_module(receiver):  # W.T, as NumPy and PyTorch write the transpose
        return Apply("transpose", (receiver,), span)
    if _is_module(receiver):
        raise Unreadable(Span(name.start(), name.end()), f"{receiver.name}.{attribute} is not something this tool "
                         f"knows (of a module it knows the functions, called, and pi)")
    raise Unreadable(span, f"unknown attribute .{attribute}: a name followed by '.' is a module (math, np, "
                     f"numpy, torch, F), a method call such as x.relu(), or .T (the transpose)")


class NotAProduct(Exception):
    """Two operands side by side where no implicit product is allowed (`x y`, `a^b c`, `2[1, 2]`): parser.py
    makes it a ProgramError with a caret, from the spans of the left operand's last piece (the whole left
    operand when the right one is a list) and of the right operand. `kind` says why: "names" (the left does
    not end with a number or ')'), "transpose" (it ends with one: Wᵀx, which wants '@' or '*') or "list"."""

    def __init__(self, left: Span, right: Span, kind: str = "names") -> None:
        super().__init__(left, right, kind)
        self.left, self.right, self.kind = left, right, kind


# The implicit products written right after a '/' (`1/2x`), as (product, left, right) in the order read,
# for the note that says how they were read. parser.py empties it before each parse and collects it after.
READINGS: list = []


def _last_piece(node):
    """The last piece of `node` as written, and whether that piece is a number or ends with ')'."""
    while True:
        kind = type(node)
        if kind is Number:
            return node, True
        if kind is Name:
            return node, node.span.end - node.span.start > len(node.name)  # (x) is wider than x
        if kind is Index:  # x[0] ends with ']'; (x[0]) starts before its target
            return node, node.span.start != node.target.span.start
        if node.is_call and node.op != "sqrt" or not node.args:  # f(x), f(): ends with ')'
            return node, True
        if node.op == "stack":  # a list, in parentheses or not, is never a factor of an implicit product
            return node, False
        if node.op == "transpose":  # W.T and Wᵀ end with T; (W.T) starts before W
            return node, node.span.start != node.args[0].span.start
        last = node.args[-1]
        if node.span.end != last.span.end:  # parentheses around the whole (or around √'s operand)
            return node, True
        node = last


def _starts_with_list(node) -> bool:
    """Whether `node` as written starts with a list: [1, 2], [1, 2][0], [[1, 2]]ᵀ, [1, 2]^2, ([1, 2])."""
    while True:
        if type(node) is Index:
            if node.span.start != node.target.span.start:
                return False  # (x[0]): parentheses first
            node = node.target
        elif type(node) is Apply and not node.is_call:
            if node.op == "stack":
                return True
            if not node.args or node.span.start != node.args[0].span.start:
                return False
            node = node.args[0]
        else:
            return False


def _implicit_mul(children):
    """`2x`, `2(a+b)`, `(a+b)(c+d)`, `1/2x`: a product without '*', allowed after a number or a ')'."""
    left, right = children
    piece, allowed = _last_piece(left)
    if not allowed:
        kind = "list" if type(piece) is Apply and piece.op == "stack" else \
            "transpose" if type(piece) is Apply and piece.op == "transpose" else "names"
        raise NotAProduct(piece.span, right.span, kind)
    if _starts_with_list(right):  # 2[1, 2]: a list never follows a number or ')' as a factor
        raise NotAProduct(left.span, right.span, "list")
    product = Apply("mul", (left, right), Span(left.span.start, right.span.end))
    if type(left) is Apply and left.op == "div" and not left.is_call and left.span.end == left.args[-1].span.end:
        READINGS.append((product, left, right))
    return product


def _assign(children):
    target, _, expr = children
    start = target.start()
    return Assign(target.group(), Span(start, target.end()), expr, Span(start, expr.span.end))


_AUGMENTED = {"+=": "add", "*=": "mul", "×=": "mul", "·=": "mul", "∙=": "mul", "⊙=": "mul", "/=": "div",
              "÷=": "div", "@=": "matmul", **{f"{dash}=": "sub" for dash in "-−‐‑‒–—﹣"}}


def _augmented_assign(children):
    """`c += e` is `c = c + (e)`: the same tree, so every later stage sees an ordinary assignment."""
    target, operator, expr = children
    start, name_span = target.start(), Span(target.start(), target.end())
    name = _intern(target.group())
    span = Span(start, expr.span.end)
    value = Apply(_AUGMENTED[operator.group()], (Name(name, name_span), expr), span)
    return Assign(name, name_span, value, span)


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
    return tuple(c for c in children if isinstance(c, NODE_TYPES))


# One callback per grammar alias (or rule name); rules named _... are inlined into their parent.
CALLBACKS = {
    "number": _number, "name": _name, "atom": _atom, "named": _atom, "call": _call, "assign": _assign, "start": _start,
    "add": _binary("add"), "sub": _binary("sub"), "mul": _binary("mul"), "div": _binary("div"),
    "pow": _binary("pow"), "neg": _unary("neg"), "pos": _unary("pos"),
    "superscript_pow": _superscript_pow, "root": _root, "implicit_mul": _implicit_mul,
    "method": _method, "attribute": _attribute, "augmented_assign": _augmented_assign,
    "keyword": _keyword, "define": _define,
    "matmul": _binary("matmul"), "list": _list, "elements": _elements, "index": _index, "slice": _slice,
    "transpose": _transpose,
}
