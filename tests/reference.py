"""A reference simulator: the rules of docs/rules.md as plain Python loops, for the tests only.

Slow and obvious on purpose: no DuckDB, no pandas, no vectorising. It reads the same scenario
the property tests give the engine (plain rows as dicts) and computes every table of a
``SimulationResult`` and every figure of ``metrics()``. The package never imports it; the tests
hold the engine (all of its routes: load-time profiles, per-history caches, the late-send path)
against it.

A scenario is a dict:

* ``level``: ``"message"`` (rows with ``to``, ``cc``, ``bcc``) or ``"recipient"`` (rows with
  ``recipient``, ``role``); ``sent``: the input rows, each with ``message_id, sent_at, sender,
  channel, log_enabled, direction`` as written in a file (text, or ``None``);
* ``contacts``: ``None`` or rows ``{"email", "created_at"}``; ``tracking``: ``None`` or rows
  ``{"message_id", "recipient", "event", "occurred_at"}``;
* ``baseline`` and ``candidate``: ``{"team": [entries], "personal": {owner: [entries]}}``;
* ``rules``: a ``neverlog_sim.Rules`` (its fields are the assumptions; the reference reads them).

Decisions the rules leave open follow the named assumptions of docs/rules.md (U1, U3–U11).
"""

from __future__ import annotations

from datetime import datetime, timezone

# docs/rules.md#channels: the five canonical channels; any other value (or none) is an unknown channel (U1).
CHANNELS = ("extension", "crm", "bcc_forward", "team_inbox", "integration")
ROLE_RANK = {"to": 1, "cc": 2, "bcc": 3}
FALSE_WORDS = ("false", "f", "0", "no", "n", "off")
INBOUND_WORDS = ("inbound", "incoming", "in", "received")
# docs/rules.md#responsible-entry: when several entries match, the responsible one is, in order: team address, team domain,
# personal address, personal domain (and among domain entries, the most specific domain).
RESPONSIBILITY = {("team", "address"): 1, ("team", "domain"): 2, ("personal", "address"): 3,
                  ("personal", "domain"): 4}
# The columns of each table, in the engine's order.
RECIPIENT_COLUMNS = ("message_id", "sent_at", "sender", "channel", "role", "recipient", "applies", "blocked_before",
                     "blocked_after", "blocked_by", "blocked_by_list", "logged_before", "logged_after",
                     "on_timeline_before", "on_timeline_after", "log_enabled", "direction")
CONTACT_COLUMNS = ("contact", "change", "created_at_before", "created_at_after", "timeline_before", "timeline_after",
                   "exists_before", "exists_after", "known_before_history", "sends")
TIMELINE_COLUMNS = ("message_id", "sent_at", "sender", "channel", "role", "recipient", "contact", "direction",
                    "logged_before", "logged_after",
                    "on_timeline_before", "on_timeline_after", "blocked_by", "blocked_by_list", "change",
                    "tracking_events_removed")
FEED_COLUMNS = ("message_id", "recipient", "event", "occurred_at", "in_feed_before", "in_feed_after",
                "on_timeline_before", "on_timeline_after", "blocked_after")
ENTRY_COLUMNS = ("policy", "entry", "list", "owner", "kind", "rows", "messages", "recipients", "senders",
                 "exclusive_rows", "exclusive_recipients", "responsible_rows", "dead")
CHANGE_CLASSES = ("not_created", "created_later", "timeline_emptied", "timeline_reduced",
                  "newly_created", "created_earlier", "timeline_added", "unchanged")


# --- reading values as written in a file ---------------------------------------------------------

def text(value) -> str | None:
    """A cell as text: trimmed, ``None`` when empty."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def read_address(raw) -> str | None:
    """docs/rules.md#normalisation: trim, drop a display name (``Jo <jo@acme.com>``), lower-case."""
    raw = text(raw)
    if raw is None:
        return None
    if "<" in raw:
        raw = raw[raw.index("<") + 1:raw.index(">")]
    return raw.strip().lower()


def split_field(field) -> list[str]:
    """A To/Cc/Bcc field: addresses separated by commas outside double quotes (``"Smith, Jo" <jo@x.com>``)."""
    field = text(field)
    if field is None:
        return []
    pieces, current, quoted = [], "", False
    for ch in field:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            pieces.append(current)
            current = ""
        else:
            current += ch
    pieces.append(current)
    return [piece for piece in pieces if piece.strip()]


