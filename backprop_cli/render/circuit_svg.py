"""The computational graph drawn the way cs231n's notes draw circuits, as SVG for the HTML answer key.

Gates are circles holding their operation (`+`, `*`, `exp`), a literal operand folded in as the notes
write `*-1` and `+1` (`*2`, `^2`); inputs are wires entering from the left, their names before them.
Every node has a wire leaving it, with its value written above the wire in green and its gradient
∂out/∂node below it in red, and the wire runs on to the gates that use the node. A gate's label stands
above it: its name, the call it is the result of, or u1, u2 for an unnamed one, as the steps call it
(`Words`, which also writes the numbers as the steps do).

Layout, in Python and without Graphviz: layered by depth, left to right (inputs and literals in the
first column, each gate one column right of its deepest argument), each gate placed at the mean height
of its arguments and pushed down below the gate above it when they would overlap. It is one loop
over the tape in order and a sort per column: deterministic, linear in the program's size but for
the sorts, no recursion. Pictures of more than MAX_NODES nodes are not drawn (`too_big` says so);
the HTML page says why and points to `backprop eval --graph svg`.

The SVG is well-formed XML, and every piece of text in it, names included, is escaped with `escape`
(the five XML specials), so it reads as text in an HTML page and in an SVG file alike. Nothing is
computed here: the numbers are the Result's, written by `numbers.format_number`.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape as _escape

from ..base.numbers import DEFAULT_DIGITS
from ..engine.compute import Result
from ..engine.ops import OPS
from ..engine.tape import CONST, INPUT
from ..teaching.steps import key_labels
from .explain_parts import number_text
from .graph_text import shorten

MAX_NODES = 150  # gates and wires drawn at most; a bigger program's page has its steps and no picture

VALUE_COLOR = "#15803d"  # green, as the notes write values
GRAD_COLOR = "#b91c1c"  # red, as the notes write gradients
LINE_COLOR = "#1f2937"
KINK_COLOR = "#d97706"
OUTPUT_COLOR = "#b45309"
LABEL_COLOR = "#374151"

FONT = 14  # px, the numbers (monospace, so their width is known)
CHAR = 8.6  # px per character of a 14 px monospace font, with a little room
RADIUS = 18  # a gate's circle
ROW = 86  # px between the wires of two nodes in one column
GAP = 56  # px between a column's wires and the next column's gates
MIN_WIRE = 56
NAME_LIMIT = 18  # characters of a gate's or an input's label
SYMBOL_LIMIT = 14  # characters of the operation written in a gate
MARGIN = 16


def escape(text: str) -> str:
    """Text for an XML or HTML element or a quoted attribute: & < > " ' as entities."""
    return _escape(text, quote=True)


@dataclass(frozen=True)
class Box:
    """Where one node is drawn: its gate (none for an input or a constant) and the wire leaving it."""

    node: int
    column: int
    y: float
    gate_x: float  # the gate's centre (for a leaf, where its wire starts)
    gate_width: float  # 0 for a leaf
    wire_start: float
    wire_end: float


def folded(result: Result) -> list[bool]:
    """The unnamed literals written inside the gates that use them (`*2`) instead of drawn as wires."""
    tape = result.tape
    return [node.op == CONST and node.name is None and i != tape.output and len(node.text or "") <= 8
            for i, node in enumerate(tape.nodes)]


def drawn_count(result: Result) -> int:
    return folded(result).count(False)


def too_big(result: Result) -> bool:
    return drawn_count(result) > MAX_NODES


def gate_symbol(result: Result, i: int, fold: list[bool]) -> str:
    """The operation written in a gate: `+`, `*2`, `^2`, `exp`, `max(·, 0)`."""
    tape = result.tape
    node = tape.nodes[i]
    template = OPS[node.op].template_for(len(node.args))
    texts = [tape.nodes[a].text if fold[a] else "" for a in node.args]
    if template[:1].isalpha():  # a call: its name, and literal arguments in place
        name = template[:template.index("(")]
        symbol = name if not any(texts) else f"{name}({', '.join(t or '·' for t in texts)})"
    else:
        symbol = template.format(*texts).replace(" ", "") or "="
    return shorten(symbol, SYMBOL_LIMIT)


