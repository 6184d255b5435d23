"""The Spark engine (issue 13): each override of engine/spark.py gives on Spark what DuckDB gives, and the
Spark path from the user's side (load_sent(spark=), result tables kept in Spark, the optional extra)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from neverlog_sim import Policy, load_sent, simulate
from neverlog_sim.engine import DuckDBEngine
from neverlog_sim.errors import ArgumentError, CollectLimitError, InputError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "sent_canonical.csv"


@pytest.fixture(scope="module")
def spark(spark_session):
    return spark_session


@pytest.fixture
def engines(spark):
    from neverlog_sim.engine.spark import SparkEngine
    duck, sp = DuckDBEngine(), SparkEngine(spark)
    yield duck, sp
    duck.close()
    sp.close()


T = pd.DataFrame({"a": ["x@acme.com", "o'b@acme.com", "ab", None], "y": [3, 1, 2, 4],
                  "t": pd.to_datetime(["2024-01-02", None, "2024-01-01", "2024-01-03"])})


def both(engines, statement: str, params=None, frames: dict | None = None, setup=()) -> tuple[list, list]:
    """The rows of ``statement`` on DuckDB and on Spark, after registering ``frames`` and running ``setup``."""
    out = []
    for engine in engines:
        for name, frame in (frames if frames is not None else {"t": T}).items():
            engine.register(name, frame)
        for step in setup:
            engine.run(step)
        out.append([tuple(list(v) if hasattr(v, "tolist") or isinstance(v, list) else v for v in r)
                     for r in engine.rows(statement, params)])
    return out[0], out[1]


def same(engines, statement: str, params=None, **kw) -> list:
    duck, spark = both(engines, statement, params, **kw)
    assert duck == spark
    return spark


# --- each named override: Spark gives what DuckDB gives -----------------------------------------------

def test_full_match_with_a_positional_parameter_matches_the_whole_value(engines):
    assert [(True,), (False,), (False,)] == same(
        engines, "SELECT regexp_full_match(a, $1) FROM t WHERE a IS NOT NULL ORDER BY y DESC", ["[a-z]+@acme\\.com"])


def test_list_length_counts_list_items_not_characters(engines):
    assert [(2,)] == same(engines, "SELECT len(list_filter([1, 2, NULL, 3], lambda v: v IS NULL OR v > 2))")


def test_not_materialized_ctes_run(engines):
    assert [(4,)] == same(engines, "WITH m AS NOT MATERIALIZED (SELECT * FROM t) SELECT count(*) FROM m")


def test_an_ordered_list_slice_keeps_the_first_values_by_the_order(engines):
    assert [(["o'b@acme.com", "ab"],)] == same(
        engines, "SELECT list(a ORDER BY y)[1:2] FROM t WHERE a <> 'x@acme.com'")


def test_a_list_slice_to_the_end_and_a_string_s_last_character(engines):
    statement = ("SELECT array_to_string(string_split('a.b.example.com', '.')[2:], '.'), "
                 "split_part('jo''@acme.com', '@', 1)[-1:]")
    assert [("b.example.com", "'")] == same(engines, statement)


def test_list_keeps_nulls_with_and_without_filter(engines):
    statement = ("SELECT len(list(t)), len(list(t) FILTER (WHERE y > 1)), "
                 "len(list_filter(list(t), lambda v: v IS NULL)) FROM t")
    assert [(4, 3, 1)] == same(engines, statement)


def test_minus_infinity_is_before_every_date(engines):
    assert [(3,)] == same(engines, "SELECT count(*) FROM t WHERE t >= TIMESTAMP '-infinity'")


def test_a_named_window_refined_by_an_order(engines):
    statement = ("SELECT a, count(*) OVER w, row_number() OVER (w ORDER BY y) = 1 FROM t "
                 "WHERE a IS NOT NULL WINDOW w AS (PARTITION BY a IS NULL) ORDER BY a")
    assert [("ab", 3, False), ("o'b@acme.com", 3, True), ("x@acme.com", 3, False)] == same(engines, statement)


def test_star_exclude_names_the_other_columns(engines):
    assert [(1,), (3,)] == same(engines, "SELECT * EXCLUDE (a, t) FROM u ORDER BY a",
                                setup=["CREATE TABLE u AS SELECT * FROM t WHERE a LIKE '%@%'"])


def test_table_row_ids_are_unique_per_row(engines):
    assert [(4, 4)] == same(engines, "SELECT count(*), count(DISTINCT row_id) FROM u",
                            setup=["CREATE TABLE v AS SELECT a FROM t",
                                   "CREATE TABLE u AS SELECT row_id, a FROM (SELECT r.rowid AS row_id, r.* FROM v r)"])


def test_hash_of_a_pair_tells_pairs_apart(engines):
    assert [(3,)] == same(engines, "SELECT count(DISTINCT hash(coalesce(a, 'row-' || y), y > 1)) FROM t "
                                   "WHERE y < 4")


def test_tables_views_rename_and_drop(engines):
    setup = ["CREATE TABLE u AS SELECT a, y FROM t WHERE y > 1", "ALTER TABLE u RENAME TO w",
             "CREATE OR REPLACE TABLE w AS SELECT * FROM w WHERE y < 4", "CREATE VIEW v AS SELECT * FROM w WHERE y > 2",
             "DROP TABLE IF EXISTS nothing_here"]
    assert [(2, 1)] == same(engines, "SELECT (SELECT count(*) FROM w), (SELECT count(*) FROM v)", setup=setup)


def test_delete_insert_and_drop_column_change_a_table_as_in_duckdb(engines):
    """The load merges repeated rows in place (DELETE, INSERT ... SELECT) and drops its working columns."""
    setup = ["CREATE TABLE u AS SELECT a, y, t FROM t", "CREATE TABLE m AS SELECT 'new' AS a, 9 AS y",
             "DELETE FROM u WHERE y IN (SELECT y FROM t WHERE y >= 3) OR a = 'ab'",  # NULL a with y=4: deleted by y
             "INSERT INTO u (a, y) SELECT a, y FROM m", "ALTER TABLE u DROP COLUMN t"]
    rows = same(engines, "SELECT * FROM u ORDER BY y", setup=setup)
    assert [("o'b@acme.com", 1), ("new", 9)] == rows


def test_parameters_stay_bound_lists_as_arrays(engines):
    duck, spark = engines
    statement = "SELECT count(*) FROM t WHERE list_contains($names, a) OR a = $one"
    assert [(2,)] == same(engines, statement, {"names": ["o'b@acme.com"], "one": "ab"})
    assert "o'b" not in spark.transpile(statement).text
    assert [(0,)] == same(engines, statement, {"names": [], "one": "nobody"})


def test_small_frames_are_broadcast_and_relation_is_a_spark_dataframe(engines):
    from pyspark.sql import DataFrame
    _, spark = engines
    spark.register("small", T)
    spark.run("CREATE TABLE small_copy AS SELECT * FROM small")
    plan = spark.query_relation("SELECT * FROM small_copy s JOIN small t ON t.a = s.a")._jdf.queryExecution().toString()
    assert (True, True, True) == (isinstance(spark.relation("small_copy"), DataFrame), "broadcast" in plan.lower(),
                                  spark.spark.catalog.tableExists(spark.view("small_copy")))
    spark.close()
    assert False is spark.spark.catalog.tableExists(spark.view("small_copy"))


def test_every_override_is_named_in_one_table():
    from neverlog_sim.engine import spark as module
    assert ["positional_parameters", "list_length", "no_materialized_hint", "full_match", "list_slices",
            "lists_keep_nulls", "minus_infinity", "named_window_order", "star_exclude", "row_ids", "hash64"] == \
        list(module.OVERRIDES)


# --- from the user's side ------------------------------------------------------------------------------

HISTORY = pd.DataFrame({
    "message_id": ["m1", "m2", "m3", None], "sent_at": ["2024-01-01T10:00:00Z", "2024-01-02 09:00", "bad date",
                                                       "2024-01-04"],
    "sender": ["ann@us.com"] * 4, "channel": ["extension", "crm", "pigeon", "extension"],
    "to": ["Jo <jo@acme.com>, zz@rival.com", "jo@acme.com", "nobody", "kim@acme.com"],
    "cc": [None, "zz@rival.com", None, None], "bcc": [None] * 4})


def summary_of(sent):
    rows = sent.to_pandas().drop(columns=["sent_at"])
    return len(sent), sent.problems.to_dict("records"), rows.to_dict("records"), sent.summary()["set_aside"]


def test_a_spark_dataframe_a_table_and_parquet_and_csv_paths_load_as_pandas_does(spark, tmp_path):
    expected = summary_of(load_sent(HISTORY, progress=False, max_set_aside=1.0))
    frame = spark.createDataFrame(HISTORY.astype(object).where(HISTORY.notna(), None))
    frame.createOrReplaceTempView("nl_test_history")
    HISTORY.to_parquet(tmp_path / "h.parquet")
    HISTORY.to_csv(tmp_path / "h.csv", index=False)
    got = [summary_of(load_sent(source, progress=False, max_set_aside=1.0, spark=spark))
           for source in (frame, "nl_test_history", str(tmp_path / "h.parquet"), str(tmp_path / "h.csv"))]
    assert [expected] * 4 == got


def test_repeated_rows_merge_on_spark_as_on_duckdb(spark):
    """A message x recipient staged twice (To and Cc, or with a conflicting channel) is merged in place."""
    rows = pd.DataFrame({
        "message_id": ["m1", "m1", "m1", "m2", "m2", "m3"],
        "sent_at": ["2024-01-01 10:00"] * 3 + ["2024-01-02 10:00"] * 2 + ["2024-01-03 10:00"],
        "sender": ["ann@us.com"] * 6, "channel": ["extension", "extension", "extension", "crm", "extension", "crm"],
        "recipient": ["jo@acme.com", "JO@acme.com", "kim@acme.com", "zz@rival.com", "zz@rival.com", "jo@acme.com"],
        "role": ["cc", "to", "to", "to", "bcc", "to"]})
    expected = summary_of(load_sent(rows, progress=False, max_set_aside=1.0))
    got = summary_of(load_sent(spark.createDataFrame(rows), progress=False, max_set_aside=1.0, spark=spark))
    assert expected == got
    assert 4 == expected[0]  # m1: jo (To wins) and kim; m2: zz once; m3: jo


def test_columns_map_a_spark_dataframe_like_a_file(spark):
    theirs = HISTORY.rename(columns={"to": "To Address"}).iloc[:2].astype(object)
    frame = spark.createDataFrame(theirs.where(theirs.notna(), None))
    sent = load_sent(frame, columns={"To Address": "to"}, progress=False, spark=spark)
    assert 4 == len(sent)


def test_spark_path_refuses_a_workspace_and_reader_options(spark, tmp_path):
    with pytest.raises(InputError, match="workspace= keeps a history in a DuckDB file"):
        load_sent(HISTORY, workspace=tmp_path / "w.duckdb", spark=spark)
    frame = spark.createDataFrame(HISTORY.iloc[:2].astype(object).where(HISTORY.iloc[:2].notna(), None))
    with pytest.raises(InputError, match="read as canonical columns"):
        load_sent(frame, format="hubspot_api", spark=spark)
    with pytest.raises(InputError, match="convert day/month dates with to_timestamp"):
        load_sent(frame, dayfirst=True, spark=spark)
    with pytest.raises(ArgumentError, match="spark= must be a pyspark.sql.SparkSession"):
        load_sent(HISTORY, spark="local")


@pytest.fixture(scope="module")
def both_results(spark):
    lists = Policy(team=["*@rival.com", "jo@acme.com"])
    duck = simulate(load_sent(HISTORY, progress=False, max_set_aside=1.0), lists)
    sp = simulate(load_sent(HISTORY, progress=False, max_set_aside=1.0, spark=spark), lists)
    return duck, sp


def test_big_tables_refuse_to_collect_past_the_limit_and_stay_in_spark(both_results):
    from pyspark.sql import DataFrame
    duck, sp = both_results
    sp.collect_limit = 2
    refused = []
    for name in ("recipients", "contacts", "timeline"):
        with pytest.raises(CollectLimitError) as info:
            getattr(sp, name)
        refused.append((info.value.table, f"result.relation({name!r})" in str(info.value),
                        "result.collect_limit = 20" in str(info.value)))
    assert [("recipients", True, True), ("contacts", True, True), ("timeline", True, True)] == refused
    assert (True, 5, None) == (isinstance(sp.relation("recipients"), DataFrame), sp.relation("recipients").count(),
                               duck.collect_limit)
    sp.collect_limit = 100
    assert len(duck.recipients) == len(sp.recipients)


def test_metrics_summary_report_and_export_work_unchanged(both_results, tmp_path):
    from neverlog_sim import export_lists
    duck, sp = both_results
    html = sp.to_html()
    files = []
    for result, folder in ((duck, tmp_path / "duck"), (sp, tmp_path / "spark")):
        export_lists(Policy(team=["*@rival.com", "jo@acme.com", "kim@acme.com"]), folder, sent=result.sent,
                     max_collateral=5)
        files.append((folder / "team.txt").read_text())
    assert (duck.metrics(), duck.summary().to_dict("records"), True) == (
        sp.metrics(), sp.summary().to_dict("records"), "recipient rows blocked" in html)
    assert files[0] == files[1]


def test_a_what_if_on_spark_runs_in_full_and_equals_duckdb(both_results):
    """DuckDB answers a one-entry edit from the remembered policy; Spark re-simulates (docs/spark.md)."""
    duck, sp = both_results
    edited = Policy(team=["*@rival.com", "jo@acme.com", "kim@acme.com"])
    duck.metrics(), sp.metrics()  # remembered for later what-ifs (on DuckDB)
    on_duck, on_spark = simulate(duck.sent, edited), simulate(sp.sent, edited)
    assert (True, False) == (on_duck._build is not None, on_spark._build is not None)
    assert on_duck.metrics() == on_spark.metrics()


# --- the optional extra -----------------------------------------------------------------------------------

BLOCK_PYSPARK = textwrap.dedent("""
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("pyspark", "sqlglot"):
                raise ImportError(f"No module named {name!r} (blocked by the test)")
    sys.meta_path.insert(0, Block())
