"""The Spark engine: runs the same SQL steps as ``DuckDBEngine`` through a ``SparkSession`` you pass.

Each statement of ``engine.sql`` is written once, in DuckDB's dialect. ``SparkEngine`` transpiles it
with sqlglot (``read="duckdb", write="spark"``) and caches the Spark text per statement. Where
transpiling cannot express a step, a named override in :data:`OVERRIDES` rewrites it — one entry a
difference, each tested in ``tests/test_spark_engine.py`` against DuckDB. Statements that make tables
(``CREATE TABLE ... AS``) become checkpointed DataFrames registered as temporary views; views stay
lazy. Bound parameters stay bound (``spark.sql(text, args=...)``; lists travel as array
parameters): user values never become SQL text.

Every table the toolkit makes is a temporary view named ``nl<engine>_<name>``, so two histories (or
your own views) never collide on one session.

>>> engine = SparkEngine(spark)                 # doctest: +SKIP
>>> engine.one_row("SELECT 1 AS one")           # doctest: +SKIP
{'one': 1}
"""

from __future__ import annotations

import itertools
import re

import pandas as pd
import pyarrow as pa

try:
    import sqlglot
    from sqlglot import exp
    from pyspark.errors import PySparkException
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import functions as F
except ImportError as _missing:  # pragma: no cover - exercised by tests/test_spark_engine.py in a subprocess
    raise ImportError(f"the Spark engine needs pyspark and sqlglot ({_missing}); install them with "
                      f"pip install 'neverlog-sim[spark]'") from None

from .base import Engine
from .duckdb import EngineError

__all__ = ["SparkEngine", "SparkResult", "OVERRIDES", "BROADCAST_ROWS", "COLLECT_LIMIT"]

#: Frames registered from pandas or Arrow with at most this many rows are broadcast-hinted (lists,
#: contacts, entries): every executor gets a copy and the big side of the join is never shuffled.
BROADCAST_ROWS = 200_000
#: How many rows ``SimulationResult.recipients`` (``.contacts``, ``.timeline``, ``.feed``) may bring to
#: the driver on a Spark-backed history before ``CollectLimitError``; ``result.collect_limit`` changes it.
COLLECT_LIMIT = 1_000_000

_engines = itertools.count(1)
# A timestamp before any mail: DuckDB's TIMESTAMP '-infinity' has no Spark counterpart.
_BEFORE_ANY_MAIL = "0001-01-01 00:00:00"


# --- overrides: where transpiling alone does not give Spark the same step ------------------------
# Text overrides run on the DuckDB text before parsing; tree overrides on the parsed DuckDB tree.

def positional_parameters(text: str) -> str:
    """``$1`` → ``$p1``: Spark binds named parameters only (``params`` lists become ``{"p1": ...}``)."""
    return re.sub(r"\$(\d+)\b", r"$p\1", text)


def list_length(text: str) -> str:
    """DuckDB's ``len(list)`` → ``array_length`` (Spark ``size``); sqlglot would read ``len`` as string length."""
    return re.sub(r"\blen\(", "array_length(", text)


def no_materialized_hint(tree: exp.Expression, engine: "SparkEngine") -> exp.Expression:
    """``WITH m AS NOT MATERIALIZED (...)``: Spark has no such hint; the CTE is inlined either way."""
    for cte in tree.find_all(exp.CTE):
        cte.set("materialized", None)
    return tree


def full_match(tree: exp.Expression, engine: "SparkEngine") -> exp.Expression:
    """``regexp_full_match(a, p)`` → ``a RLIKE concat('^(?:', p, ')$')`` (Spark's RLIKE finds, it does not match whole)."""
    def rewrite(node):
        if isinstance(node, exp.RegexpFullMatch):
            anchored = exp.Concat(expressions=[exp.Literal.string("^(?:"), node.expression, exp.Literal.string(")$")])
            return exp.RegexpLike(this=node.this, expression=anchored)
        return node
    return tree.transform(rewrite)


def _slice_bounds(node: exp.Bracket):
    if len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Slice):
        s = node.expressions[0]
        return s.this, s.expression
    return None


def _ordered_list(agg: exp.ArrayAgg):
    """The value and order-by key of ``list(x ORDER BY y)`` (the key is x itself when not given)."""
    inner = agg.this
    if isinstance(inner, exp.Order):
        return inner.this, inner.expressions[0].this
    return inner, inner


