"""Syntax tree -> tape: the computational graph as a Wengert list in evaluation order.

Every operation becomes one node; an input used several times is one node, so
its gradient sums over its uses. A named intermediate is the node its
assignment produced (or, for `y = x`, a `copy` node, so the name has a node of
its own). Lowering walks the tree with an explicit stack, never recursion.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import program_error
from .nodes import Apply, Assign, Name, Number, Program, Span
from .ops import CONSTANTS, FUNCTIONS, OPS

INPUT = "input"
CONST = "const"


@dataclass(frozen=True, slots=True)
class Node:
    id: str  # v1, v2, ... the same in every table and in the JSON
    op: str  # "input", "const" or a key of ops.OPS
    args: tuple[int, ...]  # positions in the tape
    name: str | None  # the variable or intermediate name, if the program gave one
    text: str | None  # constants: the literal as written ("0.5", "pi")
    span: Span | None  # where in the source the node comes from


@dataclass(frozen=True)
class Tape:
    nodes: tuple[Node, ...]
    inputs: dict[str, int]  # input name -> position, in order of first use
    output: int
    output_name: str | None
    source: str

    def label(self, i: int) -> str:
        """How node i is referred to: its name, its literal, or its id."""
        node = self.nodes[i]
        return node.name or node.text or node.id

    def expression(self, i: int) -> str:
        """Node i written in source form over its arguments' labels: `e * c`, `exp(v3)`."""
        node = self.nodes[i]
        if node.op == INPUT:
            return "input"
        if node.op == CONST:
            return node.text
        return OPS[node.op].template.format(*(self.label(a) for a in node.args))

    @property
    def named(self) -> dict[str, int]:
        """Every name the program gave (inputs and intermediates) -> position."""
        return {node.name: i for i, node in enumerate(self.nodes) if node.name is not None}


class _Builder:
    def __init__(self, program: Program) -> None:
        self.source = program.source
        self.kinds: list[tuple] = []  # (op, args, name, text, span) while building
        self.inputs: dict[str, int] = {}
        self.assigned: dict[str, int] = {}
        self.assigned_at: dict[str, Span] = {}
        # every name the program assigns, so a use before its assignment is caught
        self.will_assign = {s.name for s in program.statements if isinstance(s, Assign)}

    def error(self, span: Span, message: str):
        return program_error(self.source, span.start, span.end, message)

    def add(self, op: str, args=(), name=None, text=None, span=None) -> int:
        self.kinds.append([op, tuple(args), name, text, span])
        return len(self.kinds) - 1

    def name(self, node: Name) -> int:
        name = node.name
        if name in self.assigned:
            return self.assigned[name]
        if name in self.will_assign:
            raise self.error(node.span, f"{name} is used before it is assigned; a name is assigned once, before its uses")
        if name in CONSTANTS:
            return self.add(CONST, text=name, span=node.span)
        if name in OPS and OPS[name].is_function:
            raise self.error(node.span, f"{name} is a function; call it as {name}(...)")
        if name not in self.inputs:
            self.inputs[name] = self.add(INPUT, name=name, span=node.span)
        return self.inputs[name]

    def apply(self, node: Apply, args: list[int]) -> int:
        op = OPS.get(node.op)
        if node.is_call and (op is None or not op.is_function):
            raise self.error(node.span, f"unknown function {node.op}; the functions are {', '.join(FUNCTIONS)}")
        if len(args) != op.arity:
            plural = "argument" if op.arity == 1 else "arguments"
            raise self.error(node.span, f"{node.op} takes {op.arity} {plural}, not {len(args)}")
        return self.add(node.op, args, span=node.span)

    def expression(self, root) -> int:
        """Lower one expression, post-order, with an explicit stack."""
        results: list[int] = []
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if isinstance(node, Number):
                results.append(self.add(CONST, text=node.text, span=node.span))
            elif isinstance(node, Name):
                results.append(self.name(node))
            elif not expanded:
                stack.append((node, True))
                stack.extend((arg, False) for arg in reversed(node.args))
            else:
                count = len(node.args)
                args = results[len(results) - count:] if count else []
                del results[len(results) - count:]
                results.append(self.apply(node, args))
        return results[-1]

    def assign(self, statement: Assign) -> int:
        name = statement.name
        if name in self.assigned:
            line = self.source.count("\n", 0, self.assigned_at[name].start) + 1
            raise self.error(statement.name_span, f"{name} is assigned twice (first on line {line}); a name is assigned once")
        if name in CONSTANTS:
            raise self.error(statement.name_span, f"{name} is a constant and cannot be assigned")
        if name in OPS and OPS[name].is_function:
            raise self.error(statement.name_span, f"{name} is a function and cannot be assigned")
        mark = len(self.kinds)
        result = self.expression(statement.expr)
        if result < mark or self.kinds[result][0] == INPUT:  # `y = x`: give y a node of its own
            result = self.add("copy", (result,), span=statement.expr.span)
        self.kinds[result][2] = name
        self.assigned[name] = result
        self.assigned_at[name] = statement.name_span
        return result

    def build(self, program: Program) -> Tape:
        output, output_name = -1, None
        for statement in program.statements:
            if isinstance(statement, Assign):
                output, output_name = self.assign(statement), statement.name
            else:
                output, output_name = self.expression(statement), None
        nodes = tuple(
            Node(f"v{i + 1}", op, args, name, text, span) for i, (op, args, name, text, span) in enumerate(self.kinds)
        )
        return Tape(nodes, dict(self.inputs), output, output_name, self.source)


def lower(program: Program) -> Tape:
    """Build the tape of a parsed program, or raise ProgramError for names used wrongly."""
    return _Builder(program).build(program)
