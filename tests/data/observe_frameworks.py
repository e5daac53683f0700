"""Observe what PyTorch, JAX and TensorFlow return where a derivative is a convention (issue 12).

Not a test and not part of the package: run it with a python that has the framework installed (a scratch
venv, never the project's), in float64, and it prints that framework's observations as JSON:

    /tmp/oracle/bin/python    tests/data/observe_frameworks.py pytorch    > /tmp/obs-pytorch.json
    /tmp/oracle-jax/bin/python tests/data/observe_frameworks.py jax        > /tmp/obs-jax.json
    /tmp/oracle-tf/bin/python  tests/data/observe_frameworks.py tensorflow > /tmp/obs-tensorflow.json

Then merge them (any python, standard library only) into the file the tests read:

    python tests/data/observe_frameworks.py merge /tmp/obs-pytorch.json /tmp/obs-jax.json /tmp/obs-tensorflow.json

which rewrites tests/data/framework_observations.json, keeping any framework whose file was not given.

Every observation is {"expression", "name", "at", "value", "gradient"}: "expression" is the function in one
spelling shared by all frameworks (the same math gets the same string), "name" the framework's own call,
"at" the point (one number per differentiable argument, or the elements of the vector for a reduction),
"gradient" one entry per number in "at". Numbers are floats; "inf", "-inf", "nan" are strings; a gradient
entry is null where the framework returned no gradient at all (TensorFlow's None). Cases the framework
cannot express go to "absent" with the reason; other spellings of the same function (e.g. torch.max(t) beside
torch.amax(t)) go to "alternatives", and points with a -0.0 (equal to 0.0 in Python) to "signed_zeros", so
(expression, at) is unique within "observations". Where the framework computes a value but raises when asked
for the gradient, the case goes to "absent" with the value and the error.
"""
from __future__ import annotations

import inspect
import json
import math
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MERGED = HERE / "framework_observations.json"

# (expression, points): every point is a list of floats, one per differentiable argument (or the vector of a
# reduction). The frameworks' spellings of each expression are in the tables below; a missing key is "absent".
ROUND_POINTS = [[-1.5], [-0.5], [0.5], [1.5], [2.5], [0.3], [1.0]]
JUMP_POINTS = [[-1.0], [0.0], [1.0], [0.5], [-0.5]]
CASES = [
    ("relu(x)", [[0.0], [-0.0]]),
    ("abs(x)", [[0.0], [-0.0]]),
    ("sign(x)", [[0.0], [1.0], [-1.0]]),
    ("heaviside(x, 0)", [[0.0], [1.0]]),
    ("heaviside(x, 0.5)", [[0.0]]),
    ("heaviside(x, 1)", [[0.0]]),
    ("floor(x)", JUMP_POINTS),
    ("ceil(x)", JUMP_POINTS),
    ("round(x)", ROUND_POINTS),
    ("leaky_relu(x)", [[0.0], [-1.0]]),
    ("leaky_relu(x, 0.01)", [[0.0], [-1.0]]),
    ("leaky_relu(x, 0.2)", [[0.0], [-1.0]]),
    ("elu(x)", [[0.0]]),
    ("elu(x, 0.5)", [[0.0]]),
    ("relu6(x)", [[0.0], [6.0]]),
    ("hardtanh(x)", [[-1.0], [1.0]]),
    ("clamp(x, -1, 1)", [[-1.0], [1.0]]),
    ("clamp(x, 0, 0)", [[0.0]]),
    ("maximum(x, y)", [[1.0, 1.0], [0.0, 0.0], [1.0, 2.0]]),
    ("maximum(y, x)", [[1.0, 1.0], [0.0, 0.0], [1.0, 2.0]]),
    ("minimum(x, y)", [[1.0, 1.0], [0.0, 0.0], [1.0, 2.0]]),
    ("minimum(y, x)", [[1.0, 1.0], [0.0, 0.0], [1.0, 2.0]]),
    ("max([a, b])", [[1.0, 1.0]]),
    ("max([a, b, c])", [[1.0, 1.0, 1.0], [2.0, 2.0, 1.0], [1.0, 2.0, 2.0], [2.0, 1.0, 2.0]]),
    ("min([a, b])", [[1.0, 1.0]]),
    ("min([a, b, c])", [[1.0, 1.0, 1.0], [1.0, 1.0, 2.0], [2.0, 1.0, 1.0], [1.0, 2.0, 1.0]]),
    ("logsumexp([a, b])", [[0.0, 0.0], [1.0, 1.0]]),
    ("logsumexp([a, b, c])", [[1.0, 1.0, 1.0], [2.0, 2.0, 1.0]]),
    ("softplus(x)", [[0.0]]),
    ("silu(x)", [[0.0]]),
    ("gelu(x)", [[0.0]]),
    ("sqrt(x)", [[0.0]]),
    ("cbrt(x)", [[0.0], [-8.0]]),
    ("x**(1/3)", [[0.0], [-8.0], [8.0]]),
    ("hypot(x, y)", [[0.0, 0.0], [3.0, 4.0]]),
    ("atan2(y, x)", [[0.0, 0.0], [0.0, -1.0], [-0.0, -1.0], [0.0, 1.0]]),
    ("x**y", [[0.0, 0.0], [0.0, 2.0], [0.0, 1.0], [0.0, 0.5], [-3.0, 2.0], [-8.0, 1 / 3], [0.0, 3.0], [0.0, -1.0],
              [2.0, 0.0]]),
]
# expressions whose arguments form one vector (one leaf tensor), not separate scalars
VECTOR = {"max([a, b])", "max([a, b, c])", "min([a, b])", "min([a, b, c])", "logsumexp([a, b])",
          "logsumexp([a, b, c])"}