def list_slices(tree: exp.Expression, engine: "SparkEngine") -> exp.Expression:
    """DuckDB's 1-based slices: ``list(x ORDER BY y)[a:b]`` → the first rows by ``y`` (Spark's
    ``collect_list`` has no order and no slice syntax); ``parts[i:]`` → ``slice(parts, i, ...)``;
    ``text[-1:]`` (a string's last character) → ``right(text, 1)``."""
    def rewrite(node):
        if not isinstance(node, exp.Bracket) or _slice_bounds(node) is None:
            return node
        lo, hi = _slice_bounds(node)
        base = node.this
        if isinstance(base, exp.ArrayAgg):
            value, key = _ordered_list(base)
            pairs = exp.ArrayAgg(this=exp.func("named_struct", exp.Literal.string("k"), key.copy(),
                                               exp.Literal.string("v"), value.copy()))
            values = sqlglot.parse_one("transform(array_sort(_pairs), s -> s.v)", read="spark")
            values.find(exp.Column).replace(pairs)
            return exp.func("slice", values, lo.copy(), exp.Literal.number(int(hi.name) - int(lo.name) + 1))
        if isinstance(base, (exp.SplitPart, exp.Substring, exp.Lower, exp.Trim)) and isinstance(lo, exp.Neg) \
                and hi is None:
            return exp.func("right", base.copy(), lo.this.copy())
        if hi is None:  # a list from a 1-based position to its end
            size = exp.ArraySize(this=base.copy())
            count = exp.Add(this=exp.Sub(this=size, expression=lo.copy()), expression=exp.Literal.number(1))
            return exp.func("slice", base.copy(), lo.copy(), count)
        raise EngineError(f"no Spark form for the slice {node.sql('duckdb')}")
    return tree.transform(rewrite)


def lists_keep_nulls(tree: exp.Expression, engine: "SparkEngine") -> exp.Expression:
    """DuckDB's ``list(x)`` keeps NULLs (undated sends count, U10); Spark's ``collect_list`` drops them:
    collect one-field structs (never NULL) and take the field back out."""
    def rewrite(node):
        agg = node.this if isinstance(node, exp.Filter) else node
        if not isinstance(agg, exp.ArrayAgg) or isinstance(agg.this, exp.Order) or \
                isinstance(node.parent, (exp.Filter, exp.Bracket)) or node.find_ancestor(exp.Bracket):
            return node
        boxed = exp.ArrayAgg(this=exp.func("named_struct", exp.Literal.string("v"), agg.this.copy()))
        if isinstance(node, exp.Filter):  # list(x) FILTER (WHERE ...): the filter stays on the aggregate
            boxed = exp.Filter(this=boxed, expression=node.expression.copy())
        values = sqlglot.parse_one("transform(_boxed, s -> s.v)", read="spark")
        values.find(exp.Column).replace(boxed)
        return values
    return tree.transform(rewrite)


def minus_infinity(tree: exp.Expression, engine: "SparkEngine") -> exp.Expression:
    """``TIMESTAMP '-infinity'`` (a record older than any date) → the first instant Spark can hold."""
    def rewrite(node):
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.name == "-infinity":
            return exp.cast(exp.Literal.string(_BEFORE_ANY_MAIL), exp.DataType.build("TIMESTAMP", dialect="duckdb"))
        return node
    return tree.transform(rewrite)


def named_window_order(tree: exp.Expression, engine: "SparkEngine") -> exp.Expression:
    """``OVER (w ORDER BY rank)`` refining ``WINDOW w AS (PARTITION BY ...)``: Spark cannot extend a
    named window, so every window using it gets the partition written out."""
    for select in list(tree.find_all(exp.Select)):
        named = {w.alias_or_name: w for w in select.args.get("windows") or []}
        if not named:
            continue
        for win in select.find_all(exp.Window):
            alias = win.args.get("alias")
            if alias is not None and alias.name in named:
                win.set("alias", None)
                win.set("partition_by", [p.copy() for p in named[alias.name].args.get("partition_by") or []])
        select.set("windows", None)
    return tree


def star_exclude(tree: exp.Expression, engine: "SparkEngine") -> exp.Expression:
    """``SELECT * EXCLUDE (a, b) FROM t`` → the other columns of ``t`` by name (Spark SQL has no EXCLUDE)."""
    for star in list(tree.find_all(exp.Star)):
        dropped = star.args.get("except_") or star.args.get("except")
        if not dropped:
            continue
        select = star.find_ancestor(exp.Select)
        table = select.args["from_"].this.name
        gone = {c.name for c in dropped}
        keep = [exp.column(c) for c in engine.columns(table) if c not in gone]
        star.replace(keep[0])
        for col in keep[1:]:
            select.append("expressions", col)
    return tree