@dataclass(frozen=True)
class Words:
    """How the picture writes nodes and numbers: as the worked steps do (labels u1, u2 for the unnamed
    intermediates, exact values as decimals unless the key writes fractions)."""

    labels: list[str]
    digits: int | None
    decimals: bool

    def label(self, i: int) -> str:
        return shorten(self.labels[i], NAME_LIMIT)

    def numbers(self, result: Result, i: int) -> tuple[str, str | None]:
        grad = result.grads[i]
        value = number_text(result.values[i], self.digits, self.decimals)
        return value, None if grad is None else number_text(grad, self.digits, self.decimals)


def words_for(result: Result, digits: int | None = DEFAULT_DIGITS, decimals: bool = False,
              labels: list[str] | None = None) -> Words:
    return Words(labels if labels is not None else key_labels(result.tape), digits, decimals)


def _mean(numbers: list[float]) -> float:
    return sum(numbers) / len(numbers)


def _width(text: str) -> float:
    return len(text) * CHAR


def layout(result: Result, words: Words | None = None) -> list[Box]:
    """Every drawn node's place, in tape order (see the module docstring)."""
    words = words or words_for(result)
    tape = result.tape
    fold = folded(result)
    nodes = tape.nodes
    column = [0] * len(nodes)
    for i, node in enumerate(nodes):  # the tape is in evaluation order: arguments come first
        if node.op != INPUT and node.op != CONST:
            column[i] = 1 + max((column[a] for a in node.args if not fold[a]), default=-1)
    drawn = [i for i in range(len(nodes)) if not fold[i]]
    count = 1 + max((column[i] for i in drawn), default=0)
    members: list[list[int]] = [[] for _ in range(count)]
    for i in drawn:
        members[column[i]].append(i)

    # widths: a column is as wide as its widest gate (or gate label) and its longest wire
    gate_width = [0.0] * len(nodes)
    wire = [0.0] * len(nodes)
    for i in drawn:
        value, grad = words.numbers(result, i)
        wire[i] = max(MIN_WIRE, _width(value) + 16, _width(grad or "") + 16)
        if nodes[i].op != INPUT and nodes[i].op != CONST:
            gate_width[i] = max(2 * RADIUS, _width(gate_symbol(result, i, fold)) + 18)
    lefts, rooms, wires = [], [], []
    x = MARGIN + max((_width(words.label(i)) + 10 for i in members[0] if not gate_width[i]), default=0)
    for c in range(count):
        lefts.append(x)
        rooms.append(max((max(gate_width[i], _width(words.label(i))) for i in members[c] if gate_width[i]),
                         default=0))
        wires.append(max(wire[i] for i in members[c]))
        x += rooms[c] + wires[c] + GAP

    # heights: the first column in tape order; each later gate at the mean height of its arguments, pushed
    # down below the one above it where they would overlap
    y = [0.0] * len(nodes)
    top = MARGIN + 40.0  # room for the first gate's label and value
    for c in range(count):
        if c == 0:
            order = [(top + k * ROW, i) for k, i in enumerate(members[0])]
        else:
            order = sorted((_mean([y[a] for a in nodes[i].args if not fold[a]]), i) for i in members[c])
        last = None
        for desired, i in order:
            y[i] = max(desired, top) if last is None else max(desired, last + ROW)
            last = y[i]

    boxes = []
    for i in drawn:
        c = column[i]
        room = rooms[c]
        if gate_width[i]:
            centre = lefts[c] + room / 2
            start = centre + gate_width[i] / 2
        else:  # a leaf: the wire starts where the column starts, its name before it
            centre = start = lefts[c]
        end = lefts[c] + room + wires[c]
        boxes.append(Box(i, c, y[i], centre, gate_width[i], start, end))
    return boxes


def _text(x: float, y: float, text: str, cls: str, fill: str, anchor: str = "start", size: int = FONT,
          weight: str | None = None, mono: bool = True) -> str:
    family = ' font-family="ui-monospace, Menlo, Consolas, monospace"' if mono else ""
    bold = f' font-weight="{weight}"' if weight else ""
    return (f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"'
            f'{family}{bold} fill="{fill}">{escape(text)}</text>')