""")


def test_import_works_without_pyspark_and_spark_says_how_to_install():
    code = BLOCK_PYSPARK + textwrap.dedent("""
        import pandas as pd
        import neverlog_sim
        assert "pyspark" not in sys.modules and "sqlglot" not in sys.modules
        try:
            neverlog_sim.load_sent(pd.DataFrame(), spark=object())
        except ImportError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert (0, True) == (out.returncode, "pip install 'neverlog-sim[spark]'" in out.stdout), out.stderr


def test_message_level_rows_read_again_keep_ids_of_their_own_on_spark(spark):
    """Recipients the fast path cannot settle ('pat@…, a double dot) are read again and replace their split
    rows. Spark numbers rows per statement, so the ids they take must not meet those the build gave."""
    lines = pd.DataFrame({
        "message_id": ["m1", "m2"], "sent_at": ["2024-01-01 10:00", "2024-01-02 10:00"],
        "sender": ["ann@us.com"] * 2, "channel": ["crm", "extension"],
        "to": ["'pat@acme.com, kim@acme.com", "f..brawner@enron.com"], "cc": ["al@rival.com", None],
        "bcc": [None, "'pat@acme.com"]})
    expected = summary_of(load_sent(lines, progress=False, max_set_aside=1.0))
    sent = load_sent(spark.createDataFrame(lines.astype(object).where(lines.notna(), None)), progress=False,
                     max_set_aside=1.0, spark=spark)
    assert expected == summary_of(sent)
    assert [(5, 5)] == sent.engine.rows(f"SELECT count(*), count(DISTINCT row_id) FROM {sent.table}")
