"""What HubSpot logged for the sample company once its lists were in force: the backtest's other side.

The sample company switched its candidate lists (``lists/``) on at :data:`LOGGED_SINCE`. This module
decides, from the company's own canonical history and with its own plain logic (not the simulator),
which recipients each send was logged to under :data:`LOGGED_RULES` — a rule set that differs from
the default profile — and writes those emails in HubSpot's CRM API shape. A backtest of the
history against this export finds that rule set as the best fit, agreeing on every row.

>>> logged_frame(generate()).columns[0]  # doctest: +SKIP
'hs_object_id'
"""

from __future__ import annotations

import pandas as pd

from .company import DOMAIN, SampleCompany

__all__ = ["LOGGED_SINCE", "LOGGED_RULES", "logged_frame"]

#: The day the company's lists went live in HubSpot; the export holds the emails logged from then on.
LOGGED_SINCE = pd.Timestamp("2025-10-01", tz="UTC")
#: How HubSpot behaved for the sample account: team inbox conversations governed (profile 2025),
#: domain entries matching their exact domain, and Bcc recipients never blocked (A3: To and Cc only).
LOGGED_RULES = {"profile": "2025", "governed": ("extension", "crm", "bcc_forward", "team_inbox"),
                "roles": ("to", "cc"), "subdomains": False}

_LOGGED_FROM = {"crm": "CRM", "extension": "EXTENSION", "bcc_forward": "BCC", "team_inbox": "TEAM_INBOX",
                "integration": ""}
_SOURCE = {"crm": "CRM_UI", "extension": "EMAIL_INTEGRATION", "bcc_forward": "EMAIL_INTEGRATION",
           "team_inbox": "CONVERSATIONS", "integration": "INTEGRATION"}


def _listed(rows: pd.DataFrame, entries: pd.DataFrame, subdomains: bool) -> pd.Series:
    """Whether an entry names each row's recipient: its address or its domain (with ``subdomains``, a parent
    domain too); team entries (owner "") for every sender, personal ones for their owner's sends."""
    domain = rows["recipient"].str.split("@").str[-1]
    keys = [rows["recipient"], domain]
    if subdomains:
        labels = domain.str.split(".")
        keys += [labels.str[depth:].str.join(".").where(labels.str.len() - depth >= 2)
                 for depth in range(1, int(labels.str.len().max()) - 1)]
    probe = pd.concat([pd.DataFrame({"row": rows.index, "key": k, "owner": rows["sender"]}) for k in keys])
    probe = probe.dropna(subset=["key"])
    team = set(entries.loc[entries["owner"] == "", "key"])
    by_team = probe.loc[probe["key"].isin(team), "row"]
    by_personal = probe.merge(entries[entries["owner"] != ""], on=["owner", "key"])["row"]
    return pd.Series(rows.index.isin(pd.concat([by_team, by_personal])), index=rows.index)


def logged_frame(company: SampleCompany, *, since: pd.Timestamp = LOGGED_SINCE, governed=None, roles=None,
                 subdomains: bool | None = None) -> pd.DataFrame:
    """The emails HubSpot logged from ``since`` with the company's lists in force, in HubSpot's API shape.

    A send is logged to each recipient that no entry blocks: an entry blocks a recipient when the
    send's channel is in ``governed``, the recipient's role in ``roles``, and the team list or the
    sender's personal list names the address or the domain (a parent domain too with
    ``subdomains``). A send with "Log in CRM" off is not logged; received replies are logged as they
    are. The recipient columns name the recipients the email was logged to; ``hs_email_message_id``
    is the Message-ID header the mailbox shows; ``hs_timestamp`` is when HubSpot logged it, up to a
    minute after the send. Defaults: :data:`LOGGED_RULES`.
    """
    governed = tuple(LOGGED_RULES["governed"] if governed is None else governed)
    roles = tuple(LOGGED_RULES["roles"] if roles is None else roles)
    subdomains = LOGGED_RULES["subdomains"] if subdomains is None else subdomains
    r = company.recipients
    r = r[r["log_enabled"] & (r["sent_at"] >= since)].reset_index(drop=True)
    entries = pd.DataFrame(
        [(e.removeprefix("*@"), "") for e in company.candidate_team]
        + [(e.removeprefix("*@"), owner) for owner, lst in company.personal.items() for e in lst],
        columns=["key", "owner"])
    outbound = r["direction"] == "outbound"
    blockable = outbound & r["channel"].isin(governed) & r["role"].isin(roles)
    blocked = blockable & _listed(r, entries, subdomains)
    kept = r[~blocked]
    fields = kept.groupby(["message_id", "role"], sort=False)["recipient"].agg(";".join).unstack("role")
    fields = fields.reindex(columns=["to", "cc", "bcc"]).fillna("")
    m = company.messages.set_index("message_id").loc[fields.index].reset_index()
    inbound = (m["direction"] == "inbound").to_numpy()
    owner_of = dict(zip(company.owners["email"], company.owners["id"]))
    # On a received reply the owner is the user who received it (the address in its To).
    user = m["sender"].where(~inbound, m["to"].str.extract(r"([^<>\s,]+@[^<>\s,]+)", expand=False))
    ids = m["message_id"].astype("int64")
    local = m["sender"].str.replace(r"^.*<", "", regex=True).str.split("@").str[0]
    frame = pd.DataFrame({
        # HubSpot's own record ids, unrelated to the mailbox's ids: matching cannot lean on them.
        "hs_object_id": (ids + 30_000_000_000).astype(str),
        "hs_timestamp": (m["sent_at"] + pd.to_timedelta(ids % 61, unit="s")).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hs_email_direction": ["INCOMING_EMAIL" if i else "EMAIL" for i in inbound],
        "hs_email_status": "SENT",
        "hs_email_subject": m["subject"],
        "hs_email_from_email": m["sender"].str.lower(),
        "hs_email_to_email": fields["to"].to_numpy(),
        "hs_email_cc_email": fields["cc"].to_numpy(),
        "hs_email_bcc_email": fields["bcc"].to_numpy(),
        "hubspot_owner_id": user.str.lower().map(owner_of).fillna(""),
        "hs_email_logged_from": m["channel"].map(_LOGGED_FROM),
        "hs_object_source": m["channel"].map(_SOURCE),
        "hs_email_message_id": "<" + m["message_id"].astype(str) + "." + local.str.lower() + "@mail." + DOMAIN + ">",
        "hs_email_thread_id": m["message_id"].map(company.thread_ids),
    })
    frame.loc[inbound, "hs_email_message_id"] = ""  # replies come from outside mail systems: no id we know
    return frame.sort_values("hs_object_id", kind="stable").reset_index(drop=True)