def circuit_svg(result: Result, words: Words | None = None) -> str:
    """The circuit as one <svg> element (well-formed XML, text escaped), for an HTML page or a file; its
    nodes and numbers written as `words` says (by default as a worked solution with fractions calls them)."""
    words = words or words_for(result)
    tape = result.tape
    fold = folded(result)
    boxes = layout(result, words)
    where = {box.node: box for box in boxes}
    kinks = {k.node for k in result.kinks}
    output = tape.output
    out_label = words.label(output)
    width = max((box.wire_end for box in boxes), default=0) + MARGIN
    height = max((box.y for box in boxes), default=0) + 40 + MARGIN
    description = f"the circuit of {out_label}: values in green above each wire, gradients in red below"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="circuit" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(description)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{LINE_COLOR}"/></marker></defs>',
    ]
    # the wires into the gates first, so the gates are drawn over their ends
    for box in boxes:
        node = tape.nodes[box.node]
        if not box.gate_width:
            continue
        target = box.gate_x - box.gate_width / 2
        for a in node.args:
            if fold[a]:
                continue
            source = where[a]
            x1, y1, x2, y2 = source.wire_end, source.y, target, box.y
            bend = max(20.0, (x2 - x1) / 2)
            parts.append(f'<path class="edge" d="M {x1:.1f} {y1:.1f} C {x1 + bend:.1f} {y1:.1f}, '
                         f'{x2 - bend:.1f} {y2:.1f}, {x2:.1f} {y2:.1f}" fill="none" stroke="{LINE_COLOR}" '
                         'stroke-width="1.2" marker-end="url(#arrow)"/>')
    for box in boxes:
        i = box.node
        node = tape.nodes[i]
        value, grad = words.numbers(result, i)
        label = words.label(i)
        parts.append(f'<g class="node" id="{escape(node.id)}">')
        parts.append(f"<title>{escape(_title(result, words, i, value, grad, i in kinks))}</title>")
        stroke = KINK_COLOR if i in kinks else OUTPUT_COLOR if i == output else LINE_COLOR
        if box.gate_width:
            dash = ' stroke-dasharray="4 3"' if i in kinks else ""
            heavy = "2.5" if i == output or i in kinks else "1.2"
            h = 2 * RADIUS
            parts.append(f'<rect class="gate" x="{box.gate_x - box.gate_width / 2:.1f}" y="{box.y - RADIUS:.1f}" '
                         f'width="{box.gate_width:.1f}" height="{h}" rx="{RADIUS}" ry="{RADIUS}" fill="#ffffff" '
                         f'stroke="{stroke}" stroke-width="{heavy}"{dash}/>')
            parts.append(_text(box.gate_x, box.y + 5, gate_symbol(result, i, fold), "symbol", LINE_COLOR, "middle",
                               16, mono=False))
            parts.append(_text(box.gate_x, box.y - RADIUS - 6, label, "label", LABEL_COLOR, "middle", 13,
                               "bold" if node.name else None, mono=False))
        else:  # an input (or a named literal): its name before its wire, as the notes write x, y, z
            parts.append(_text(box.wire_start - 6, box.y + 5, label, "label", LABEL_COLOR, "end", 15, "bold",
                               mono=False))
        parts.append(f'<line class="wire" x1="{box.wire_start:.1f}" y1="{box.y:.1f}" x2="{box.wire_end:.1f}" '
                     f'y2="{box.y:.1f}" stroke="{stroke}" stroke-width="{2.5 if i == output else 1.2}"/>')
        parts.append(_text(box.wire_start + 6, box.y - 6, value, "value", VALUE_COLOR))
        if grad is not None:
            parts.append(_text(box.wire_start + 6, box.y + 18, grad, "grad", GRAD_COLOR))
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def _title(result: Result, words: Words, i: int, value: str, grad: str | None, on_kink: bool) -> str:
    """The tooltip of a node: `u1 (v3) = a + b: value 2, ∂u3/∂u1 = 7`."""
    tape = result.tape
    node = tape.nodes[i]
    labels = words.labels
    head = labels[i] if labels[i] == node.id else f"{labels[i]} ({node.id})"
    if node.op == CONST:
        head += f" = {node.text}"
    elif node.op != INPUT:
        head += " = " + OPS[node.op].template_for(len(node.args)).format(*(labels[a] for a in node.args))
    text = f"{head}: value {value}"
    if grad is not None:
        text += f", ∂{labels[tape.output]}/∂{labels[i]} = {grad}"
    if on_kink:
        text += " (on a kink: the gradient is a convention)"
    return text