# the argument order of "at" for a two-argument expression, as written in the expression
TWO_ARGS = {"maximum(y, x)": "x, y", "minimum(y, x)": "x, y", "atan2(y, x)": "y, x"}


def number(v):
    """A float for JSON, or "inf"/"-inf"/"nan"; None stays None (no gradient)."""
    if v is None:
        return None
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


class GradientRefused(Exception):
    """The framework computed the value but raised when asked for the gradient."""

    def __init__(self, value, error: Exception):
        super().__init__(f"{type(error).__name__}: {str(error).strip().splitlines()[0][:300]}")
        self.value = value


def default_of(fn, parameter):
    try:
        p = inspect.signature(fn).parameters[parameter]
    except (TypeError, ValueError, KeyError):
        return None
    return None if p.default is inspect.Parameter.empty else p.default


# ----------------------------------------------------------------------------------------------------- torch
def torch_frontend():
    import torch
    import torch.nn.functional as F

    torch.set_default_dtype(torch.float64)
    T = torch
    heav = lambda v: lambda x: T.heaviside(x, T.tensor(v, dtype=T.float64))
    table = {
        "relu(x)": ("torch.relu", T.relu),
        "abs(x)": ("torch.abs", T.abs),
        "sign(x)": ("torch.sign", T.sign),
        "heaviside(x, 0)": ("torch.heaviside(x, torch.tensor(0.))", heav(0.0)),
        "heaviside(x, 0.5)": ("torch.heaviside(x, torch.tensor(0.5))", heav(0.5)),
        "heaviside(x, 1)": ("torch.heaviside(x, torch.tensor(1.))", heav(1.0)),
        "floor(x)": ("torch.floor", T.floor),
        "ceil(x)": ("torch.ceil", T.ceil),
        "round(x)": ("torch.round", T.round),
        "leaky_relu(x)": ("torch.nn.functional.leaky_relu", F.leaky_relu),
        "leaky_relu(x, 0.01)": ("torch.nn.functional.leaky_relu(x, 0.01)", lambda x: F.leaky_relu(x, 0.01)),
        "leaky_relu(x, 0.2)": ("torch.nn.functional.leaky_relu(x, 0.2)", lambda x: F.leaky_relu(x, 0.2)),
        "elu(x)": ("torch.nn.functional.elu", F.elu),
        "elu(x, 0.5)": ("torch.nn.functional.elu(x, alpha=0.5)", lambda x: F.elu(x, alpha=0.5)),
        "relu6(x)": ("torch.nn.functional.relu6", F.relu6),
        "hardtanh(x)": ("torch.nn.functional.hardtanh", F.hardtanh),
        "clamp(x, -1, 1)": ("torch.clamp(x, -1, 1)", lambda x: T.clamp(x, -1.0, 1.0)),
        "clamp(x, 0, 0)": ("torch.clamp(x, 0, 0)", lambda x: T.clamp(x, 0.0, 0.0)),
        "maximum(x, y)": ("torch.maximum", T.maximum),
        "maximum(y, x)": ("torch.maximum", lambda x, y: T.maximum(y, x)),
        "minimum(x, y)": ("torch.minimum", T.minimum),
        "minimum(y, x)": ("torch.minimum", lambda x, y: T.minimum(y, x)),
        "max([a, b])": ("torch.max(t)", T.max),
        "max([a, b, c])": ("torch.max(t)", T.max),
        "min([a, b])": ("torch.min(t)", T.min),
        "min([a, b, c])": ("torch.min(t)", T.min),
        "logsumexp([a, b])": ("torch.logsumexp(t, 0)", lambda t: T.logsumexp(t, 0)),
        "logsumexp([a, b, c])": ("torch.logsumexp(t, 0)", lambda t: T.logsumexp(t, 0)),
        "softplus(x)": ("torch.nn.functional.softplus", F.softplus),
        "silu(x)": ("torch.nn.functional.silu", F.silu),
        "gelu(x)": ("torch.nn.functional.gelu(x, approximate='none')", lambda x: F.gelu(x, approximate="none")),
        "sqrt(x)": ("torch.sqrt", T.sqrt),
        "x**(1/3)": ("x ** (1/3)", lambda x: x ** (1 / 3)),
        "hypot(x, y)": ("torch.hypot", T.hypot),
        "atan2(y, x)": ("torch.atan2", T.atan2),
        "x**y": ("x ** y (torch.pow)", lambda x, y: x ** y),
    }
    alternatives = {
        "max([a, b])": [("torch.amax(t)", T.amax), ("torch.max(t, dim=0).values", lambda t: T.max(t, dim=0).values)],
        "max([a, b, c])": [("torch.amax(t)", T.amax),
                           ("torch.max(t, dim=0).values", lambda t: T.max(t, dim=0).values)],
        "min([a, b])": [("torch.amin(t)", T.amin), ("torch.min(t, dim=0).values", lambda t: T.min(t, dim=0).values)],
        "min([a, b, c])": [("torch.amin(t)", T.amin),
                           ("torch.min(t, dim=0).values", lambda t: T.min(t, dim=0).values)],
        "x**(1/3)": [("torch.pow(x, 1/3)", lambda x: T.pow(x, 1 / 3))],
        "x**y": [("torch.pow(x, y)", T.pow)],
        "clamp(x, -1, 1)": [("torch.clip(x, -1, 1)", lambda x: T.clip(x, -1.0, 1.0))],
    }
    absent = {"cbrt(x)": "torch has no cbrt function (torch.cbrt does not exist); x**(1/3) is recorded instead"}
    assert not hasattr(T, "cbrt"), "torch.cbrt exists after all: record it"

    def run(fn, at, vector):
        if vector:
            leaf = T.tensor(at, dtype=T.float64, requires_grad=True)
            out = fn(leaf)
            try:
                out.backward()
            except Exception as error:
                raise GradientRefused(out.item(), error) from error
            return out.item(), [number(g) for g in leaf.grad.tolist()]
        leaves = [T.tensor(v, dtype=T.float64, requires_grad=True) for v in at]
        out = fn(*leaves)
        try:
            grads = T.autograd.grad(out, leaves, allow_unused=True)
        except Exception as error:
            raise GradientRefused(out.item(), error) from error
        return out.item(), [None if g is None else number(g.item()) for g in grads]

    defaults = {
        "leaky_relu(x)": {"negative_slope": default_of(F.leaky_relu, "negative_slope")},
        "elu(x)": {"alpha": default_of(F.elu, "alpha")},
        "softplus(x)": {"beta": default_of(F.softplus, "beta"), "threshold": default_of(F.softplus, "threshold")},
        "hardtanh(x)": {"min_val": default_of(F.hardtanh, "min_val"), "max_val": default_of(F.hardtanh, "max_val")},
        "gelu(x)": {"approximate": default_of(F.gelu, "approximate")},
    }
    info = {"version": T.__version__, "dtype": "float64", "libraries": {"torch": T.__version__},
            "how": "/tmp/oracle/bin/python tests/data/observe_frameworks.py pytorch "
                   "(scratch venv /tmp/oracle: pip install torch==2.13.0 numpy), gradients from torch.autograd.grad / "
                   ".backward() on float64 leaf tensors"}
    return info, table, alternatives, absent, defaults, run


