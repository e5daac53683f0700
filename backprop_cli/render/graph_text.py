"""The computational graph as text other tools draw: Graphviz DOT and Mermaid flowcharts.

Pure functions from a `Result` to a string. Nothing is computed here: every
number is a value, gradient or local derivative already in the Result, written
by `numbers.format_number`.

What a picture shows, in both formats:
- one box per node: its id and name, its operation in source form (`a + b`),
  then `value V | grad G` (the words keep the two apart without colour);
- one edge per argument, from the argument to the node (data flows left to
  right), labelled with the local derivative `∂node/∂arg = D`; edges that carry
  no gradient (into constants, or off every path to the output) are dashed;
- inputs, constants, intermediate operations and the output are styled apart.

With vectors and matrices (a TensorResult) a tensor node has a line with its shape and its value and
gradient over lines, as the eval tables abbreviate them, and an edge carries the local rule at tensor level
(`∂L/∂W = ∂L/∂y · xᵀ`): render/tensor_graph.py writes those lines, loaded only for such a program.

User text (names, literals, the program) is escaped for each format, and every
label line is shortened to LABEL_LIMIT characters, so graphs of several hundred
nodes stay valid and legible.

Both texts are made line by line (dot_lines, mermaid_lines), so a caller can write them as they come. For a
picture of a big graph, nearest_the_output chooses the nodes nearest the output that Graphviz lays out
quickly (layout_span estimates its work), and dot_lines draws those, the rest counted in one node.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..base.numbers import DEFAULT_DIGITS, format_number
from ..engine.compute import Result
from ..engine.tape import CONST, INPUT
from .progress import identity

LABEL_LIMIT = 40  # characters per label line; longer ones end in an ellipsis
RULE_LIMIT = 60  # characters of a tensor rule on an edge (`∂L/∂v4 = ∂L/∂v5, copied along the summed axes`: 46)
CAPTION_LIMIT = 80
CAPTION_INPUTS = 8  # bindings listed in the DOT caption before "…"

# Mermaid renderers (GitHub's included) refuse diagrams past these limits, and a
# diagram cannot raise them for itself.
MERMAID_MAX_TEXT = 50_000
MERMAID_MAX_EDGES = 500

INPUT_KIND, CONST_KIND, OP_KIND, OUTPUT_KIND = "input", "const", "op", "output"

VALUE_COLOR = "#1d4ed8"  # blue: values
GRAD_COLOR = "#be185d"  # magenta: gradients
LOCAL_COLOR = "#047857"  # green: local derivatives on the edges
KINK_COLOR = "#dc2626"


# ---- what each node and edge says (shared by DOT, Mermaid and the tree) ----

def shorten(text: str, limit: int = LABEL_LIMIT) -> str:
    """One line of at most `limit` characters, ending in an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def node_kind(result: Result, i: int) -> str:
    tape = result.tape
    if i == tape.output:
        return OUTPUT_KIND
    op = tape.nodes[i].op
    return INPUT_KIND if op == INPUT else CONST_KIND if op == CONST else OP_KIND


def node_title(result: Result, i: int) -> str:
    """`v3`, `v3 e` (a named node), `v6 L (output)`."""
    node = result.tape.nodes[i]
    title = f"{node.id} {node.display_name}" if node.display_name else node.id
    return title + " (output)" if i == result.tape.output else title


def node_operation(result: Result, i: int) -> str:
    """The operation in source form over the arguments' labels: `a + b`, `input`, `constant 2`."""
    node = result.tape.nodes[i]
    if node.op == INPUT:
        return "input"
    if node.op == CONST:
        return f"constant {node.text}"
    return result.tape.expression(i)


def value_text(result: Result, i: int, digits: int | None) -> str:
    return "value " + format_number(result.values[i], digits)


def grad_text(result: Result, i: int, digits: int | None) -> str | None:
    """`grad G`, or None for a node that is not differentiated (a constant)."""
    grad = result.grads[i]
    return None if grad is None else "grad " + format_number(grad, digits)


def kink_nodes(result: Result) -> set[int]:
    return {k.node for k in result.kinks}


