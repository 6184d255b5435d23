"""Benchmark: the sample company ×100 on local Spark against DuckDB (issue 13).

Run: python benchmarks/bench_spark.py [--copies 100] [--master local[2]]
The sample company's recipient rows (data/samples) are replicated ``copies`` times — each copy with
its own message ids and its own senders (``ann+c7@...``), the recipients shared — written once to
Parquet, then loaded and simulated (the sample lists and contacts, profile seed-2023) by DuckDB and by
a local SparkSession. Prints load and simulate + metrics times for both and the ratio Spark / DuckDB.
Personal lists name the original senders, so they apply to the first copy only.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from neverlog_sim import Policy, load_sent, simulate
from neverlog_sim.samples import sample_path


def replicated(copies: int) -> pd.DataFrame:
    rows = load_sent(sample_path("sent_canonical.csv"), progress=False).to_pandas()
    parts_of = rows["sender"].str.partition("@")
    local, domain = parts_of[0], parts_of[2]
    parts = []
    for k in range(copies):
        part = rows.copy()
        if k:
            part["message_id"] = part["message_id"] + f"~c{k}"
            part["sender"] = local + f"+c{k}@" + domain
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def run(sent_source, spark, lists, contacts) -> dict:
    sent, load_s = timed(lambda: load_sent(sent_source, progress=False, spark=spark))
    metrics, sim_s = timed(lambda: simulate(sent, lists, contacts=contacts).metrics())
    return {"load": load_s, "simulate": sim_s, "metrics": metrics, "rows": len(sent)}


def main(copies: int = 100, master: str = "local[2]") -> dict:
    from pyspark.sql import SparkSession
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sent.parquet"
        rows = replicated(copies)
        rows.to_parquet(path, index=False)
        first = Path(tmp) / "first.parquet"
        rows.iloc[: len(rows) // copies].to_parquet(first, index=False)
        lists = Policy.from_dir(sample_path("lists"))
        contacts = pd.read_csv(sample_path("contacts.csv"))
        duck = run(str(path), None, lists, contacts)
        spark = (SparkSession.builder.master(master).appName("neverlog-bench")
                 .config("spark.ui.enabled", "false").config("spark.driver.memory", "6g")
                 .config("spark.sql.shuffle.partitions", "8")
                 .config("spark.sql.warehouse.dir", str(Path(tmp) / "warehouse")).getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        try:
            warm = run(str(first), spark, lists, contacts)  # JVM warm-up on one copy: not counted
            sp = run(str(path), spark, lists, contacts)
        finally:
            spark.stop()
    assert duck["metrics"] == sp["metrics"], "the engines disagree"
    print(f"sample company x{copies}: {len(rows):,} recipient rows ({duck['rows']:,} after the load), master {master}")
    print(f"{'':22}{'DuckDB':>10}{'Spark':>10}{'ratio':>8}")
    for key in ("load", "simulate"):
        print(f"{key + (' + metrics' if key == 'simulate' else ''):22}{duck[key]:>9.2f}s{sp[key]:>9.2f}s"
              f"{sp[key] / duck[key]:>7.1f}x")
    total_d, total_s = duck["load"] + duck["simulate"], sp["load"] + sp["simulate"]
    print(f"{'total':22}{total_d:>9.2f}s{total_s:>9.2f}s{total_s / total_d:>7.1f}x")
    print(f"blocked rows: {sp['metrics']['blocked_rows_after']:,} (same on both engines)")
    return {"duckdb": duck, "spark": sp, "warm-up": warm}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    main(args.copies, args.master)
