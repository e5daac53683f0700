"""The syntax of vectors and matrices (issue 14): each form as typed, its canonical reading (the printer) and
the records it is read into; precedence; the records themselves; line breaks inside brackets; the errors,
with their messages, carets and exit code; the limits; and a property test that every tree prints to text
that reads back as the same tree.

Lowering these records to the tape is the engine's part (engine/tape.py); here they are only read and printed.
"""
from __future__ import annotations

import time
from dataclasses import FrozenInstanceError

import pytest
from clirun import run_main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli.base.errors import ProgramError
from backprop_cli.language import parser
from backprop_cli.language.limits import LimitError
from backprop_cli.language.parser import parse
from backprop_cli.language.printer import print_expression, print_program
from backprop_cli.language.syntax_tree import Apply, Assign, Index, Name, Number, Slice, Span


def sexpr(node) -> str:
    """The records as an S-expression: `W[:, 0]` -> (index W (slice _ _ _) 0); a call's name ends with ()."""
    if node is None:
        return "_"
    if isinstance(node, Number):
        return node.text
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Assign):
        return f"(= {node.name} {sexpr(node.expr)})"
    if isinstance(node, Index):
        return "(index " + " ".join(sexpr(part) for part in (node.target, *node.items)) + ")"
    if isinstance(node, Slice):
        return f"(slice {sexpr(node.start)} {sexpr(node.stop)} {sexpr(node.step)})"
    assert isinstance(node, Apply), node
    by_position = len(node.args) - len(node.keywords)
    args = [sexpr(arg) if k < by_position else f"{node.keywords[k - by_position].name}={sexpr(arg)}"
            for k, arg in enumerate(node.args)]
    return "(" + " ".join([node.op + ("()" if node.is_call else ""), *args]) + ")"


def reading(source: str) -> str:
    return "; ".join(sexpr(statement) for statement in parse(source).statements)


# ------------------------------------------------------------------------------------------
# Every form: as typed -> as printed -> as read.

