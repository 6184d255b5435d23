"""HubSpot email exports (issue 4, item 1): API / warehouse shape and UI export, one test per behaviour."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from neverlog_sim.errors import InputError, MissingColumnsError
from neverlog_sim.history import load_hubspot
from neverlog_sim.readers.hubspot import HUBSPOT_MAPPING, detect_format, read_owners, to_canonical

DATA = Path(__file__).parent / "data"
API = DATA / "hubspot_api.csv"
WAREHOUSE = DATA / "hubspot_warehouse.csv"
UI = DATA / "hubspot_ui.csv"
OWNERS = DATA / "hubspot_owners.csv"
BAD = DATA / "hubspot_bad_values.csv"


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def problem(problems, name):
    return next((p for p in problems if p["problem"] == name), None)


@pytest.fixture(scope="module")
def api():
    return to_canonical(read(API), owners=OWNERS)


def column(messages: pd.DataFrame, name: str) -> dict:
    return dict(zip(messages["message_id"], messages[name]))


# --- detection ---------------------------------------------------------------------------

@pytest.mark.parametrize("columns, expected", [
    (["hs_object_id", "hs_timestamp", "hs_email_to_email"], "hubspot_api"),
    (["property_hs_object_id", "property_hs_timestamp", "property_hs_email_to_email"], "hubspot_api"),
    (["Record ID", "Activity date", "Email direction", "To"], "hubspot_ui"),
    (["record  id", "ACTIVITY_DATE", "email send status", "to"], "hubspot_ui"),
    (["message_id", "sent_at", "sender", "channel", "to"], None),
])
def test_detect_format(columns, expected):
    assert expected == detect_format(columns)


# --- the API shape and the mapping table ---------------------------------------------------

def test_channels_follow_the_mapping_table(api):
    messages, _, _ = api
    assert {
        "1001": "extension", "1002": "crm", "1003": "crm", "1007": "bcc_forward", "1008": "bcc_forward",
        "1009": "bcc_forward", "1010": "team_inbox", "1011": "team_inbox", "1012": "integration",
        "1013": "extension", "1014": "mobile", "1015": "crm", "1016": "integration",
    } == column(messages, "channel")


def test_integration_source_wins_over_logged_from(api):
    messages, _, _ = api
    assert "integration" == column(messages, "channel")["1012"]  # logged from EXTENSION, source INTEGRATION


def test_incoming_email_is_inbound(api):
    messages, _, _ = api
    assert ["1013"] == messages.loc[messages["direction"] == "inbound", "message_id"].tolist()


@pytest.mark.parametrize("status, record", [("FAILED", "1004"), ("SCHEDULED", "1005"), ("SENDING", "1006")])
def test_never_sent_statuses_are_set_aside_and_counted(api, status, record):
    messages, _, problems = api
    assert record not in set(messages["message_id"])
    assert {"problem": f"emails with status {status} (never sent; set aside)", "count": 1, "examples": [record]} == \
        problem(problems, f"emails with status {status} (never sent; set aside)")


def test_bounced_mail_is_sent_mail(api):
    messages, _, _ = api
    assert "1003" in set(messages["message_id"])


def test_owner_id_gives_the_sender_where_from_is_empty(api):
    messages, _, _ = api
    assert "ben@acme.com" == column(messages, "sender")["1002"]


def test_unknown_owner_is_counted(api):
    messages, _, problems = api
    assert pd.isna(column(messages, "sender")["1015"])
    assert ["1015: owner '999'"] == problem(problems, "owner ids not in the owners table (no sender)")["examples"]


def test_from_with_a_display_name_is_read_as_its_address(api):
    messages, _, _ = api
    assert "ben@acme.com" == column(messages, "sender")["1016"]


def test_unknown_logged_from_is_kept_lower_cased_and_counted(api):
    _, _, problems = api
    assert {"problem": "unknown logged_from values (kept; channel is the value lower-cased)", "count": 1,
            "examples": ["1014: 'MOBILE'"]} == problem(problems, "unknown logged_from values (kept; channel is the "
                                                                 "value lower-cased)")


def test_semicolon_separated_recipients_become_rows():
    sent = load_hubspot(API, owners=OWNERS, progress=False)
    rows = sent.to_pandas()
    assert [("jo@client.com", "to"), ("kim@client.com", "to"), ("boss@acme.com", "cc")] == \
        list(zip(*rows.loc[rows["message_id"] == "1001", ["recipient", "role"]].T.values))


def test_every_row_is_logged(api):
    messages, _, _ = api
    assert {True} == set(messages["log_enabled"])


def test_epoch_milliseconds_are_read(api):
    messages, _, _ = api
    assert pd.Timestamp("2024-03-07 09:00:00", tz="UTC") == column(messages, "sent_at")["1016"]


def test_open_and_click_counts_become_unattributed_tracking_events(api):
    _, tracking, _ = api
    expected = pd.DataFrame({
        "message_id": ["1001", "1001", "1001", "1016", "1016", "1016"],
        "recipient": [None] * 6,
        "event": ["open", "open", "click", "click", "click", "click"],
        "occurred_at": pd.to_datetime(["2024-03-01 09:00"] * 3 + ["2024-03-07 09:00"] * 3).astype("datetime64[us]"),
    })
    pd.testing.assert_frame_equal(expected, tracking)


def test_tracking_is_attached_to_the_sent_mail():
    sent = load_hubspot(API, owners=OWNERS, progress=False)
    assert 6 == len(sent.tracking)


def test_mapping_can_be_overridden_per_section():
    messages, _, _ = to_canonical(read(API), owners=OWNERS, mapping={"logged_from": {"mobile": "extension"}})
    assert ("extension", "crm") == (column(messages, "channel")["1014"], column(messages, "channel")["1002"])


def test_default_mapping_is_not_changed_by_an_override():
    to_canonical(read(API), mapping={"logged_from": {"CRM": "extension"}})
    assert "crm" == HUBSPOT_MAPPING["logged_from"]["CRM"]


# --- the warehouse and UI shapes -----------------------------------------------------------

def test_warehouse_property_prefix_loads():
    sent = load_hubspot(WAREHOUSE, owners=OWNERS, progress=False)
    rows = sent.to_pandas()
    assert [("2001", "jo@client.com", "to"), ("2001", "kim@client.com", "to"), ("2001", "audit@acme.com", "bcc"),
            ("2002", "lee@client.com", "to")] == list(rows[["message_id", "recipient", "role"]].itertuples(index=False,
                                                                                                      name=None))


def test_ui_export_labels_and_values_are_read():
    messages, _, problems = to_canonical(read(UI), owners=OWNERS)
    assert {"3001": ("extension", "outbound", "ana@acme.com"), "3002": ("crm", "outbound", "ben@acme.com"),
            "3003": ("extension", "inbound", "jo@client.com"), "3005": ("bcc_forward", "outbound", "ana@acme.com")} == \
        {m: (c, d, s) for m, c, d, s in messages[["message_id", "channel", "direction", "sender"]].itertuples(
            index=False, name=None)}
    assert ["3004"] == problem(problems, "emails with status FAILED (never sent; set aside)")["examples"]


def test_ui_owner_name_is_matched_through_the_owners_table():
    frame = read(UI)
    frame.loc[frame["Record ID"] == "3002", "From"] = ""
    messages, _, _ = to_canonical(frame, owners=pd.DataFrame({"id": ["1"], "email": ["ben@acme.com"],
                                                              "name": ["Ben Baker"]}))
    assert "ben@acme.com" == column(messages, "sender")["3002"]


def test_columns_maps_their_names_to_ours():
    frame = read(API).rename(columns={"hs_email_to_email": "recipients"})
    messages, _, _ = to_canonical(frame, columns={"recipients": "hs_email_to_email"})
    assert "jo@client.com;kim@client.com" == column(messages, "to")["1001"]


def test_ids_read_as_floats_keep_their_digits():
    messages, _, _ = to_canonical(pd.read_csv(BAD))
    assert ["4001", "4003"] == sorted(m for m in messages["message_id"] if not m.startswith("sha1:"))


# --- odd values, each counted ----------------------------------------------------------------

@pytest.mark.parametrize("name, count, examples", [
    ("unreadable timestamps (kept, undated)", 1, ["4001: 'not a date'"]),
    ("emails with an unknown or empty direction (set aside)", 1, ["4002: 'SIDEWAYS'"]),
    ("unknown email status values (kept as sent)", 2, ["4003: 'ARCHIVED'"]),
    ("record ids listed twice (loaded once)", 1, ["4003"]),
    ("emails with no record id (a stable hash used)", 1, ["line 6"]),
    ("emails with no logged_from or source (channel 'unknown')", 1, ["line 6"]),
    ("open count values that are not a whole number (read as 0)", 1, ["4001: 'many'"]),
])
def test_odd_values_are_counted(name, count, examples):
    _, _, problems = to_canonical(read(BAD))
    assert {"problem": name, "count": count, "examples": examples} == problem(problems, name)


def test_odd_values_reach_the_load_report():
    # One email of four has an unknown direction and is set aside: accepted explicitly here.
    sent = load_hubspot(BAD, progress=False, max_set_aside=1.0)
    assert 1 == sent.problems.set_index("problem").loc["record ids listed twice (loaded once)", "count"]


# --- named errors --------------------------------------------------------------------------

def test_missing_required_column_is_named():
    with pytest.raises(MissingColumnsError) as err:
        load_hubspot(DATA / "hubspot_missing_to.csv", progress=False)
    assert ("HubSpot export (hubspot_api) is missing required column(s) 'hs_email_to_email'; it has "
            "['hs_object_id', 'hs_timestamp', 'hs_email_direction', 'hs_email_status', 'hs_email_from_email']. "
            "Rename them in the file, or map them with columns={'their name': 'our name'}") == str(err.value)


def test_non_utf8_file_is_an_input_error_with_its_line():
    with pytest.raises(InputError) as err:
        load_hubspot(DATA / "hubspot_latin1.csv", progress=False)
    assert (f"{str(DATA / 'hubspot_latin1.csv')!r}, line 2: byte 0xe9 is not UTF-8; export the file as UTF-8 "
            "(HubSpot's own exports are)") == str(err.value)


def test_a_table_that_is_not_hubspot_is_an_input_error():
    with pytest.raises(InputError, match=r"^the table is not a HubSpot email export"):
        to_canonical(pd.DataFrame({"message_id": ["1"], "to": ["a@x.com"]}))


def test_unknown_format_is_an_input_error():
    with pytest.raises(InputError) as err:
        to_canonical(read(API), format="salesforce")
    assert "format must be one of ['hubspot_api', 'hubspot_ui'], got 'salesforce'" == str(err.value)


def test_unknown_mapping_section_is_an_input_error():
    with pytest.raises(InputError) as err:
        to_canonical(read(API), mapping={"channels": {}})
    assert ("mapping section 'channels' is not one of ['direction', 'direction_channel', 'empty_channel', "
            "'logged_from', 'object_source', 'sent_status', 'unsent_status']") == str(err.value)


def test_owners_table_without_email_is_named():
    with pytest.raises(MissingColumnsError, match=r"^owners table is missing required column\(s\) 'email'"):
        read_owners(pd.DataFrame({"id": ["101"], "mail": ["ana@acme.com"]}))


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"does not exist; give a CSV, Parquet or .xlsx file, a glob or a folder$"):
        load_hubspot(tmp_path / "nowhere.csv", progress=False)


def test_empty_file_is_an_input_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(InputError, match=r"is empty; expected a header row of HubSpot email properties$"):
        load_hubspot(path, progress=False)


def test_export_with_nothing_sent_is_an_input_error(tmp_path):
    path = tmp_path / "failed.csv"
    path.write_text("hs_object_id,hs_timestamp,hs_email_direction,hs_email_status,hs_email_to_email\n"
                    "1,2024-03-01T09:00:00Z,EMAIL,FAILED,a@x.com\n")
    with pytest.raises(InputError, match=r"has no sent or received emails to load \(1 rows; see the problems: "
                                         r"emails with status FAILED \(never sent; set aside\)\)$"):
        load_hubspot(path, progress=False)


# --- through load_sent ---------------------------------------------------------------------

@pytest.mark.parametrize("source, messages", [(API, 13), (WAREHOUSE, 2), (UI, 4)])
def test_load_sent_recognises_each_hubspot_shape(source, messages):
    from neverlog_sim.history import load_sent

    assert messages == load_sent(source, owners=OWNERS, progress=False).messages


def test_load_sent_can_force_the_ui_shape():
    from neverlog_sim.history import load_sent

    assert 4 == load_sent(UI, format="hubspot_ui", owners=OWNERS, progress=False).messages


def test_progress_false_writes_nothing(capsys):
    load_hubspot(API, owners=OWNERS, progress=False)
    assert ("", "") == tuple(capsys.readouterr())


def test_missing_direction_column_reads_rows_as_sent_and_says_so():
    frame = read(API).drop(columns=["hs_email_direction"])
    messages, _, problems = to_canonical(frame, owners=OWNERS)
    note = problem(problems, "no email direction column (every row read as a sent EMAIL)")
    assert ({"outbound"}, 16) == (set(messages["direction"]), note["count"])
