"""The computational graph as a Rich tree, from the output down to the inputs (`--graph tree`).

Each line is one node: id, name, operation in source form, then `value V | grad G`
in two styles (the words keep them apart without colour), then the local
derivative of the edge from its parent, dimmed: `∂v6/∂v3 = 7`.

A node used by several others (a shared node: gradients add there) is drawn in
full once; every other use is one line marked `(shared, see above)`. The walk
is an explicit stack, never recursion, and a branch deeper than MAX_DEPTH is
continued in a tree of its own below, so long chains stay within the width of
a terminal. A graph of more than MAX_NODES nodes is drawn up to that many
lines, then a note says how many were left out (as --max-rows elides the
tables): tens of thousands of lines are no picture, and drawing them takes long.
Nothing is computed here: values come from the Result.
"""
from __future__ import annotations

from collections import deque

from rich.console import Group
from rich.text import Text
from rich.tree import Tree

from ..base.numbers import DEFAULT_DIGITS, format_number
from ..engine.compute import Result
from ..engine.local import reaches_output
from .graph_text import KINK_TEXT, RULE_LIMIT, kink_nodes, node_operation, shorten

VALUE_STYLE = "cyan"
GRAD_STYLE = "magenta"
LOCAL_STYLE = "dim"
MARK_STYLE = "dim italic"
KINK_STYLE = "yellow"

MAX_DEPTH = 12  # levels per tree; deeper branches continue in a tree of their own
MAX_NODES = 2000  # lines of nodes drawn at most; the rest of a bigger graph is counted in a note
UNREACHED_LISTED = 12

_NEW, _SHOWN, _DEFERRED = 0, 1, 2


def _head(result: Result, i: int) -> Text:
    """`v3 e = a + b`, `v1 a input`, `v7 constant 2`."""
    tape = result.tape
    node = tape.nodes[i]
    text = Text()
    text.append(node.id, style="bold")
    if node.display_name:
        text.append(" " + node.display_name, style="bold")
    if node.op == "input" or node.op == "const":
        text.append(" " + shorten(node_operation(result, i)), style="italic")
    else:
        text.append(" = " + shorten(tape.expression(i)))
    return text


def _numbers(result: Result, i: int, digits: int | None) -> Text:
    text = Text()
    text.append("value " + format_number(result.nested(result.values[i]) if result.tensor else result.values[i],
                                         digits), style=VALUE_STYLE)
    if result.grads[i] is not None:
        text.append(" | ")
        text.append("grad " + format_number(result.nested(result.grads[i]) if result.tensor else result.grads[i],
                                            digits), style=GRAD_STYLE)
    return text


def _edge(result: Result, parent: int | None, k: int, digits: int | None) -> Text | None:
    """The local derivative on the edge from `parent` to its k-th argument, if that edge carries one."""
    if parent is None:
        return None
    if result.tensor:  # the local rule of that argument, at tensor level
        rule = result.local_rules(parent)[k]
        return None if rule is None else Text(shorten(rule, RULE_LIMIT), style=LOCAL_STYLE)
    partials = result.partials[parent]
    if partials is None or partials[k] is None:
        return None
    tape = result.tape
    arg = tape.nodes[parent].args[k]
    local = f"∂{tape.label(parent)}/∂{tape.label(arg)} = {format_number(partials[k], digits)}"
    return Text(shorten(local), style=LOCAL_STYLE)


def _full_label(result: Result, i: int, digits: int | None, edge: Text | None, kinks: set[int],
                mark: str | None = None) -> Text:
    tensor = result.tensor and result.shape(i)
    if tensor:  # a tensor: the shape on the first line, its value and gradient on lines of their own
        from .tensor_graph import tree_parts

        shape, value, grad = tree_parts(result, i, digits)
        parts = [_head(result, i), Text(shape)]
    else:
        parts = [_head(result, i), _numbers(result, i, digits)]
    if edge is not None:
        parts.append(edge)
    if i == result.tape.output:
        parts.append(Text("(output)", style="bold"))
    if i in kinks:
        parts.append(Text(KINK_TEXT, style=KINK_STYLE))
    if mark:
        parts.append(Text(mark, style=MARK_STYLE))
    label = Text("   ").join(parts)
    if tensor:
        label.append("\n")
        label.append(value, style=VALUE_STYLE)
        if grad is not None:
            label.append("\n")
            label.append(grad, style=GRAD_STYLE)
    return label


