"""Loading sent mail in the canonical format (issue 3, part 1), and tracking events and contacts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neverlog_sim import InputError, MissingColumnsError, Policy, load_contacts, load_sent, load_tracking, simulate

DATA = Path(__file__).resolve().parent / "data"
ROW_COLUMNS = ["message_id", "sent_at", "sender", "channel", "recipient", "role", "log_enabled", "direction"]

# The rows tests/data/sem_sent.csv holds, as (message_id, recipient, role).
SEM_SENT_ROWS = [
    ("1", "al@acme.com", "to"), ("1", "jo@acme.com", "to"), ("1", "x@friend.org", "cc"), ("1", "y@friend.org", "cc"),
    ("2", "z@rival.com", "to"), ("2", "jo@acme.com", "bcc"),
    ("3", "q@rival.com", "to"), ("3", "r@rival.com", "to"),
]


def frame(**overrides) -> pd.DataFrame:
    """A one-message, message-level DataFrame; ``overrides`` replace whole columns."""
    base = {"message_id": ["m1"], "sent_at": ["2024-01-01T10:00:00Z"], "sender": ["ann@us.com"],
            "channel": ["extension"], "to": ["jo@acme.com"], "cc": [None], "bcc": [None]}
    base.update(overrides)
    return pd.DataFrame(base)


def load(df: pd.DataFrame, **kwargs):
    return load_sent(df, format="canonical", progress=False, **kwargs)


def triples(sent) -> list[tuple]:
    return list(sent.to_pandas()[["message_id", "recipient", "role"]].itertuples(index=False, name=None))


def problem(sent, name: str) -> dict:
    """One row of the load report, as ``{"count": ..., "examples": [...]}``."""
    p = sent.problems
    hit = p[p["problem"] == name]
    assert 1 == len(hit), f"{name!r} not in {p['problem'].tolist()!r}"
    return {"count": int(hit["count"].iloc[0]), "examples": list(hit["examples"].iloc[0])}


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)
    return path


def sem_sent_frame() -> pd.DataFrame:
    return pd.read_csv(DATA / "sem_sent.csv", dtype=str, keep_default_na=False)


# --- sources ----------------------------------------------------------------------------------

def test_dataframe_message_level():
    assert [("m1", "jo@acme.com", "to")] == triples(load(frame()))


def test_csv_message_level():
    assert SEM_SENT_ROWS == triples(load_sent(DATA / "sem_sent.csv", progress=False))


def test_csv_path_as_text():
    assert SEM_SENT_ROWS == triples(load_sent(str(DATA / "sem_sent.csv"), progress=False))


def test_parquet_file(tmp_path):
    path = write_parquet(sem_sent_frame(), tmp_path / "sent.parquet")
    assert SEM_SENT_ROWS == triples(load_sent(path, progress=False))


def test_parquet_glob(tmp_path):
    df = sem_sent_frame()
    write_parquet(df.iloc[:2], tmp_path / "part-1.parquet")
    write_parquet(df.iloc[2:], tmp_path / "part-2.parquet")
    assert SEM_SENT_ROWS == triples(load_sent(str(tmp_path / "part-*.parquet"), progress=False))


def test_parquet_folder(tmp_path):
    df = sem_sent_frame()
    write_parquet(df.iloc[:1], tmp_path / "sent" / "2024" / "a.parquet")
    write_parquet(df.iloc[1:], tmp_path / "sent" / "2025" / "b.parquet")
    assert SEM_SENT_ROWS == triples(load_sent(tmp_path / "sent", progress=False))


def test_parquet_with_typed_timestamps_and_integer_ids(tmp_path):
    df = pd.DataFrame({"message_id": [7, 8], "sent_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 10:00"]),
                       "sender": ["ann@us.com"] * 2, "channel": ["crm"] * 2, "to": ["jo@acme.com", "al@acme.com"],
                       "cc": [None, None], "bcc": [None, None]})
    rows = load_sent(write_parquet(df, tmp_path / "typed.parquet"), progress=False).to_pandas()
    expected = [("7", pd.Timestamp("2024-01-01 10:00")), ("8", pd.Timestamp("2024-01-02 10:00"))]
    assert expected == list(rows[["message_id", "sent_at"]].itertuples(index=False, name=None))


def test_recipient_level_csv():
    # Al is written with a display name; jo is listed in To and Bcc of m1 (one row, role to).
    expected = [("m1", "jo@acme.com", "to"), ("m1", "al@acme.com", "cc"), ("m2", "z@rival.com", "to")]
    assert expected == triples(load_sent(DATA / "sem_sent_recipients.csv", progress=False))


def test_recipient_level_dataframe_without_role_reads_to():
    df = pd.DataFrame({"message_id": ["m1"], "sent_at": ["2024-01-01"], "sender": ["ann@us.com"],
                       "channel": ["crm"], "recipient": ["jo@acme.com"]})
    assert [("m1", "jo@acme.com", "to")] == triples(load(df))


def test_integer_message_id_becomes_text():
    assert ["42"] == load(frame(message_id=[42])).to_pandas()["message_id"].tolist()


def test_integer_message_id_read_as_float_does_not_become_12_0():
    df = pd.concat([frame(message_id=[12.0]), frame(message_id=[None], to=["al@acme.com"])], ignore_index=True)
    assert ["12", "row-2"] == load(df).to_pandas()["message_id"].tolist()


def test_missing_message_id_is_counted():
    df = pd.concat([frame(), frame(message_id=[None], to=["al@acme.com"])], ignore_index=True)
    assert {"count": 1, "examples": ["ann@us.com"]} == problem(load(df), "missing message_id (given row-N ids)")


# --- address fields ---------------------------------------------------------------------------------

@pytest.mark.parametrize("field, expected", [
    ("jo@acme.com", ["jo@acme.com"]),
    ("jo@acme.com; al@acme.com", ["al@acme.com", "jo@acme.com"]),
    ("Jo Doe <Jo@Acme.COM>", ["jo@acme.com"]),
    ('"Doe, Jo" <jo@acme.com>, al@acme.com', ["al@acme.com", "jo@acme.com"]),
    ("jo@acme.com (Jo, sales)", ["jo@acme.com"]),
    ("Friends: x@friend.org, y@friend.org;", ["x@friend.org", "y@friend.org"]),
    (" jo@acme.com , ", ["jo@acme.com"]),
])
def test_address_field_forms(field, expected):
    assert expected == sorted(load(frame(to=[field])).to_pandas()["recipient"])


def test_sender_display_name_is_stripped():
    assert ["ann@us.com"] == load(frame(sender=["Ann <Ann@US.com>"])).to_pandas()["sender"].tolist()


def test_unparseable_recipients_are_set_aside_and_counted():
    sent = load(frame(to=["garbage, jo@acme.com"], cc=["nothing here"]), max_set_aside=1.0)
    expected = ({"count": 2, "examples": ["garbage", "nothing here"]}, ["jo@acme.com"])
    assert expected == (problem(sent, "recipients with no usable local@domain (set aside)"),
                        sent.to_pandas()["recipient"].tolist())


def test_message_with_no_usable_recipient_is_counted():
    df = pd.concat([frame(), frame(message_id=["m2"], to=["undisclosed"])], ignore_index=True)
    assert {"count": 1, "examples": ["m2"]} == problem(load(df, max_set_aside=1.0),
                                                       "messages with no usable recipient (set aside)")


def test_non_standard_recipients_are_kept_and_counted():
    sent = load(frame(to=["k..allen@enron.com; 'hutch@enron.com"]))
    expected = ({"count": 2, "examples": ["'hutch@enron.com", "k..allen@enron.com"]},
                ["'hutch@enron.com", "k..allen@enron.com"])
    assert expected == (problem(sent, "non-standard recipient addresses (kept and matched)"),
                        sorted(sent.to_pandas()["recipient"]))


def test_clean_input_has_an_empty_load_report():
    assert [] == load_sent(DATA / "sem_sent.csv", progress=False).problems.to_dict("records")


# --- channels, dates, optional columns -----------------------------------------------------------------

def test_unknown_channel_is_kept_and_counted():
    sent = load(frame(channel=["Pigeon"]))
    expected = ({"count": 1, "examples": ["Pigeon"]}, ["pigeon"])
    assert expected == (problem(sent, "unknown channels (kept; lists do not apply, rule U1)"),
                        sent.to_pandas()["channel"].tolist())


def test_channel_is_read_case_insensitively():
    assert ["extension"] == load(frame(channel=[" Extension "])).to_pandas()["channel"].tolist()


def test_missing_sent_at_is_kept_and_counted():
    sent = load(frame(sent_at=[None]))
    assert ({"count": 1, "examples": ["m1"]}, 1) == (problem(sent, "missing sent_at (kept, undated)"), len(sent))


def test_unreadable_sent_at_is_kept_and_counted():
    sent = load(frame(sent_at=["31/31/2024"]))
    assert ({"count": 1, "examples": ["31/31/2024"]}, 1) == (problem(sent, "unreadable sent_at (kept, undated)"),
                                                             len(sent))


def test_sent_at_with_an_offset_is_read_as_utc():
    assert [pd.Timestamp("2024-01-02 08:30")] == load(frame(sent_at=["2024-01-02T09:30:00+01:00"])).to_pandas()[
        "sent_at"].tolist()


def test_log_enabled_and_direction_are_read():
    df = frame(log_enabled=["false"], direction=["Inbound"])
    assert [(False, "inbound")] == list(load(df).to_pandas()[["log_enabled", "direction"]].itertuples(index=False,
                                                                                                      name=None))


def test_log_enabled_and_direction_default_to_true_and_outbound():
    assert [(True, "outbound")] == list(load(frame()).to_pandas()[["log_enabled", "direction"]].itertuples(
        index=False, name=None))


# --- the SentMail object ---------------------------------------------------------------------------------

def test_len_counts_recipient_rows():
    assert 8 == len(load_sent(DATA / "sem_sent.csv", progress=False))


def test_messages_counts_messages():
    assert 3 == load_sent(DATA / "sem_sent.csv", progress=False).messages


def test_span_is_first_and_last_sent_at():
    first, last = load_sent(DATA / "sem_sent.csv", progress=False).span
    assert (pd.Timestamp("2024-01-01 10:00"), pd.Timestamp("2024-01-03")) == (pd.Timestamp(first), pd.Timestamp(last))


def test_to_pandas_columns():
    assert ROW_COLUMNS == list(load(frame()).to_pandas().columns)


def test_to_pandas_returns_a_copy():
    sent = load(frame())
    rows = sent.to_pandas()
    rows.loc[0, "recipient"] = "changed@x.com"
    assert ["jo@acme.com"] == sent.to_pandas()["recipient"].tolist()


def test_repr_html_contains_the_load_report():
    text = load(frame(to=["k..allen@enron.com"]))._repr_html_()
    assert ("load report" in text, "non-standard recipient addresses (kept and matched)" in text,
            "k..allen@enron.com" in text) == (True, True, True)


def test_repr_html_says_when_there_are_no_problems():
    assert "Load report: no problems." in load(frame())._repr_html_()


# --- columns and errors ----------------------------------------------------------------------------------

def test_columns_mapping():
    columns = {"Id": "message_id", "Date": "sent_at", "From": "sender", "Source": "channel", "Recipients": "to",
               "Copy": "cc", "Blind copy": "bcc"}
    assert [("a1", "jo@acme.com", "to")] == triples(load_sent(DATA / "sem_their_columns.csv", columns=columns,
                                                              progress=False))


def test_column_names_are_matched_ignoring_case_and_spaces():
    df = frame().rename(columns={"message_id": "Message ID", "sent_at": "Sent-At", "to": "TO"})
    assert [("m1", "jo@acme.com", "to")] == triples(load(df))


def test_missing_columns_error_lists_missing_and_closest():
    df = pd.DataFrame({c: ["x"] for c in ("msg_id", "sent_time", "sender_address", "channel", "to")})
    with pytest.raises(MissingColumnsError) as exc:
        load(df)
    expected = ("sent mail from DataFrame is missing required column(s) 'message_id' (closest: 'msg_id'), "
                "'sent_at' (closest: 'sent_time'), 'sender' (closest: 'sender_address'); it has "
                "['msg_id', 'sent_time', 'sender_address', 'channel', 'to']. Rename them in the file, or map them "
                "with columns={'their name': 'our name'}")
    assert expected == str(exc.value)


def test_missing_columns_error_carries_missing_and_suggestions():
    df = pd.DataFrame({c: ["x"] for c in ("msg_id", "sent_time", "sender_address", "channel", "to")})
    with pytest.raises(MissingColumnsError) as exc:
        load(df)
    expected = (["message_id", "sent_at", "sender"],
                {"message_id": "msg_id", "sent_at": "sent_time", "sender": "sender_address"})
    assert expected == (exc.value.missing, exc.value.suggestions)


def test_no_address_column_at_all_asks_for_to():
    df = pd.DataFrame({c: ["x"] for c in ("message_id", "sent_at", "sender", "channel")})
    with pytest.raises(MissingColumnsError) as exc:
        load(df)
    assert ["to"] == exc.value.missing


def test_columns_mapping_to_an_unknown_name_is_an_input_error():
    with pytest.raises(InputError) as exc:
        load(frame(), columns={"to": "recipients"})
    assert str(exc.value).startswith("columns= maps to ['recipients'], which sent mail from DataFrame does not use")


def test_csv_that_is_not_utf8_is_an_input_error_naming_the_file():
    path = DATA / "sem_not_utf8.csv"
    with pytest.raises(InputError) as exc:
        load_sent(path, progress=False)
    assert (f"sent mail {str(path)!r}: line 2 is not UTF-8 (byte 0xf6); save the file as UTF-8, "
            "or pass encoding= (command line --encoding) with its encoding, e.g. 'cp1252'") == str(exc.value)


def test_missing_file_is_an_input_error():
    path = DATA / "sem_no_such_file.csv"
    with pytest.raises(InputError) as exc:
        load_sent(path, progress=False)
    assert f"sent mail {str(path)!r} does not exist; give a CSV or Parquet file, a glob or a folder" == str(exc.value)


def test_glob_matching_nothing_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as exc:
        load_sent(str(tmp_path / "*.parquet"), progress=False)
    assert str(exc.value).endswith("matches no .csv or .parquet or .pq or .tsv files")


def test_unknown_format_is_an_input_error():
    with pytest.raises(InputError) as exc:
        load_sent(frame(), format="excel", progress=False)
    assert ("format must be one of ['canonical', 'hubspot_api', 'hubspot_ui', 'mail', None], got 'excel'"
            == str(exc.value))


# --- tracking events and contacts --------------------------------------------------------------------------

TRACKING_COLUMNS = {"Message": "message_id", "Who": "recipient", "What": "event", "When": "occurred_at"}
CONTACT_COLUMNS = {"E-mail address": "email", "Create date": "created_at"}


def test_load_tracking_bad_date_names_row_and_column():
    path = DATA / "sem_tracking.csv"
    with pytest.raises(InputError) as exc:
        load_tracking(path, columns=TRACKING_COLUMNS)
    assert (f"tracking events from {path}: column 'occurred_at', row 2: 'yesterday' is not a date; "
            "use ISO 8601, e.g. 2024-03-01T09:30:00Z") == str(exc.value)


def test_load_tracking_with_columns_mapping():
    df = pd.read_csv(DATA / "sem_tracking.csv").iloc[:1]
    events = load_tracking(df, columns=TRACKING_COLUMNS)
    assert [("m1", "jo@acme.com", "open", pd.Timestamp("2024-01-01 11:00"))] == list(
        events.itertuples(index=False, name=None))


def test_load_contacts_bad_date_names_row_and_column():
    path = DATA / "sem_contacts.csv"
    with pytest.raises(InputError) as exc:
        load_contacts(path, columns=CONTACT_COLUMNS)
    assert (f"contacts from {path}: column 'created_at', row 2: '31/31/2023' is not a date; "
            "use ISO 8601, e.g. 2024-03-01T09:30:00Z") == str(exc.value)


def test_load_contacts_with_columns_mapping():
    df = pd.read_csv(DATA / "sem_contacts.csv").iloc[:1]
    assert [("jo@acme.com", pd.Timestamp("2023-01-01"))] == list(
        load_contacts(df, columns=CONTACT_COLUMNS).itertuples(index=False, name=None))


def test_simulate_with_a_tracking_dataframe_with_a_bad_date_is_an_input_error():
    events = pd.DataFrame({"message_id": ["m1"], "recipient": ["jo@acme.com"], "event": ["open"],
                           "occurred_at": ["yesterday"]})
    with pytest.raises(InputError) as exc:
        simulate(load(frame()), Policy(team=["jo@acme.com"]), tracking=events)
    assert ("tracking events from DataFrame: column 'occurred_at', row 1: 'yesterday' is not a date; "
            "use ISO 8601, e.g. 2024-03-01T09:30:00Z") == str(exc.value)


def test_simulate_with_a_contacts_dataframe_with_a_bad_date_is_an_input_error():
    contacts = pd.DataFrame({"email": ["jo@acme.com"], "created_at": ["31/31/2023"]})
    with pytest.raises(InputError) as exc:
        simulate(load(frame()), Policy(team=["jo@acme.com"]), contacts=contacts)
    assert ("contacts from DataFrame: column 'created_at', row 1: '31/31/2023' is not a date; "
            "use ISO 8601, e.g. 2024-03-01T09:30:00Z") == str(exc.value)


def test_load_tracking_reads_recipients_with_the_address_parser():
    df = pd.DataFrame({"message_id": ["m1", "m1", "m1"], "recipient": ["Jo <Jo@Acme.com>", None, "not an address"],
                       "event": ["open"] * 3, "occurred_at": ["2024-01-01"] * 3})
    read = load_tracking(df)["recipient"].tolist()
    assert ["jo@acme.com", True, "not an address"] == [read[0], pd.isna(read[1]), read[2]]


def test_load_contacts_reads_emails_with_the_address_parser():
    df = pd.DataFrame({"email": ['"Doe, Jo" <jo@acme.com>', "al@acme.com"], "created_at": ["2023-01-01"] * 2})
    assert ["jo@acme.com", "al@acme.com"] == load_contacts(df)["email"].tolist()


def test_tracking_event_of_a_recipient_written_with_a_display_name_counts_for_that_recipient():
    events = pd.DataFrame({"message_id": ["m1"], "recipient": ["Jo <jo@acme.com>"], "event": ["open"],
                           "occurred_at": ["2024-01-01T11:00:00Z"]})
    m = simulate(load(frame()), Policy(team=["jo@acme.com"]), tracking=events).metrics()
    assert (1, 1) == (m["feed_events_of_blocked_recipients"], m["tracking_events_leaving_timelines"])


def _messy_recipient_rows() -> pd.DataFrame:
    """Recipient-level rows with every oddity the load report names, a repeated pair that disagrees,
    a shared id, odd and mixed-case addresses, missing ids, unknown roles and channels."""
    return pd.DataFrame({
        "Message ID": ["m1", "m1", "m1", None, "m2", "m2", "m3", "m3", "m4", " m5 ", "m6", "m6"],
        "sent_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-01 10:00", "2024-01-02 09:00",
                                   "2024-01-03 08:00", "2024-01-03 08:00", "2024-01-04 07:00", "2024-01-05 07:00",
                                   None, "2024-01-06 10:00", "2024-01-07 10:00", "2024-01-07 10:00"]),
        "sender": ["ann@us.com", "ann@us.com", "Ann <ann@us.com>", "bob@us.com", "bob@us.com", "BOB@us.com",
                   "cy@us.com", "cy@us.com", "not a sender", " dee@us.com", "eve@us.com", "eve@us.com"],
        "channel": ["extension", "crm", "extension", "extension", "fax", "crm", "crm", "crm", "extension",
                    "extension", "extension", "bcc_forward"],
        "recipient": ["Jo@Acme.com", "jo@acme.com", "al@acme.com", "x@friend.org", "<y@friend.org>", "nobody",
                      "q@rival..com", "r@rival.com", "s@rival.com", "  ", "t@x.com", "t@x.com"],
        "role": ["to", "cc", "to", "cc", "bcc", "to", "boss", "to", "to", "to", "cc", "to"],
    })


def test_a_parquet_file_loads_as_its_dataframe_does(tmp_path):
    # One Parquet file is read by DuckDB itself (never copied into Python): the rows, the load report
    # and what was set aside must be those of the same rows given as a DataFrame.
    df = _messy_recipient_rows()
    path = tmp_path / "rows.parquet"
    df.to_parquet(path, index=False)
    from_file = load_sent(path, progress=False, max_set_aside=1.0)
    from_frame = load_sent(df, progress=False, max_set_aside=1.0)
    order = ["message_id", "recipient"]
    expected = from_frame.to_pandas().sort_values(order).reset_index(drop=True)
    actual = from_file.to_pandas().sort_values(order).reset_index(drop=True)
    pd.testing.assert_frame_equal(expected, actual)
    assert from_frame.problems.to_dict("records") == from_file.problems.to_dict("records")
    assert from_frame.set_aside == from_file.set_aside
    assert from_frame.summary()["rows"] == from_file.summary()["rows"]


def test_a_parquet_file_with_a_default_channel_loads_as_its_dataframe_does(tmp_path):
    df = _messy_recipient_rows().drop(columns=["channel"])
    path = tmp_path / "rows.parquet"
    df.to_parquet(path, index=False)
    from_file = load_sent(path, progress=False, max_set_aside=1.0, channel="Client")
    from_frame = load_sent(df, progress=False, max_set_aside=1.0, channel="Client")
    assert ["client"] == sorted(set(from_file.to_pandas()["channel"]))
    assert from_frame.problems.to_dict("records") == from_file.problems.to_dict("records")
    assert len(from_frame) == len(from_file)


_PIECE = st.from_regex(r"[A-Za-z0-9._+-]{1,6}@[A-Za-z0-9.-]{1,6}", fullmatch=True)
_SEP = st.from_regex(r"[ \t\r\n\f]{0,2}[,;][ \t\r\n\f]{0,2}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_SEP, st.one_of(_PIECE, st.just(""))), max_size=5), _PIECE,
       st.from_regex(r"[ \t]{0,2}", fullmatch=True))
def test_plain_address_fields_split_in_sql_as_the_address_parser_splits_them(rest, first, pad):
    # Plain To/Cc/Bcc fields (addresses of letters, digits and . _ + - separated by , or ;) are split
    # by the engine, the rest by Python's address parser: both must give the same addresses.
    import duckdb

    from neverlog_sim.engine import sql
    from neverlog_sim.entries import split_address_field
    field = pad + first + "".join(sep + piece for sep, piece in rest) + pad
    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT 1 AS _source_row, 'm1' AS message_id, TIMESTAMP '2024-01-01' AS sent_at, "
                "'ann@us.com' AS sender, 'extension' AS channel, $1::VARCHAR AS \"to\"", [field])
    con.execute(sql.stage_message_level("src", "m", ["to"], True, False, False), [sql.PLAIN_FIELD])
    assert [] == con.execute(sql.odd_fields("m")).fetchall()  # a plain field: no Python parser needed
    con.execute("CREATE TABLE odd (field VARCHAR, raw VARCHAR)")
    con.execute(sql.explode_message_level("m", "odd", "sp"))
    assert split_address_field(field) == [r for (r,) in con.execute("SELECT raw FROM sp").fetchall()]
