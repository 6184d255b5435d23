"""Both engines in the tests (issue 13): the same tests on DuckDB and on Spark local mode.

``spark_session`` is ONE SparkSession for the whole test session (local[2], two shuffle partitions,
no UI, its warehouse in a temporary folder). A module runs every test on both engines with::

    engine = both_engines("load_sent")   # the module's names that load a history

which parametrizes each test ``[duckdb]`` / ``[spark]``; under ``spark`` those names load through
``load_sent(..., spark=session)``. Spark tests skip only where Java is absent, and never when the
environment variable CI is set: there a missing Java or pyspark fails.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys

import pytest

ENGINES = ("duckdb", "spark")


def _unavailable() -> str | None:
    """Why Spark cannot run here (None when it can)."""
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else shutil.which("java")
    if not java or not os.path.exists(java):
        return "Spark needs Java (17 or 21): none on PATH or in JAVA_HOME"
    return None


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory):
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the Spark tests must run: {reason}")
        pytest.skip(reason)
    from pyspark.sql import SparkSession  # the [test] extra brings pyspark: a missing one fails, never skips
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (SparkSession.builder.master("local[2]").appName("neverlog-sim-tests")
               .config("spark.sql.shuffle.partitions", "2")
               # The test histories are a few rows: compiling generated code and re-planning adaptively
               # cost far more than they save there (a lakehouse keeps Spark's defaults).
               .config("spark.sql.codegen.wholeStage", "false")
               .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
               .config("spark.sql.adaptive.enabled", "false")
               .config("spark.default.parallelism", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.warehouse.dir", str(warehouse))
               .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def both_engines(*names: str):
    """An autouse fixture running each test of the calling module on DuckDB and on Spark.

    ``names``: the module's globals that load a history (``load_sent``, a helper built on it ...); under
    ``spark`` each is replaced by the same callable with ``spark=session``.
    """
    @pytest.fixture(autouse=True, params=ENGINES)
    def engine(request, monkeypatch):
        if request.param == "spark":
            session = request.getfixturevalue("spark_session")
            for name in names:
                original = getattr(request.module, name)
                monkeypatch.setattr(request.module, name, functools.partial(original, spark=session))
        return request.param
    return engine
