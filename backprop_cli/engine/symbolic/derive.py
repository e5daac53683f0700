"""Symbolic reverse mode: the tape copied into an expression graph and swept backwards in tape order.

Every edge's local derivative is the operation's `symbolic_partials` rule from
ops.py, written in the language itself and parsed here with the tool's own
parser; each node's adjoint is the sum of upstream x local over its uses.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..ops import CONSTANTS, FUNCTIONS, OPS
from ..tape import CONST, INPUT, Tape
from .graph import Graph
from .printer import SHARE_LIMIT, Formula, write_formula

# Placeholder names for a rule's operands while it is parsed: valid names no program input can clash with.
def _arg_names(count: int) -> tuple[str, ...]:
    return tuple(f"__arg{k}" for k in range(count))


_OUT_NAME = "__out"


@lru_cache(maxsize=None)
def _formula_tape(text: str, count: int) -> Tape:
    """A formula in the language over {0}, {1}, ... and {out}, parsed by the tool's own parser over
    placeholder inputs."""
    from ...language.parser import parse  # here, not above: only --symbolic and hessian need the parser again
    from ..tape import lower

    return lower(parse(text.format(*_arg_names(count), out=_OUT_NAME)))


def build_formula(g: Graph, text: str, args, out: int | None = None) -> int:
    """The formula `text` (over {0}, {1}, ... for `args` and {out} for `out`) built as a node of g."""
    rule = _formula_tape(text, len(args))
    binding = dict(zip(_arg_names(len(args)), args))
    binding[_OUT_NAME] = out
    built: list[int] = []
    for node in rule.nodes:
        if node.op == INPUT:
            built.append(binding[node.name])
        elif node.op == CONST:
            built.append(g.literal(node.text))
        else:
            built.append(g.apply(node.op, *(built[a] for a in node.args)))
    return built[rule.output]


def local_derivative(g: Graph, op: str, k: int, args, out: int) -> int:
    """d op(args) / d args[k] as a node of g, from the operation's rule in ops.py."""
    return build_formula(g, OPS[op].symbolic_partial(k, len(args)), args, out)


@dataclass
class Derivatives:
    """The program as an expression graph, with d output / d input for every input."""

    graph: Graph
    output: int  # the output's node
    gradient: dict[str, int]  # input name -> the node of d output / d input
    names: dict[int, str]  # graph node -> the name the program gives it (named intermediates)
    reserved: frozenset[str]  # names a formula may not invent (the program's, the functions, the constants)


def copy_tape(tape: Tape, graph: Graph | None = None) -> tuple[Graph, list[int]]:
    """The tape as an expression graph: one graph node per tape node (equal subexpressions shared)."""
    graph = graph or Graph()
    primal: list[int] = []
    for node in tape.nodes:
        if node.op == INPUT:
            primal.append(graph.input(node.name))
        elif node.op == CONST:
            primal.append(graph.literal(node.text))
        else:
            primal.append(graph.apply(node.op, *(primal[a] for a in node.args)))
    return graph, primal


def reverse(graph: Graph, ops, args, primal, output: int) -> list:
    """Symbolic reverse mode over a list of operations in evaluation order.

    ops[i] and args[i] describe step i (args are step positions), primal[i] is its graph node.
    Returns the adjoint node of every step (None where it is 0).
    """
    adjoint: list = [None] * len(primal)
    adjoint[output] = graph.one
    depends = graph.depends
    for i in range(output, -1, -1):
        upstream = adjoint[i]
        op = ops[i]
        if upstream is None or op in (INPUT, CONST):
            continue
        operands = [primal[a] for a in args[i]]
        for k, a in enumerate(args[i]):
            if not depends[primal[a]]:
                continue  # a constant argument: never differentiated
            local = local_derivative(graph, op, k, operands, primal[i])
            term = graph.apply("mul", upstream, local)
            adjoint[a] = term if adjoint[a] is None else graph.apply("add", adjoint[a], term)
    return adjoint


def differentiate_symbolically(tape: Tape) -> Derivatives:
    """d output / d input for every input of the tape, as nodes of one expression graph."""
    graph, primal = copy_tape(tape)
    nodes = tape.nodes
    adjoint = reverse(graph, [n.op for n in nodes], [n.args for n in nodes], primal, tape.output)
    gradient = {name: graph.zero if adjoint[i] is None else adjoint[i] for name, i in tape.inputs.items()}
    names: dict[int, str] = {}
    for i, node in enumerate(nodes):
        if node.name is not None and node.op != INPUT and graph.op[primal[i]] not in (INPUT, CONST):
            names.setdefault(primal[i], node.name)
    reserved = frozenset(tape.named) | frozenset(FUNCTIONS) | frozenset(CONSTANTS) | frozenset(OPS)
    return Derivatives(graph, primal[tape.output], gradient, names, reserved)


def formula(derivatives: Derivatives, node: int, share_limit: int = SHARE_LIMIT) -> Formula:
    """Node `node` of the derivatives' graph written as a formula in the language."""
    return write_formula(derivatives.graph, node, derivatives.names, derivatives.reserved, share_limit)


def gradient_formulas(tape: Tape, share_limit: int = SHARE_LIMIT) -> dict[str, Formula]:
    """d output / d input for every input, as formulas."""
    d = differentiate_symbolically(tape)
    d.graph.seal()  # only written from here on (its hash-consing table is a third of its memory)
    return {name: formula(d, node, share_limit) for name, node in d.gradient.items()}
