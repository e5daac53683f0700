"""The SymPy oracle's table: one SymPy function per tape operation, shared by the tests that use it."""


def sympy_ops() -> dict:
    """Each tape operation as a SymPy function (step(0) = 0 and relu via Max, as the tool has them)."""
    import sympy as sp

    def flat(function):
        """A rounding function whose derivative is 0 (SymPy leaves floor's unevaluated)."""
        return type(f"Flat{function.__name__}", (function,), {"fdiff": lambda self, argindex=1: sp.S.Zero})

    class round_half_even(sp.Function):
        """Python's round (halves to even), as the tool's round: exact on rational numbers, derivative 0."""

        @classmethod
        def eval(cls, arg):
            if arg.is_Rational:
                from fractions import Fraction

                return sp.Integer(round(Fraction(int(arg.p), int(arg.q))))
            return None

        def fdiff(self, argindex=1):
            return sp.S.Zero

        def _eval_evalf(self, prec):
            value = self.args[0].evalf(prec + 10)
            return sp.Integer(round(value)) if value.is_Number else None

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
        "asin": sp.asin,
        "acos": sp.acos,
        "atan": sp.atan,
        "atan2": sp.atan2,
        "asinh": sp.asinh,
        "acosh": sp.acosh,
        "atanh": sp.atanh,
        "log_base": lambda x, b: sp.log(x) / sp.log(b),
        "log2": lambda x: sp.log(x) / sp.log(2),
        "log10": lambda x: sp.log(x) / sp.log(10),
        "log1p": lambda x: sp.log(1 + x),
        "expm1": lambda x: sp.exp(x) - 1,
        "cbrt": lambda x: sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3),
        "hypot": lambda x, y: sp.sqrt(x ** 2 + y ** 2),
        "erf": sp.erf,
        "softplus": lambda x, b: sp.log(1 + sp.exp(b * x)) / b,
        "leaky_relu": lambda x, s: sp.Piecewise((x, x > 0), (s * x, True)),
        "elu": lambda x, a: sp.Piecewise((x, x > 0), (a * (sp.exp(x) - 1), True)),
        "silu": lambda x: x / (1 + sp.exp(-x)),
        "gelu": lambda x: x * (1 + sp.erf(x / sp.sqrt(2))) / 2,
        "floor": flat(sp.floor),
        "ceil": flat(sp.ceiling),
        "round": round_half_even,
        "sinh": sp.sinh,
        "cosh": sp.cosh,
        "tanh": sp.tanh,
        "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
        "relu": lambda x: sp.Max(x, 0),
        "abs": sp.Abs,
        "max": sp.Max,
        "min": sp.Min,
        "sum": lambda *a: sp.Add(*a),
        "mean": lambda *a: sp.Add(*a) / len(a),
        "logsumexp": lambda *a: sp.log(sp.Add(*(sp.exp(x) for x in a))),
        "step": lambda x: sp.Heaviside(x, 0),
        "sign": sp.sign,
    }