# ------------------------------------------------------------------------------------------------------- jax
def jax_frontend():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jax.scipy.special
    import jaxlib

    heav = lambda v: lambda x: jnp.heaviside(x, v)
    table = {
        "relu(x)": ("jax.nn.relu", jax.nn.relu),
        "abs(x)": ("jnp.abs", jnp.abs),
        "sign(x)": ("jnp.sign", jnp.sign),
        "heaviside(x, 0)": ("jnp.heaviside(x, 0.)", heav(0.0)),
        "heaviside(x, 0.5)": ("jnp.heaviside(x, 0.5)", heav(0.5)),
        "heaviside(x, 1)": ("jnp.heaviside(x, 1.)", heav(1.0)),
        "floor(x)": ("jnp.floor", jnp.floor),
        "ceil(x)": ("jnp.ceil", jnp.ceil),
        "round(x)": ("jnp.round", jnp.round),
        "leaky_relu(x)": ("jax.nn.leaky_relu", jax.nn.leaky_relu),
        "leaky_relu(x, 0.01)": ("jax.nn.leaky_relu(x, 0.01)", lambda x: jax.nn.leaky_relu(x, 0.01)),
        "leaky_relu(x, 0.2)": ("jax.nn.leaky_relu(x, 0.2)", lambda x: jax.nn.leaky_relu(x, 0.2)),
        "elu(x)": ("jax.nn.elu", jax.nn.elu),
        "elu(x, 0.5)": ("jax.nn.elu(x, alpha=0.5)", lambda x: jax.nn.elu(x, alpha=0.5)),
        "relu6(x)": ("jax.nn.relu6", jax.nn.relu6),
        "hardtanh(x)": ("jax.nn.hard_tanh", jax.nn.hard_tanh),
        "clamp(x, -1, 1)": ("jnp.clip(x, -1, 1)", lambda x: jnp.clip(x, -1.0, 1.0)),
        "clamp(x, 0, 0)": ("jnp.clip(x, 0, 0)", lambda x: jnp.clip(x, 0.0, 0.0)),
        "maximum(x, y)": ("jnp.maximum", jnp.maximum),
        "maximum(y, x)": ("jnp.maximum", lambda x, y: jnp.maximum(y, x)),
        "minimum(x, y)": ("jnp.minimum", jnp.minimum),
        "minimum(y, x)": ("jnp.minimum", lambda x, y: jnp.minimum(y, x)),
        "max([a, b])": ("jnp.max(t)", jnp.max),
        "max([a, b, c])": ("jnp.max(t)", jnp.max),
        "min([a, b])": ("jnp.min(t)", jnp.min),
        "min([a, b, c])": ("jnp.min(t)", jnp.min),
        "logsumexp([a, b])": ("jax.nn.logsumexp(t)", jax.nn.logsumexp),
        "logsumexp([a, b, c])": ("jax.nn.logsumexp(t)", jax.nn.logsumexp),
        "softplus(x)": ("jax.nn.softplus", jax.nn.softplus),
        "silu(x)": ("jax.nn.silu", jax.nn.silu),
        "gelu(x)": ("jax.nn.gelu(x, approximate=False)", lambda x: jax.nn.gelu(x, approximate=False)),
        "sqrt(x)": ("jnp.sqrt", jnp.sqrt),
        "cbrt(x)": ("jnp.cbrt", jnp.cbrt),
        "x**(1/3)": ("x ** (1/3)", lambda x: x ** (1 / 3)),
        "hypot(x, y)": ("jnp.hypot", jnp.hypot),
        "atan2(y, x)": ("jnp.arctan2", jnp.arctan2),
        "x**y": ("x ** y (jnp.power)", lambda x, y: x ** y),
    }
    alternatives = {
        "max([a, b])": [("jnp.amax(t)", jnp.amax)],
        "max([a, b, c])": [("jnp.amax(t)", jnp.amax)],
        "min([a, b])": [("jnp.amin(t)", jnp.amin)],
        "min([a, b, c])": [("jnp.amin(t)", jnp.amin)],
        "logsumexp([a, b, c])": [("jax.scipy.special.logsumexp(t)", jax.scipy.special.logsumexp)],
        "gelu(x)": [("jax.nn.gelu(x) (default approximate=True, tanh form)", jax.nn.gelu)],
        "x**y": [("jax.lax.pow(x, y)", jax.lax.pow)],
    }
    absent = {}

    def run(fn, at, vector):
        if vector:
            v = jnp.array(at, dtype=jnp.float64)
            try:
                value, grad = jax.value_and_grad(fn)(v)
            except Exception as error:
                raise GradientRefused(float(fn(v)), error) from error
            return float(value), [number(g) for g in grad.tolist()]
        args = [jnp.array(a, dtype=jnp.float64) for a in at]
        try:
            value, grads = jax.value_and_grad(fn, argnums=tuple(range(len(at))))(*args)
        except Exception as error:
            raise GradientRefused(float(fn(*args)), error) from error
        return float(value), [number(g) for g in grads]

    defaults = {
        "leaky_relu(x)": {"negative_slope": default_of(jax.nn.leaky_relu, "negative_slope")},
        "elu(x)": {"alpha": default_of(jax.nn.elu, "alpha")},
        "gelu(x)": {"approximate": default_of(jax.nn.gelu, "approximate")},
    }
    import numpy
    info = {"version": jax.__version__, "dtype": "float64",
            "libraries": {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "numpy": numpy.__version__},
            "how": "/tmp/oracle-jax/bin/python tests/data/observe_frameworks.py jax "
                   "(scratch venv /tmp/oracle-jax: pip install jax jaxlib), jax_enable_x64 on, gradients from "
                   "jax.value_and_grad on float64 arrays"}
    return info, table, alternatives, absent, defaults, run


