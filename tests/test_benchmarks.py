"""The one benchmark entry point (``python -m benchmarks``) stays runnable, and its bare load does the
work it claims. Timings are never asserted here (benchmarks/README.md reports them)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from benchmarks.run import _generate, bare_load, measure, table
from neverlog_sim import load_sent


def test_one_size_measures_every_figure_of_the_table():
    r = measure(3000, repeat=1, csv_max=3000)
    for figure in ("floor_load_parquet", "bare_load_parquet", "load_parquet", "floor_load_csv", "bare_load_csv",
                   "load_csv", "workspace_reopen", "floor_simulate", "simulate_cold", "simulate_warm",
                   "whatif_prepare", "whatif_p95", "peak_rss_gib"):
        assert r[figure] > 0, figure
    text = table([r])
    for row in ("3,000: load, Parquet", "3,000: the least any load must do, Parquet", "3,000: load, CSV",
                "3,000: the least any load must do, CSV", "3,000: one-entry what-if, p95"):
        assert row in text, row


@pytest.mark.parametrize("reader", ["read_parquet", "read_csv"])
def test_the_bare_load_finds_the_rows_recipients_and_messages_the_toolkit_loads(tmp_path: Path, reader: str):
    """The bare load is the table's measure of the least a load must do: on the generated history (clean
    addresses) it must find what load_sent keeps, or it would be measuring less work. It does not merge
    a message's repeated recipients (load_sent does), so its rows are compared as (message, recipient) pairs."""
    parquet, csv = _generate(tmp_path, 3000, csv=True)
    path = parquet if reader == "read_parquet" else csv
    sent = load_sent(path, progress=False)
    con = duckdb.connect()
    bare_load(con, path, reader)
    rows, = con.execute("SELECT count(*) FROM (SELECT DISTINCT message_id, recipient FROM bare)").fetchone()
    recipients, valid = con.execute("SELECT count(*), count(*) FILTER (WHERE ok) FROM bare_a").fetchone()
    messages, = con.execute("SELECT count(*) FROM bare_m").fetchone()
    assert (rows, recipients, valid, messages) == (len(sent), sent.recipients, sent.recipients, sent.messages)
