"""Syntax tree -> tape: the computational graph as a Wengert list in evaluation order.

Every operation becomes one node; an input used several times is one node, so
its gradient sums over its uses. A named intermediate is the node its
assignment produced (or, for `y = x`, a `copy` node, so the name has a node of
its own). Lowering walks the tree with an explicit stack, never recursion.

A call of a function the program defines (`f(x) = x^2 + 1; y = f(a) * f(b)`) is
expanded where it stands: the nodes of the body are appended with the parameters
bound to the argument nodes, so every later stage sees plain operations and the
gradient flows through the call. The body's other names mean what they meant
where the function was defined. The node that is the call's result is labelled
with the call (`f(a)`, Node.call). How definitions are checked and calls
expanded, and arguments given by keyword ordered, is calls.py's part of the builder.

Vectors and matrices (`W @ x`, `W.T`, `[1, 2]`, `x[k]`, softmax, `sum(W, axis=0)`) are
tensor_calls.py's part: their nodes carry `params` (an axis, an index) and the tape is marked
`tensor`. Their shapes come with the inputs' values: engine/shaping.py gives every node its shape
and its operation in the tensor table (a scalar program's nodes all have shape ()).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from ..base.errors import program_error
from ..base.gc_pause import paused_gc
from ..base.records import FrozenRecord
from ..language.limits import max_nodes
from ..language.printer import print_definition
from ..language.syntax_tree import Apply, Assign, Define, Index, Name, Number, Program, Span
from .calls import CallLowering, Function, unknown_function
from .ops import ALIASES, BY_COUNT, CONST, CONSTANTS, INPUT, OPS
from .tensor_calls import IndexMark, TensorLowering, is_tensor_apply, plain_literal

VERSION_MARK = "#"  # the second assignment of c is the node named c#2, the third c#3


# eq and repr come from FrozenRecord (the same methods a dataclass writes, without creating them on each start)
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Node(FrozenRecord):
    id: str  # v1, v2, ... the same in every table and in the JSON
    op: str  # "input", "const" or a key of ops.OPS
    args: tuple[int, ...]  # positions in the tape
    name: str | None  # the variable or intermediate name, if the program gave one
    text: str | None  # constants: the literal as written ("0.5", "pi")
    span: Span | None  # where in the source the node comes from
    # the result of a call of a function the program defines, as written over its arguments' labels:
    # `f(a)`, `neuron(w1, x1, b)`; a label only (the name, if an assignment gives one, comes first)
    call: str | None = None
    # A node of a program of numbers has no params and the shape () (a TensorNode may have others). Class
    # attributes, not fields: two more fields cost 15% of the lowering of a 200,000-node program.
    params = ()
    shape = ()

    @property
    def display_name(self) -> str | None:
        """What the tables show in a node's name column: its name, or the call it is the result of."""
        return self.name or self.call


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class TensorNode(Node):
    """A node of a program with vectors or matrices (Tape.tensor)."""

    # (name, value) pairs of what is not a value: ("axis", 0) of a reduction, ("index", (1, Slice())) of W[1, :]
    params: tuple = ()
    # the shape of the node's value, () for a number; known once the inputs' values are (engine/shaping.py)
    shape: tuple = ()


@dataclass(frozen=True, eq=False, repr=False)
class Tape(FrozenRecord):
    nodes: tuple[Node, ...]
    inputs: dict[str, int]  # input name -> position, in order of first use
    output: int
    output_name: str | None
    source: str
    # Inputs the program gave a value (`x = 3`, `a = Value(-4.0)`): name -> the number as written. A binding
    # on the command line overrides it; bindings.resolve uses it when none is given.
    defaults: dict[str, str] = field(default_factory=dict)
    # How the parser read what could be misread (Program.notes: `1/2x is read as (1 / 2) * x ...`).
    notes: tuple[str, ...] = ()
    # The functions the program defines and calls, each once, as `f(x) = x^2 + 1`, in the order defined.
    functions: tuple[str, ...] = ()
    # The program has vectors or matrices (`W @ x`, `[1, 2]`, `x[0]`, softmax...; or, once shaped, a value
    # that is one): it runs on the tensor engine. A tape computed on it is `shaped` (engine/shaping.py):
    # each node's op is then a key of engine/tensor/rules.TENSOR_OPS, and its shape is known.
    tensor: bool = False
    shaped: bool = False

    def label(self, i: int) -> str:
        """How node i is referred to: its name, the call it is the result of, its literal, or its id."""
        node = self.nodes[i]
        return node.name or node.call or node.text or node.id

    def expression(self, i: int) -> str:
        """Node i written in source form over its arguments' labels: `e * c`, `exp(v3)`."""
        node = self.nodes[i]
        if node.op == INPUT:
            return "input"
        if node.op == CONST:
            return node.text
        if self.tensor:
            from .tensor_calls import written

            return written(self, i)
        return OPS[node.op].template_for(len(node.args)).format(*(self.label(a) for a in node.args))

    @cached_property
    def named(self) -> MappingProxyType:
        """Every name the program gave (inputs and intermediates) -> position. A name assigned again has a
        node per version, named c, c#2, c#3 (VERSION_MARK): each is a key here. Built once per tape (read-only):
        check looks up every answer's name in it, and building it per answer was quadratic (issue 16)."""
        return MappingProxyType({node.name: i for i, node in enumerate(self.nodes) if node.name is not None})

    def latest(self, name: str) -> int | None:
        """The position of what `name` means after the whole program: `c` is its last version, `c#2` exactly
        that version (what a gradient answer for `c` in `check` refers to)."""
        named = self.named
        at = named.get(name)
        if at is None or VERSION_MARK in name:
            return at
        version = 2
        while f"{name}{VERSION_MARK}{version}" in named:
            at = named[f"{name}{VERSION_MARK}{version}"]
            version += 1
        return at