def read_time(value) -> datetime | None:
    """An ISO 8601 date: UTC wall time; a date without a zone is read as UTC."""
    value = text(value)
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def read_log(value) -> bool:
    """The "Log in CRM" toggle: off only when written as off; missing or odd values read as on."""
    value = text(value)
    return value is None or value.lower() not in FALSE_WORDS


def read_direction(value) -> str:
    value = text(value)
    return "inbound" if value is not None and value.lower() in INBOUND_WORDS else "outbound"


def read_role(value) -> str:
    value = text(value)
    return value.lower() if value is not None and value.lower() in ROLE_RANK else "to"


def read_channel(value) -> str | None:
    value = text(value)
    return None if value is None else value.lower()


# --- the history: one row per message × recipient ----------------------------------------------------

def read_sent(scenario: dict) -> list[dict]:
    """The canonical rows. A recipient listed twice in one message is one row: role To > Cc > Bcc,
    "Log in CRM" on only when every listing has it on (U9), and for the date, channel and sender
    the first row's value (U7) — an empty value is filled from a later row."""
    staged = []
    for number, src in enumerate(scenario["sent"], start=1):
        common = {"message_id": text(src.get("message_id")) or f"row-{number}",
                  "sent_at": read_time(src.get("sent_at")), "sender": read_address(src.get("sender")),
                  "channel": read_channel(src.get("channel")), "log_enabled": read_log(src.get("log_enabled")),
                  "direction": read_direction(src.get("direction"))}
        if scenario["level"] == "message":
            for role in ("to", "cc", "bcc"):
                for raw in split_field(src.get(role)):
                    staged.append({**common, "role": role, "recipient": read_address(raw)})
        else:
            staged.append({**common, "role": read_role(src.get("role")), "recipient": read_address(src["recipient"])})
    rows: dict[tuple, dict] = {}
    for s in staged:
        key = (s["message_id"], s["recipient"])
        if key not in rows:
            rows[key] = dict(s)
            continue
        kept = rows[key]
        if ROLE_RANK[s["role"]] < ROLE_RANK[kept["role"]]:
            kept["role"] = s["role"]
        kept["log_enabled"] = kept["log_enabled"] and s["log_enabled"]
        for column in ("sent_at", "channel", "sender"):
            if kept[column] is None:
                kept[column] = s[column]
    return list(rows.values())


def read_contacts(rows) -> dict[str, datetime | None] | None:
    """Contact records before the history: address → created_at. An address listed twice keeps its
    earliest date; an undated listing (a record from before the history, U5) counts only when no
    listing has a date (U6)."""
    if rows is None:
        return None
    known: dict[str, list] = {}
    for row in rows:
        email = read_address(row["email"])
        if email is None:
            continue
        known.setdefault(email, []).append(read_time(row.get("created_at")))
    return {email: min((d for d in dates if d is not None), default=None) for email, dates in known.items()}


def read_tracking(rows) -> list[dict] | None:
    if rows is None:
        return None
    return [{"message_id": None if r["message_id"] is None else str(r["message_id"]),
             "recipient": read_address(r.get("recipient")), "event": str(r["event"]).strip().lower(),
             "occurred_at": read_time(r.get("occurred_at"))} for r in rows]


def read_policy(policy: dict, scenario: str) -> list[dict]:
    """Every entry of the policy's lists, normalised and without duplicates within a list."""
    lists = [("team", "", policy.get("team", []))]
    lists += [("personal", read_address(owner), entries) for owner, entries in policy.get("personal", {}).items()]
    out = []
    for list_name, owner, entries in lists:
        seen = []
        for raw in entries:
            entry = raw.strip().lower()
            if entry not in seen:
                seen.append(entry)
        for entry in seen:
            kind = "domain" if entry.startswith("*@") else "address"
            out.append({"policy": scenario, "entry": entry, "list": list_name, "owner": owner, "kind": kind,
                        "key": entry[2:] if kind == "domain" else entry})
    return out


# --- which rows a list governs, which entries match ---------------------------------------------

def governed(row: dict, rules) -> bool:
    """docs/rules.md#channels: outbound, "Log in CRM" on (U4), a role the lists block (A3), a channel they govern (U1 for others)."""
    if row["direction"] != "outbound" or not row["log_enabled"] or row["role"] not in rules.roles:
        return False
    if row["channel"] in CHANNELS:
        return row["channel"] in rules.applies
    return rules.unknown_channel_applies


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1]