FORMS = [
    # lists: vectors, matrices, any expression as an element, a trailing comma as Python allows
    ("[1, 2, 3]", "[1, 2, 3]", "(stack 1 2 3)"),
    ("[1,2,3]", "[1, 2, 3]", "(stack 1 2 3)"),
    ("[[1, 2], [3, 4]]", "[[1, 2], [3, 4]]", "(stack (stack 1 2) (stack 3 4))"),
    ("[[0.1,0.2],[0.3,0.4]]", "[[0.1, 0.2], [0.3, 0.4]]", "(stack (stack 0.1 0.2) (stack 0.3 0.4))"),
    ("[[1, 2]]", "[[1, 2]]", "(stack (stack 1 2))"),
    ("[x]", "[x]", "(stack x)"),
    ("[a, 2*b]", "[a, 2 * b]", "(stack a (mul 2 b))"),
    ("[-1, +2]", "[-1, +2]", "(stack (neg 1) (pos 2))"),
    ("[1, 2,]", "[1, 2]", "(stack 1 2)"),
    ("[pi, 1/3]", "[pi, 1 / 3]", "(stack pi (div 1 3))"),
    ("[2x, 3(a + b)]", "[2 * x, 3 * (a + b)]", "(stack (mul 2 x) (mul 3 (add a b)))"),
    # the matrix product, at the level of *
    ("A @ B", "A @ B", "(matmul A B)"),
    ("A@B", "A @ B", "(matmul A B)"),
    ("c @= W", "c = c @ W", "(= c (matmul c W))"),
    ("y = W @ x + b", "y = W @ x + b", "(= y (add (matmul W x) b))"),
    # the transpose: an attribute, a superscript T, or a call
    ("W.T", "W.T", "(transpose W)"),
    ("Wᵀ", "W.T", "(transpose W)"),
    ("Wᵀᵀ", "W.T.T", "(transpose (transpose W))"),
    ("x.T.T", "x.T.T", "(transpose (transpose x))"),
    ("transpose(W)", "transpose(W)", "(transpose() W)"),
    ("(2).T", "(2).T", "(transpose 2)"),
    ("(a + b).T", "(a + b).T", "(transpose (add a b))"),
    # indexing: numbers, signed numbers, names, slices with any part left out
    ("x[0]", "x[0]", "(index x 0)"),
    ("x [0]", "x[0]", "(index x 0)"),
    ("W[1, 0]", "W[1, 0]", "(index W 1 0)"),
    ("W[:, 0]", "W[:, 0]", "(index W (slice _ _ _) 0)"),
    ("W[0]", "W[0]", "(index W 0)"),
    ("W[-1]", "W[-1]", "(index W (neg 1))"),
    ("x[k]", "x[k]", "(index x k)"),
    ("x[-k]", "x[-k]", "(index x (neg k))"),
    ("W[i, j]", "W[i, j]", "(index W i j)"),
    ("x[0,]", "x[0]", "(index x 0)"),
    ("x[1:3]", "x[1:3]", "(index x (slice 1 3 _))"),
    ("x[1:]", "x[1:]", "(index x (slice 1 _ _))"),
    ("x[:3]", "x[:3]", "(index x (slice _ 3 _))"),
    ("x[:]", "x[:]", "(index x (slice _ _ _))"),
    ("x[::]", "x[:]", "(index x (slice _ _ _))"),
    ("x[::2]", "x[::2]", "(index x (slice _ _ 2))"),
    ("x[::-1]", "x[::-1]", "(index x (slice _ _ (neg 1)))"),
    ("x[1:3:2]", "x[1:3:2]", "(index x (slice 1 3 2))"),
    ("x[1:3:]", "x[1:3]", "(index x (slice 1 3 _))"),
    ("x[a+1 : n-1]", "x[a + 1:n - 1]", "(index x (slice (add a 1) (sub n 1) _))"),
    # what may be indexed and transposed
    ("[1, 2][0]", "[1, 2][0]", "(index (stack 1 2) 0)"),
    ("[[1, 2]].T", "[[1, 2]].T", "(transpose (stack (stack 1 2)))"),
    ("(W @ x)[1]", "(W @ x)[1]", "(index (matmul W x) 1)"),
    ("softmax(z)[k]", "softmax(z)[k]", "(index (softmax() z) k)"),
    ("log_softmax(z)[k]", "log_softmax(z)[k]", "(index (log_softmax() z) k)"),
    ("W.T[0]", "W.T[0]", "(index (transpose W) 0)"),
    ("x.relu()[0]", "relu(x)[0]", "(index (relu() x) 0)"),
    ("x[0].relu()", "relu(x[0])", "(relu() (index x 0))"),
    ("(-x)[0]", "(-x)[0]", "(index (neg x) 0)"),
    ("(x^2)[0]", "(x^2)[0]", "(index (pow x 2) 0)"),
    # methods and calls as the courses write them
    ("W.dot(x)", "dot(W, x)", "(dot() W x)"),
    ("W.T.dot(x)", "dot(W.T, x)", "(dot() (transpose W) x)"),
    ("np.dot(W, x)", "dot(W, x)", "(dot() W x)"),
    ("x.sum(axis=0)", "sum(x, axis=0)", "(sum() x axis=0)"),
    ("sum(W, axis=0)", "sum(W, axis=0)", "(sum() W axis=0)"),
    ("sum(W, axis=-1)", "sum(W, axis=-1)", "(sum() W axis=(neg 1))"),
    ("np.array([1, 2])", "[1, 2]", "(stack 1 2)"),
    ("numpy.array([[1, 2], [3, 4]])", "[[1, 2], [3, 4]]", "(stack (stack 1 2) (stack 3 4))"),
    ("torch.tensor([1.0, 2.0], requires_grad=True)", "[1.0, 2.0]", "(stack 1.0 2.0)"),
    ("Value([1, 2])", "Value([1, 2])", "(Value() (stack 1 2))"),  # micrograd's Value holds a scalar only
    ("mse(W @ x, [1, 0])", "mse(W @ x, [1, 0])", "(mse() (matmul W x) (stack 1 0))"),
    ("cross_entropy(W @ x + b, 3)", "cross_entropy(W @ x + b, 3)",
     "(cross_entropy() (add (matmul W x) b) 3)"),
    # the elementwise product as Nielsen writes it
    ("a ⊙ b", "a * b", "(mul a b)"),
    ("d = (W @ x) ⊙ s", "d = W @ x * s", "(= d (mul (matmul W x) s))"),
]


