"""The SymPy oracle's table: one SymPy function per tape operation, shared by the tests that use it."""


def sympy_ops() -> dict:
    """Each tape operation as a SymPy function (step(0) = 0 and relu via Max, as the tool has them)."""
    import sympy as sp

    return {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "neg": lambda x: -x,
        "pos": lambda x: x,
        "pow": lambda x, y: x ** y,
        "copy": lambda x: x,
        "exp": sp.exp,
        "log": sp.log,
        "sqrt": sp.sqrt,
        "sin": sp.sin,
        "cos": sp.cos,
        "tan": sp.tan,
        "sinh": sp.sinh,
        "cosh": sp.cosh,
        "tanh": sp.tanh,
        "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
        "relu": lambda x: sp.Max(x, 0),
        "abs": sp.Abs,
        "max": sp.Max,
        "min": sp.Min,
        "step": lambda x: sp.Heaviside(x, 0),
        "sign": sp.sign,
    }
