"""Policies: one team list plus personal lists keyed by owner, from objects, iterables or a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from neverlog_sim import EntryError, InputError, NeverLogList, Policy

DATA = Path(__file__).parent / "data"


def texts(lst: NeverLogList) -> list[str]:
    return [str(e) for e in lst.entries]


def test_plain_iterables():
    policy = Policy(team=["*@Rival.com", "ceo@partner.org"], personal={"ann@us.com": ("jo@friend.org",)})
    assert (["*@rival.com", "ceo@partner.org"], ["ann@us.com"], ["jo@friend.org"]) == (
        texts(policy.team), list(policy.personal), texts(policy.personal["ann@us.com"]))


def test_generator_and_set_are_accepted():
    policy = Policy(team={"*@rival.com"}, personal={"ann@us.com": (e for e in ["jo@friend.org"])})
    assert (1, 1) == (len(policy.team), len(policy.personal["ann@us.com"]))


def test_list_objects():
    team = NeverLogList.from_text("*@rival.com")
    personal = NeverLogList.from_text("jo@friend.org", scope="personal", owner="ann@us.com")
    policy = Policy(team=team, personal={"ann@us.com": personal})
    assert (team, personal) == (policy.team, policy.personal["ann@us.com"])


def test_text_is_read_as_a_list():
    assert ["*@rival.com", "jo@acme.com"] == texts(Policy(team="*@rival.com\njo@acme.com").team)


def test_file_path_is_read_as_a_list():
    assert 4 == len(Policy(team=DATA / "lists_team.txt").team)


def test_missing_file_path_is_an_input_error():
    path = DATA / "lists_nope.txt"
    with pytest.raises(InputError) as info:
        Policy(team=path)
    assert f"list file {str(path)!r} does not exist (or is not a file)" == str(info.value)


def test_empty_policy():
    policy = Policy()
    assert (0, {}, 0, True) == (len(policy.team), policy.personal, policy.size, policy.is_compliant)


def test_personal_owner_keys_are_normalised():
    policy = Policy(personal={" Ann@US.com ": ["jo@friend.org"]})
    assert (["ann@us.com"], "ann@us.com") == (list(policy.personal), policy.personal["ann@us.com"].owner)


def test_two_personal_lists_for_one_owner():
    with pytest.raises(ValueError) as info:
        Policy(personal={"ann@us.com": ["a@b.com"], "ANN@us.com": ["c@d.com"]})
    assert "two personal lists for owner 'ann@us.com'; merge them into one" == str(info.value)


def test_team_list_object_given_as_personal():
    with pytest.raises(ValueError) as info:
        Policy(personal={"ann@us.com": NeverLogList.from_text("a@b.com")})
    assert ("expected the personal list of ann@us.com, got <NeverLogList team: 1 entries, compliant>"
            == str(info.value))


def test_personal_list_object_of_another_owner():
    other = NeverLogList.from_text("a@b.com", scope="personal", owner="bob@us.com")
    with pytest.raises(ValueError):
        Policy(personal={"ann@us.com": other})


def test_personal_list_object_given_as_team():
    personal = NeverLogList.from_text("a@b.com", scope="personal", owner="bob@us.com")
    with pytest.raises(ValueError):
        Policy(team=personal)


def test_invalid_entry_in_iterable_raises_entry_error():
    with pytest.raises(EntryError) as info:
        Policy(team=["*@rival.com", "rival.com"])
    assert "*@rival.com" == info.value.problems[0].hint


def test_size_and_compliance():
    policy = Policy(team=[f"u{i}@acme.com" for i in range(501)], personal={"ann@us.com": ["jo@friend.org"]})
    assert (502, False, 2) == (policy.size, policy.is_compliant, len(policy.lists))


def test_repr():
    policy = Policy(team=["*@rival.com", "ceo@partner.org"], personal={"ann@us.com": ["jo@friend.org"]})
    assert "<Policy team: 2 entries; personal lists: ann@us.com: 1>" == repr(policy)


def test_repr_html_has_every_list():
    html = Policy(team=["*@rival.com"], personal={"ann@us.com": ["jo@friend.org"]})._repr_html_()
    assert (True, True) == ("<b>team list</b>" in html, "<b>personal list of ann@us.com</b>" in html)


# --- from_dir -------------------------------------------------------------------------------

def test_from_dir_reads_team_and_personal_lists():
    policy = Policy.from_dir(DATA / "lists_policy")
    assert (["*@rival.com", "ceo@partner.org"], {"ann@us.com": ["jo@friend.org", "*@family.net"],
                                                 "bob@us.com": ["*@newsletter.io"]}) == (
        texts(policy.team), {owner: texts(lst) for owner, lst in policy.personal.items()})


def test_from_dir_owner_from_file_name_is_normalised():
    # The fixture's file is personal/Ann@US.com.txt.
    assert "ann@us.com" == Policy.from_dir(DATA / "lists_policy").personal["ann@us.com"].owner


def test_from_dir_only_team(tmp_path):
    (tmp_path / "team.txt").write_text("*@rival.com\n", encoding="utf-8")
    policy = Policy.from_dir(tmp_path)
    assert (1, {}) == (len(policy.team), policy.personal)


def test_from_dir_only_personal(tmp_path):
    (tmp_path / "personal").mkdir()
    (tmp_path / "personal" / "ann@us.com.txt").write_text("jo@friend.org\n", encoding="utf-8")
    policy = Policy.from_dir(tmp_path)
    assert (0, ["ann@us.com"]) == (len(policy.team), list(policy.personal))


def test_from_dir_missing_folder():
    path = DATA / "lists_no_such_policy"
    with pytest.raises(InputError) as info:
        Policy.from_dir(path)
    assert (f"policy folder {str(path)!r} does not exist; it should hold team.txt and/or "
            "personal/<owner address>.txt") == str(info.value)


def test_from_dir_folder_without_lists():
    path = DATA / "lists_policy_empty"
    with pytest.raises(InputError) as info:
        Policy.from_dir(path)
    assert f"policy folder {str(path)!r} has neither team.txt nor personal/*.txt" == str(info.value)


def test_from_dir_personal_file_name_not_an_address(tmp_path):
    (tmp_path / "personal").mkdir()
    (tmp_path / "personal" / "ann.txt").write_text("jo@friend.org\n", encoding="utf-8")
    with pytest.raises(ValueError) as info:
        Policy.from_dir(tmp_path)
    assert "owner 'ann' is not an email address; give the user's sending address" == str(info.value)


def test_from_dir_invalid_line_names_file_and_line(tmp_path):
    (tmp_path / "team.txt").write_text("*@rival.com\nrival.org\n", encoding="utf-8")
    with pytest.raises(EntryError) as info:
        Policy.from_dir(tmp_path)
    assert f"{tmp_path / 'team.txt'}, line 2: 'rival.org' has no '@' — did you mean '*@rival.org'?" == (
        str(info.value).splitlines()[0])


def test_from_dir_lenient_fixes(tmp_path):
    (tmp_path / "team.txt").write_text("*@rival.com\nrival.org\n", encoding="utf-8")
    policy = Policy.from_dir(tmp_path, lenient=True)
    assert (["*@rival.com", "*@rival.org"], 1) == (texts(policy.team), len(policy.team.fixes))


# --- entries_frame --------------------------------------------------------------------------

def _records(frame) -> list[dict]:
    # A team entry's owner is "" (lists.TEAM_OWNER) in every table.
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_entries_frame_priorities():
    policy = Policy(team=["*@rival.com", "ceo@partner.org"],
                    personal={"ann@us.com": ["*@family.net", "jo@friend.org"]})
    assert [
        {"entry": "*@rival.com", "kind": "domain", "key": "rival.com", "list": "team", "owner": "", "priority": 2},
        {"entry": "ceo@partner.org", "kind": "address", "key": "ceo@partner.org", "list": "team", "owner": "",
         "priority": 1},
        {"entry": "*@family.net", "kind": "domain", "key": "family.net", "list": "personal", "owner": "ann@us.com",
         "priority": 4},
        {"entry": "jo@friend.org", "kind": "address", "key": "jo@friend.org", "list": "personal",
         "owner": "ann@us.com", "priority": 3},
    ] == _records(policy.entries_frame())


def test_entries_frame_of_empty_policy_has_the_columns():
    frame = Policy().entries_frame()
    assert (["entry", "kind", "key", "list", "owner", "priority"], 0, "int32") == (
        list(frame.columns), len(frame), str(frame["priority"].dtype))


def test_entries_frame_skips_empty_lists():
    frame = Policy(team=[], personal={"ann@us.com": ["jo@friend.org"]}).entries_frame()
    assert [("jo@friend.org", "personal", 3)] == list(zip(frame["entry"], frame["list"], frame["priority"]))