# ------------------------------------------------------------------------------------------------ tensorflow
def tensorflow_frontend():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import tensorflow.experimental.numpy as tnp

    import numpy as np

    d = tf.float64
    c = lambda v: tf.constant(v, dtype=d)
    # the point's arguments go in through NumPy: eager tf.constant caches Python scalars by value, and since
    # -0.0 == 0.0, tf.constant(-0.0, tf.float64) made after tf.constant(0.0, tf.float64) comes back as +0.0
    # (observed with 2.21.0); tf.constant(np.array(-0.0)) keeps the sign
    arg = lambda v: tf.constant(np.array(v, dtype=np.float64))
    table = {
        "relu(x)": ("tf.nn.relu", tf.nn.relu),
        "abs(x)": ("tf.abs", tf.abs),
        "sign(x)": ("tf.sign", tf.sign),
        "heaviside(x, 0)": ("tf.experimental.numpy.heaviside(x, 0.)", lambda x: tnp.heaviside(x, c(0.0))),
        "heaviside(x, 0.5)": ("tf.experimental.numpy.heaviside(x, 0.5)", lambda x: tnp.heaviside(x, c(0.5))),
        "heaviside(x, 1)": ("tf.experimental.numpy.heaviside(x, 1.)", lambda x: tnp.heaviside(x, c(1.0))),
        "floor(x)": ("tf.floor", tf.floor),
        "ceil(x)": ("tf.math.ceil", tf.math.ceil),
        "round(x)": ("tf.round", tf.round),
        "leaky_relu(x)": ("tf.nn.leaky_relu", tf.nn.leaky_relu),
        "leaky_relu(x, 0.01)": ("tf.nn.leaky_relu(x, alpha=0.01)", lambda x: tf.nn.leaky_relu(x, alpha=0.01)),
        "leaky_relu(x, 0.2)": ("tf.nn.leaky_relu(x, alpha=0.2)", lambda x: tf.nn.leaky_relu(x, alpha=0.2)),
        "elu(x)": ("tf.nn.elu", tf.nn.elu),
        "relu6(x)": ("tf.nn.relu6", tf.nn.relu6),
        "clamp(x, -1, 1)": ("tf.clip_by_value(x, -1, 1)", lambda x: tf.clip_by_value(x, c(-1.0), c(1.0))),
        "clamp(x, 0, 0)": ("tf.clip_by_value(x, 0, 0)", lambda x: tf.clip_by_value(x, c(0.0), c(0.0))),
        "maximum(x, y)": ("tf.maximum", tf.maximum),
        "maximum(y, x)": ("tf.maximum", lambda x, y: tf.maximum(y, x)),
        "minimum(x, y)": ("tf.minimum", tf.minimum),
        "minimum(y, x)": ("tf.minimum", lambda x, y: tf.minimum(y, x)),
        "max([a, b])": ("tf.reduce_max(t)", tf.reduce_max),
        "max([a, b, c])": ("tf.reduce_max(t)", tf.reduce_max),
        "min([a, b])": ("tf.reduce_min(t)", tf.reduce_min),
        "min([a, b, c])": ("tf.reduce_min(t)", tf.reduce_min),
        "logsumexp([a, b])": ("tf.reduce_logsumexp(t)", tf.reduce_logsumexp),
        "logsumexp([a, b, c])": ("tf.reduce_logsumexp(t)", tf.reduce_logsumexp),
        "softplus(x)": ("tf.nn.softplus", tf.nn.softplus),
        "silu(x)": ("tf.nn.silu", tf.nn.silu),
        "gelu(x)": ("tf.nn.gelu(x, approximate=False)", lambda x: tf.nn.gelu(x, approximate=False)),
        "sqrt(x)": ("tf.sqrt", tf.sqrt),
        "cbrt(x)": ("tf.experimental.numpy.cbrt", tnp.cbrt),
        "x**(1/3)": ("tf.pow(x, 1/3)", lambda x: tf.pow(x, c(1 / 3))),
        "hypot(x, y)": ("tf.experimental.numpy.hypot", tnp.hypot),
        "atan2(y, x)": ("tf.math.atan2", tf.math.atan2),
        "x**y": ("tf.pow(x, y)", tf.pow),
    }
    alternatives = {
        "max([a, b, c])": [("tf.experimental.numpy.max(t)", tnp.max)],
        "min([a, b, c])": [("tf.experimental.numpy.min(t)", tnp.min)],
        "hardtanh(x)": [("tf.clip_by_value(x, -1, 1) (TF has no hardtanh)",
                         lambda x: tf.clip_by_value(x, c(-1.0), c(1.0)))],
        "x**y": [("x ** y (Tensor.__pow__)", lambda x, y: x ** y)],
        "relu6(x)": [("tf.keras.activations.relu6", getattr(tf.keras.activations, "relu6", None))],
        "leaky_relu(x)": [("tf.keras.activations.leaky_relu", getattr(tf.keras.activations, "leaky_relu", None))],
        "elu(x, 0.5)": [("tf.keras.activations.elu(x, alpha=0.5)",
                         lambda x: tf.keras.activations.elu(x, alpha=0.5))],
    }
    alternatives = {k: [(n, f) for n, f in v if f is not None] for k, v in alternatives.items()}
    absent = {"elu(x, 0.5)": "tf.nn.elu has no alpha (fixed at 1); tf.keras.activations.elu(x, alpha=0.5) is "
                             "recorded among the alternatives",
              "hardtanh(x)": "TensorFlow has no hardtanh (tf.clip_by_value(x, -1, 1) is recorded among the "
                             "alternatives)"}

    def run(fn, at, vector):
        if vector:
            v = arg(at)
            with tf.GradientTape() as tape:
                tape.watch(v)
                out = fn(v)
            try:
                g = tape.gradient(out, v)
            except Exception as error:
                raise GradientRefused(float(out.numpy()), error) from error
            return float(out.numpy()), [None] * len(at) if g is None else [number(x) for x in g.numpy().tolist()]
        args = [arg(a) for a in at]
        with tf.GradientTape() as tape:
            for a in args:
                tape.watch(a)
            out = fn(*args)
        try:
            grads = tape.gradient(out, args)
        except Exception as error:
            raise GradientRefused(float(out.numpy()), error) from error
        return float(out.numpy()), [None if g is None else number(g.numpy()) for g in grads]

    defaults = {
        "leaky_relu(x)": {"alpha": default_of(tf.nn.leaky_relu, "alpha")},
        "gelu(x)": {"approximate": default_of(tf.nn.gelu, "approximate")},
    }
    import numpy
    info = {"version": tf.__version__, "dtype": "float64",
            "libraries": {"tensorflow": tf.__version__, "keras": tf.keras.__version__, "numpy": numpy.__version__},
            "how": "/tmp/oracle-tf/bin/python tests/data/observe_frameworks.py tensorflow "
                   "(scratch venv /tmp/oracle-tf: pip install tensorflow-cpu), gradients from tf.GradientTape on "
                   "tf.float64 constants with tape.watch; TensorFlow's defaults otherwise (oneDNN on)"}
    return info, table, alternatives, absent, defaults, run


