"""The language: precedence and associativity, numbers and names, programs, and the exact syntax errors."""
from __future__ import annotations

import math

import pytest

from backprop_cli.base.errors import ProgramError
from backprop_cli.engine.ops import FUNCTIONS
from backprop_cli.engine.tensor_calls import TENSOR_FUNCTIONS
from backprop_cli.language.grammar import grammar_path
from backprop_cli.language.parser import parse
from backprop_cli.language.syntax_tree import Apply, Assign, Name, Number


def sexpr(node) -> str:
    """The syntax tree written as an S-expression: `-a^2` -> (neg (pow a 2))."""
    if isinstance(node, Number):
        return node.text
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Assign):
        return f"(= {node.name} {sexpr(node.expr)})"
    assert isinstance(node, Apply), node
    return "(" + " ".join([node.op, *(sexpr(a) for a in node.args)]) + ")"


def shape(source: str) -> str:
    return "; ".join(sexpr(s) for s in parse(source).statements)


# ------------------------------------------------------------------------------------------
# Precedence and associativity, as the tree the parser builds.

@pytest.mark.parametrize("source,tree", [
    # power binds tighter than unary minus, and is right-associative
    ("-a^2", "(neg (pow a 2))"),
    ("-a**2", "(neg (pow a 2))"),
    ("2^3^2", "(pow 2 (pow 3 2))"),
    ("2**3**2", "(pow 2 (pow 3 2))"),
    ("2^3**2", "(pow 2 (pow 3 2))"),
    ("a^-2", "(pow a (neg 2))"),
    ("a**-2", "(pow a (neg 2))"),
    ("a^+2", "(pow a (pos 2))"),
    ("a^-b^c", "(pow a (neg (pow b c)))"),
    ("-a^-b", "(neg (pow a (neg b)))"),
    ("(-a)^2", "(pow (neg a) 2)"),
    ("a^b*c", "(mul (pow a b) c)"),
    ("a*b^c", "(mul a (pow b c))"),
    ("(a^b)^c", "(pow (pow a b) c)"),
    # + - and * / are left-associative, * / bind tighter than + -
    ("a-b-c", "(sub (sub a b) c)"),
    ("a-b+c", "(add (sub a b) c)"),
    ("a+b-c", "(sub (add a b) c)"),
    ("a/b/c", "(div (div a b) c)"),
    ("a/b*c", "(mul (div a b) c)"),
    ("a*b/c", "(div (mul a b) c)"),
    ("a-(b-c)", "(sub a (sub b c))"),
    ("a/(b/c)", "(div a (div b c))"),
    ("a+b*c", "(add a (mul b c))"),
    ("a*b+c", "(add (mul a b) c)"),
    ("(a+b)*c/d", "(div (mul (add a b) c) d)"),
    ("a-b*c/d+e", "(add (sub a (div (mul b c) d)) e)"),
    # unary signs bind tighter than * / but looser than ^
    ("-a*b", "(mul (neg a) b)"),
    ("a*-b", "(mul a (neg b))"),
    ("a--b", "(sub a (neg b))"),
    ("a+-b", "(add a (neg b))"),
    ("--a", "(neg (neg a))"),
    ("+a", "(pos a)"),
    ("+-+a", "(pos (neg (pos a)))"),
    ("-a/b", "(div (neg a) b)"),
    # calls and parentheses
    ("exp(-x)", "(exp (neg x))"),
    ("max(a, b*c)", "(max a (mul b c))"),
    ("min(a+b, -c)", "(min (add a b) (neg c))"),
    ("sin(x)^2", "(pow (sin x) 2)"),
    ("-sin(x)^2", "(neg (pow (sin x) 2))"),
    ("((a))", "a"),
    ("tanh(w1*x1 + b)", "(tanh (add (mul w1 x1) b))"),
    ("sigmoid(relu(abs(x)))", "(sigmoid (relu (abs x)))"),
    # whitespace does not matter
    ("  a\t*\fb  ", "(mul a b)"),
    ("a ** b", "(pow a b)"),
])
def test_precedence_and_associativity(source, tree):
    assert shape(source) == tree


