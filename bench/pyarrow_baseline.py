"""The script a user would write by hand with pyarrow and NumPy instead of `backprop eval --batch`: the same
reader and writer as backprop's `[batch]` path, the gradient formulas by hand.

    python bench/pyarrow_baseline.py points.csv > gradients.csv      (or points.parquet, gradients.parquet)

For f = tanh(w0*x0 + w1*x1 + b) * (a + b) / c, as bench/numpy_baseline.py: read the file whole with
pyarrow (CSV or Parquet), compute f and its gradient with NumPy, write value and gradient with pyarrow's CSV
writer (shortest round-trip numbers) or as Parquet. bench/run.py times it against backprop on the same file.
"""
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pc


def main(path: str, out: str | None = None) -> None:
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(path)
    else:
        table = pc.read_csv(path)
    w0, x0, w1, x1, b, a, c = (table.column(name).to_numpy() for name in ("w0", "x0", "w1", "x1", "b", "a", "c"))
    t = np.tanh(w0 * x0 + w1 * x1 + b)
    s = (a + b) / c
    f = t * s
    dz = (1 - t * t) * s  # d f / d (w0*x0 + w1*x1 + b)
    grads = [f, dz * x0, dz * w0, dz * x1, dz * w1, dz + t / c, t / c, -f / c]
    names = ["value", "grad_w0", "grad_x0", "grad_w1", "grad_x1", "grad_b", "grad_a", "grad_c"]
    result = pa.table(dict(zip(names, grads)))
    if out is not None and out.endswith(".parquet"):
        import pyarrow.parquet as pq

        pq.write_table(result, out)
    else:
        pc.write_csv(result, out if out is not None else sys.stdout.buffer)


if __name__ == "__main__":
    main(*sys.argv[1:3])