@pytest.mark.parametrize("typed,printed,read", FORMS)
def test_each_form_is_read_and_printed_canonically(typed, printed, read):
    program = parse(typed)
    assert reading(typed) == read
    assert print_program(program, "; ") == printed
    assert reading(printed) == read  # the canonical form reads as the same records


@pytest.mark.parametrize("typed", [typed for typed, _, _ in FORMS])
def test_both_parsers_build_the_same_records(typed):
    assert parser._statements(typed) == parser._statements(typed, engine="lark")


# ------------------------------------------------------------------------------------------
# Precedence: @ is *'s level and left-associative; indexing and .T bind like a call.

@pytest.mark.parametrize("source,read", [
    ("W @ x + b", "(add (matmul W x) b)"),
    ("b + W @ x", "(add b (matmul W x))"),
    ("2 * W @ x", "(matmul (mul 2 W) x)"),
    ("W @ x * 2", "(mul (matmul W x) 2)"),
    ("a / b @ c", "(matmul (div a b) c)"),
    ("a @ b / c", "(div (matmul a b) c)"),
    ("2W @ x", "(matmul (mul 2 W) x)"),
    ("-W @ x", "(matmul (neg W) x)"),
    ("W @ -x", "(matmul W (neg x))"),
    ("W.T @ x", "(matmul (transpose W) x)"),
    ("Wᵀ @ x", "(matmul (transpose W) x)"),
    ("a @ b @ c", "(matmul (matmul a b) c)"),
    ("a @ (b @ c)", "(matmul a (matmul b c))"),
    ("x[0]^2", "(pow (index x 0) 2)"),
    ("x[0]**2", "(pow (index x 0) 2)"),
    ("x[0]²", "(pow (index x 0) 2)"),
    ("-x[0]", "(neg (index x 0))"),
    ("-x[0]^2", "(neg (pow (index x 0) 2))"),
    ("x[0][1]", "(index (index x 0) 1)"),
    ("[1, 2].T", "(transpose (stack 1 2))"),
    ("-W.T", "(neg (transpose W))"),
    ("W.T^2", "(pow (transpose W) 2)"),
    ("x^W.T", "(pow x (transpose W))"),
    ("x^y[0]", "(pow x (index y 0))"),
    ("√x[0]", "(sqrt() (index x 0))"),
    ("2x[0]", "(mul 2 (index x 0))"),
    ("2Wᵀ", "(mul 2 (transpose W))"),
    ("-[1, 2]", "(neg (stack 1 2))"),
    ("2 * [1, 2]", "(mul 2 (stack 1 2))"),
    ("[1, 2] * 2", "(mul (stack 1 2) 2)"),
    ("sigmoid(W @ x + b)", "(sigmoid() (add (matmul W x) b))"),
    ("tanh(W2 @ relu(W1 @ x + b1) + b2)",
     "(tanh() (add (matmul W2 (relu() (add (matmul W1 x) b1))) b2))"),
])
def test_precedence(source, read):
    assert reading(source) == read