FRONTENDS = {"pytorch": torch_frontend, "jax": jax_frontend, "tensorflow": tensorflow_frontend}


def observe(framework: str) -> dict:
    info, table, alternatives, absent, defaults, run = FRONTENDS[framework]()

    def one(expression, name, fn, at, main=True):
        record = {"expression": expression, "name": name, "at": [float(a) for a in at]}
        if expression in TWO_ARGS:
            record["arguments"] = TWO_ARGS[expression]
        known = {k: v for k, v in defaults.get(expression, {}).items() if v is not None and main}
        if known:
            record["defaults"] = known
        try:
            value, gradient = run(fn, at, expression in VECTOR)
        except GradientRefused as refused:  # a value, but no gradient: record that, do not guess
            record["value"] = number(refused.value)
            record["error"] = str(refused)
            return record
        except Exception as error:  # not even a value
            record["error"] = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:300]}"
            return record
        record["value"] = number(value)
        record["gradient"] = gradient
        return record

    observations, others, missing, signed_zeros = [], [], [], []
    for expression, points in CASES:
        if expression not in table:
            missing.append({"expression": expression, "why": absent.get(expression, "no such function")})
        for at in points:
            if expression in table:
                name, fn = table[expression]
                rec = one(expression, name, fn, at)
                if "error" in rec:
                    missing.append(rec)
                elif any(a == 0 and math.copysign(1, a) < 0 for a in at):
                    signed_zeros.append(rec)  # [-0.0] == [0.0] in Python: keep (expression, at) unique
                else:
                    observations.append(rec)
            for name, fn in alternatives.get(expression, []):
                others.append(one(expression, name, fn, at, main=False))
    info.update({"python": platform.python_version(), "machine": f"{platform.system()} {platform.machine()}",
                 "observations": observations, "signed_zeros": signed_zeros, "alternatives": others,
                 "absent": missing})
    return {framework: info}


