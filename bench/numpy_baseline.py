"""The script a user would write by hand instead of `backprop eval --batch`: NumPy, gradient formulas by hand.

    python bench/numpy_baseline.py points.csv > gradients.csv

For f = tanh(w0*x0 + w1*x1 + b) * (a + b) / c: read the CSV (header w0,x0,w1,x1,b,a,c), compute f and its
gradient with the chain rule worked out on paper, write value and gradient as CSV with np.savetxt
(full precision). bench/run.py times it against backprop on the same file.
"""
import sys

import numpy as np


def main(path: str) -> None:
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    w0, x0, w1, x1, b, a, c = data.T
    t = np.tanh(w0 * x0 + w1 * x1 + b)
    s = (a + b) / c
    f = t * s
    dz = (1 - t * t) * s  # d f / d (w0*x0 + w1*x1 + b)
    grads = [f, dz * x0, dz * w0, dz * x1, dz * w1, dz + t / c, t / c, -f / c]
    header = "value,grad_w0,grad_x0,grad_w1,grad_x1,grad_b,grad_a,grad_c"
    np.savetxt(sys.stdout, np.column_stack(grads), delimiter=",", header=header, comments="")


if __name__ == "__main__":
    main(sys.argv[1])
