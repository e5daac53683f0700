"""Vectors and matrices as lowering meets them: `A @ B`, `W.T`, list literals, `x[k]`, and the tensor functions.

The syntax tree has them as `Apply("matmul")`, `Apply("transpose")`, `Apply("stack")` (a list literal),
`Index` and `Slice` records, and calls of the functions below. Each becomes one node of the tape whose
operation is a key of the tensor table (engine/tensor/rules.py) and whose `params` hold what is not a
value: `("axis", 0)` for a reduction along an axis, `("index", (1, Slice(None, None, None)))` for
`W[1, :]`. A list of plain numbers (`[1, 2]`, `[[0.1, 0.2], [0.3, 0.4]]`) is one constant node, its text
written canonically; a list with an expression in it (`[a, 2*b]`) is a `stack` node over its elements.

Shapes are not known here (they come with the inputs' values): engine/shaping.py checks them and picks
the elementwise or reducing meaning of `max(x)` and the like. Nothing of engine/tensor is imported until a
program indexes something, so a scalar program loads none of it.

TensorLowering is a part of tape._Builder, as calls.CallLowering is: it uses the builder's columns (ops,
args, names, texts, spans), `params`, `add` and `error`.
"""
from __future__ import annotations

from ..language.build import unknown_keyword
from ..language.syntax_tree import Apply, Index, Name, Number, Slice

# A function called by name -> (the tensor operation, how many arguments it takes, whether it takes axis=).
# dot and matmul are the matrix product (np.dot, W.dot(x), torch.matmul); maximum and minimum are NumPy's
# elementwise max and min of two arguments (np.maximum(0, h)).
TENSOR_FUNCTIONS: dict[str, tuple[str, int, bool]] = {
    "dot": ("matmul", 2, False),
    "matmul": ("matmul", 2, False),
    "transpose": ("transpose", 1, False),
    "softmax": ("softmax", 1, True),
    "log_softmax": ("log_softmax", 1, True),
    "cross_entropy": ("cross_entropy", 2, False),
    "mse": ("mse", 2, False),
    "mse_loss": ("mse", 2, False),
    "norm": ("norm", 1, False),
    "maximum": ("max", 2, False),
    "minimum": ("min", 2, False),
}
# Functions of any number of arguments that, given one tensor, reduce it, and take axis= to reduce along an axis.
AXIS_FUNCTIONS = frozenset({"sum", "mean", "max", "min", "logsumexp"})
AXIS_KEYWORDS = ("axis", "dim")  # NumPy's and PyTorch's names for it
# Operators of the tensor syntax (not calls): `A @ B`, `W.T`, `[a, b]`, with their numbers of arguments.
TENSOR_OPERATORS = {"matmul": 2, "transpose": 1}
STACK = "stack"
INDEX = "index"
# The operations a tape node may have that only a tensor program has.
TENSOR_ONLY = frozenset({"matmul", "transpose", STACK, INDEX, "softmax", "log_softmax", "cross_entropy", "mse",
                         "norm"})


def is_tensor_apply(node: Apply, functions=()) -> bool:
    """Whether `node` is a piece of the tensor syntax: an operator of it, a tensor function, or a reduction
    given axis= (a function the program defines under such a name is the program's)."""
    if not node.is_call:
        return node.op in TENSOR_OPERATORS or node.op == STACK
    if node.op in functions:
        return False
    return node.op in TENSOR_FUNCTIONS or (node.op in AXIS_FUNCTIONS and bool(node.keywords))


def plain_int(expr) -> int | None:
    """The value of a whole number written as one, signed or not (`0`, `-1`), else None."""
    text = plain_number(expr)
    if text is None:
        return None
    sign = text.startswith("-")
    digits = text.lstrip("+-")
    return (-int(digits) if sign else int(digits)) if digits.isdigit() else None


def plain_number(expr) -> str | None:
    """The text of a plain number, signed or not (`3`, `-4.0`, what Value(-4.0) reads as), else None."""
    sign = ""
    while type(expr) is Apply and not expr.is_call and expr.op in ("neg", "pos") and len(expr.args) == 1:
        sign = ("-" if sign != "-" else "") if expr.op == "neg" else sign
        expr = expr.args[0]
    if type(expr) is Number:
        return sign + expr.text
    return None


def plain_literal(expr) -> str | None:
    """A plain number's text, or a list of plain numbers written canonically (`[[1, 2], [3, -4]]`), else
    None. Nested lists are read level by level, without recursion."""
    number = plain_number(expr)
    if number is not None:
        return number
    if type(expr) is not Apply or expr.is_call or expr.op != STACK:
        return None
    # post-order over the nested lists with an explicit stack: (node, done) pairs
    texts: dict[int, str] = {}
    stack: list = [(expr, False)]
    while stack:
        node, done = stack.pop()
        if not done:
            stack.append((node, True))
            for arg in node.args:
                if type(arg) is Apply and not arg.is_call and arg.op == STACK:
                    stack.append((arg, False))
                elif plain_number(arg) is None:
                    return None
            continue
        parts = [texts.pop(id(arg)) if type(arg) is Apply and arg.op == STACK else plain_number(arg)
                 for arg in node.args]
        texts[id(node)] = "[" + ", ".join(parts) + "]"
    return texts[id(expr)]


def _created(expr) -> int:
    """How many nodes lowering made for a plain element of a list: a number and its signs; a plain list: 1."""
    count = 1
    while type(expr) is Apply and expr.op in ("neg", "pos"):
        count += 1
        expr = expr.args[0]
    return count