KINK_TEXT = "on a kink: grad by convention"


@dataclass(frozen=True)
class Edge:
    source: int  # the argument
    target: int  # the node that uses it
    local: str | None  # "∂v3/∂a = 1", or None when the edge carries no gradient


def iter_edges(result: Result, digits: int | None, nodes=None):
    """The argument edges of `nodes` (every node, by default), in tape order, each with its local derivative
    when it has one (with vectors and matrices, its local rule: render/tensor_graph.py); made one at a time,
    so a big graph's edges are never all held at once."""
    tape = result.tape
    if nodes is None:
        nodes = range(len(tape.nodes))
    if result.tensor:
        from .tensor_graph import tensor_edges

        for edge in tensor_edges(result, nodes):
            yield Edge(*edge)
        return
    for i in nodes:
        partials = result.partials[i]
        for k, a in enumerate(tape.nodes[i].args):
            d = None if partials is None else partials[k]
            local = None if d is None else f"∂{tape.label(i)}/∂{tape.label(a)} = {format_number(d, digits)}"
            yield Edge(a, i, local)


def edges(result: Result, digits: int | None) -> list[Edge]:
    """Every argument edge, in tape order (iter_edges over the whole graph)."""
    return list(iter_edges(result, digits))


def edge_count(result: Result, nodes=None) -> int:
    tape = result.tape
    if nodes is None:
        return sum(len(node.args) for node in tape.nodes)
    return sum(len(tape.nodes[i].args) for i in nodes)


# ---- a picture of a big graph: the nodes nearest the output ----

@dataclass(frozen=True)
class Cut:
    """The part of a big graph a picture draws: `drawn`, the nodes nearest the output (in tape order), of
    `total`; `fed`, the drawn nodes with an argument that is not drawn (their edges end in one node that
    counts the rest)."""
    drawn: list[int]
    total: int
    fed: list[int]

    @property
    def not_drawn(self) -> int:
        return self.total - len(self.drawn)


def nearest_the_output(result: Result, limit: int, budget: int) -> Cut | None:
    """The nodes nearest the output a picture draws: the output, then what feeds it, breadth first backwards
    (an explicit queue), at most `limit` of them and as many as keep layout_span within `budget`; None when
    the whole graph is within both and is drawn whole."""
    tape = result.tape
    nodes = tape.nodes
    order = [tape.output]  # breadth first from the output: the picture of k nodes draws the first k
    seen = bytearray(len(nodes))
    seen[tape.output] = 1
    at = 0
    while at < len(order) and len(order) < limit + 1:
        for a in nodes[order[at]].args:
            if not seen[a]:
                seen[a] = 1
                order.append(a)
        at += 1
    if len(nodes) <= limit and layout_span(tape, range(len(nodes))) <= budget:
        return None
    low, high = 1, min(limit, len(order))  # the most nodes within the budget (the span grows with them)
    while low < high:
        middle = (low + high + 1) // 2
        if layout_span(tape, sorted(order[:middle])) <= budget:
            low = middle
        else:
            high = middle - 1
    drawn = sorted(order[:low])
    kept = set(drawn)
    fed = [i for i in drawn if any(a not in kept for a in nodes[i].args)]
    return Cut(drawn, len(nodes), fed)


def layout_span(tape, drawn) -> int:
    """How many ranks the edges among the `drawn` nodes (in tape order) cross, as Graphviz's `dot` ranks them
    left to right: each node one rank after its furthest argument, a node without drawn arguments one rank
    before its first user; the edges into a node whose arguments are not all drawn come from one node before
    them all. `dot` adds a node of its own on every rank an edge crosses and its layout time grows about as
    the square of those (measured: a span of 1,700 laid out in 1 s, 3,600 in 4.6 s, 7,300 in 80 s)."""
    rank: dict[int, int] = {}
    users_rank: dict[int, int] = {}
    for i in drawn:
        args = tape.nodes[i].args
        inside = [rank[a] for a in args if a in rank]
        rank[i] = max(inside, default=0) + 1  # rank 0: the node that counts the nodes not drawn
    for i in reversed(drawn):  # pull a node without drawn arguments next to its first user
        if not any(a in rank for a in tape.nodes[i].args) and i in users_rank:
            rank[i] = users_rank[i] - 1
        for a in tape.nodes[i].args:
            if a in rank:
                users_rank[a] = min(users_rank.get(a, rank[i]), rank[i])
    span = 0
    fed_ranks = []
    for i in drawn:
        args = tape.nodes[i].args
        span += sum(rank[i] - rank[a] for a in args if a in rank)
        if any(a not in rank for a in args):
            fed_ranks.append(rank[i])
    if fed_ranks:  # the edges from the node counting the rest, placed before the first it feeds
        span += sum(fed_ranks) - len(fed_ranks) * (min(fed_ranks) - 1)
    return span


