"""Calls as lowering meets them: the program's own functions, arguments given by keyword, unknown names.

A function the program defines (`f(x) = x^2 + 1`) is checked when its definition is read: its
name and parameters, every name of its body (a name assigned before the definition means the node
it meant there, its closure), every call in it (no recursion: a function calls only the functions
defined before it), and at most how many nodes a call of it appends, so a call is expanded only when
it fits the node limit (language/limits.py). A call is then expanded by tape.py's lowering loop on its
own explicit stack: `enter` binds the parameters to the argument nodes and puts a `Return` under the
body, `leave` labels the body's result with the call (`f(a)`).

Arguments given by keyword (`leaky_relu(x, negative_slope=0.2)`, `f(y=1, x=2)`) are put in the order of
the parameters, named by ops.Op.keywords for the tool's functions, by the definition for the program's.

CallLowering is a part of tape._Builder, kept here so each file holds one concern: it uses the
builder's columns (ops, names, texts, calls), its names (assigned, inputs, will_assign, will_define,
functions), add, error and check_apply.
"""
from __future__ import annotations

from ..language.build import NUMBER_WRAPPERS, unknown_keyword
from ..language.limits import too_many_nodes
from ..language.syntax_tree import Apply, Define, Index, Name, Number, Slice
from .ops import ALIASES, CONST, CONSTANTS, FUNCTIONS, INPUT, OPS
from .tensor_calls import TENSOR_FUNCTIONS, is_tensor_apply

CALL_LABEL_WIDTH = 40  # a call label longer than this is written over its arguments' node ids: f(v3, v7)


class Function:
    """A function the program defines, as lowering needs it: its parameters, the nodes its other names stand
    for (as they were where it was defined), and at most how many nodes a call of it appends."""

    __slots__ = ("definition", "params", "closure", "size", "used")

    def __init__(self, definition: Define, closure: dict, size: int) -> None:
        self.definition = definition
        self.params = tuple(param.name for param in definition.params)
        self.closure = closure
        self.size = size
        self.used = False


class Return:
    """On the lowering stack under a call's body: popped when the body is done, to label its result and go
    back to the caller's names."""

    __slots__ = ("call", "scope", "arguments", "mark")

    def __init__(self, call: Apply, scope: dict, arguments: list, mark: int) -> None:
        self.call, self.scope, self.arguments, self.mark = call, scope, arguments, mark


# The functions by kind, for the message about an unknown one; every function of ops.py is in one group
# (tests/engine/test_functions.py checks it).
FUNCTION_GROUPS = {
    "powers and logarithms": ("exp", "log", "ln", "log2", "log10", "log1p", "expm1", "sqrt", "cbrt", "hypot"),
    "trigonometric": ("sin", "cos", "tan", "asin", "acos", "atan", "atan2"),
    "hyperbolic": ("sinh", "cosh", "tanh", "asinh", "acosh", "atanh"),
    "activations": ("sigmoid", "relu", "leaky_relu", "elu", "softplus", "silu", "swish", "gelu", "erf"),
    "of any number of arguments": ("max", "min", "sum", "mean", "logsumexp"),
    "pieces and rounding": ("abs", "sign", "step", "floor", "ceil", "round"),
    "vectors and matrices": tuple(TENSOR_FUNCTIONS),
}
# What other tools and courses call our functions: suggested when a name is unknown.
KNOWN_AS = {
    "arctan": "atan", "arcsin": "asin", "arccos": "acos", "arctan2": "atan2", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "sigma": "sigmoid", "logistic": "sigmoid", "lg": "log10",
    "ld": "log2", "lb": "log2", "log_e": "log", "exponential": "exp", "sqr": "sqrt", "root": "sqrt",
    "heaviside": "step", "sgn": "sign", "signum": "sign", "absolute": "abs", "fabs": "abs",
    "leakyrelu": "leaky_relu", "leaky": "leaky_relu", "lrelu": "leaky_relu", "relu6": "relu",
    "amax": "max", "amin": "min", "trunc": "floor", "rint": "round",
}