@pytest.mark.parametrize("source,inputs,value", [
    ("2^3^2", {}, 512.0),
    ("2**3**2", {}, 512.0),
    ("(2^3)^2", {}, 64.0),
    ("-2^2", {}, -4.0),
    ("(-2)^2", {}, 4.0),
    ("-a^2", {"a": 3}, -9.0),
    ("2^-1", {}, 0.5),
    ("a^-2", {"a": 4}, 1 / 16),
    ("2^-1^2", {}, 0.5),
    ("a-b-c", {"a": 10, "b": 3, "c": 2}, 5.0),
    ("a/b/c", {"a": 24, "b": 4, "c": 2}, 3.0),
    ("a/b*c", {"a": 24, "b": 4, "c": 2}, 12.0),
    ("a-b+c", {"a": 10, "b": 3, "c": 2}, 9.0),
    ("--a", {"a": 7}, 7.0),
    ("-(-a)", {"a": 7}, 7.0),
    ("+-a", {"a": 7}, -7.0),
    ("2*3^2", {}, 18.0),
    ("1+2*3", {}, 7.0),
    ("(1+2)*3", {}, 9.0),
    ("8/2/2", {}, 2.0),
    ("2^2^3", {}, 256.0),
    ("e^2", {"e": 3}, 9.0),  # e is a variable, not Euler's number
    ("e", {"e": 0.25}, 0.25),
    ("pi", {}, math.pi),
    ("pi*r^2", {"r": 2}, 4 * math.pi),
    ("max(1, 2) + min(1, 2)", {}, 3.0),
])
def test_values_follow_precedence(helpers, source, inputs, value):
    assert helpers.compute(source, **inputs).value == pytest.approx(value, rel=1e-15, abs=0)


# ------------------------------------------------------------------------------------------
# Numbers and names

@pytest.mark.parametrize("text,value", [
    ("0", 0.0), ("7", 7.0), ("007", 7.0), ("42", 42.0),
    ("0.5", 0.5), (".5", 0.5), ("3.", 3.0), ("3.25", 3.25),
    ("1e-3", 1e-3), ("1E-3", 1e-3), ("1e3", 1000.0), ("2.5e+2", 250.0), (".5e1", 5.0), ("3.e2", 300.0),
])
def test_numbers(helpers, text, value):
    (statement,) = parse(text).statements
    assert isinstance(statement, Number)
    assert statement.text == text  # kept as written, for exact arithmetic
    tape = helpers.tape_of(text)
    assert [n.op for n in tape.nodes] == ["const"]
    assert helpers.compute(text).value == value


@pytest.mark.parametrize("name", ["x", "x1", "w_2", "E_o1", "_", "_tmp", "CamelCase", "e", "pi2", "PI", "exp2",
                                  "add", "copy", "a" * 200])
def test_names_are_inputs(helpers, name):
    tape = helpers.tape_of(f"{name} * 2")
    assert list(tape.inputs) == [name]
    result = helpers.compute(f"{name} * 2", **{name: 1.5})
    assert result.value == 3.0
    assert result.gradient()[name] == 2.0


def test_pi_is_a_constant_not_an_input(helpers):
    tape = helpers.tape_of("pi * x")
    assert list(tape.inputs) == ["x"]
    assert tape.nodes[0].op == "const" and tape.nodes[0].text == "pi"
    result = helpers.compute("pi * x", x=2)
    assert result.value == 2 * math.pi
    assert result.gradient() == {"x": math.pi}


def test_e_is_an_ordinary_variable(helpers):
    # the textbook names intermediates e; e is never Euler's number
    result = helpers.compute("exp(1) - e", e=1)
    assert result.value == pytest.approx(math.e - 1)
    assert list(result.tape.inputs) == ["e"]
    assert result.gradient()["e"] == -1.0
    assert helpers.compute("e = a + b; e * 2", a=1, b=2).value == 6.0


def test_function_names_are_not_keywords_of_the_grammar():
    # the grammar only knows NAME(...): which functions exist is the operation table's business
    text = grammar_path().read_text(encoding="utf-8")
    for function in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "max", "min"):
        assert f'"{function}"' not in text