def merge(paths: list[str]) -> None:
    merged = json.loads(MERGED.read_text(encoding="utf-8")) if MERGED.exists() else {}
    for path in paths:
        merged.update(json.loads(Path(path).read_text(encoding="utf-8")))
    order = [k for k in FRONTENDS if k in merged] + [k for k in merged if k not in FRONTENDS]
    MERGED.write_text(dumps({k: merged[k] for k in order}), encoding="utf-8")


def dumps(doc: dict) -> str:
    """JSON with one record a line, so a diff of a new run shows which observations changed."""
    one = lambda v: json.dumps(v, allow_nan=False)
    out = ["{"]
    for i, (framework, entry) in enumerate(doc.items()):
        out.append(f"  {one(framework)}: {{")
        items = list(entry.items())
        for j, (key, value) in enumerate(items):
            comma = "," if j < len(items) - 1 else ""
            if isinstance(value, list) and value:
                out.append(f"    {one(key)}: [")
                out.extend(f"      {one(v)}{',' if n < len(value) - 1 else ''}" for n, v in enumerate(value))
                out.append(f"    ]{comma}")
            else:
                out.append(f"    {one(key)}: {one(value)}{comma}")
        out.append("  }" + ("," if i < len(doc) - 1 else ""))
    out.append("}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "merge":
        merge(sys.argv[2:])
    elif len(sys.argv) == 2 and sys.argv[1] in FRONTENDS:
        print(dumps(observe(sys.argv[1])), end="")
    else:
        sys.exit(f"usage: {sys.argv[0]} pytorch|jax|tensorflow   or   {sys.argv[0]} merge FILE...")
