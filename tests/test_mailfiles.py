"""Mail files (issue 4, item 2): mbox and message folders, one test per format and per oddity."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neverlog_sim.errors import InputError
from neverlog_sim.history import load_mail
from neverlog_sim.readers.mailfiles import read_aliases, read_mail

DATA = Path(__file__).parent / "data"
MBOX = DATA / "mail_sent.mbox"
FOLDER = DATA / "mail_folder"
ENRON = Path(__file__).resolve().parents[2] / "shared" / "data" / "enron-sent"


def problem(problems, name):
    """The load-report entry called ``name``, or None."""
    return next((p for p in problems if p["problem"] == name), None)


@pytest.fixture(scope="module")
def folder():
    return read_mail(FOLDER, progress=False)


def by_subject(messages: pd.DataFrame, subject: str) -> pd.Series:
    rows = messages[messages["subject"] == subject]
    assert 1 == len(rows)
    return rows.iloc[0]


# --- formats -----------------------------------------------------------------------------

def test_mbox_reads_every_message():
    messages, _ = read_mail(MBOX, progress=False)
    assert ["<a1@mail.gmail.com>", "<a2@mail.gmail.com>", "<a3@mail.gmail.com>"] == messages["message_id"].tolist()


def test_mbox_dates_are_utc():
    messages, _ = read_mail(MBOX, progress=False)
    assert pd.Timestamp("2024-03-04 09:00:00", tz="UTC") == messages["sent_at"].iloc[0]


def test_mbox_loads_through_build_sent_as_recipient_rows():
    sent = load_mail(MBOX, aliases=DATA / "mail_aliases.csv", progress=False)
    assert (6, 3) == (len(sent), sent.messages)


def test_alias_table_maps_every_address_of_one_person():
    sent = load_mail(MBOX, aliases=DATA / "mail_aliases.csv", progress=False)
    assert ["ana@acme.com"] == sorted(sent.to_pandas()["sender"].unique())


def test_without_aliases_each_from_address_is_its_own_sender():
    messages, _ = read_mail(MBOX, progress=False)
    assert ["ana.alves@gmail.com", "ana@acme.com"] == sorted(messages["sender"].unique())


@pytest.mark.parametrize("aliases", [
    {"Ana.Alves@gmail.com": "ana@acme.com"},
    pd.DataFrame({"alias": ["ana.alves@gmail.com"], "user": ["ana@acme.com"]}),
])
def test_alias_table_as_dict_or_dataframe(aliases):
    messages, _ = read_mail(MBOX, aliases=aliases, progress=False)
    assert ["ana@acme.com"] == sorted(messages["sender"].unique())


def test_channel_defaults_to_extension():
    messages, _ = read_mail(MBOX, progress=False)
    assert {"extension"} == set(messages["channel"])


def test_channel_can_be_set():
    messages, _ = read_mail(MBOX, channel="bcc_forward", progress=False)
    assert {"bcc_forward"} == set(messages["channel"])


def test_mail_is_outbound_and_logged():
    messages, _ = read_mail(MBOX, progress=False)
    assert ({True}, {"outbound"}) == (set(messages["log_enabled"]), set(messages["direction"]))


def test_folder_is_searched_recursively_whatever_the_file_names(folder):
    messages, _ = folder
    assert {"<enc@example.de>", "<101.1075840000001.JavaMail.evans@thyme>"} <= set(messages["message_id"])


def test_single_message_file():
    messages, _ = read_mail(FOLDER / "group.eml", progress=False)
    assert ["<group@example.com>"] == messages["message_id"].tolist()


# --- oddities, each counted ----------------------------------------------------------------

def test_non_mail_files_are_skipped_and_counted(folder):
    _, problems = folder
    assert {"problem": "files that are not mail messages (skipped)", "count": 2,
            "examples": ["misc/logo.png", "misc/notes.txt"]} == problem(problems, "files that are not mail messages (skipped)")


def test_message_filed_twice_is_loaded_once(folder):
    messages, problems = folder
    assert 1 == (messages["subject"] == "Re: Thank-you!").sum()
    assert {"problem": "duplicate messages folded (same Date, From, recipients and Subject)", "count": 1,
            "examples": ["sent/1. = _sent_mail/1."]} == problem(
        problems, "duplicate messages folded (same Date, From, recipients and Subject)")


def test_folded_header_is_unfolded(folder):
    messages, problems = folder
    row = by_subject(messages, "Re: Thank-you!")
    assert "sarah-joy.hunter@enron.com, ted.murphy@enron.com, david.port@enron.com" == row["to"]
    assert 2 == problem(problems, "headers folded over several lines (unfolded)")["count"]


def test_encoded_words_are_decoded(folder):
    messages, problems = folder
    row = by_subject(messages, "Grüße aus Köln")
    assert ("joerg@example.de", "renee@example.fr") == (row["sender"], row["to"])
    assert 2 == problem(problems, "RFC 2047 encoded words (decoded)")["count"]


def test_group_is_read_as_its_members(folder):
    messages, problems = folder
    assert "chair@acme.com, treasurer@acme.com" == by_subject(messages, "a group")["to"]
    assert ["group.eml: To: Board: chair@acme.com, treasurer@acme.com;", "sent/4.: To: undisclosed-recipients:;"] == \
        problem(problems, "address groups (read as their members)")["examples"]


def test_comment_is_removed(folder):
    messages, problems = folder
    assert "carl@client.com" == by_subject(messages, "a comment")["to"]
    assert 1 == problem(problems, "comments in addresses (removed)")["count"]


def test_repeated_to_headers_are_merged(folder):
    messages, problems = folder
    assert "first@client.com, second@client.com" == by_subject(messages, "two To headers")["to"]
    assert ["repeated.eml: 2 To headers"] == problem(problems, "repeated To headers (merged)")["examples"]


def test_missing_to_is_kept_when_cc_has_a_recipient(folder):
    messages, problems = folder
    row = by_subject(messages, "no To header")
    assert ("", "sally.beck@enron.com") == (row["to"], row["cc"])
    assert ["sent/3."] == problem(problems, "messages with no To (recipients from Cc/Bcc)")["examples"]


def test_message_with_no_recipient_is_set_aside_and_counted(folder):
    messages, problems = folder
    assert "nobody" not in set(messages["subject"])
    assert {"problem": "messages with no recipient (set aside)", "count": 1, "examples": ["sent/4."]} == \
        problem(problems, "messages with no recipient (set aside)")


def test_non_utf8_bytes_are_read_as_windows_1252(folder):
    messages, problems = folder
    row = by_subject(messages, "café")
    assert ("rene@example.fr", "andre@example.fr") == (row["sender"], row["to"])
    assert 3 == problem(problems, "headers with non-UTF-8 bytes (read as Windows-1252)")["count"]


def test_malformed_date_is_kept_undated_and_counted(folder):
    messages, problems = folder
    assert pd.isna(by_subject(messages, "a malformed date")["sent_at"])
    assert ["bad_date.eml: Date: 'sometime last week'"] == \
        problem(problems, "malformed Date headers (sent_at left empty)")["examples"]


def test_missing_message_id_gets_a_stable_hash(folder):
    messages, problems = folder
    again, _ = read_mail(FOLDER / "no_id.eml", progress=False)
    first = by_subject(messages, "no Message-ID")["message_id"]
    assert (True, first) == (first.startswith("sha1:"), again["message_id"].iloc[0])
    assert 1 == problem(problems, "messages with no Message-ID (a stable hash used)")["count"]


def test_odd_addresses_are_kept_and_counted_as_non_standard():
    # The folder holds one message with no recipient of eleven: accepted explicitly (max_set_aside).
    sent = load_mail(FOLDER, progress=False, max_set_aside=1.0)
    rows = sent.to_pandas()
    report = sent.problems.set_index("problem")
    assert {"k..allen@enron.com", "'hutcheson@enron.com"} <= set(rows["recipient"])
    assert 2 == report.loc["non-standard recipient addresses (kept and matched)", "count"]


def test_load_report_carries_the_loader_problems():
    sent = load_mail(FOLDER, progress=False, max_set_aside=1.0)
    assert 1 == sent.problems.set_index("problem").loc["duplicate messages folded (same Date, From, recipients "
                                                       "and Subject)", "count"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.binary(max_size=120))
def test_any_header_bytes_end_in_a_message_or_a_counted_problem(tmp_path, header):
    path = tmp_path / "fuzz.eml"
    path.write_bytes(b"From: ana@acme.com\nTo: " + header + b"\nDate: " + header + b"\nSubject: x\n\nbody\n")
    try:
        messages, problems = read_mail(path, progress=False)
    except InputError:
        return  # a named error, e.g. the bytes made it not look like mail
    assert len(messages) + sum(p["count"] for p in problems if "set aside" in p["problem"]) >= 1


# --- named errors --------------------------------------------------------------------------

def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as err:
        read_mail(tmp_path / "nowhere.mbox", progress=False)
    assert (f"mail source {str(tmp_path / 'nowhere.mbox')!r} does not exist; give an mbox file or a folder of "
            "message files") == str(err.value)


def test_a_file_that_is_not_mail_is_an_input_error():
    with pytest.raises(InputError, match=r"is neither an mbox file .* nor a mail message"):
        read_mail(FOLDER / "misc" / "notes.txt", progress=False)


def test_a_folder_without_mail_is_an_input_error():
    with pytest.raises(InputError, match=r"^no mail messages found in .*misc"):
        read_mail(FOLDER / "misc", progress=False)


def test_alias_table_without_its_columns_is_an_input_error():
    with pytest.raises(InputError) as err:
        read_aliases(pd.DataFrame({"address": ["a@x.com"], "person": ["b@x.com"]}))
    assert ("alias table is missing column(s) ['alias', 'user']; it has ['address', 'person']. An alias table has "
            "columns alias (an address) and user (who it belongs to)") == str(err.value)


def test_alias_table_with_an_empty_user_is_an_input_error():
    with pytest.raises(InputError, match=r"empty or non-text pair \('a@x.com', ''\)"):
        read_aliases({"a@x.com": ""})


def test_empty_channel_is_an_input_error():
    with pytest.raises(InputError, match=r"channel must be a channel name such as 'extension', got ''"):
        read_mail(MBOX, channel="", progress=False)


# --- real data: the Enron sent folders -----------------------------------------------------

@pytest.fixture(scope="module")
def enron():
    if not ENRON.is_dir():
        pytest.skip(f"real Enron data not present at {ENRON} (it lives in <repo>/../shared, outside the repo)")
    return read_mail(ENRON, progress=False), load_mail(ENRON, progress=False)


def test_enron_all_three_people_load(enron):
    (messages, _), _ = enron
    assert {"rick.buy@enron.com", "peter.keavey@enron.com", "andrew.lewis@enron.com"} <= set(messages["sender"])


def test_enron_duplicates_are_folded_once_each(enron):
    (messages, problems), _ = enron
    key = messages[["sent_at", "sender", "to", "cc", "bcc", "subject"]].astype(str)
    assert 0 < problem(problems, "duplicate messages folded (same Date, From, recipients and Subject)")["count"]
    assert 0 == key.duplicated().sum()


def test_enron_every_message_with_a_recipient_is_present(enron):
    (messages, problems), _ = enron
    files = [p for p in ENRON.rglob("*") if p.is_file() and p.name != "SOURCE.md"]
    folded = problem(problems, "duplicate messages folded (same Date, From, recipients and Subject)")["count"]
    no_recipient = problem(problems, "messages with no recipient (set aside)")["count"]
    assert len(files) == len(messages) + folded + no_recipient


def test_enron_odd_addresses_are_counted_and_kept(enron):
    _, sent = enron
    rows = sent.to_pandas()
    report = sent.problems.set_index("problem")
    assert {"f..brawner@enron.com", "'fishkin@enron.com"} <= set(rows["recipient"])
    assert 0 < report.loc["non-standard recipient addresses (kept and matched)", "count"]


# --- through load_sent ---------------------------------------------------------------------

@pytest.mark.parametrize("source, messages", [(MBOX, 3), (FOLDER, 10)])
def test_load_sent_recognises_mail_files(source, messages):
    from neverlog_sim.history import load_sent

    assert messages == load_sent(source, progress=False, max_set_aside=1.0).messages


def test_a_folder_with_a_message_set_aside_is_refused_by_default():
    from neverlog_sim.errors import SetAsideError
    from neverlog_sim.history import load_sent

    with pytest.raises(SetAsideError) as exc:
        load_sent(FOLDER, progress=False)
    assert (1 / 11, 0.01) == (exc.value.share, exc.value.limit)


def test_load_sent_passes_the_alias_table_on():
    from neverlog_sim.history import load_sent

    sent = load_sent(MBOX, aliases=DATA / "mail_aliases.csv", progress=False)
    assert ["ana@acme.com"] == sorted(sent.to_pandas()["sender"].unique())


def test_progress_false_writes_nothing(capsys):
    read_mail(FOLDER, progress=False)
    assert ("", "") == tuple(capsys.readouterr())


def test_thunderbird_profile_folder_reads_its_mbox_and_skips_the_index():
    messages, problems = read_mail(DATA / "mail_thunderbird", progress=False)
    assert ["<tb1@acme.com>", "<tb2@acme.com>"] == messages["message_id"].tolist()
    assert ["Mail/Local Folders/Sent.msf"] == problem(problems, "files that are not mail messages (skipped)")["examples"]


def test_apple_mail_emlx_byte_count_line_is_skipped(tmp_path):
    message = b"Message-ID: <x@acme.com>\nFrom: ana@acme.com\nTo: jo@client.com\nSubject: emlx\n\nbody\n"
    (tmp_path / "1.emlx").write_bytes(str(len(message)).encode() + b"\n" + message)
    messages, _ = read_mail(tmp_path, progress=False)
    assert [("<x@acme.com>", "jo@client.com")] == list(messages[["message_id", "to"]].itertuples(index=False, name=None))