def entry_matches(entry: dict, row: dict, rules) -> bool:
    """A2: team entries govern every sender's sends, personal ones their owner's only."""
    if entry["list"] == "personal" and entry["owner"] != row["sender"]:
        return False
    if entry["kind"] == "address":
        return entry["key"] == row["recipient"]
    domain = domain_of(row["recipient"])
    return domain == entry["key"] or (rules.subdomains and domain.endswith("." + entry["key"]))


def responsibility(entry: dict) -> tuple:
    return (RESPONSIBILITY[(entry["list"], entry["kind"])], -entry["key"].count("."))


# --- A4: contact records and timelines, one scenario at a time ----------------------------------------

MINUS_INFINITY = datetime.min


def outcome(rows: list[dict], blocked: str, known: bool, known_at, rules) -> dict:
    """One recipient under one scenario: does its record exist, since when, which rows are on its timeline.

    ``blocked`` names the row flag of the scenario. A crm send implies the record (blocked or not,
    toggle or not); a logged, unblocked send on a creating channel creates it; a contacts table row
    means it existed before (since an unknown date when undated). Any other logged send is on the
    timeline only once the record exists, the moment of creation included (U11). An undated send has
    no place in time (U10): it is on the timeline whenever the record exists, and it creates a record
    with no date, which no dated send can be shown to follow.
    """
    outbound = [r for r in rows if r["direction"] == "outbound"]
    logged = [r for r in outbound if r["log_enabled"] and not r[blocked]]
    creating = [r for r in logged if r["channel"] in rules.creating_channels]
    crm = [r for r in outbound if r["channel"] == "crm" and rules.crm_implies_contact]
    exists = known or bool(crm) or bool(creating)
    if not exists:
        return {"exists": False, "created_at": None, "on_timeline": set()}
    if known and known_at is None:
        created_at, since = None, MINUS_INFINITY
    else:
        dates = [d for d in [known_at] + [r["sent_at"] for r in crm + creating] if d is not None]
        created_at = min(dates) if dates else None
        since = created_at
    sure = {id(r) for r in creating + crm}
    on_timeline = set()
    for r in logged:
        if id(r) in sure or r["sent_at"] is None or (since is not None and r["sent_at"] >= since):
            on_timeline.add(id(r))
    return {"exists": True, "created_at": created_at, "on_timeline": on_timeline}


def _list_sizes(entries: list[dict], scenario: str) -> list[int]:
    sizes: dict[tuple, int] = {}
    for e in entries:
        if e["policy"] == scenario:
            sizes[(e["list"], e["owner"])] = sizes.get((e["list"], e["owner"]), 0) + 1
    return list(sizes.values())


def _later(a, b) -> bool:
    return a is not None and b is not None and a > b


def change_class(c: dict) -> str:
    """docs/rules.md#change-classes: the first class that holds."""
    eb, ea, tb, ta = c["exists_before"], c["exists_after"], c["timeline_before"], c["timeline_after"]
    cb, ca = c["created_at_before"], c["created_at_after"]
    if eb and not ea:
        return "not_created"
    if eb and ea and _later(ca, cb):
        return "created_later"
    if eb and ea and tb > 0 and ta == 0:
        return "timeline_emptied"
    if ta < tb and ta > 0:
        return "timeline_reduced"
    if not eb and ea:
        return "newly_created"
    if eb and ea and _later(cb, ca):
        return "created_earlier"
    if ta > tb:
        return "timeline_added"
    return "unchanged"


# --- the whole simulation ----------------------------------------------------------------------------------

