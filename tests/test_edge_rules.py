"""Edge cases of SEMANTICS §1, §3–§5 found in review: each pins one rule."""

import pandas as pd
import pytest

from neverlog_sim import EntryError, NeverLogList, Policy, build_sent, export_lists, simulate


def sent_of(rows):
    """rows: (message_id, sent_at, sender, channel, to)."""
    return build_sent(pd.DataFrame(rows, columns=["message_id", "sent_at", "sender", "channel", "to"]),
                      progress=False)


def test_a_contact_from_before_the_history_is_never_created_later():
    # §3 A4: the record exists from before the history (contacts table, no date); blocking the
    # first send changes its timeline, not when it was created.
    sent = sent_of([("m1", "2024-01-05", "ann@us.com", "extension", "x@acme.com"),
                    ("m2", "2024-03-05", "bob@us.com", "extension", "x@acme.com")])
    contacts = pd.DataFrame({"email": ["x@acme.com"], "created_at": [None]})
    result = simulate(sent, Policy(personal={"ann@us.com": ["x@acme.com"]}), contacts=contacts)
    row = result.contacts.iloc[0]
    assert ("timeline_reduced", True, True) == (row["change"], pd.isna(row["created_at_before"]),
                                                pd.isna(row["created_at_after"]))


def test_a_contacts_table_with_an_internationalised_domain_matches_the_rows():
    # §1: contacts are normalised like recipients, IDNA included.
    sent = sent_of([("m1", "2024-01-05", "ann@us.com", "extension", "jo@bücher.de")])
    contacts = pd.DataFrame({"email": ["Jo@Bücher.de"], "created_at": ["2023-01-01"]})
    result = simulate(sent, Policy(), contacts=contacts)
    assert [True] == result.contacts["known_before_history"].tolist()


def test_export_refuses_a_cap_over_hubspots(tmp_path):
    with pytest.raises(ValueError, match="at most HubSpot's 500 entries"):
        export_lists(Policy(team=["a@x.com"]), tmp_path / "out", cap=600)


def test_export_refuses_wanted_lists_with_invalid_lines(tmp_path):
    wanted = Policy(team=NeverLogList.from_text("a@x.com\nacme\nb@y.com", on_invalid="collect"))
    with pytest.raises(EntryError, match="line 2"):
        export_lists(wanted, tmp_path / "out")
    assert [] == list(tmp_path.iterdir())


def test_timeline_entries_removed_counts_each_entry_that_leaves_not_the_net_change():
    # Baseline blocks a@x.com, candidate blocks b@x.com instead: one entry leaves, one comes back.
    sent = sent_of([("m1", "2024-01-05", "ann@us.com", "extension", "a@x.com"),
                    ("m2", "2024-01-06", "ann@us.com", "extension", "b@x.com")])
    m = simulate(sent, Policy(team=["b@x.com"]), baseline=Policy(team=["a@x.com"])).metrics()
    assert (1, 1, 1) == (m["timeline_entries_removed"], m["timeline_entries_before"], m["timeline_entries_after"])


@pytest.mark.parametrize("rules", ["seed-2023", "2025"])
def test_headline_figures_agree_with_the_contacts_table(rules):
    # metrics() reads the load-time profiles; .contacts counts recipient by recipient: they must agree.
    from neverlog_sim import load_contacts, load_sent
    from neverlog_sim.samples import sample_path
    sent = load_sent(sample_path("sent_canonical.csv"), progress=False)
    result = simulate(sent, Policy.from_dir(sample_path("lists")), rules=rules,
                      contacts=load_contacts(sample_path("contacts.csv")))
    m, c = result.metrics(), result.contacts
    expected = (len(c), int(c["exists_before"].sum()), int(c["exists_after"].sum()),
                int((c["exists_before"] & ~c["known_before_history"]).sum()),
                int(c["timeline_before"].sum()), int(c["timeline_after"].sum()))
    assert expected == (m["recipients"], m["contact_records_before"], m["contact_records_after"],
                        m["contacts_created_before"], m["timeline_entries_before"], m["timeline_entries_after"])