def cut_words(cut: Cut) -> tuple[str, str]:
    """The two lines of the node that stands for the nodes not drawn."""
    return (f"… {cut.not_drawn:,} more nodes not drawn",
            "the whole graph: --graph dot, mermaid or tree")


def cut_note(cut: Cut, fmt: str) -> str:
    """What standard error (and the JSON's "graph" key) says of a picture cut short."""
    return (f"the {fmt} picture draws the {len(cut.drawn):,} nodes nearest the output, of {cut.total:,} "
            f"(Graphviz's layout time grows far faster than the graph); the other {cut.not_drawn:,} end in one node that counts "
            "them. --graph dot, --graph mermaid and --graph tree write the whole graph")


def caption(result: Result, digits: int | None) -> str:
    """The program on one line and the point: `(a+b)*(b+c) at a = -1, b = 3, c = 4`."""
    lines = [line.strip() for line in result.tape.source.splitlines()]
    program = shorten("; ".join(line for line in lines if line), CAPTION_LIMIT)
    if result.tensor:
        from .tensor_graph import bindings as tensor_bindings

        bindings = tensor_bindings(result, digits)
    else:
        bindings = [f"{name} = {format_number(value, digits)}" for name, value in result.inputs.items()]
    if len(bindings) > CAPTION_INPUTS:
        bindings = bindings[:CAPTION_INPUTS] + ["…"]
    return f"{program} at {shorten(', '.join(bindings), CAPTION_LIMIT)}" if bindings else program


# ---- Graphviz DOT ----

def dot_string(text: str) -> str:
    """A DOT double-quoted string, one line: backslashes and quotes escaped, and `&` too (Graphviz reads
    entities such as `&amp;` even outside HTML labels)."""
    text = " ".join(text.split())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;") + '"'


def dot_html(text: str) -> str:
    """Text inside a DOT HTML-like label: &, <, >, quotes as entities; one line."""
    text = " ".join(text.split())
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


_DOT_STYLE = {
    INPUT_KIND: 'shape=ellipse, style=filled, fillcolor="#dbeafe", color="#1d4ed8"',
    CONST_KIND: 'shape=box, style="filled,dashed", fillcolor="#f9fafb", color="#9ca3af", fontcolor="#4b5563"',
    OP_KIND: 'shape=box, style="rounded,filled", fillcolor="#f3f4f6", color="#4b5563"',
    OUTPUT_KIND: 'shape=box, style="rounded,filled,bold", peripheries=2, fillcolor="#fef3c7", color="#b45309"',
}


def edge_label(result: Result, edge: Edge) -> str:
    """An edge's label on one line: a local derivative shortened to LABEL_LIMIT, a tensor rule to its own limit."""
    return shorten(edge.local, RULE_LIMIT if result.tensor else LABEL_LIMIT)


_DOT_COLORS = {"value": VALUE_COLOR, "grad": GRAD_COLOR}