def simulate_reference(scenario: dict) -> dict:
    """Every table of a SimulationResult (lists of dicts, in the engine's order) and ``metrics``."""
    rules = scenario["rules"]
    rows = read_sent(scenario)
    contacts_table = read_contacts(scenario.get("contacts"))
    entries = read_policy(scenario["baseline"], "baseline") + read_policy(scenario["candidate"], "candidate")
    candidate_size = sum(e["policy"] == "candidate" for e in entries)

    # Blocks, row by row; every matching entry is kept for the entry table.
    matches = []  # (row, entry)
    for row in rows:
        row["applies"] = governed(row, rules)
        for side, flag in (("baseline", "blocked_before"), ("candidate", "blocked_after")):
            hits = [e for e in entries if e["policy"] == side and row["applies"] and entry_matches(e, row, rules)]
            row[flag] = bool(hits)
            row["responsible_" + side] = min(hits, key=responsibility) if hits else None
            row["matching_" + side] = hits
            matches += [(row, e) for e in hits]
        row["logged_before"] = row["log_enabled"] and not row["blocked_before"]
        row["logged_after"] = row["log_enabled"] and not row["blocked_after"]

    # A4: each recipient with an outbound send is a contact; its outcome under each scenario.
    by_recipient: dict[str, list[dict]] = {}
    for row in rows:
        by_recipient.setdefault(row["recipient"], []).append(row)
    contacts = []
    for address in sorted(by_recipient):
        mine = by_recipient[address]
        for row in mine:
            row["on_timeline_before"] = row["on_timeline_after"] = False
        if not any(r["direction"] == "outbound" for r in mine):
            continue  # inbound mail only: outside the contact figures (U3)
        known = contacts_table is not None and address in contacts_table
        known_at = contacts_table.get(address) if known else None
        before = outcome(mine, "blocked_before", known, known_at, rules)
        after = outcome(mine, "blocked_after", known, known_at, rules)
        for row in mine:
            row["on_timeline_before"] = id(row) in before["on_timeline"]
            row["on_timeline_after"] = id(row) in after["on_timeline"]
        c = {"contact": address, "created_at_before": before["created_at"], "created_at_after": after["created_at"],
             "timeline_before": len(before["on_timeline"]), "timeline_after": len(after["on_timeline"]),
             "exists_before": before["exists"], "exists_after": after["exists"], "known_before_history": known,
             "sends": sum(r["direction"] == "outbound" for r in mine)}
        c["change"] = change_class(c)
        contacts.append(c)

    # Tracking events stay in the feed; they are on a timeline only with their row's email.
    feed = []
    events = read_tracking(scenario.get("tracking"))
    by_key = {(r["message_id"], r["recipient"]): r for r in rows}
    for ev in events or []:
        row = by_key.get((ev["message_id"], ev["recipient"])) if ev["recipient"] is not None else None
        feed.append({**ev, "in_feed_before": True, "in_feed_after": True,
                     "on_timeline_before": row is not None and row["on_timeline_before"],
                     "on_timeline_after": row is not None and row["on_timeline_after"],
                     "blocked_after": row is not None and row["blocked_after"],
                     "blocked_before": row is not None and row["blocked_before"], "known_row": row is not None})
    feed.sort(key=lambda f: (f["occurred_at"] is None, f["occurred_at"] or datetime.min, f["message_id"],
                             f["recipient"] is not None, f["recipient"] or "", f["event"]))

    # Level 2: the (email, recipient) rows whose logging or timeline entry changes.
    timeline = []
    for row in rows:
        if row["logged_before"] == row["logged_after"] and row["on_timeline_before"] == row["on_timeline_after"]:
            continue
        entry = row["responsible_candidate"] or row["responsible_baseline"]
        lost = sum(1 for f in feed if (f["message_id"], f["recipient"]) == (row["message_id"], row["recipient"])
                   and f["on_timeline_before"] != f["on_timeline_after"])
        timeline.append({
            "message_id": row["message_id"], "sent_at": row["sent_at"], "sender": row["sender"],
            "channel": row["channel"], "role": row["role"], "recipient": row["recipient"],
            "contact": row["recipient"], "direction": "outgoing" if row["direction"] == "outbound" else "incoming",
            "logged_before": row["logged_before"], "logged_after": row["logged_after"],
            "on_timeline_before": row["on_timeline_before"], "on_timeline_after": row["on_timeline_after"],
            "blocked_by": entry["entry"] if entry else "", "blocked_by_list": entry["list"] if entry else "",
            "change": ("removed" if row["blocked_after"] and not row["blocked_before"] else
                       "added" if row["blocked_before"] and not row["blocked_after"] else "changed"),
            "tracking_events_removed": lost})
    timeline.sort(key=lambda t: (t["sent_at"] is None, t["sent_at"] or datetime.min, t["message_id"], t["recipient"]))

    # Level 4: what each entry matches, its exclusive impact, and dead entries.
    entry_rows = []
    for e in entries:
        mine = [row for row, m in matches if m is e]
        exclusive = [row for row in mine if len(row["matching_" + e["policy"]]) == 1]
        entry_rows.append({
            "policy": e["policy"], "entry": e["entry"], "list": e["list"], "owner": e["owner"], "kind": e["kind"],
            "rows": len(mine), "messages": len({r["message_id"] for r in mine}),
            "recipients": len({r["recipient"] for r in mine}), "senders": len({r["sender"] for r in mine}),
            "exclusive_rows": len(exclusive), "exclusive_recipients": len({r["recipient"] for r in exclusive}),
            "responsible_rows": sum(1 for r in mine if r["responsible_" + e["policy"]] is e), "dead": not mine})

    recipients = [{
        "message_id": r["message_id"], "sent_at": r["sent_at"], "sender": r["sender"], "channel": r["channel"],
        "role": r["role"], "recipient": r["recipient"], "applies": r["applies"],
        "blocked_before": r["blocked_before"], "blocked_after": r["blocked_after"],
        "blocked_by": r["responsible_candidate"]["entry"] if r["responsible_candidate"] else "",
        "blocked_by_list": r["responsible_candidate"]["list"] if r["responsible_candidate"] else "",
        "logged_before": r["logged_before"], "logged_after": r["logged_after"],
        "on_timeline_before": r["on_timeline_before"], "on_timeline_after": r["on_timeline_after"],
        "log_enabled": r["log_enabled"], "direction": r["direction"]} for r in rows]
    recipients.sort(key=lambda r: (r["sent_at"] is None, r["sent_at"] or datetime.min, r["message_id"],
                                   ROLE_RANK[r["role"]], r["recipient"]))

    changes = {k: sum(c["change"] == k for c in contacts) for k in CHANGE_CLASSES}
    outbound = [r for r in rows if r["direction"] == "outbound"]
    metrics = {
        "recipient_rows": len(rows), "inbound_rows": len(rows) - len(outbound),
        "log_disabled_rows": sum(not r["log_enabled"] for r in outbound),
        "governed_rows": sum(r["applies"] for r in rows),
        "blocked_rows_before": sum(r["blocked_before"] for r in rows),
        "blocked_rows_after": sum(r["blocked_after"] for r in rows),
        "recipients": len(contacts),
        "contact_records_before": sum(c["exists_before"] for c in contacts),
        "contact_records_after": sum(c["exists_after"] for c in contacts),
        "contacts_created_before": sum(c["exists_before"] and not c["known_before_history"] for c in contacts),
        "contacts_created_after": sum(c["exists_after"] and not c["known_before_history"] for c in contacts),
        "timeline_entries_before": sum(c["timeline_before"] for c in contacts),
        "timeline_entries_after": sum(c["timeline_after"] for c in contacts),
        # Outside profile 2026 every timeline entry is an email sent (incoming mail passes through, U3).
        "timeline_entries_outgoing_before": sum(c["timeline_before"] for c in contacts),
        "timeline_entries_outgoing_after": sum(c["timeline_after"] for c in contacts),
        "timeline_entries_incoming_before": 0, "timeline_entries_incoming_after": 0,
        "profile": rules.name, "logging_rule": None, "tracking_events_of_incoming_email_ignored": 0,
        "changes": changes, "contacts_not_created": changes["not_created"],
        "timeline_entries_removed": sum(r["on_timeline_before"] and not r["on_timeline_after"] for r in rows),
        "feed_events_before": len(feed), "feed_events_after": len(feed),
        "feed_events_unattributed": sum(f["recipient"] is None for f in feed),
        "feed_events_of_blocked_recipients": sum(f["blocked_after"] for f in feed),
        "tracking_on_timeline_before": sum(f["on_timeline_before"] for f in feed),
        "tracking_on_timeline_after": sum(f["on_timeline_after"] for f in feed),
        "tracking_events_leaving_timelines": sum(f["on_timeline_before"] and not f["on_timeline_after"] for f in feed),
        "candidate_entries": candidate_size,
        "dead_entries": sum(e["dead"] for e in entry_rows if e["policy"] == "candidate"),
        # The scenarios write valid entries only: within HubSpot's cap of 500 a list is compliant.
        "lists_compliant": all(n <= 500 for n in _list_sizes(entries, "candidate")),
        "lists_within_cap": all(n <= 500 for n in _list_sizes(entries, "candidate")),
        "invalid_entries": 0,
    }
    return {"recipients": recipients, "contacts": [{k: c[k] for k in CONTACT_COLUMNS} for c in contacts],
            "timeline": timeline, "feed": [{k: f[k] for k in FEED_COLUMNS} for f in feed],
            "entries": entry_rows, "metrics": metrics}