@pytest.mark.parametrize("tree,text", [
    (Apply("matmul", (Apply("add", (Name("a", Span(0, 0)), Name("b", Span(0, 0))), Span(0, 0)),
                      Name("c", Span(0, 0))), Span(0, 0)), "(a + b) @ c"),
    (Apply("mul", (Name("a", Span(0, 0)), Apply("matmul", (Name("b", Span(0, 0)), Name("c", Span(0, 0))),
                                                          Span(0, 0))), Span(0, 0)), "a * (b @ c)"),
    (Index(Number("2", Span(0, 0)), (Number("0", Span(0, 0)),), Span(0, 0)), "(2)[0]"),
    (Index(Apply("neg", (Name("x", Span(0, 0)),), Span(0, 0)), (Number("0", Span(0, 0)),), Span(0, 0)), "(-x)[0]"),
    (Apply("transpose", (Apply("pow", (Name("x", Span(0, 0)), Number("2", Span(0, 0))), Span(0, 0)),),
           Span(0, 0)), "(x^2).T"),
    (Apply("pow", (Index(Name("x", Span(0, 0)), (Number("0", Span(0, 0)),), Span(0, 0)), Number("2", Span(0, 0))),
           Span(0, 0)), "x[0]^2"),
    (Index(Name("x", Span(0, 0)), (Slice(None, None, None, Span(0, 0)), Slice(Number("1", Span(0, 0)), None,
                                                                             None, Span(0, 0))), Span(0, 0)),
     "x[:, 1:]"),
])
def test_the_printer_puts_parentheses_only_where_needed(tree, text):
    assert print_expression(tree) == text
    assert sexpr(parse(text).statements[0]) == sexpr(tree)


# ------------------------------------------------------------------------------------------
# The records: slotted and frozen like the others, with spans.

def test_index_and_slice_records_with_their_spans():
    (statement,) = parse("W[:, 0]").statements
    assert statement == Index(Name("W", Span(0, 1)),
                              (Slice(None, None, None, Span(2, 3)), Number("0", Span(5, 6))), Span(0, 7))
    (statement,) = parse("x[1:n:-1]").statements
    assert statement == Index(Name("x", Span(0, 1)), (Slice(Number("1", Span(2, 3)), Name("n", Span(4, 5)),
                                                            Apply("neg", (Number("1", Span(7, 8)),), Span(6, 8)),
                                                            Span(2, 8)),), Span(0, 9))
    (statement,) = parse("(x[0])").statements  # parentheses widen the span, as for any node
    assert statement == Index(Name("x", Span(1, 2)), (Number("0", Span(3, 4)),), Span(0, 6))
    for record in (statement, statement.items[0], parse("x[:]").statements[0].items[0]):
        assert not hasattr(record, "__dict__")
        with pytest.raises(FrozenInstanceError):
            record.span = Span(0, 0)


def test_list_matmul_and_transpose_records_with_their_spans():
    (statement,) = parse("[1, x] @ Wᵀ").statements
    assert statement == Apply("matmul", (
        Apply("stack", (Number("1", Span(1, 2)), Name("x", Span(4, 5))), Span(0, 6)),
        Apply("transpose", (Name("W", Span(9, 10)),), Span(9, 11))), Span(0, 11))
    (statement,) = parse("W.T").statements
    assert statement == Apply("transpose", (Name("W", Span(0, 1)),), Span(0, 3))
    assert not statement.is_call and parse("transpose(W)").statements[0].is_call


# ------------------------------------------------------------------------------------------
# A line break inside brackets or parentheses continues the line, as in Python.

MULTILINE = [
    ("W = [[0.1, 0.2],\n     [0.3, 0.4]]\nW @ x", "W = [[0.1, 0.2], [0.3, 0.4]]; W @ x"),
    ("W = [\n  [1, 2],  # the first row\n  [3, 4],\n]\nW.T", "W = [[1, 2], [3, 4]]; W.T"),
    ("y = sum(W @ x,\n        axis=0)", "y = sum(W @ x, axis=0)"),
    ("f(a,\n  b) = a * b\nf(1, 2)", "f(a, b) = a * b; f(1, 2)"),
    ("L = (a +\n     b)\r\nL", "L = a + b; L"),
    ("x[1,\n  2]", "x[1, 2]"),
]