def row_ids(tree: exp.Expression, engine: "SparkEngine") -> exp.Expression:
    """A table's ``rowid`` (DuckDB numbers a table's rows; the load reads it as the split rows' ids) →
    ``monotonically_increasing_id()``: unique, and fixed once the table is checkpointed (row ids are only
    ever joined on, never counted)."""
    def rewrite(node):
        if isinstance(node, exp.Column) and node.name.lower() == "rowid":
            return exp.func("monotonically_increasing_id")
        return node
    return tree.transform(rewrite)


def hash64(tree: exp.Expression, engine: "SparkEngine") -> exp.Expression:
    """DuckDB's 64-bit ``hash(...)`` → ``xxhash64`` (Spark's ``hash`` is 32 bits: more pairs would share a key)."""
    def rewrite(node):
        if isinstance(node, exp.Anonymous) and node.name.lower() == "hash":
            return exp.func("xxhash64", *[a.copy() for a in node.expressions])
        return node
    return tree.transform(rewrite)


#: Every difference transpiling leaves, by name: text overrides (before parsing) then tree overrides.
OVERRIDES = {
    "positional_parameters": positional_parameters,
    "list_length": list_length,
    "no_materialized_hint": no_materialized_hint,
    "full_match": full_match,
    "list_slices": list_slices,
    "lists_keep_nulls": lists_keep_nulls,
    "minus_infinity": minus_infinity,
    "named_window_order": named_window_order,
    "star_exclude": star_exclude,
    "row_ids": row_ids,
    "hash64": hash64,
}
_TEXT = ("positional_parameters", "list_length")
# Statement shapes handled by the engine itself (not SQL on Spark): CREATE TABLE ... AS → a
# checkpointed DataFrame as a temporary view; CREATE VIEW → a lazy one; DROP TABLE/VIEW → the view
# dropped and its data released; ALTER ... RENAME → the DataFrame registered under the new name;
# ALTER ... DROP COLUMN → the DataFrame without it; DELETE → the rows kept, checkpointed;
# INSERT ... SELECT → the union by column name, checkpointed.


def _cacheable(tree: exp.Expression) -> bool:
    """Whether a query's Spark text may be reused: not when ``* EXCLUDE`` is spelled out from the
    columns a table has now (star_exclude)."""
    return not any((s.args.get("except_") or s.args.get("except")) for s in tree.find_all(exp.Star))


class _Plan:
    __slots__ = ("kind", "target", "text", "source")

    def __init__(self, kind: str, target: str | None = None, text: str | None = None, source: str | None = None):
        self.kind, self.target, self.text, self.source = kind, target, text, source


class SparkResult:
    """A statement's rows, read as DuckDB results are: ``fetchall()``, ``df()``, ``description``."""

    def __init__(self, frame: "DataFrame | None", engine: "SparkEngine"):
        self.frame, self._engine = frame, engine

    @property
    def description(self):
        return [(c, None, None, None, None, None, None) for c in (self.frame.columns if self.frame else [])]

    def fetchall(self) -> list[tuple]:
        return [] if self.frame is None else [tuple(r) for r in self._engine._collect(self.frame.collect)]

    def fetchone(self) -> tuple | None:
        rows = [] if self.frame is None else self._engine._collect(lambda: self.frame.take(1))
        return tuple(rows[0]) if rows else None

    def df(self) -> pd.DataFrame:
        return pd.DataFrame() if self.frame is None else self._engine._collect(self.frame.toPandas)

    def to_arrow_table(self) -> pa.Table:
        return self._engine._collect(self.frame.toArrow)

    def exceeds(self, limit: int) -> bool:
        """Whether the rows number more than ``limit`` (counts at most ``limit + 1`` of them)."""
        return self.frame is not None and self._engine._collect(self.frame.limit(limit + 1).count) > limit


