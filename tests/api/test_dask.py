"""A Function on Dask's distributed scheduler: a LocalCluster of two worker processes (started and stopped
here), 1,000,000 rows in eight partitions made on the workers through map_partitions, gives exactly the numbers of one local call.
Skipped where dask[distributed] is not installed (it is in the test extra's reach, not a dependency)."""
from __future__ import annotations

import os

import pytest

import backprop_cli as bp

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

ROWS = 1_000_000
PARTS = 8


def points(part: int) -> pd.DataFrame:
    """Partition `part` of the points, the same wherever it is made (the workers make theirs)."""
    rows = ROWS // PARTS
    rng = np.random.default_rng(part)
    frame = pd.DataFrame({
        "w": rng.uniform(-2, 2, rows), "x": rng.uniform(-3, 3, rows), "b": rng.uniform(-1, 1, rows),
        "y": rng.uniform(0, 1, rows),
    }, index=pd.RangeIndex(part * rows, (part + 1) * rows))
    frame.loc[frame.index[::1000], "x"] = 0.0  # some rows on relu's kink
    return frame


def test_map_partitions_on_two_worker_processes_gives_the_local_numbers():
    f = bp.compile("t = tanh(w*x + b) + relu(x); L = (t - y)^2", convention="jax")
    everything = pd.concat([points(part) for part in range(PARTS)])
    local = f.frame(everything)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        pids = set(client.run(os.getpid).values())
        assert len(pids) == 2 and os.getpid() not in pids  # two worker processes, not this one
        frame = dd.from_map(points, range(PARTS))  # each partition made on a worker, not shipped
        assert frame.npartitions == PARTS
        result = frame.map_partitions(f.frame, meta=f.frame(points(0).head(1))).compute()
    assert list(result.columns) == list(local.columns) and len(result) == ROWS
    for column in local.columns:  # the same bits, NaN where NaN
        assert np.array_equal(result[column].to_numpy(), local[column].to_numpy(), equal_nan=True), column
    assert np.array_equal(result.index.to_numpy(), np.arange(ROWS))