@pytest.mark.parametrize("source,printed", MULTILINE)
def test_line_breaks_inside_brackets_continue_the_line(source, printed):
    assert print_program(parse(source), "; ") == printed
    assert parser._statements(source) == parser._statements(source, engine="lark")


def test_a_semicolon_inside_brackets_still_ends_nothing():
    with pytest.raises(ProgramError) as caught:
        parse("[1; 2]")
    assert caught.value.message.startswith("expected ',' or ']', found ';' (line 1, column 3)")


# ------------------------------------------------------------------------------------------
# Errors: one paragraph, a caret under the spot, exit 3.

ERRORS = [
    ("[]",
     "an empty list has no shape: a list holds at least one element, as in [1, 2, 3] (line 1, column 1)\n"
     "  []\n"
     "  ^^"),
    ("[[], [1]]",
     "an empty list has no shape: a list holds at least one element, as in [1, 2, 3] (line 1, column 2)\n"
     "  [[], [1]]\n"
     "   ^^"),
    ("x[]",
     "an index needs at least one item, as in x[0], W[1, 0], x[1:3] or W[:, 0] (line 1, column 2)\n"
     "  x[]\n"
     "   ^^"),
    ("x[1:2:3:4]",
     "a slice has at most three parts, start:stop:step (as in x[1:3] or x[::-1]), not 4 (line 1, column 8)\n"
     "  x[1:2:3:4]\n"
     "         ^^"),
    ("x[::::]",
     "a slice has at most three parts, start:stop:step (as in x[1:3] or x[::-1]), not 5 (line 1, column 5)\n"
     "  x[::::]\n"
     "      ^^"),
    # unbalanced brackets
    ("[1, 2",
     "this '[' is never closed: the program ends before its ']' (line 1, column 1)\n"
     "  [1, 2\n"
     "  ^"),
    ("[[1, 2], [3, 4]",
     "this '[' is never closed: the program ends before its ']' (line 1, column 1)\n"
     "  [[1, 2], [3, 4]\n"
     "  ^"),
    ("x[0",
     "this '[' is never closed: the program ends before its ']' (line 1, column 2)\n"
     "  x[0\n"
     "   ^"),
    ("x[0]]",
     "this ']' closes no '[': a list or an index starts with '[' (line 1, column 5)\n"
     "  x[0]]\n"
     "      ^"),
    ("[1, 2)",
     "')' cannot close the '[' at line 1, column 1: a list or an index ends with ']' (line 1, column 6)\n"
     "  [1, 2)\n"
     "       ^"),
    ("sum([1, 2)",
     "')' cannot close the '[' at line 1, column 5: a list or an index ends with ']' (line 1, column 10)\n"
     "  sum([1, 2)\n"
     "           ^"),
    ("x[(1]",
     "']' cannot close the '(' at line 1, column 3: write ')' (line 1, column 5)\n"
     "  x[(1]\n"
     "      ^"),
    ("x = [1, 2\ny = 3",
     "expected a name, '(', ',', '+', '-', '*', '/', '^', '.' or ']', found '=' (line 2, column 3)\n"
     "  y = 3\n"
     "    ^\n"
     "the '[' at line 1, column 5 is still open here: a line break inside parentheses or brackets does not end "
     "a statement"),
    ("y = f(x\nz)",
     "x and z side by side are not a product: a product without '*' follows only a number or ')' (2x, 2(a+b), "
     "(a+b)(c+d)), and two names side by side are never one; write x*z (line 2, column 1)\n"
     "  z)\n"
     "  ^\n"
     "the '(' at line 1, column 6 is still open here: a line break inside parentheses or brackets does not end "
     "a statement"),
    # a list is never a factor of an implicit product
    ("2[1, 2]",
     "2 and [1, 2] side by side are not a product: a list is never a factor of a product without '*'; write "
     "2 * [1, 2] (line 1, column 2)\n"
     "  2[1, 2]\n"
     "   ^^^^^^"),
    ("2 [1, 2]",
     "2 and [1, 2] side by side are not a product: a list is never a factor of a product without '*'; write "
     "2 * [1, 2] (line 1, column 3)\n"
     "  2 [1, 2]\n"
     "    ^^^^^^"),
    ("2([1, 2])",
     "2 and ([1, 2]) side by side are not a product: a list is never a factor of a product without '*'; write "
     "2 * ([1, 2]) (line 1, column 2)\n"
     "  2([1, 2])\n"
     "   ^^^^^^^^"),
    ("x²[0]",
     "x² and [0] side by side are not a product: a list is never a factor of a product without '*'; write "
     "x² * [0] (line 1, column 3)\n"
     "  x²[0]\n"
     "    ^^^"),
    ("[1, 2]x",
     "[1, 2] and x side by side are not a product: a list is never a factor of a product without '*'; write "
     "[1, 2] * x (line 1, column 7)\n"
     "  [1, 2]x\n"
     "        ^"),
    # nor is what ends with a transpose or an index
    ("Wᵀx",
     "Wᵀ and x side by side are not a product: write Wᵀ @ x for the matrix product, or Wᵀ * x elementwise "
     "(line 1, column 3)\n"
     "  Wᵀx\n"
     "    ^"),
    ("W.T x",
     "W.T and x side by side are not a product: write W.T @ x for the matrix product, or W.T * x elementwise "
     "(line 1, column 5)\n"
     "  W.T x\n"
     "      ^"),
    ("x[0]y",
     "x[0] and y side by side are not a product: a product without '*' follows only a number or ')' (2x, "
     "2(a+b), (a+b)(c+d)), and two names side by side are never one; write x[0]*y (line 1, column 5)\n"
     "  x[0]y\n"
     "      ^"),
    # strings
    ("[1, 'a']",
     "found the string 'a' in a list or an index, which hold numbers and expressions: a string is only ever a "
     "keyword's value, as in Value(2.0, label='a') (line 1, column 5)\n"
     "  [1, 'a']\n"
     "      ^^^"),
    ('x["a"]',
     "found the string \"a\" in a list or an index, which hold numbers and expressions: a string is only ever a "
     "keyword's value, as in Value(2.0, label='a') (line 1, column 3)\n"
     "  x[\"a\"]\n"
     "    ^^^"),
    # the rest of the grammar's complaints name the scalar syntax, as before
    ("[1:2]",
     "expected ',' or ']', found ':' (line 1, column 3)\n"
     "  [1:2]\n"
     "    ^"),
    ("[1,,2]",
     "expected a number, a name, '(', '+', '-' or ']', found ',' (line 1, column 4)\n"
     "  [1,,2]\n"
     "     ^"),
    ("W @",
     "expected a number, a name, '(', '+' or '-', found the end of the program (line 1, column 4)\n"
     "  W @\n"
     "     ^"),
    ("x.shape",
     "unknown attribute .shape: a name followed by '.' is a module (math, np, numpy, torch, F), a method call "
     "such as x.relu(), or .T (the transpose) (line 1, column 1)\n"
     "  x.shape\n"
     "  ^^^^^^^"),
    ("np.T",
     "np.T is not something this tool knows (of a module it knows the functions, called, and pi) "
     "(line 1, column 4)\n"
     "  np.T\n"
     "     ^"),
]