class SparkEngine(Engine):
    """Runs the SQL steps of ``engine.sql`` on a ``SparkSession`` (yours; local, Databricks, EMR, ...).

    Parameters: ``session`` the SparkSession; ``collect_limit`` how many rows a result table may bring
    to the driver (see :data:`COLLECT_LIMIT`). The engine sets the session's time zone to UTC
    (``spark.sql.session.timeZone``): dates are read and compared as UTC, as on DuckDB.
    """

    name = "spark"
    # Every simulate() runs in full on Spark: the incremental what-if binds lists of entry structs,
    # which Spark's parameters cannot carry, and leans on DuckDB skipping row groups of a sorted copy.
    whatifs = False
    errors: tuple = (PySparkException, EngineError)  # what a load reports as "cannot load" (as duckdb.Error)

    def __init__(self, session: "SparkSession", *, collect_limit: int | None = COLLECT_LIMIT):
        if not isinstance(session, SparkSession):
            from ..errors import ArgumentError
            raise ArgumentError(f"spark= must be a pyspark.sql.SparkSession; got {type(session).__name__}")
        self.spark = session
        self.collect_limit = collect_limit
        self.prefix = f"nl{next(_engines)}_"
        session.conf.set("spark.sql.session.timeZone", "UTC")
        self._plans: dict[str, _Plan] = {}
        self._frames: dict[str, DataFrame] = {}   # our tables and views by unprefixed name
        self._small: set[str] = set()             # registered frames that are broadcast-hinted

    # --- transpiling ---------------------------------------------------------------------------
    def view(self, name: str) -> str:
        """The session's temporary-view name of one of the engine's tables."""
        return name if name.startswith(self.prefix) else self.prefix + name

    def columns(self, table: str) -> list[str]:
        return list(self._frame(table).columns)

    def _frame(self, table: str) -> "DataFrame":
        frame = self._frames.get(table)
        return self.spark.table(self.view(table)) if frame is None else frame

    def _qualify(self, tree: exp.Expression) -> exp.Expression:
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if not table.args.get("db") and table.name not in ctes:
                table.set("this", exp.to_identifier(self.view(table.name)))
        return tree

    def transpile(self, statement: str) -> _Plan:
        """The Spark form of one DuckDB statement (cached per statement text)."""
        plan = self._plans.get(statement)
        if plan is not None:
            return plan
        text = statement
        for name in _TEXT:
            text = OVERRIDES[name](text)
        try:
            tree = sqlglot.parse_one(text, read="duckdb")
        except sqlglot.errors.ParseError as exc:
            raise EngineError(f"cannot read a SQL step for Spark: {exc}") from None
        cacheable = True
        if isinstance(tree, exp.Drop):
            plan = _Plan("drop", (tree.this or tree.args["tables"][0]).name)
        elif isinstance(tree, exp.Alter) and isinstance(tree.args["actions"][0], exp.Drop):
            # ALTER TABLE t DROP COLUMN c: the table's DataFrame without the column.
            plan = _Plan("drop_column", tree.this.name, source=tree.args["actions"][0].args["tables"][0].name)
        elif isinstance(tree, exp.Alter):
            rename = tree.args["actions"][0]
            plan = _Plan("rename", tree.this.name, source=rename.this.name)
        elif isinstance(tree, (exp.Delete, exp.Insert)):
            # A temporary view cannot change in place: DELETE keeps the rows its condition does not hold
            # for (NULL keeps the row, as in DuckDB); INSERT appends the SELECT's rows by column name.
            if isinstance(tree, exp.Delete):
                target = tree.this.name
                keep = exp.Not(this=exp.Coalesce(this=exp.Paren(this=tree.args["where"].this.copy()),
                                                  expressions=[exp.false()]))
                select = exp.select("*").from_(target).where(keep)
                kind = "delete"
            else:
                target = tree.this.this.name
                select = tree.expression.copy()
                kind = "insert"
            cacheable = _cacheable(select)
            plan = _Plan(kind, target, self._spark_sql(self._overridden(select)))
        else:
            kind, target = "select", None
            if isinstance(tree, exp.Create):
                kind = "table" if str(tree.args.get("kind")).upper() == "TABLE" else "view"
                target = tree.this.name
                tree = tree.expression
            cacheable = _cacheable(tree)
            tree = self._overridden(tree)
            source = None
            if isinstance(tree, exp.Select) and len(tree.expressions) == 1 and isinstance(tree.expressions[0], exp.Star) \
                    and not tree.args.get("where") and not tree.args.get("joins") and tree.args.get("from_") \
                    and isinstance(tree.args["from_"].this, exp.Table):
                source = tree.args["from_"].this.name
            plan = _Plan(kind, target, self._spark_sql(tree), source)
        if cacheable:
            self._plans[statement] = plan
        return plan

    def _overridden(self, tree: exp.Expression) -> exp.Expression:
        """A query with every tree override of :data:`OVERRIDES` applied."""
        for name, override in OVERRIDES.items():
            if name not in _TEXT:
                tree = override(tree, self)
        return tree

    def _spark_sql(self, tree: exp.Expression) -> str:
        """A query's Spark text, its tables named by the engine's views."""
        return self._qualify(tree).sql("spark", unsupported_level=sqlglot.ErrorLevel.RAISE)

    # --- running steps ------------------------------------------------------------------------
    def _args(self, params) -> dict | None:
        if not params:
            return None
        if isinstance(params, (list, tuple)):
            params = {f"p{i}": v for i, v in enumerate(params, 1)}
        out = {}
        for key, value in params.items():
            if isinstance(value, (list, tuple)):  # an array parameter (Spark takes only array(...) of literals)
                out[key] = F.array(*[F.lit(v) for v in value])
            else:
                out[key] = value
        return out

    def _collect(self, action):
        try:
            return action()
        except PySparkException as exc:
            raise EngineError(f"a SQL step failed on Spark: {str(exc).strip().splitlines()[0]}") from exc

    def _sql(self, text: str, params) -> "DataFrame":
        args = self._args(params)
        try:
            return self.spark.sql(text, args=args) if args else self.spark.sql(text)
        except PySparkException as exc:
            raise EngineError(f"a SQL step failed on Spark: {str(exc).strip().splitlines()[0]}\n{text}") from exc

    def _put(self, name: str, frame: "DataFrame") -> None:
        frame.createOrReplaceTempView(self.view(name))
        self._frames[name] = frame

    def execute(self, statement: str, params: dict | list | None = None) -> SparkResult:
        """Run one statement; ``params`` are bound (``$name`` or ``$1``), never formatted into the text."""
        plan = self.transpile(statement)
        if plan.kind == "select":
            return SparkResult(self._sql(plan.text, params), self)
        if plan.kind == "table":
            if plan.source in self._small:  # a copy of a small registered frame stays small and broadcast
                frame = F.broadcast(self._checkpoint(self._frames[plan.source]))
                self._small.add(plan.target)
            else:
                frame = self._checkpoint(self._sql(plan.text, params))
            self._put(plan.target, frame)
        elif plan.kind == "view":
            self._put(plan.target, self._sql(plan.text, params))
        elif plan.kind == "drop":
            self._drop(plan.target)
        elif plan.kind == "rename":
            frame = self._frame(plan.target)
            self._drop(plan.target)
            self._put(plan.source, frame)
        elif plan.kind == "drop_column":
            self._put(plan.target, self._frame(plan.target).drop(plan.source))
        elif plan.kind == "delete":
            self._put(plan.target, self._checkpoint(self._sql(plan.text, params)))
        elif plan.kind == "insert":
            rows = self._sql(plan.text, params)
            self._put(plan.target, self._checkpoint(self._frame(plan.target).unionByName(rows, allowMissingColumns=True)))
        return SparkResult(None, self)

    def _checkpoint(self, frame: "DataFrame") -> "DataFrame":
        """The frame computed once and kept (its lineage cut), as a DuckDB table is."""
        return self._collect(lambda: frame.localCheckpoint(eager=True))

    def _drop(self, name: str) -> None:
        self._frames.pop(name, None)
        self._small.discard(name)
        self.spark.catalog.dropTempView(self.view(name))

    def arrow(self, statement: str, params: dict | list | None = None) -> pa.Table:
        return self.execute(statement, params).to_arrow_table()

    def relation(self, table: str) -> "DataFrame":
        """The Spark DataFrame of one of the engine's tables or views."""
        return self._frame(table)

    def query_relation(self, statement: str, params: dict | list | None = None) -> "DataFrame":
        """A lazy Spark DataFrame of a SELECT (``params`` bound, never formatted into the text)."""
        return self.execute(statement, params).frame

    # --- frames in ----------------------------------------------------------------------------
    def register(self, name: str, frame) -> None:
        """Make a pandas DataFrame, an Arrow table or a Spark DataFrame readable as ``name``.

        pandas and Arrow frames of at most :data:`BROADCAST_ROWS` rows are broadcast-hinted.
        """
        if isinstance(frame, DataFrame):
            self._put(name, frame)
            return
        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        # Columns with no type (all empty) travel as text, as DuckDB reads them.
        for i, field in enumerate(table.schema):
            if pa.types.is_null(field.type):
                table = table.set_column(i, field.name, pa.nulls(table.num_rows, pa.string()))
            elif pa.types.is_timestamp(field.type) and field.type.tz is None:
                table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp("us", tz="UTC")))
        table = table.replace_schema_metadata(None)
        data = self._collect(lambda: self.spark.createDataFrame(table))
        if table.num_rows <= BROADCAST_ROWS:
            data = F.broadcast(data)
            self._small.add(name)
        self._put(name, data)

    def unregister(self, name: str) -> None:
        self._drop(name)

    def close(self) -> None:
        """Drop every table and view the engine made (the session stays yours)."""
        for name in list(self._frames):
            self._drop(name)

    def __repr__(self) -> str:
        return f"<SparkEngine {self.prefix}* on {self.spark}>"