# ------------------------------------------------------------------------------------------
# Programs

@pytest.mark.parametrize("source,tree", [
    ("e = a + b; f = e * c; g = f / d", "(= e (add a b)); (= f (mul e c)); (= g (div f d))"),
    ("e = a + b\nf = e * c\ng = f / d", "(= e (add a b)); (= f (mul e c)); (= g (div f d))"),
    ("e = a + b\r\nf = e * c\r\n", "(= e (add a b)); (= f (mul e c))"),
    ("e = a*b; d = e + c; L = d*f", "(= e (mul a b)); (= d (add e c)); (= L (mul d f))"),
    ("# the seed example\n(a+b)*c/d  # output\n", "(div (mul (add a b) c) d)"),
    ("e = a*b # product\n\n\n# blank lines and comments\nL = e - 1;", "(= e (mul a b)); (= L (sub e 1))"),
    (";;a;;", "a"),
    ("\n\n a \n\n", "a"),
    ("x = a; x + 1", "(= x a); (add x 1)"),
    ("y = -x^2", "(= y (neg (pow x 2)))"),
    ("a#comment without a space", "a"),
])
def test_programs(source, tree):
    assert shape(source) == tree


@pytest.mark.parametrize("source,inputs,output,value", [
    ("e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2}, "L", -8.0),
    ("e = a + b; f = e * c; g = f / d", {"a": 5, "b": 1, "c": -2, "d": -3}, "g", 4.0),
    ("e = a + b; f = e * c; f / d", {"a": 5, "b": 1, "c": -2, "d": -3}, None, 4.0),  # bare expression last
    ("x = a; x + 1", {"a": 2}, None, 3.0),
    ("x = a * 2; y = x", {"a": 2}, "y", 4.0),
    ("x = a * 2\ny = x + 1\n# the output is y\n", {"a": 2}, "y", 5.0),
    ("a * 2; b * 3", {"a": 1, "b": 1}, None, 3.0),  # the last statement is the output
    ("y = 2", {"y": 2}, "y", 2.0),  # an input with default 2 (issue 13): its own output
    ("y = 2 * 1", {}, "y", 2.0),  # not a plain number: a constant
])
def test_output_is_the_last_statement(helpers, source, inputs, output, value):
    result = helpers.compute(source, **inputs)
    assert result.tape.output_name == output
    assert result.value == value


def test_program_output_through_json(cli):
    assign = cli("eval", "e = a*b; L = e + 1", "-a", "2", "-b", "3", "--json").json()
    bare = cli("eval", "e = a*b; e + 1", "-a", "2", "-b", "3", "--json").json()
    assert (assign["output"], assign["value"]) == ("L", 7)
    assert (bare["output"], bare["value"]) == (None, 7)


def test_every_unassigned_name_is_an_input_in_order_of_first_use(helpers):
    tape = helpers.tape_of("e = z * y; d = e + x\nL = d * y + w")
    assert list(tape.inputs) == ["z", "y", "x", "w"]
    assert {n.name for n in tape.nodes if n.op not in ("input", "const") and n.name} == {"e", "d", "L"}


# ------------------------------------------------------------------------------------------
# Syntax errors: the exact message, with the line, a caret under the spot, and plain symbols.

@pytest.mark.parametrize("source,message", [
    ("(a+b",
     "expected ')', found the end of the program (line 1, column 5)\n"
     "  (a+b\n"
     "      ^"),
    ("a+",
     "expected a number, a name, '(', '+' or '-', found the end of the program (line 1, column 3)\n"
     "  a+\n"
     "    ^"),
    ("a + * b",
     "expected a number, a name, '(', '+' or '-', found '*' (line 1, column 5)\n"
     "  a + * b\n"
     "      ^"),
    ("a+b)",
     "expected ';', a new line or the end of the program, found ')' (line 1, column 4)\n"
     "  a+b)\n"
     "     ^"),
    ("a$b",
     "unexpected character '$' (line 1, column 2)\n"
     "  a$b\n"
     "   ^"),
    ("x = 1\ny = x +\nz",
     "expected a number, a name, '(', '+' or '-', found a new line (line 2, column 8)\n"
     "  y = x +\n"
     "         ^"),
    ("x = 1;\n\ty = * 2",  # a tab before the mistake stays a tab under it, so the caret lines up
     "expected a number, a name, '(', '+' or '-', found '*' (line 2, column 6)\n"
     "  \ty = * 2\n"
     "  \t    ^"),
    ("1.2.3",
     "expected a name, '(', '+', '-', '*', '/', '^', ';', a new line or the end of the program, found '.3' (line 1, column 4)\n"
     "  1.2.3\n"
     "     ^^"),
    ("max(a b)",  # two names side by side are never a product (issue 13)
     "a and b side by side are not a product: a product without '*' follows only a number or ')' (2x, "
     "2(a+b), (a+b)(c+d)), and two names side by side are never one; write a*b (line 1, column 7)\n"
     "  max(a b)\n"
     "        ^"),
    ("a ＊ b",  # × is '*' (issue 13); the full-width asterisk is a look-alike and stays an error
     "unexpected character '＊' (U+FF0A FULLWIDTH ASTERISK) (line 1, column 3)\n"
     "  a ＊ b\n"
     "    ^"),
    ("a'b",
     "unexpected character U+0027 (line 1, column 2)\n"
     "  a'b\n"
     "   ^"),
])
def test_syntax_error_messages_exactly(source, message):
    with pytest.raises(ProgramError) as caught:
        parse(source)
    assert caught.value.message == message
    assert caught.value.exit_code == 3


@pytest.mark.parametrize("source,column,found", [
    ("(((a)", 6, "the end of the program"),
    ("a ^ ", 5, "the end of the program"),
    ("((((", 5, "the end of the program"),
    ("2 3", 3, "'3'"),  # 2(3) and 1e-3x are products now (issue 13)
    ("1e-3 4", 6, "'4'"),
    ("a = b = c", 7, "'='"),
    ("2 = x", 3, "'='"),
    ("=", 1, "'='"),
    ("f(,)", 3, "','"),
    ("a ^^ b", 4, "'^'"),
    ("a ***  b", 5, "'*'"),
])
def test_syntax_errors_point_at_the_spot(source, column, found):
    with pytest.raises(ProgramError) as caught:
        parse(source)
    message = caught.value.message
    first, line, carets = message.split("\n")
    assert first.startswith("expected ")
    assert f"found {found} (line 1, column {column})" in first
    assert line == "  " + source
    assert carets.index("^") == 2 + column - 1
    for lark_name in ("RPAR", "LPAR", "NAME", "NUMBER", "$END", "_SEP", "_POW", "PLUS", "MINUS", "STAR"):
        assert lark_name not in first


@pytest.mark.parametrize("source,message", [
    ("y = x + 1; x = 2; y",  # a name may be assigned again (issue 13), but never used before its first
     "x is used before it is assigned; a name is assigned before its uses (line 1, column 5)\n"
     "  y = x + 1; x = 2; y\n"
     "      ^"),
    ("atan2(x)",
     "atan2 takes 2 arguments, not 1 (line 1, column 1)\n"
     "  atan2(x)\n"
     "  ^^^^^^^^"),
    ("max()",
     "max takes at least 1 argument, not 0 (line 1, column 1)\n"
     "  max()\n"
     "  ^^^^^"),
    ("exp + 1",
     "exp is a function; call it as exp(...) (line 1, column 1)\n"
     "  exp + 1\n"
     "  ^^^"),
    ("pi = 3",
     "pi is a constant and cannot be assigned (line 1, column 1)\n"
     "  pi = 3\n"
     "  ^^"),
])
def test_program_error_messages_exactly(helpers, source, message):
    with pytest.raises(ProgramError) as caught:
        helpers.tape_of(source)
    assert caught.value.message == message


@pytest.mark.parametrize("source,fragment", [
    ("y = x + 1; x = 2; y", "x is used before it is assigned"),
    ("e = e + 1", "e is used before it is assigned"),
    ("foo(x)", "unknown function foo"),
    ("a(b)", "unknown function a"),
    ("pi(2)", "unknown function pi"),
    ("add(x, y)", "unknown function add"),  # an operator's internal name is not a function
    ("copy(x)", "unknown function copy"),
    ("hypot(x)", "hypot takes 2 arguments, not 1"),
    ("sin(a, b)", "sin takes 1 argument, not 2"),
    ("leaky_relu(a, b, c)", "leaky_relu takes 1 or 2 arguments, not 3"),
    ("exp(x, y)", "exp takes 1 argument, not 2"),
    ("exp()", "exp takes 1 argument, not 0"),
    ("exp + 1", "exp is a function; call it as exp(...)"),
    ("sin", "sin is a function"),
    ("y = relu * 2", "relu is a function"),
    ("exp = 2", "exp is a function and cannot be assigned"),
    ("pi = 3", "pi is a constant and cannot be assigned"),
    ("", "the program is empty"),
    ("   ", "the program is empty"),
    ("# only a comment", "the program is empty"),
    ("\n;\n;", "the program is empty"),
])
def test_program_errors(cli, helpers, source, fragment):
    with pytest.raises(ProgramError) as caught:
        helpers.tape_of(source)
    assert fragment in caught.value.message
    assert "(line " in caught.value.message and "^" in caught.value.message
    run = cli("eval", "--", source)
    assert run.code == 3
    assert run.out == ""
    helpers.assert_one_paragraph_error(run.err, "syntax error")
    assert fragment in run.err


def test_the_foreign_function_list_names_every_function_in_groups(helpers):
    with pytest.raises(ProgramError) as caught:
        helpers.tape_of("frobnicate(x)")
    groups = caught.value.message.split("The functions are:\n")[1].splitlines()
    listed = [name for line in groups for name in line.split(":", 1)[1].split()]
    # every function (and the aliases ln and swish), each in one group, and the functions of vectors and matrices
    assert set(FUNCTIONS) | set(TENSOR_FUNCTIONS) <= set(listed)
    assert len(listed) == len(set(listed)) == len(FUNCTIONS) + 2 + len(TENSOR_FUNCTIONS)
    assert all(line.startswith("  ") and ": " in line for line in groups)


@pytest.mark.parametrize("typed, meant", [("arctan", "atan"), ("sigma", "sigmoid"), ("lg", "log10"),
                                          ("arcsinh", "asinh"), ("tanhh", "tanh"), ("Sigmoid", "sigmoid")])
def test_an_unknown_function_gets_a_did_you_mean(helpers, typed, meant):
    with pytest.raises(ProgramError) as caught:
        helpers.tape_of(f"{typed}(x)")
    assert caught.value.message.startswith(f"unknown function {typed} (did you mean {meant}?) (line 1, column 1)")


def test_no_guess_rather_than_a_bad_one(helpers):
    with pytest.raises(ProgramError) as caught:
        helpers.tape_of("foo(x)")
    assert caught.value.message.startswith("unknown function foo (line 1, column 1)")


def test_the_only_conflicts_are_the_two_known_shifts(caplog):
    """The grammar is LALR(1) but for shift/reduce conflicts Lark resolves as shifts, and they are all of two
    kinds: '(' right after a name or a method is a call (f(x), never f*(x)), and '[' right after an operand
    is an index (x[0] and (a+b)[0], never a product with a list). Any other conflict is a grammar mistake."""
    import logging
    import re

    from lark import Lark

    from backprop_cli.language.grammar import LARK_OPTIONS

    with caplog.at_level(logging.DEBUG, logger="lark"):
        Lark(grammar_path().read_text(encoding="utf-8"), **dict(LARK_OPTIONS, debug=True))
    lines = [record.getMessage() for record in caplog.records]
    conflicts = [(re.search(r"terminal (\w+)", line).group(1), lines[k + 1].strip())
                 for k, line in enumerate(lines) if "Shift/Reduce conflict" in line]
    assert all("resolving as shift" in line for line in lines if "conflict" in line)
    assert not any("Reduce/Reduce" in line for line in lines)
    assert set(conflicts) == {
        ("LPAR", "* <named : NAME>"), ("LPAR", "* <named : named DOT NAME>"),
        ("LSQB", "* <atom : named>"), ("LSQB", "* <juxtaposed : named>"),
    }, conflicts