@pytest.mark.parametrize("source,message", ERRORS)
def test_errors_with_carets(source, message):
    with pytest.raises(ProgramError) as caught:
        parse(source)
    assert caught.value.message == message


@pytest.mark.parametrize("source", ["x[]", "[]", "[1, 2,", "2[1, 2]", "x[1:2:3:4]", "[1, 'a']", "x[0]]",
                                    "Wᵀx"])
def test_errors_through_the_command_line(source):
    run = run_main(["eval", source, "-x", "1"])
    assert run.code == 3, run.err
    assert run.err.startswith("backprop: syntax error: ")
    assert "Traceback" not in run.err and "^" in run.err
    assert run.out == ""


def test_a_syntax_error_as_json():
    import json

    run = run_main(["eval", "x[]", "-x", "1", "--json"])
    assert run.code == 3
    error = json.loads(run.out)["error"]
    assert (error["kind"], error["line"], error["column"]) == ("syntax", 1, 2)
    assert error["message"].endswith("(line 1, column 2)\n  x[]\n   ^^")


# ------------------------------------------------------------------------------------------
# Limits: brackets nest under the same limit as parentheses; long lists are linear.

def test_brackets_count_towards_the_depth_limit(monkeypatch):
    monkeypatch.setenv("BACKPROP_MAX_DEPTH", "3")
    parse("[[[1]]]")
    parse("[(x[0])]")
    for source in ("[[[[1]]]]", "[([x[0]])]", "f([[[1]]])"):
        with pytest.raises(LimitError) as caught:
            parse(source)
        assert "parentheses and brackets nest more than 3 deep here" in caught.value.message
        assert "BACKPROP_MAX_DEPTH" in caught.value.message
    # parentheses alone keep their message
    with pytest.raises(LimitError) as caught:
        parse("((((x))))")
    assert "parentheses nest more than 3 deep here" in caught.value.message


