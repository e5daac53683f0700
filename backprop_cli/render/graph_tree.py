"""The computational graph as a Rich tree, from the output down to the inputs (`--graph tree`).

Each line is one node: id, name, operation in source form, then `value V | grad G`
in two styles (the words keep them apart without colour), then the local
derivative of the edge from its parent, dimmed: `∂v6/∂v3 = 7`.

A node used by several others (a shared node: gradients add there) is drawn in
full once; every other use is one line marked `(shared, see above)`. The walk
is an explicit stack, never recursion, and a branch deeper than MAX_DEPTH is
continued in a tree of its own below, so long chains stay within the width of
a terminal. Nothing is computed here: values come from the Result.
"""
from __future__ import annotations

from collections import deque

from rich.console import Group
from rich.text import Text
from rich.tree import Tree

from ..base.numbers import DEFAULT_DIGITS, format_number
from ..engine.compute import Result
from .graph_text import KINK_TEXT, kink_nodes, node_operation, shorten

VALUE_STYLE = "cyan"
GRAD_STYLE = "magenta"
LOCAL_STYLE = "dim"
MARK_STYLE = "dim italic"
KINK_STYLE = "yellow"

MAX_DEPTH = 12  # levels per tree; deeper branches continue in a tree of their own
UNREACHED_LISTED = 12

_NEW, _SHOWN, _DEFERRED = 0, 1, 2


def _head(result: Result, i: int) -> Text:
    """`v3 e = a + b`, `v1 a input`, `v7 constant 2`."""
    tape = result.tape
    node = tape.nodes[i]
    text = Text()
    text.append(node.id, style="bold")
    if node.name:
        text.append(" " + node.name, style="bold")
    if node.op == "input" or node.op == "const":
        text.append(" " + shorten(node_operation(result, i)), style="italic")
    else:
        text.append(" = " + shorten(tape.expression(i)))
    return text


def _numbers(result: Result, i: int, digits: int | None) -> Text:
    text = Text()
    text.append("value " + format_number(result.values[i], digits), style=VALUE_STYLE)
    if result.grads[i] is not None:
        text.append(" | ")
        text.append("grad " + format_number(result.grads[i], digits), style=GRAD_STYLE)
    return text


def _edge(result: Result, parent: int | None, k: int, digits: int | None) -> Text | None:
    """The local derivative on the edge from `parent` to its k-th argument, if that edge carries one."""
    if parent is None:
        return None
    partials = result.partials[parent]
    if partials is None or partials[k] is None:
        return None
    tape = result.tape
    arg = tape.nodes[parent].args[k]
    local = f"∂{tape.label(parent)}/∂{tape.label(arg)} = {format_number(partials[k], digits)}"
    return Text(shorten(local), style=LOCAL_STYLE)


def _full_label(result: Result, i: int, digits: int | None, edge: Text | None, kinks: set[int],
                mark: str | None = None) -> Text:
    parts = [_head(result, i), _numbers(result, i, digits)]
    if edge is not None:
        parts.append(edge)
    if i == result.tape.output:
        parts.append(Text("(output)", style="bold"))
    if i in kinks:
        parts.append(Text(KINK_TEXT, style=KINK_STYLE))
    if mark:
        parts.append(Text(mark, style=MARK_STYLE))
    return Text("   ").join(parts)


def _reference_label(result: Result, i: int, mark: str, edge: Text | None) -> Text:
    node = result.tape.nodes[i]
    head = Text()
    head.append(node.id, style="bold")
    if node.name:
        head.append(" " + node.name, style="bold")
    parts = [head]
    if edge is not None:
        parts.append(edge)
    parts.append(Text(mark, style=MARK_STYLE))
    return Text("   ").join(parts)


def graph_tree(result: Result, digits: int | None = DEFAULT_DIGITS, max_depth: int = MAX_DEPTH) -> Group:
    """The trees (usually one) from the output down, then a note on nodes off every path to the output."""
    tape = result.tape
    kinks = kink_nodes(result)
    state = [_NEW] * len(tape.nodes)
    roots: deque[int] = deque([tape.output])
    state[tape.output] = _DEFERRED
    parts: list = []
    while roots:
        root = roots.popleft()
        continued = bool(parts)
        tree = Tree(Text(""), guide_style="dim")
        # (node, parent node, argument position, the Tree whose label this node sets, depth)
        stack = [(root, None, 0, tree, 0)]
        while stack:
            i, parent, k, branch, depth = stack.pop()
            edge = _edge(result, parent, k, digits)
            if parent is None:
                state[i] = _SHOWN
                branch.label = _full_label(result, i, digits, None, kinks,
                                           "(continued from above)" if continued else None)
            elif state[i] == _SHOWN:
                branch.label = _reference_label(result, i, "(shared, see above)", edge)
                continue
            elif state[i] == _DEFERRED:
                branch.label = _reference_label(result, i, "(shared, see below)", edge)
                continue
            elif tape.nodes[i].args and depth >= max_depth:
                state[i] = _DEFERRED
                roots.append(i)
                branch.label = _full_label(result, i, digits, edge, kinks, "(continued below)")
                continue
            else:
                state[i] = _SHOWN
                branch.label = _full_label(result, i, digits, edge, kinks)
            # children in argument order; pushed reversed so they are visited (and printed) in order
            children = [(a, k2, branch.add(Text(""))) for k2, a in enumerate(tape.nodes[i].args)]
            for a, k2, child in reversed(children):
                stack.append((a, i, k2, child, depth + 1))
        if parts:
            parts.append(Text(""))
        parts.append(tree)
    unreached = [i for i in range(len(tape.nodes)) if state[i] == _NEW]
    if unreached:
        listed = ", ".join(tape.nodes[i].id + (f" {tape.nodes[i].name}" if tape.nodes[i].name else "")
                           for i in unreached[:UNREACHED_LISTED])
        more = f" and {len(unreached) - UNREACHED_LISTED} more" if len(unreached) > UNREACHED_LISTED else ""
        parts.append(Text(f"not on any path to the output: {listed}{more}", style=MARK_STYLE))
    return Group(*parts)
