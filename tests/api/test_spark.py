"""A Function inside Spark's mapInPandas (docs/api.md's recipe, run): a local Spark session of two worker
threads whose Python workers are separate processes, 200,000 rows in four partitions, gives exactly the numbers
of one local call. Skipped where pyspark or a Java runtime is missing (pyspark is not in the test extra: with its
JVM it is some 300 MB; `pip install pyspark` and a JDK 17 run it, as this machine does in about 15 s)."""
from __future__ import annotations

import os
import shutil
import sys

import pytest

import backprop_cli as bp

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs a Java runtime, and none is installed", allow_module_level=True)

ROWS = 200_000


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers import backprop_cli from this environment
    session = (SparkSession.builder.master("local[2]").appName("backprop-test")
               .config("spark.ui.enabled", "false").config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_map_in_pandas_gives_the_local_numbers(spark):
    f = bp.compile("t = tanh(w*x + b) + relu(x); L = (t - y)^2", convention="jax")
    rng = np.random.default_rng(7)
    points = pd.DataFrame({"w": rng.uniform(-2, 2, ROWS), "x": rng.uniform(-3, 3, ROWS),
                           "b": rng.uniform(-1, 1, ROWS), "y": rng.uniform(0, 1, ROWS)})
    points.loc[points.index[::1000], "x"] = 0.0  # some rows on relu's kink
    local = f.frame(points)
    schema = ", ".join(f"{column} double" for column in local.columns) + ", row long"

    def gradients(frames):  # the recipe of docs/api.md, with the row number carried to compare in order
        for frame in frames:
            out = f.frame(frame[["w", "x", "b", "y"]])
            out["row"] = frame["row"].to_numpy()
            yield out

    table = spark.createDataFrame(points.assign(row=np.arange(ROWS))).repartition(4)
    assert table.rdd.getNumPartitions() == 4
    result = table.mapInPandas(gradients, schema).toPandas().sort_values("row").reset_index(drop=True)
    assert len(result) == ROWS
    for column in local.columns:
        assert np.array_equal(result[column].to_numpy(), local[column].to_numpy()), column