def _reference_label(result: Result, i: int, mark: str, edge: Text | None) -> Text:
    node = result.tape.nodes[i]
    head = Text()
    head.append(node.id, style="bold")
    if node.display_name:
        head.append(" " + node.display_name, style="bold")
    parts = [head]
    if edge is not None:
        parts.append(edge)
    parts.append(Text(mark, style=MARK_STYLE))
    return Text("   ").join(parts)


def graph_tree(result: Result, digits: int | None = DEFAULT_DIGITS, max_depth: int = MAX_DEPTH,
               max_nodes: int = MAX_NODES) -> Group:
    """The trees (usually one) from the output down, then a note on nodes off every path to the output."""
    tape = result.tape
    kinks = kink_nodes(result)
    state = [_NEW] * len(tape.nodes)
    roots: deque[int] = deque([tape.output])
    state[tape.output] = _DEFERRED
    parts: list = []
    drawn = 0  # lines of nodes
    while roots and drawn < max_nodes:
        root = roots.popleft()
        continued = bool(parts)
        tree = Tree(Text(""), guide_style="dim")
        # (node, parent node, argument position, the Tree its line is added to (None: the root's), depth);
        # a line is added to its parent only when popped, so a drawing cut short leaves no empty lines
        stack = [(root, None, 0, None, 0)]
        while stack and drawn < max_nodes:
            i, parent, k, parent_branch, depth = stack.pop()
            branch = tree if parent_branch is None else parent_branch.add(Text(""))
            drawn += 1
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
            # children in argument order: pushed reversed so they are visited (and added) in order
            for k2 in range(len(tape.nodes[i].args) - 1, -1, -1):
                stack.append((tape.nodes[i].args[k2], i, k2, branch, depth + 1))
        if parts:
            parts.append(Text(""))
        parts.append(tree)
        if stack:
            break  # stopped at max_nodes within this tree
    else:
        if roots:  # stopped at max_nodes between trees
            return _cut_short(result, parts, state, max_nodes)
        unreached = [i for i in range(len(tape.nodes)) if state[i] == _NEW]
        if unreached:
            parts.append(_unreached_note(tape, unreached))
        return Group(*parts)
    return _cut_short(result, parts, state, max_nodes)


def _unreached_note(tape, unreached: list[int]) -> Text:
    listed = ", ".join(tape.nodes[i].id + (f" {tape.nodes[i].name}" if tape.nodes[i].name else "")
                       for i in unreached[:UNREACHED_LISTED])
    more = f" and {len(unreached) - UNREACHED_LISTED} more" if len(unreached) > UNREACHED_LISTED else ""
    return Text(f"not on any path to the output: {listed}{more}", style=MARK_STYLE)


def _cut_short(result: Result, parts: list, state: list, max_nodes: int) -> Group:
    """The trees drawn so far, a note on the nodes left out, and the nodes off every path to the output."""
    tape = result.tape
    on_path = reaches_output(tape)
    left_out = sum(1 for i, s in enumerate(state) if on_path[i] and s == _NEW)
    parts.append(Text(""))
    parts.append(Text(f"... the tree stops after {max_nodes:,} lines: {left_out:,} more nodes are not drawn "
                      f"(--graph dot or --graph mermaid draws the whole graph)", style=MARK_STYLE))
    unreached = [i for i in range(len(tape.nodes)) if not on_path[i]]
    if unreached:
        parts.append(_unreached_note(tape, unreached))
    return Group(*parts)