def unknown_function(name: str, defined: tuple = ()) -> tuple[str, str]:
    """(`unknown function arctan (did you mean atan?)`, the functions there are, grouped, a line a group);
    `defined` are the functions the program has defined so far."""
    import difflib

    guess = KNOWN_AS.get(name.lower()) or KNOWN_AS.get(name.lower().replace("_", ""))
    if guess is None:
        close = difflib.get_close_matches(name, defined, n=1, cutoff=0.6)
        close = close or difflib.get_close_matches(name.lower(), [*FUNCTIONS, *ALIASES, *TENSOR_FUNCTIONS], n=1, cutoff=0.8)
        guess = close[0] if close else None
    hint = f" (did you mean {guess}?)" if guess else ""
    groups = "\n".join(f"  {kind}: {' '.join(names)}" for kind, names in FUNCTION_GROUPS.items())
    if defined:
        groups += f"\n  defined by the program (before this line): {' '.join(defined)}"
    return f"unknown function {name}{hint}", f"The functions are:\n{groups}"


class CallLowering:
    """tape._Builder's part that knows calls: keywords, definitions, and the expansion of a call."""

    def parameters(self, node: Apply) -> tuple[tuple[str, ...], int, tuple[str, ...]]:
        """What `node` calls takes: (its parameters' names, how many must be given, the literals of the
        others), for arguments given by keyword."""
        function = self.functions.get(node.op)
        if function is not None:
            return function.params, len(function.params), ()
        op = OPS.get(ALIASES.get(node.op, node.op))
        if op is None or not op.is_function:
            raise self.error(node.span, *unknown_function(node.op, tuple(self.functions)))
        return op.keywords, op.arity - len(op.defaults), op.defaults

    def slots(self, node: Apply) -> list:
        """Where each argument of a call with keywords goes: per parameter, the argument's index, or the
        literal a parameter left out takes (leaky_relu(x, negative_slope=0.2) -> [0, 1])."""
        names, fewest, defaults = self.parameters(node)
        given = len(node.args) - len(node.keywords)
        if not names:
            keyword = node.keywords[0]
            raise self.error(keyword.span, f"{node.op} takes no argument by keyword ({keyword.name}=...)")
        if given > len(names):
            raise self.error(node.span, f"{node.op} takes at most {len(names)} arguments, not {len(node.args)}")
        slots: list = [None] * len(names)
        slots[:given] = range(given)
        for k, keyword in enumerate(node.keywords):
            if keyword.name not in names:
                raise self.error(keyword.span, unknown_keyword(keyword.name, node.op, names))
            at = names.index(keyword.name)
            if slots[at] is not None:
                raise self.error(keyword.span, f"{keyword.name} is given twice, by position and by keyword")
            slots[at] = given + k
        for at, slot in enumerate(slots):
            if slot is None:
                if at < fewest:
                    raise self.error(node.span, f"{node.op} is missing its argument {names[at]}")
                slots[at] = defaults[at - fewest]
        return slots

    def by_keyword(self, node: Apply, results: list) -> int:
        """Put the lowered arguments of a call with keywords in the order of its parameters (the literals of
        those left out appended), at the end of `results`; the number of arguments."""
        slots = self.slots(node)
        count = len(node.args)
        lowered = results[len(results) - count:]
        del results[len(results) - count:]
        for slot in slots:
            results.append(lowered[slot] if type(slot) is int else self.add(CONST, text=slot, span=node.span))
        return len(slots)

    def enter(self, call: Apply, count: int, results: list, scope: dict) -> Return:
        """Check a call of the program's function, and take its arguments off `results`: the _Return that
        stands under its body on the stack, remembering the caller's names (`scope`)."""
        function = self.functions[call.op]
        params = function.params
        if count != len(params):
            plural = "argument" if len(params) == 1 else "arguments"
            raise self.error(call.span, f"{call.op} takes {len(params)} {plural} ({', '.join(params)}), not {count}")
        if len(self.ops) + function.size > self.max_nodes:
            raise too_many_nodes(self.source, call.span, self.source[call.span.start:call.span.end],
                                 self.max_nodes)
        function.used = True
        arguments = results[len(results) - count:]
        del results[len(results) - count:]
        return Return(call, scope, arguments, len(self.ops))

    def leave(self, back: Return, result: int) -> int:
        """The node that is a call's result, labelled with the call: a copy when the body's result is not a node
        of its own (f(x) = x, f(x) = a, f(x) = 2), so the label names a step of its own."""
        if result < back.mark or self.ops[result] in (INPUT, CONST):
            result = self.add("copy", (result,), span=back.call.span)
        labels = [self.label_at(a) for a in back.arguments]
        # no spaces, as in a name: a label stands in ∂y/∂f(a,b) and in table cells that wrap between words
        label = f"{back.call.op}({','.join(labels)})"
        if len(label) > CALL_LABEL_WIDTH:
            label = f"{back.call.op}({','.join(f'v{a + 1}' for a in back.arguments)})"
        self.calls[result] = label
        return result

    def label_at(self, i: int) -> str:
        """Tape.label of a node while the tape is being built."""
        return self.names[i] or self.calls.get(i) or self.texts[i] or f"v{i + 1}"

    def reserved(self, name: str) -> str | None:
        """Why `name` cannot name a function or a parameter: a constant, or one of the tool's functions."""
        if name in CONSTANTS:
            return f"{name} is a constant"
        if name in ALIASES or name in NUMBER_WRAPPERS or name in OPS and OPS[name].is_function:
            return f"{name} is one of the tool's functions"
        return None

    def define(self, definition: Define) -> None:
        """Check a definition and remember it: its names, its calls, and at most how many nodes a call makes."""
        name = definition.name
        if name in self.functions:
            raise self.error(definition.name_span, f"{name} is defined twice; a function is defined once")
        reason = self.reserved(name)
        if reason is None and (name in self.assigned or name in self.inputs):
            reason = f"{name} is a variable of the program"
        if reason is not None:
            raise self.error(definition.name_span, f"{reason}; a function needs a name of its own")
        params = set()
        for param in definition.params:
            reason = self.reserved(param.name)
            if reason is None and (param.name in self.functions or param.name in self.will_define):
                reason = f"{param.name} is a function of the program"
            if reason is not None:
                raise self.error(param.span, f"{reason} and cannot be a parameter")
            params.add(param.name)
        closure: dict[str, int] = {}
        free: set = set()  # names of inputs the body may create
        size = 1  # the copy a call may need
        limit = self.max_nodes + 1
        stack = [definition.body]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is Number:
                size += 1
            elif kind is Name:
                size += self.free_name(definition, node, params, closure, free)
            elif kind is Index:  # its target and the names it takes as indices (the rest is checked when lowered)
                stack.append(node.target)
                stack.extend(item for item in node.items if type(item) is Name)
                size += 1
            elif kind is Slice:
                pass
            else:
                stack.extend(node.args)
                size += self.call_size(definition, node)
            size = min(size, limit)  # a bound, never a huge number: f2(x) = f1(x)*f1(x) ... doubles per level
        self.functions[name] = Function(definition, closure, size)

    def free_name(self, definition: Define, node: Name, params: set, closure: dict, free: set) -> int:
        """Resolve a name of a body that is not a parameter: a name assigned before the definition means what
        it meant there (in `closure`); how many nodes it may add to a call (a constant, a new input)."""
        name = node.name
        if name in params or name in closure:
            return 0
        if name in self.assigned:
            closure[name] = self.assigned[name]
            return 0
        if name in self.will_assign:
            raise self.error(node.span, f"{name} is used in {definition.name} before it is assigned; a function "
                             f"uses the names assigned before its definition")
        if name in self.functions or name in self.will_define or (name in OPS and OPS[name].is_function):
            raise self.error(node.span, f"{name} is a function; call it as {name}(...)")
        if name in CONSTANTS:
            return 1
        if name in free:
            return 0
        free.add(name)
        return 1

    def call_size(self, definition: Define, node: Apply) -> int:
        """Check an operation or call of a body; how many nodes it may add to a call of the function."""
        if node.is_call and node.op == definition.name:
            raise self.error(node.span, f"{node.op} calls itself; a function cannot be recursive")
        if node.is_call and node.op in self.will_define and node.op not in self.functions:
            raise self.error(node.span, f"{node.op} is defined after {definition.name}; a function calls only "
                             f"the functions defined before it")
        if is_tensor_apply(node, self.functions):
            return 1  # one node (a literal's or a keyword's nodes are taken off again)
        count = len(self.slots(node)) if node.keywords else len(node.args)
        callee = self.functions.get(node.op) if node.is_call else None
        if callee is not None:
            if count != len(callee.params):
                plural = "argument" if len(callee.params) == 1 else "arguments"
                raise self.error(node.span, f"{node.op} takes {len(callee.params)} {plural} "
                                 f"({', '.join(callee.params)}), not {count}")
            return callee.size
        op = OPS[self.check_apply(node, count)]
        return 1 + (0 if op.variadic else op.arity - count)  # the operation and the literals filled in
