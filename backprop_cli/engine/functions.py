"""The numbers behind the operation table: each function's value and derivative on floats, exact fractions
and wide decimals.

ops.py's table names these; the sweeps never call them directly. Each is written for accuracy and range,
not only for the formula: a rule that leaves float range raises arithmetic.OutOfRange, a rule outside its
domain raises DomainError with a message whose {0}, {1}, {out} become the program's own names
(rule_message), and a rational value stays a fraction under --exact (exp(0) = 1, sqrt(9/4) = 3/2).

It stays one module: the kernels share the exact-root and range helpers at its top.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Sequence

from . import wide
from .arithmetic import TINY, WIDE, OutOfRange, exact_power

HALF = Fraction(1, 2)


class DomainError(ValueError):
    """An operand outside the operation's domain; the message says which rule it breaks."""


def _integer_root(n: int, q: int):
    """The q-th root of n >= 0 if it is an integer, else None (integer Newton iteration: exact at any size)."""
    if n < 2:
        return n
    if q == 2:
        r = math.isqrt(n)
        return r if r * r == n else None
    r = 1 << -(-n.bit_length() // q)  # at or above the root: Newton's steps come down to it
    while True:
        s = ((q - 1) * r + n // r ** (q - 1)) // q
        if s >= r:
            break
        r = s
    return r if r ** q == n else None


def _exact_root(x: Fraction, q: int):
    """x^(1/q) as a Fraction when it is rational (x >= 0), else None."""
    if q > 64:
        return None
    top, bottom = _integer_root(x.numerator, q), _integer_root(x.denominator, q)
    return Fraction(top, bottom) if top is not None and bottom is not None else None


# -- fractions beyond float range (--exact with 10^400): their floats computed without overflow -------

def _beyond_float(x) -> bool:
    """A nonzero fraction whose float would overflow or underflow."""
    if not isinstance(x, Fraction) or x == 0:
        return False
    return not -1000 < x.numerator.bit_length() - x.denominator.bit_length() < 1000


def _log_of_fraction(x: Fraction) -> float:
    d = x - 1
    if abs(d) < HALF:
        return math.log1p(float(d))  # near 1, from x - 1 computed exactly: no digit is lost
    if _beyond_float(x):
        return math.log(x.numerator) - math.log(x.denominator)  # math.log takes integers of any size
    return math.log(x)


def _float_power(x, y):
    """x ** y as a float (x > 0, or y an integer), also for a fraction beyond float range."""
    if not _beyond_float(x):
        return math.pow(x, y)
    sign = -1.0 if x < 0 and int(float(y)) % 2 else 1.0
    x = abs(x)
    k = x.numerator.bit_length() - x.denominator.bit_length()  # x = m * 2^k with m near 1
    m = float(x / Fraction(2) ** k if k >= 0 else x * Fraction(2) ** -k)
    whole = math.floor(k * float(y))
    return sign * math.ldexp(math.pow(m, y) * 2.0 ** (k * float(y) - whole), whole)


def power(x, y):
    """x ** y for real numbers: exact for fractions where the result is rational, a float otherwise."""
    if type(x) is Decimal or type(y) is Decimal:
        return _wide_power(WIDE.coerce(x), WIDE.coerce(y))
    if x == 0 and y < 0:
        raise DomainError("0 to a negative power is a division by zero")
    if y == 0:
        return 1  # 0^0 too: PyTorch's value (tests/data/framework_observations.json); exact under --exact
    if isinstance(x, Fraction):
        if x == 0 or x == 1:
            return x  # 0^y (y > 0) and 1^y are rational whatever y is: exact under --exact
        if isinstance(y, Fraction):
            if y.denominator == 1:
                return exact_power(x, int(y))
            if x >= 0:
                root = _exact_root(x, y.denominator)
                if root is not None:
                    return exact_power(root, y.numerator)
    if x < 0 and float(y) != int(float(y)):
        raise DomainError("a negative number to a non-integer power is not a real number")
    return _float_power(x, y)


def _wide_power(x: Decimal, y: Decimal) -> Decimal:
    if x == 0 and y < 0:
        raise DomainError("0 to a negative power is a division by zero")
    if y == 0:
        return Decimal(1)
    if x < 0 and y != y.to_integral_value():
        raise DomainError("a negative number to a non-integer power is not a real number")
    return wide.power(x, y)


# Functions at the points where an irrational function has a rational value, so that --exact keeps
# exp(0) = 1 and sqrt(9/4) = 3/2 exact; on wide decimals (after a float left its range) the
# functions of wide.py.
def exp(x):
    if x == 0:
        return 1
    if type(x) is Decimal:
        return wide.exp(x)
    return math.exp(x)


def _elementary(at_zero, on_decimals, on_floats):
    """A function with a rational value at 0 (kept exact under --exact), the wide version on decimals and the
    math library's on floats and fractions."""
    def function(x):
        if x == 0:
            return at_zero
        return on_decimals(x) if type(x) is Decimal else on_floats(x)

    return function


sin = _elementary(0, wide.sin, math.sin)
cos = _elementary(1, wide.cos, math.cos)
tan = _elementary(0, wide.tan, math.tan)
tanh = _elementary(0, wide.tanh, math.tanh)
sinh = _elementary(0, wide.sinh, math.sinh)
cosh = _elementary(1, wide.cosh, math.cosh)


def log(x):
    if x <= 0:
        raise DomainError("log is defined for positive numbers only")
    if x == 1:
        return 0
    if type(x) is Decimal:
        return wide.log(x)
    if isinstance(x, Fraction):
        return _log_of_fraction(x)
    return math.log(x)


def sqrt(x):
    if x < 0:
        raise DomainError("sqrt is defined for numbers >= 0 only")
    if type(x) is Decimal:
        return wide.sqrt(x)
    if isinstance(x, Fraction):
        root = _exact_root(x, 2)
        if root is not None:
            return root
        return _float_power(x, 0.5) if _beyond_float(x) else math.sqrt(x)
    return math.sqrt(x)


def div(x, y):
    if y == 0:
        raise DomainError("division by zero")
    return x / y


def d_div_denominator(x, y, out):
    # -x/y^2 as -(x/y)/y: y^2 overflows at |y| > 1.3e154 (and underflows below 1e-162) where the
    # derivative itself is an ordinary number (x = 1e300, y = 1e200: -1e-100)
    d = -(out / y)
    if d == 0 and out != 0 and type(d) is float:
        raise OutOfRange  # underflowed: x = 1e-150, y = 1e150 gives -1e-450
    return d


def sigmoid(x):
    if x == 0:
        return HALF
    if type(x) is Decimal:
        return wide.sigmoid(x)
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def d_tanh(x, out):
    # 1 - out^2 is the same number, but once tanh(x) rounds close to 1 (|x| > 1 or so) the
    # subtraction cancels its digits: at x = 10 it is wrong in the 8th digit. sech(x)^2 is not.
    if x == 0:
        return 1 - out * out  # exactly 1, and exact under --exact
    if type(x) is Decimal:
        return wide.sech2(x)
    if abs(x) < 20:
        c = math.cosh(x)
        return 1 / (c * c)
    e = math.exp(-2 * abs(float(x)))  # 4e/(1+e)^2: no cosh(x)^2 to overflow
    d = 4 * e / ((1 + e) * (1 + e))
    if d < TINY:
        raise OutOfRange  # below 1e-308 at |x| > 354: a subnormal or 0, where 1e300 * tanh'(x) is not
    return d


def d_sigmoid(x, out):
    # out * (1 - out), with 1 - out computed as sigmoid(-x): no cancellation when out is near 1
    if x == 0:
        return out * (1 - out)  # exactly 1/4, and exact under --exact
    d = out * sigmoid(-x)
    if type(d) is float and d < TINY:
        raise OutOfRange  # |x| > 708: the derivative is a subnormal or 0 in floats
    return d


def sign(x):
    return (x > 0) - (x < 0)


def compare(x, y):
    """-1, 0, 1 as x <, =, > y: compared as numbers (a fraction and a float exactly), never as x - y."""
    return (x > y) - (x < y)


def d_pow_base(x, y, out):
    if y == 0:
        return 0  # PyTorch: d/dx x^0 = 0, even at x = 0
    if y == 1:
        return 1
    if x == 0:
        if y > 1:
            return 0
        raise DomainError("{0}^{1} has an infinite slope at {0} = 0 when the exponent is below 1")
    # y * x^(y-1) as y * x^y / x: y - 1 rounds back to y for |y| >= 2^53 (so (-1)^(y-1) would have
    # the wrong sign), and x^(y-1) can leave float range where the derivative does not
    if type(out) is not float:
        return y * out / x
    p = y * out
    d = p / x if not -TINY < p < TINY else y * (out / x)
    if d - d or -TINY < d < TINY:
        raise OutOfRange
    return d


def d_pow_exponent(x, y, out):
    if x == 0 and y >= 0:
        return 0  # x^y is 0 for every y > 0, so it does not change with y; at 0^0 PyTorch gives 0 too
    if x <= 0:
        raise DomainError("the derivative of {out} with respect to the exponent {1} is {out}·log({0}), "
                          "and log needs {0} > 0")
    d = out * log(x)
    if d == 0 and x != 1 and type(d) is float:
        raise OutOfRange
    return d


def d_sqrt(x, out):
    if out == 0:
        raise DomainError("sqrt has an infinite derivative at 0")
    return 1 / (2 * out)


def rule_message(err: DomainError, labels: Sequence[str], out: str) -> str:
    """A rule's DomainError in the program's own words: {0}, {1} and {out} in its message become the
    operands' and the node's labels (`x^n`, `n`), never the placeholder names of a rule."""
    labels = list(labels)
    return _PLACEHOLDER.sub(lambda m: out if m.group(1) == "out" else labels[int(m.group(1))], str(err))


_PLACEHOLDER = re.compile(r"\{(\d+|out)\}")


# -- the functions of the courses (issue 12) ------------------------------------------------------------

def _float_of(x) -> float:
    """A float argument for a library function; a wide decimal beyond float range raises OverflowError."""
    value = float(x)
    if value - value:
        raise OverflowError("the argument is too large for a 64-bit float")
    return value


def _through_float(f, x):
    """f(x) for a float or a fraction; for a wide decimal, through its float (bounded functions only)."""
    if type(x) is Decimal:
        return Decimal(f(_float_of(x)))
    return f(x)


def _small(d):
    """A derivative that must be nonzero: OutOfRange when its float underflowed (to 0 or a subnormal)."""
    if type(d) is float and -TINY < d < TINY:
        raise OutOfRange
    return d


def asin(x):
    if not -1 <= x <= 1:
        raise DomainError("asin is defined for -1 <= x <= 1 only")
    return 0 if x == 0 else _through_float(math.asin, x)


def acos(x):
    if not -1 <= x <= 1:
        raise DomainError("acos is defined for -1 <= x <= 1 only")
    return 0 if x == 1 else _through_float(math.acos, x)


def d_asin(x, out):
    if x == 1 or x == -1:
        raise DomainError("asin has an infinite derivative at -1 and 1")
    one_minus = (1 - x) * (1 + x)  # 1 - x^2 without cancelling near +-1
    return 1 / sqrt(one_minus)


def atan(x):
    return 0 if x == 0 else _through_float(math.atan, x)


def d_atan(x, out):
    if type(x) is float and abs(x) > 1e150:
        return _small((1 / x) / x)  # 1/(1 + x^2) without x^2 overflowing
    return 1 / (1 + x * x)


def atan2(y, x):
    if y == 0 and x == 0:
        return 0
    if type(y) is Decimal or type(x) is Decimal:
        return Decimal(math.atan2(_float_of(y), _float_of(x)))
    return math.atan2(y, x)


def d_atan2_y(y, x, out):
    if y == 0 and x == 0:
        raise DomainError("atan2 has no derivative at the origin ({0} = {1} = 0)")
    r = hypot(y, x)
    return _small((x / r) / r) if x else 0


def d_atan2_x(y, x, out):
    if y == 0 and x == 0:
        raise DomainError("atan2 has no derivative at the origin ({0} = {1} = 0)")
    r = hypot(y, x)
    return _small(-(y / r) / r) if y else 0


def asinh(x):
    if x == 0:
        return 0
    if type(x) is Decimal:
        return log(abs(x) + sqrt(x * x + 1)) * (1 if x > 0 else -1) if abs(x) > 1 else Decimal(math.asinh(_float_of(x)))
    return math.asinh(x)


def d_asinh(x, out):
    return 1 / hypot(x, 1)


def acosh(x):
    if x < 1:
        raise DomainError("acosh is defined for x >= 1 only")
    if x == 1:
        return 0
    if type(x) is Decimal:
        return log(x + sqrt((x - 1) * (x + 1)))
    return math.acosh(x)


def d_acosh(x, out):
    if x == 1:
        raise DomainError("acosh has an infinite derivative at 1")
    return 1 / sqrt((x - 1) * (x + 1))


def atanh(x):
    if not -1 < x < 1:
        raise DomainError("atanh is defined for -1 < x < 1 only")
    if x == 0:
        return 0
    if type(x) is Decimal:
        return (log((1 + x) / (1 - x))) / 2
    return math.atanh(x)


def d_atanh(x, out):
    return 1 / ((1 - x) * (1 + x))


def _exact_log(x: Fraction, base: int):
    """log_base(x) when x is a whole power of base (log2(8) = 3, log10(1/100) = -2), else None."""
    if x <= 0 or (x.numerator != 1 and x.denominator != 1):
        return None
    n, sign = (x.numerator, 1) if x.denominator == 1 else (x.denominator, -1)
    k = 0
    while n > 1 and n % base == 0:
        n //= base
        k += 1
    return sign * k if n == 1 else None


def _log_in(x, base: int, library):
    if x <= 0:
        raise DomainError(f"log{base} is defined for positive numbers only")
    if isinstance(x, Fraction):
        exact = _exact_log(x, base)
        if exact is not None:
            return exact
        return log(x) / math.log(base)
    if type(x) is Decimal:
        return log(x) / Decimal(base).ln()
    return library(x)


def log_base(x, base):
    """log(x, base): exact where x is a whole power of an integer base (log(8, 2) = 3, log(1/100, 10) = -2)."""
    if x <= 0:
        raise DomainError("log is defined for positive numbers only")
    if base <= 0 or base == 1:
        raise DomainError("a logarithm's base must be positive and not 1")
    if isinstance(x, Fraction) and isinstance(base, Fraction) and base.denominator == 1:
        exact = _exact_log(x, int(base))
        if exact is not None:
            return exact
    return log(x) / log(base)


def d_log_base_x(x, base, out):
    return 1 / (x * log(base))


def d_log_base_base(x, base, out):
    return -out / (base * log(base))  # -log(x)/(b*log(b)^2), as -log_b(x)/(b*log(b))


def log2(x):
    return _log_in(x, 2, math.log2)


def log10(x):
    return _log_in(x, 10, math.log10)


def d_log_in(base: int):
    """d log_base(x) / dx = 1/(x log(base)), in the arithmetic of x."""
    def rule(x, out):
        if type(x) is Decimal:
            return 1 / (x * Decimal(base).ln())
        return 1 / (x * math.log(base))

    return rule


def log1p(x):
    if x <= -1:
        raise DomainError("log1p is defined for x > -1 only")
    if x == 0:
        return 0
    if type(x) is Decimal:
        return log(1 + x) if abs(x) > Decimal("1e-20") else x - x * x / 2
    if isinstance(x, Fraction):
        return log(1 + x)
    return math.log1p(x)


def d_log1p(x, out):
    if x == -1:
        raise DomainError("log1p has an infinite derivative at -1")
    return 1 / (1 + x)


def expm1(x):
    if x == 0:
        return 0
    if type(x) is Decimal:
        return exp(x) - 1 if abs(x) > Decimal("1e-20") else x + x * x / 2
    return math.expm1(x)


def d_expm1(x, out):
    return exp(x)


def cbrt(x):
    """The real cube root, defined for negative numbers too: exact for perfect cubes under --exact."""
    if x == 0:
        return 0
    if isinstance(x, Fraction):
        root = _exact_root(abs(x), 3)
        if root is not None:
            return root if x > 0 else -root
        magnitude = _float_power(abs(x), 1 / 3)
        return magnitude if x > 0 else -magnitude
    if type(x) is Decimal:
        magnitude = wide.power(abs(x), Decimal(1) / 3)
        return magnitude if x > 0 else -magnitude
    return math.cbrt(x)


def d_cbrt(x, out):
    if out == 0:
        raise DomainError("cbrt has an infinite derivative at 0")
    return _small((1 / (3 * out)) / out)


def hypot(x, y):
    """sqrt(x^2 + y^2) without overflow: exact for Pythagorean fractions under --exact (hypot(3, 4) = 5)."""
    if isinstance(x, Fraction) and isinstance(y, Fraction):
        root = _exact_root(x * x + y * y, 2)
        if root is not None:
            return root
    if type(x) is Decimal or type(y) is Decimal:
        x, y = WIDE.coerce(x), WIDE.coerce(y)
        return (x * x + y * y).sqrt()
    return math.hypot(x, y)


def d_hypot_x(x, y, out):
    if out == 0:
        raise DomainError("hypot has no derivative at the origin ({0} = {1} = 0)")
    return x / out


def d_hypot_y(x, y, out):
    if out == 0:
        raise DomainError("hypot has no derivative at the origin ({0} = {1} = 0)")
    return y / out


_TWO_OVER_ROOT_PI = 2 / math.sqrt(math.pi)


def erf(x):
    if x == 0:
        return 0
    return _through_float(math.erf, x)


def d_erf(x, out):
    if type(x) is Decimal:
        return Decimal(_TWO_OVER_ROOT_PI) * exp(-x * x)
    return _small(_TWO_OVER_ROOT_PI * math.exp(-float(x) * float(x))) if abs(x) < 27 else _tiny_or_range(x)


def _tiny_or_range(x):
    raise OutOfRange  # exp(-x^2) below the float range: wide decimals have it


def softplus(x, beta=1):
    """log(1 + exp(beta*x))/beta, computed stably (PyTorch's default beta 1; no threshold: the exact value)."""
    if beta <= 0:
        raise DomainError("softplus needs beta > 0")
    z = beta * x
    if type(z) is Decimal:
        return ((z if z > 0 else 0) + log(1 + exp(-abs(z)))) / beta
    z = float(z)
    value = ((z if z > 0 else 0.0) + math.log1p(math.exp(-abs(z)))) / float(beta)
    if value == 0:
        raise OutOfRange  # exp(-|z|) underflowed (z < -745): the true value is tiny, not 0
    return value


def d_softplus_x(x, beta, out):
    return sigmoid(beta * x)


def d_softplus_beta(x, beta, out):
    # d/dbeta of log(1 + e^z)/beta with z = beta*x is (z*sigmoid(z) - log(1 + e^z))/beta^2; for z > 0 the two
    # terms are nearly equal, so it is written -(z*sigmoid(-z) + log(1 + e^-z))/beta^2: no cancellation
    z = beta * x
    if z > 0:
        numerator = -(z * sigmoid(-z) + log1p(exp(-z)))
    else:
        numerator = z * sigmoid(z) - log1p(exp(z))
    return numerator / (beta * beta)


def leaky_relu(x, slope):
    return x if x > 0 else slope * x


def d_leaky_relu_x(x, slope, out):
    return 1 if x > 0 else slope  # at 0: the slope, as PyTorch (tests/data/framework_observations.json)


def d_leaky_relu_slope(x, slope, out):
    return 0 if x > 0 else x


def elu(x, alpha):
    return x if x > 0 else alpha * expm1(x)


def d_elu_x(x, alpha, out):
    return 1 if x > 0 else alpha * exp(x)  # at 0: alpha, as PyTorch


def d_elu_alpha(x, alpha, out):
    return 0 if x > 0 else expm1(x)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return x * sigmoid(x) if x != 0 else 0


def d_silu(x, out):
    if x == 0:
        return HALF
    s = sigmoid(x)
    return s + x * s * sigmoid(-x)  # s*(1 + x*(1 - s)), with 1 - s written sigmoid(-x)


_ROOT_TWO = math.sqrt(2)


def _phi_cdf(x):
    """The standard normal distribution function, through erfc where erf would cancel (x < 0)."""
    if type(x) is Decimal:
        return Decimal(math.erfc(-_float_of(x) / _ROOT_TWO)) / 2
    return math.erfc(-float(x) / _ROOT_TWO) / 2


def gelu(x):
    """x * Phi(x), the exact (erf) form, as PyTorch's default."""
    if x == 0:
        return 0
    value = x * _phi_cdf(x)
    if type(value) is float and value == 0:
        raise OutOfRange  # Phi(x) underflowed (x < -38): the true value is tiny, not 0
    return value


def d_gelu(x, out):
    if x == 0:
        return HALF
    density = math.exp(-float(x) * float(x) / 2) / math.sqrt(2 * math.pi)
    if type(x) is Decimal:
        density = Decimal(density)
    return _phi_cdf(x) + x * density


def floor(x):
    return math.floor(x)


def ceil(x):
    return math.ceil(x)


def round_half_even(x):
    """round(x), halves to even, as Python and NumPy do (round(2.5) = 2)."""
    return round(x)


def on_integer(x):
    """The branch of floor and ceil: 0 exactly on an integer (a jump), else 1."""
    return 0 if x == int(x) else 1


def on_half(x):
    """The branch of round: 0 exactly halfway between two integers (a jump), else 1."""
    return 0 if (x - math.floor(x)) * 2 == 1 else 1


def total(args):
    """A sum of any number of values, in order (exact for fractions)."""
    result = args[0]
    for a in args[1:]:
        result = result + a
    return result


def logsumexp(*args):
    """log(sum(exp(a))), shifted by the largest argument so that nothing overflows (logsumexp(1000, 1001))."""
    top = max(args)
    if len(args) == 1:
        return top
    terms = [exp(a - top) for a in args]
    return top + log(total(terms))


def d_logsumexp(k, *args):
    """exp(a_k - out): the softmax of the arguments, at k."""
    *operands, out = args
    d = exp(operands[k] - out)
    if type(d) is float and d < TINY:
        raise OutOfRange  # far below the largest argument: a subnormal or 0 in floats
    return d
