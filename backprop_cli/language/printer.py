"""Syntax tree -> program text: the inverse of the parser, up to spacing and redundant parentheses.

`parse(print_program(p))` gives back the same statements, operations and
operands as `p` (only the spans differ), so a program can be generated as a
tree, written out, and read back (the property tests do just that). Parentheses
are written only where the grammar needs them, decided by each operation's
precedence (_OPERATORS below, the grammar's levels):

    1 + -   2 * / @   3 unary - +   4 ^ (right-associative; its base is an atom,
    its exponent may carry a sign)   5 calls, lists, indexing and .T, and names
    and numbers.

Vectors and matrices are written as NumPy writes them: `W @ x`, `W.T` (also for
`Wᵀ`), `[1, 2]`, `[[1, 2], [3, 4]]`, `W[:, 0]`, `x[1:3]`, `x[::-1]`; what is
indexed or transposed is in parentheses unless it binds as tightly as a call
(`(W @ x)[1]`, `(2).T`: a number is never indexed as written).

The walk is an explicit stack, never recursion, and every piece of text is
appended once, so 100,000 nested parentheses print in linear time. Pure: no I/O.
"""
from __future__ import annotations

from .syntax_tree import Apply, Assign, Define, Index, Name, Number, Program, Slice

ATOM = 6  # names and numbers: never need parentheses
CALL = 5
_SIGN_LEVEL = 3  # unary - and +: the loosest an exponent may be without parentheses
# How tightly each operator of the grammar binds (grammar/backprop.lark's levels): sums, products, signs, powers.
_OPERATORS = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "neg": _SIGN_LEVEL, "pos": _SIGN_LEVEL,
              "pow": 4, "stack": CALL, "transpose": CALL}
_SYMBOLS = {"add": " + ", "sub": " - ", "mul": " * ", "div": " / ", "matmul": " @ ", "pow": "^"}
_SIGNS = {"neg": "-", "pos": "+"}


def precedence(node) -> int:
    """How tightly `node` binds when written out (higher binds tighter)."""
    if type(node) is Index:
        return CALL
    if not isinstance(node, Apply):
        return ATOM
    if node.is_call:
        return CALL
    return _OPERATORS[node.op]


def _wrap(node, needs_parentheses: bool) -> list:
    return ["(", node, ")"] if needs_parentheses else [node]


def _postfix_target(node) -> list:
    """What is indexed or transposed: in parentheses unless it binds as a call does (and is not a number)."""
    return _wrap(node, precedence(node) < CALL or type(node) is Number)


def _listed(items, opening: str, closing: str) -> list:
    pieces: list = [opening]
    for k, item in enumerate(items):
        if k:
            pieces.append(", ")
        pieces.append(item)
    pieces.append(closing)
    return pieces


def _slice_pieces(part: Slice) -> list:
    """`start:stop:step`, the parts left out left empty, and the step's colon only with a step."""
    pieces: list = []
    if part.start is not None:
        pieces.append(part.start)
    pieces.append(":")
    if part.stop is not None:
        pieces.append(part.stop)
    if part.step is not None:
        pieces += [":", part.step]
    return pieces


def _pieces(node) -> list:
    """The text of one Apply or Index as strings and child nodes, with the parentheses its children need."""
    if type(node) is Index:
        return [*_postfix_target(node.target), *_listed(node.items, "[", "]")]
    if node.is_call:
        pieces: list = [node.op, "("]
        by_keyword = len(node.args) - len(node.keywords)  # the last arguments are given by keyword
        for k, arg in enumerate(node.args):
            if k:
                pieces.append(", ")
            if k >= by_keyword:
                pieces.append(f"{node.keywords[k - by_keyword].name}=")
            pieces.append(arg)
        pieces.append(")")
        return pieces
    if node.op == "stack":
        return _listed(node.args, "[", "]")
    if node.op == "transpose":
        return [*_postfix_target(node.args[0]), ".T"]
    mine = precedence(node)
    if node.op in _SIGNS:
        (operand,) = node.args
        return [_SIGNS[node.op], *_wrap(operand, precedence(operand) < mine)]
    left, right = node.args
    if node.op == "pow":  # grammar: atom ^ unary
        return [*_wrap(left, precedence(left) < CALL), "^", *_wrap(right, precedence(right) < _SIGN_LEVEL)]
    # + - * / are left-associative: a right operand of the same level keeps its parentheses
    return [*_wrap(left, precedence(left) < mine), _SYMBOLS[node.op], *_wrap(right, precedence(right) <= mine)]


def print_expression(expr) -> str:
    """An expression (Number, Name, Apply or Index) as program text."""
    out: list[str] = []
    stack: list = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Number):
            out.append(item.text)
        elif isinstance(item, Name):
            out.append(item.name)
        elif isinstance(item, (Apply, Index)):
            stack.extend(reversed(_pieces(item)))
        elif isinstance(item, Slice):
            stack.extend(reversed(_slice_pieces(item)))
        else:
            raise TypeError(f"not an expression: {item!r}")
    return "".join(out)


def print_definition(definition: Define) -> str:
    """`f(x, y) = x * y`."""
    params = ", ".join(param.name for param in definition.params)
    return f"{definition.name}({params}) = {print_expression(definition.body)}"


def print_statement(statement) -> str:
    if isinstance(statement, Assign):
        return f"{statement.name} = {print_expression(statement.expr)}"
    if isinstance(statement, Define):
        return print_definition(statement)
    return print_expression(statement)


def print_program(program, separator: str = "\n") -> str:
    """A Program (or a sequence of statements) as program text, one statement per line by default."""
    statements = program.statements if isinstance(program, Program) else program
    return separator.join(print_statement(s) for s in statements)