class _Builder(CallLowering, TensorLowering):
    """Appends nodes in evaluation order, as parallel columns until the Nodes are made at the end."""

    def __init__(self, program: Program) -> None:
        self.source = program.source
        self.ops: list[str] = []
        self.args: list[tuple] = []
        self.names: list = []
        self.texts: list = []
        self.spans: list = []
        self.inputs: dict[str, int] = {}
        self.assigned: dict[str, int] = {}
        self.versions: dict[str, int] = {}  # how many times each name has been assigned so far
        self.defaults: dict[str, str] = {}  # inputs assigned a plain number: name -> the number
        # every name the program assigns, so a use before its assignment is caught
        self.will_assign = {s.name for s in program.statements if isinstance(s, Assign)}
        self.functions: dict[str, Function] = {}  # the program's functions defined so far
        self.will_define = {s.name for s in program.statements if isinstance(s, Define)}
        self.calls: dict[int, str] = {}  # position -> the call it is the result of (`f(a)`)
        self.params: dict[int, tuple] = {}  # position -> its params (an axis, an index), where it has some
        self.tensor = False  # a node of the tensor syntax was made
        self.max_nodes = max_nodes() if self.will_define else 0

    def error(self, span: Span, message: str, details: str = ""):
        return program_error(self.source, span.start, span.end, message, details)

    def add(self, op: str, args=(), name=None, text=None, span=None) -> int:
        self.ops.append(op)
        self.args.append(tuple(args))
        self.names.append(name)
        self.texts.append(text)
        self.spans.append(span)
        return len(self.ops) - 1

    def name(self, node: Name) -> int:
        name = node.name
        if name in self.assigned:
            return self.assigned[name]
        if name in self.will_assign:
            raise self.error(node.span, f"{name} is used before it is assigned; a name is assigned before its uses")
        if name in CONSTANTS:
            return self.add(CONST, text=name, span=node.span)
        if name in OPS and OPS[name].is_function or name in self.functions:
            raise self.error(node.span, f"{name} is a function; call it as {name}(...)")
        if name not in self.inputs:
            self.inputs[name] = self.add(INPUT, name=name, span=node.span)
        return self.inputs[name]

    def check_apply(self, node: Apply, count: int) -> str:
        """The operation a call stands for (an alias read as its function), or the error for an unknown function
        or a wrong number of arguments."""
        name = (BY_COUNT.get((node.op, count)) or ALIASES.get(node.op, node.op)) if node.is_call else node.op
        op = OPS.get(name)
        if node.is_call and (op is None or not op.is_function):
            raise self.error(node.span, *unknown_function(node.op, tuple(self.functions)))
        if op.variadic and count >= op.arity:
            return name
        if count != op.arity and not op.arity - len(op.defaults) <= count < op.arity:
            fewest = op.arity - len(op.defaults)
            shown = f"{fewest} or {op.arity}" if fewest != op.arity else str(op.arity)
            if op.variadic:
                shown = f"at least {op.arity}"
                plural = "argument" if op.arity == 1 else "arguments"
                raise self.error(node.span, f"{node.op} takes {shown} {plural}, not {count}")
            plural = "argument" if op.arity == 1 else "arguments"
            raise self.error(node.span, f"{node.op} takes {shown} {plural}, not {count}")
        return name

    def fill_defaults(self, name: str, count: int, results: list, span) -> int:
        """Append the constants of the parameters a call left out (leaky_relu(x) is leaky_relu(x, 0.01))."""
        op = OPS[name]
        if op.variadic:
            return count
        for text in op.defaults[len(op.defaults) - (op.arity - count):]:
            results.append(self.add(CONST, text=text, span=span))
        return op.arity

    def expression(self, root) -> int:
        """Lower one expression, post-order, with an explicit stack (a 1-tuple marks a node whose
        arguments are done; a Return, a call of the program's function whose body is done)."""
        ops, args_of, names, texts, spans = self.ops, self.args, self.names, self.texts, self.spans
        assigned, inputs, functions = self.assigned, self.inputs, self.functions  # the names in scope: assigned
        results: list[int] = []
        stack = [root]
        pop, visit, push = stack.pop, stack.append, results.append
        while stack:
            node = pop()
            kind = type(node)
            if kind is tuple:  # all arguments lowered: the operation itself
                node = node[0]
                count = len(node.args)
                op_name = node.op
                if _ARITY.get(op_name) != count or (node.is_call and (op_name not in _FUNCTION_NAMES
                                                                      or node.keywords)):
                    if is_tensor_apply(node, functions):  # W @ x, W.T, [a, b], softmax(z), sum(W, axis=0)
                        push(self.tensor_apply(node, count, results))
                        continue
                    if node.keywords:
                        count = self.by_keyword(node, results)
                    if op_name in functions and node.is_call:  # the body, its parameters bound to the arguments
                        visit(self.enter(node, count, results, assigned))
                        function = functions[op_name]
                        assigned = dict(function.closure)
                        assigned.update(zip(function.params, stack[-1].arguments))
                        visit(function.definition.body)
                        continue
                    op_name = self.check_apply(node, count)
                    count = self.fill_defaults(op_name, count, results, node.span)
                if count == 2:
                    args = (results[-2], results[-1])
                    del results[-2:]
                elif count == 1:
                    args = (results.pop(),)
                else:
                    args = tuple(results[len(results) - count:])
                    del results[len(results) - count:]
                push(len(ops))
                ops.append(op_name)
                args_of.append(args)
                names.append(None)
                texts.append(None)
                spans.append(node.span)
            elif kind is Apply:
                visit((node,))
                arguments = node.args
                if len(arguments) == 2:
                    visit(arguments[1])
                    visit(arguments[0])
                else:
                    stack.extend(reversed(arguments))
            elif kind is Name:
                name = node.name
                at = assigned.get(name)
                if at is None:
                    at = inputs.get(name)
                    if at is None:
                        at = self.name(node)
                push(at)
            elif kind is Number:
                push(len(ops))
                ops.append(CONST)
                args_of.append(())
                names.append(None)
                texts.append(node.text)
                spans.append(node.span)
            elif kind is Index:  # x[0], W[:, k]: the target, then the names used as indices
                spec, index_names = self.index_items(node)
                visit(IndexMark(node, spec, index_names))
                stack.extend(reversed(index_names))
                visit(node.target)
            elif kind is IndexMark:
                push(self.index(node.node, results, node.names, node.spec))
            else:  # Return: a call's body is done
                results[-1] = self.leave(node, results[-1])
                assigned = node.scope
        return results[-1]

    def assign(self, statement: Assign) -> int:
        name = statement.name
        if name in CONSTANTS:
            raise self.error(statement.name_span, f"{name} is a constant and cannot be assigned")
        if name in OPS and OPS[name].is_function or name in self.functions:
            raise self.error(statement.name_span, f"{name} is a function and cannot be assigned")
        default = plain_literal(statement.expr)
        if default is not None and name not in self.versions and name not in self.inputs:
            # `x = 3`, `x = [1, 2]`: an input with a default value, which a binding overrides
            self.tensor = self.tensor or default.startswith("[")
            self.versions[name] = 1
            result = self.inputs[name] = self.add(INPUT, name=name, span=statement.name_span)
            self.defaults[name] = default
            self.assigned[name] = result
            return result
        mark = len(self.ops)
        result = self.expression(statement.expr)
        if result < mark or self.ops[result] == INPUT:  # `y = x`: give y a node of its own
            result = self.add("copy", (result,), span=statement.expr.span)
        version = self.versions[name] = self.versions.get(name, 0) + 1
        self.names[result] = name if version == 1 else f"{name}{VERSION_MARK}{version}"
        self.assigned[name] = result  # later uses of the name mean this version
        return result

    def build(self, program: Program) -> Tape:
        output, output_name = -1, None
        for statement in program.statements:
            if isinstance(statement, Assign):
                output = self.assign(statement)
                output_name = self.names[output]
            elif isinstance(statement, Define):
                self.define(statement)
            else:
                output, output_name = self.expression(statement), None
        if output < 0:
            last = program.statements[-1].span
            raise self.error(last, "the program only defines functions: add an expression that uses them, as "
                             "in f(x) = x^2; y = f(a)")
        ids = [f"v{i}" for i in range(1, len(self.ops) + 1)]
        calls = [None] * len(self.ops)
        for i, label in self.calls.items():
            calls[i] = label
        columns = [ids, self.ops, self.args, self.names, self.texts, self.spans, calls]
        if self.params:
            params: list = [()] * len(self.ops)
            for i, given in self.params.items():
                params[i] = given
            columns.append(params)
        nodes = tuple(map(TensorNode if self.tensor else Node, *columns))
        functions = tuple(print_definition(f.definition) for f in self.functions.values() if f.used)
        return Tape(nodes, dict(self.inputs), output, output_name, self.source, dict(self.defaults),
                    tuple(getattr(program, "notes", ())), functions, self.tensor)


_ARITY = {name: op.arity for name, op in OPS.items()}
_FUNCTION_NAMES = frozenset(name for name, op in OPS.items() if op.is_function)


def lower(program: Program) -> Tape:
    """Build the tape of a parsed program, or raise ProgramError for names used wrongly."""
    with paused_gc():
        return _Builder(program).build(program)