def test_the_depth_limit_through_the_command_line():
    run = run_main(["eval", "[[[[1]]]]", "-x", "1"], env={"BACKPROP_MAX_DEPTH": "3"})
    assert run.code == 3 and "limit exceeded" in run.err and "nest more than 3 deep here" in run.err
    assert "Traceback" not in run.err


def test_deep_lists_and_long_chains_never_recurse():
    depth = 100_000  # the default depth limit, reached by brackets alone
    deep = "[" * depth + "1" + "]" * depth
    program = parse(deep)
    assert print_program(program) == deep
    with pytest.raises(LimitError):
        parse("[" + deep + "]")
    with pytest.raises(ProgramError):  # an error at the bottom is reported by Lark, which does not recurse
        parse("[" * 50_000 + "1 2" + "]" * 50_000)
    for chain in ("x" + "[0]" * 50_000, "x" + ".T" * 50_000, "-" * 20_000 + "x" + "[0]" * 20_000):
        assert print_program(parse(chain)) == chain
    assert print_program(parse("x" + "ᵀ" * 50_000)) == "x" + ".T" * 50_000


def test_a_long_list_parses_in_linear_time(monkeypatch):
    """A list of n numbers takes time (and memory) in proportion to n: ~6 µs a number on the fast path.
    The commas are dropped as each element is read, so they are not all held until the ']'."""
    count = 200_000
    text = "[" + ", ".join(str(k % 97) for k in range(count)) + "]"
    monkeypatch.setenv("BACKPROP_MAX_PROGRAM_CHARS", str(len(text)))
    started = time.perf_counter()
    (statement,) = parse(text).statements
    elapsed = time.perf_counter() - started
    assert len(statement.args) == count
    assert statement.args[-1] == Number(str((count - 1) % 97), Span(len(text) - 3, len(text) - 1))
    assert elapsed < 20, elapsed  # about 1.3 s on a loaded two-core machine


def test_a_literal_longer_than_the_length_limit_is_refused_before_parsing():
    text = "[" + ", ".join("1" for _ in range(400_000)) + "]"  # 1,200,000 characters
    started = time.perf_counter()
    with pytest.raises(LimitError) as caught:
        parse(text)
    assert time.perf_counter() - started < 1
    assert "the program has 1,200,000 characters, more than the limit of 1,000,000" in caught.value.message