def _dot_label(result: Result, i: int, digits: int | None, on_kink: bool) -> str:
    esc = lambda s: dot_html(shorten(s))  # noqa: E731
    if result.tensor:  # a line for the shape, then the value's and the gradient's lines
        from .tensor_graph import number_lines

        numbers = "<br/>".join(f'<font color="{_DOT_COLORS[what]}">{dot_html(text)}</font>' if what in _DOT_COLORS
                               else dot_html(text) for text, what in number_lines(result, i, digits))
    else:
        numbers = f'<font color="{VALUE_COLOR}">{esc(value_text(result, i, digits))}</font>'
        grad = grad_text(result, i, digits)
        if grad is not None:
            numbers += f' | <font color="{GRAD_COLOR}">{esc(grad)}</font>'
    lines = [f"<b>{esc(node_title(result, i))}</b>", esc(node_operation(result, i)), numbers]
    if on_kink:
        lines.append(f'<font color="{KINK_COLOR}">{esc(KINK_TEXT)}</font>')
    return "<" + "<br/>".join(lines) + ">"


def to_dot(result: Result, digits: int | None = DEFAULT_DIGITS, track=identity, cut: Cut | None = None) -> str:
    """The graph as Graphviz DOT, laid out left to right (inputs on the left, the output on the right): the
    lines of dot_lines, joined."""
    return "".join(dot_lines(result, digits, track, cut))


def dot_lines(result: Result, digits: int | None = DEFAULT_DIGITS, track=identity, cut: Cut | None = None):
    """The DOT text line by line (each ending in a new line), made as they are written, so a graph of 100,000
    nodes is never held as one string. `track(items, what, total)` wraps the loops over nodes and edges (a
    progress bar's, render/progress.py). `cut`: draw only its nodes, their other arguments ending in one
    node that counts them (nearest_the_output)."""
    tape = result.tape
    kinks = kink_nodes(result)
    nodes = range(len(tape.nodes)) if cut is None else cut.drawn
    edge_words = "local rule at tensor level" if result.tensor else "local derivative ∂node/∂arg"
    legend = (f'<font color="{VALUE_COLOR}">value</font> | <font color="{GRAD_COLOR}">grad</font>'
              f' = ∂output/∂node;  edges: <font color="{LOCAL_COLOR}">{edge_words}</font>')
    yield "digraph backprop {\n"
    yield ("  graph [rankdir=LR, nodesep=0.25, ranksep=0.5, fontname=\"Helvetica\", fontsize=12, labelloc=t, "
           f"label=<{dot_html(caption(result, digits))}<br/><font point-size=\"10\">{legend}</font>>];\n")
    yield '  node [fontname="Helvetica", fontsize=11, margin="0.12,0.06"];\n'
    yield f'  edge [fontname="Helvetica", fontsize=9, color="#6b7280", fontcolor="{LOCAL_COLOR}", arrowsize=0.7];\n'
    for i in track(nodes, "writing the nodes", len(nodes)):
        style = _DOT_STYLE[node_kind(result, i)]
        if i in kinks:
            style += f', color="{KINK_COLOR}", penwidth=2'
        yield f'  "{tape.nodes[i].id}" [{style}, label={_dot_label(result, i, digits, i in kinks)}];\n'
    drawn = None if cut is None else set(cut.drawn)
    for edge in track(iter_edges(result, digits, nodes), "writing the edges", edge_count(result, nodes), "edges"):
        if drawn is not None and edge.source not in drawn:
            continue
        source, target = tape.nodes[edge.source].id, tape.nodes[edge.target].id
        if edge.local is None:
            yield f'  "{source}" -> "{target}" [style=dashed, color="#9ca3af"];\n'
        else:
            yield f'  "{source}" -> "{target}" [label={dot_string(edge_label(result, edge))}];\n'
    if cut is not None:
        count, how = cut_words(cut)
        yield (f'  "{_CUT_ID}" [shape=note, style="dashed", color="#9ca3af", fontcolor="#4b5563", '
               f'label=<<b>{dot_html(count)}</b><br/>{dot_html(how)}>];\n')
        for i in cut.fed:
            yield f'  "{_CUT_ID}" -> "{tape.nodes[i].id}" [style=dashed, color="#9ca3af"];\n'
    yield "}\n"


_CUT_ID = "not drawn"  # a node id no tape node has (theirs are v1, v2, ...)


# ---- Mermaid ----

def mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label, one line; characters Mermaid or HTML would read become entity codes."""
    text = " ".join(text.split())
    return (text.replace("#", "#35;").replace("&", "#38;").replace("%", "#37;").replace('"', "#quot;")
            .replace("<", "#lt;").replace(">", "#gt;").replace("`", "#96;"))


_MERMAID_SHAPE = {  # opening and closing brackets around the quoted label
    INPUT_KIND: ("([", "])"),  # stadium
    CONST_KIND: ("(", ")"),  # rounded
    OP_KIND: ("[", "]"),  # rectangle
    OUTPUT_KIND: ("[[", "]]"),  # subroutine: a doubled border
}

_MERMAID_CLASSES = (
    (INPUT_KIND, "fill:#dbeafe,stroke:#1d4ed8,color:#111827"),
    (CONST_KIND, "fill:#f9fafb,stroke:#9ca3af,stroke-dasharray:4 3,color:#4b5563"),
    (OP_KIND, "fill:#f3f4f6,stroke:#4b5563,color:#111827"),
    (OUTPUT_KIND, "fill:#fef3c7,stroke:#b45309,stroke-width:3px,color:#111827"),
    ("kink", "stroke:#dc2626,stroke-width:3px"),
)
_CLASS_CHUNK = 40  # node ids per `class` line


def to_mermaid(result: Result, digits: int | None = DEFAULT_DIGITS, track=identity) -> str:
    """The graph as a Mermaid flowchart (left to right), for a ```mermaid block in Markdown: the lines of
    mermaid_lines, joined."""
    return "".join(mermaid_lines(result, digits, track))


def mermaid_lines(result: Result, digits: int | None = DEFAULT_DIGITS, track=identity):
    """The Mermaid text line by line (each ending in a new line), made as they are written. `track`: as
    dot_lines."""
    tape = result.tape
    kinks = kink_nodes(result)
    yield "flowchart LR\n"
    members: dict[str, list[str]] = {kind: [] for kind, _ in _MERMAID_CLASSES}
    for i, node in track(enumerate(tape.nodes), "writing the nodes", len(tape.nodes)):
        kind = node_kind(result, i)
        if result.tensor:  # a line for the shape, then the value's and the gradient's lines
            from .tensor_graph import number_lines

            numbers = [text for text, _ in number_lines(result, i, digits)]
        else:
            numbers = [value_text(result, i, digits)]
            grad = grad_text(result, i, digits)
            if grad is not None:
                numbers = [f"{numbers[0]} | {grad}"]
        lines = [node_title(result, i), node_operation(result, i), *numbers]
        if i in kinks:
            lines.append(KINK_TEXT)
            members["kink"].append(node.id)
        opening, closing = _MERMAID_SHAPE[kind]
        label = "<br/>".join(mermaid_text(shorten(line)) for line in lines)
        yield f'  {node.id}{opening}"{label}"{closing}\n'
        members[kind].append(node.id)
    for edge in track(iter_edges(result, digits), "writing the edges", edge_count(result), "edges"):
        source, target = tape.nodes[edge.source].id, tape.nodes[edge.target].id
        if edge.local is None:
            yield f"  {source} -.-> {target}\n"
        else:
            yield f'  {source} -->|"{mermaid_text(edge_label(result, edge))}"| {target}\n'
    for kind, style in _MERMAID_CLASSES:
        if members[kind]:
            yield f"  classDef {kind} {style}\n"
    for kind, _ in _MERMAID_CLASSES:
        ids = members[kind]
        for start in range(0, len(ids), _CLASS_CHUNK):
            yield f"  class {','.join(ids[start:start + _CLASS_CHUNK])} {kind}\n"


def mermaid_limit_note(result: Result, text: str | int) -> str | None:
    """Why common Mermaid renderers would refuse this diagram (its text, or the number of its characters), or
    None when it is within their limits."""
    count = edge_count(result)
    characters = text if isinstance(text, int) else len(text)
    if count > MERMAID_MAX_EDGES or characters > MERMAID_MAX_TEXT:
        return (f"this Mermaid diagram has {count:,} edges and {characters:,} characters; Mermaid renderers (GitHub's "
                f"too) draw at most {MERMAID_MAX_EDGES:,} edges and {MERMAID_MAX_TEXT:,} characters, so use "
                "--graph svg or --graph dot for a graph this size")
    return None
