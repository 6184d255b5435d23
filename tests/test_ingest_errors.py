"""Bad sent-mail files end in a named error that says what and where (issue 4, SEMANTICS §1)."""

import pytest

from neverlog_sim import InputError, Policy, load_contacts, load_sent, load_tracking
from neverlog_sim.entries import classify_recipient

HEADER = "message_id,sent_at,sender,channel,to,cc,bcc\n"


def test_a_ragged_csv_row_is_named_by_line(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text(HEADER + "m1,2024-01-01,a@x.com,crm,b@y.com,,\n"
                    "m2,2024-01-02,a@x.com,crm,b@y.com,,,extra,more\n")
    with pytest.raises(InputError) as exc:
        load_sent(path, progress=False)
    assert (f"sent mail {str(path)!r}: line 3 has 9 fields, the header has 7 — quote fields that contain ',', "
            "or remove the extra ones") == str(exc.value)


def test_an_empty_csv_says_it_is_empty(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("")
    with pytest.raises(InputError) as exc:
        load_sent(path, progress=False)
    assert f"sent mail {str(path)!r} is empty; it needs a header row and at least one row" == str(exc.value)


@pytest.mark.parametrize("loader, what", [(load_contacts, "contacts"), (load_tracking, "tracking events")])
def test_a_missing_file_names_what_it_was_for(loader, what, tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError) as exc:
        loader(path)
    assert (f"{what} {str(path)!r} does not exist; give a CSV or Parquet file, a glob or a folder"
            == str(exc.value))


def test_an_address_in_stray_quotes_keeps_its_domain():
    assert ("jo@acme.com", "non_standard") == classify_recipient("'jo@acme.com'")


def test_a_quoted_recipient_is_blocked_by_its_domain_entry():
    import pandas as pd
    from neverlog_sim import simulate
    sent = load_sent(pd.DataFrame({"message_id": ["m1"], "sent_at": ["2024-01-01"], "sender": ["a@us.com"],
                                   "channel": ["extension"], "to": ["'jo@acme.com'"], "cc": [None], "bcc": [None]}),
                     progress=False)
    result = simulate(sent, Policy(team=["*@acme.com"]))
    assert [True] == result.recipients["blocked_after"].tolist()


def test_a_missing_team_list_file_is_not_read_as_list_text(tmp_path):
    with pytest.raises(InputError) as exc:
        Policy(team=str(tmp_path / "team.txt"))
    assert "does not exist" in str(exc.value)