# ------------------------------------------------------------------------------------------
# Any tree of these records prints as text that reads back as the same tree.

NOWHERE = Span(0, 0)
_LEAVES = st.one_of(st.sampled_from(["x", "W", "b", "k", "pi"]).map(lambda name: Name(name, NOWHERE)),
                    st.sampled_from(["0", "1", "2.5", ".5", "3.", "1e-3"]).map(lambda text: Number(text, NOWHERE)))


def _extend(children):
    part = st.one_of(st.none(), children)
    item = st.one_of(children, st.tuples(part, part, part).map(lambda p: Slice(*p, NOWHERE)))
    return st.one_of(
        st.tuples(st.sampled_from(["add", "sub", "mul", "div", "matmul", "pow"]), children, children).map(
            lambda t: Apply(t[0], (t[1], t[2]), NOWHERE)),
        st.tuples(st.sampled_from(["neg", "pos", "transpose"]), children).map(
            lambda t: Apply(t[0], (t[1],), NOWHERE)),
        st.lists(children, min_size=1, max_size=3).map(lambda items: Apply("stack", tuple(items), NOWHERE)),
        st.tuples(children, st.lists(item, min_size=1, max_size=3)).map(
            lambda t: Index(t[0], tuple(t[1]), NOWHERE)),
        st.tuples(st.sampled_from(["sum", "softmax", "transpose"]), children).map(
            lambda t: Apply(t[0], (t[1],), NOWHERE, is_call=True)),
    )


TREES = st.recursive(_LEAVES, _extend, max_leaves=16)


@settings(max_examples=300, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(TREES)
def test_every_tree_prints_as_text_that_reads_back_as_itself(tree):
    text = print_expression(tree)
    (statement,) = parse(text).statements
    assert sexpr(statement) == sexpr(tree), text
    assert print_expression(statement) == text


_PIECES = ["[", "]", "(", ")", "\n", "\r\n", "1", "x", ",", " ", "# c [", "'a'", "\"", "'", "+", ";", "f(",
           "Value(2, label='b", ")", ":", "@", "ᵀ", ".T"]


@settings(max_examples=400, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
def test_the_line_joining_is_the_same_for_both_parsers(text):
    """The fast parser joins lines over the text (grammar.join_lines), Lark over its tokens (JoinLines): the
    same records, or the same error, for text made of brackets, new lines, comments and quotes."""
    def outcome(engine):
        try:
            return parser._statements(text, engine=engine)
        except ProgramError as err:
            return err.message

    assert outcome("auto") == outcome("lark")


_GAPS = ["", " ", "\n", "\r\n", "  # a row (\n", "\n\n", " # ]\n  "]
_LIST_TEXTS = st.recursive(
    st.sampled_from(["1", "-2.5", "x", "pi", "(a +\n b)", "f(x,\n y)", "W[0,\n 1]"]),
    lambda inner: st.tuples(st.lists(st.tuples(st.sampled_from(_GAPS), inner), min_size=1, max_size=4),
                            st.booleans(), st.sampled_from(_GAPS)).map(
        lambda t: "[" + ",".join(gap + item for gap, item in t[0]) + ("," if t[1] else "") + t[2] + "]"),
    max_leaves=10).map(lambda text: text if text.startswith("[") else f"[{text}]")


@settings(max_examples=200, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(_LIST_TEXTS, st.sampled_from(["y = {}\nz = y", "g({},\n  axis=0); 1", "{}.T  # done", "# (\n{}[0]"]))
def test_lists_written_over_many_lines_read_as_on_one(text, frame):
    source = frame.format(text)
    statements = parser._statements(source)
    assert statements == parser._statements(source, engine="lark")
    one_line = print_program(statements, "; ")
    assert "\n" not in one_line
    assert [sexpr(s) for s in parse(one_line).statements] == [sexpr(s) for s in statements]
