"""Spark sources: a Spark DataFrame, a table name, or Parquet / Delta / CSV paths, as canonical columns.

Used by ``load_sent(source, spark=session)`` only; pyspark is imported by the caller's session, never
at package import. Columns are mapped exactly as for files read on the driver (``canonical_table``
reads the names and decides the level); the values stay in Spark.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ..errors import InputError, quote
from .canonical import canonical_table

__all__ = ["is_spark_source", "load_spark_frame", "canonical_frame"]

_SCHEMES = ("s3://", "s3a://", "s3n://", "dbfs:/", "abfss://", "abfs://", "wasbs://", "gs://", "hdfs://", "file:/")
_SPARK_SUFFIXES = (".parquet", ".csv", ".delta")


def _is_frame(source) -> bool:
    try:
        from pyspark.sql import DataFrame
    except ImportError:
        return False
    return isinstance(source, DataFrame)


def _is_delta(path: Path) -> bool:
    return path.is_dir() and (path / "_delta_log").is_dir()


def is_spark_source(source, spark) -> bool:
    """Whether Spark reads ``source`` itself (a DataFrame, a table, a lakehouse path, Parquet/Delta/CSV
    paths); anything else (pandas, mail files, HubSpot exports) is read on the driver and handed over."""
    if _is_frame(source):
        return True
    if isinstance(source, (list, tuple)) and source and all(isinstance(s, (str, Path)) for s in source):
        return True
    if not isinstance(source, (str, Path)):
        return False
    text = str(source)
    if text.startswith(_SCHEMES) or _is_delta(Path(text)):
        return True
    if Path(text).exists() or any(c in text for c in "*?/\\"):
        path = Path(text)
        if path.is_dir():
            return any(p.suffix.lower() in (".parquet",) for p in path.rglob("*"))
        return path.suffix.lower() in (".parquet",)
    return isinstance(source, str) and spark.catalog.tableExists(text)


def load_spark_frame(source, spark, *, encoding: str | None = None):
    """``(frame, label)``: the Spark DataFrame of ``source`` and the name the load report gives it."""
    from pyspark.errors import PySparkException
    if _is_frame(source):
        return source, "a Spark DataFrame"
    paths = [str(p) for p in source] if isinstance(source, (list, tuple)) else [str(source)]
    label = paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"
    try:
        if len(paths) == 1 and not paths[0].startswith(_SCHEMES) and not Path(paths[0]).exists() \
                and not any(c in paths[0] for c in "*?/\\") and spark.catalog.tableExists(paths[0]):
            return spark.table(paths[0]), f"table {paths[0]}"
        if all(_is_delta(Path(p)) or p.rstrip("/").endswith(".delta") for p in paths):
            frames = [spark.read.format("delta").load(p) for p in paths]
            frame = frames[0]
            for more in frames[1:]:
                frame = frame.unionByName(more, allowMissingColumns=True)
            return frame, label
        if all(p.lower().rstrip("/").endswith(".csv") for p in paths):
            reader = spark.read.option("header", True).option("encoding", encoding or "UTF-8")
            return reader.csv(paths), label
        return spark.read.option("mergeSchema", True).parquet(*paths), label
    except PySparkException as exc:
        raise InputError(f"cannot read sent mail from {quote(label)} with Spark: "
                         f"{quote(str(exc).strip().splitlines()[0], 200)}; give a DataFrame, a table name, or "
                         f"Parquet / Delta / CSV paths (see docs/spark.md)") from None


_MARK = "\x00column:"


def canonical_frame(frame, columns: dict | None, label: str, report: list, channel: str | None):
    """``(frame, level, columns, typed_sent_at)``: ``frame`` with our column names, every column as text
    except timestamps, dates and booleans (lists of addresses joined with ``", "``), and the 1-based
    source row number ``_source_row`` that "row-N" message ids use."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    names = list(frame.columns)
    # canonical_table maps names only: hand it one row naming each column, read back which column became which.
    probe = pa.table({n: pa.array([_MARK + n], pa.string()) for n in names})
    mapped, level = canonical_table(probe, columns, label, report, channel)
    types = {f.name: f.dataType for f in frame.schema.fields}
    picked = []
    for ours in mapped.column_names:
        value = mapped.column(ours)[0].as_py()
        if value is None or not value.startswith(_MARK):  # the channel of every row (channel=)
            picked.append(F.lit(value).cast("string").alias(ours))
            continue
        theirs = value[len(_MARK):]
        t = types[theirs]
        col = F.col(f"`{theirs}`")
        if isinstance(t, (T.TimestampType, T.TimestampNTZType, T.DateType, T.BooleanType)):
            picked.append(col.alias(ours))
        elif isinstance(t, T.ArrayType) and isinstance(t.elementType, T.StringType):
            picked.append(F.concat_ws(", ", col).alias(ours))
        elif isinstance(t, (T.ArrayType, T.MapType, T.StructType, T.BinaryType)):
            raise InputError(f"sent mail from {label}: column {theirs!r} is {t.simpleString()}; it must hold text "
                             f"(a list of addresses is read as one field), see docs/rules.md#recipients-in-your-data")
        else:
            picked.append(col.cast("string").alias(ours))
    out = frame.select(*picked)
    typed = isinstance(types.get(_source_of(mapped, "sent_at")), (T.TimestampType, T.TimestampNTZType, T.DateType))
    return _numbered(out), level, set(mapped.column_names), typed


def _source_of(mapped: pa.Table, ours: str) -> str | None:
    value = mapped.column(ours)[0].as_py() if ours in mapped.column_names else None
    return value[len(_MARK):] if value and value.startswith(_MARK) else None


def _numbered(frame):
    """``frame`` with ``_source_row`` 1..n in its own order, computed in Spark: each partition's offset
    from the row counts of the partitions before it (no single-partition window, no Python per row)."""
    from pyspark.sql import functions as F
    staged = frame.withColumn("_mid", F.monotonically_increasing_id()).localCheckpoint(eager=True)
    part = F.shiftright(F.col("_mid"), 33)
    counts = sorted(tuple(r) for r in staged.groupBy(part.alias("_part")).count().collect())
    offsets, total = [], 0
    for p, n in counts:
        offsets.append((int(p), total))
        total += int(n)
    spark = frame.sparkSession
    table = F.broadcast(spark.createDataFrame(offsets or [(0, 0)], "_part BIGINT, _offset BIGINT"))
    local = F.col("_mid").bitwiseAND(F.lit((1 << 33) - 1))
    return (staged.withColumn("_part", part).join(table, "_part")
            .withColumn("_source_row", F.col("_offset") + local + F.lit(1))
            .drop("_mid", "_part", "_offset"))