class TensorLowering:
    """tape._Builder's part that knows vectors and matrices (see the module's docstring)."""

    def truncate(self, first: int) -> None:
        """Forget the nodes from `first` on (made for a keyword's value or a literal's elements)."""
        for column in (self.ops, self.args, self.names, self.texts, self.spans):
            del column[first:]

    def tensor_apply(self, node: Apply, count: int, results: list) -> int:
        """Lower an operator or call of the tensor syntax whose arguments are lowered (the last `count` of
        `results`); the position of its node."""
        self.tensor = True
        if not node.is_call:
            op, arity, takes_axis = node.op, TENSOR_OPERATORS.get(node.op), False
        elif node.op in TENSOR_FUNCTIONS:
            op, arity, takes_axis = TENSOR_FUNCTIONS[node.op]
        else:  # sum(W, axis=0): a reduction of one tensor
            op, arity, takes_axis = node.op, 1, True
        params: tuple = ()
        if node.keywords:
            params = (("axis", self.axis(node, takes_axis, results)),)
            count -= 1
        if arity is not None and count != arity:
            plural = "argument" if arity == 1 else "arguments"
            raise self.error(node.span, f"{node.op} takes {arity} {plural}, not {count}")
        if op == STACK:
            literal = plain_literal(node)
            if literal is not None:  # a tensor of plain numbers: one constant
                first = len(self.ops) - sum(map(_created, node.args))
                del results[len(results) - count:]
                self.truncate(first)
                return self.add("const", text=literal, span=node.span)
        args = tuple(results[len(results) - count:])
        del results[len(results) - count:]
        at = self.add(op, args, span=node.span)
        if params:
            self.params[at] = params
        return at

    def axis(self, node: Apply, takes_axis: bool, results: list) -> int:
        """The axis a call gives by keyword (its last argument), its nodes taken off the tape again."""
        for keyword in node.keywords:
            if not takes_axis:
                raise self.error(keyword.span, f"{node.op} takes no argument by keyword ({keyword.name}=...)")
            if keyword.name not in AXIS_KEYWORDS:
                raise self.error(keyword.span, unknown_keyword(keyword.name, node.op, ("axis",)))
        if len(node.keywords) > 1:
            raise self.error(node.keywords[1].span, "the axis is given twice")
        keyword, value = node.keywords[0], node.args[-1]
        axis = plain_int(value)
        if axis is None:
            raise self.error(value.span, f"{keyword.name} is a whole number written as one, as in "
                             f"{node.op}(W, {keyword.name}=0) or {keyword.name}=-1")
        results.pop()
        self.truncate(len(self.ops) - _created(value))
        return axis

    def index_items(self, node: Index) -> tuple[tuple, list]:
        """The index spec of `node` (ints, Slices and Variables, as engine/tensor/shapes.py has them) and
        the Names whose values are indices (`x[k]`), in order: the index node's arguments after its target."""
        from .tensor.shapes import Slice as SliceSpec
        from .tensor.shapes import Variable

        spec: list = []
        names: list = []
        for item in node.items:
            if type(item) is Slice:
                parts = []
                for part in (item.start, item.stop, item.step):
                    value = None if part is None else plain_int(part)
                    if part is not None and value is None:
                        raise self.error(part.span, "a slice's start, stop and step are whole numbers written as "
                                         "such (x[1:3], x[::-1])")
                    parts.append(value)
                if parts[2] == 0:
                    raise self.error(item.span, "a slice's step cannot be 0")
                spec.append(SliceSpec(*parts))
            elif type(item) is Name:
                names.append(item)
                spec.append(Variable(len(names)))
            else:
                value = plain_int(item)
                if value is None:
                    text = plain_number(item)
                    what = f"not {text}" if text is not None else "a whole number (x[0], x[-1]), a slice (x[1:3]) " \
                                                                  "or the name of an integer input (x[k])"
                    raise self.error(item.span, f"an index is {what}" if text is None else
                                     f"an index is a whole number, {what}")
                spec.append(value)
        return tuple(spec), names

    def index(self, node: Index, results: list, names: list, spec: tuple) -> int:
        """The index node, its target and index names lowered (the last 1 + len(names) of `results`)."""
        self.tensor = True
        count = 1 + len(names)
        args = tuple(results[len(results) - count:])
        del results[len(results) - count:]
        at = self.add(INDEX, args, span=node.span)
        self.params[at] = (("index", spec),)
        return at


class IndexMark:
    """On the lowering stack under an Index's target and names: popped when they are lowered."""

    __slots__ = ("node", "names", "spec")

    def __init__(self, node: Index, spec: tuple, names: list) -> None:
        self.node, self.spec, self.names = node, spec, names


def tensor_key(op: str, count: int, params, shapes=None) -> str:
    """The key of engine/tensor/rules.TENSOR_OPS a node of the tape stands for: a function of any number of
    arguments given one tensor (or an axis) reduces it, `max(x)`, `sum(W, axis=0)`; given several arguments,
    or one number, it is applied elementwise (`max(x, y)`, `np.maximum(0, h)`). `shapes`: the arguments'
    shapes where known (one tensor argument is assumed where not)."""
    from .tensor.rules import TENSOR_OPS, elementwise_key

    if op in AXIS_FUNCTIONS:
        if params or (count == 1 and (shapes is None or shapes[0] != ())):
            return op
        return elementwise_key(op)
    if op in TENSOR_ONLY or op in TENSOR_OPS:
        return op
    return elementwise_key(op)


def written(tape, i: int) -> str:
    """Node i of a tensor program written over its arguments' labels: `W @ x`, `sum(h, axis=0)`, `x[k]`."""
    from .tensor.rules import TENSOR_OPS

    node = tape.nodes[i]
    params = dict(node.params)
    key = node.op if tape.shaped else tensor_key(node.op, len(node.args), params)
    template = TENSOR_OPS[key].written(len(node.args), params)
    return template.format(*(tape.label(a) for a in node.args))
