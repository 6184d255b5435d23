"""The sample company's files: the history in canonical, HubSpot and mbox shapes, lists, and a README.

``write_samples`` writes them; ``sample_path`` finds the bundled copy in ``data/samples/`` or, after a
non-editable install, regenerates it once into a cache folder. The company itself is made by
``neverlog_sim.company.generate``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import format_datetime
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_bytes_atomic, write_csv_atomic
from .company import CHANNELS, DEFAULT_SEED, DOMAIN, END, N_CONVERSATIONS, START, SampleCompany, generate
from .logged import LOGGED_RULES, LOGGED_SINCE, logged_frame

# Bundled copy next to the package (editable install / repo checkout); tests monkeypatch it.
from .where import BUNDLED_DIR, _cache_root, sample_label  # noqa: F401  (sample_label re-exported)


_LOGGED_FROM = {"crm": "CRM", "extension": "EXTENSION", "bcc_forward": "BCC", "team_inbox": "TEAM_INBOX",
                "integration": ""}
_SOURCE = {"crm": "CRM_UI", "extension": "EMAIL_INTEGRATION", "bcc_forward": "EMAIL_INTEGRATION",
           "team_inbox": "CONVERSATIONS", "integration": "INTEGRATION"}
_BODIES = ("Thanks for the time today. I've attached the notes we discussed.",
           "Just following up on my last email - does next Tuesday work?",
           "Quick one: could you send over the latest numbers when you get a chance?",
           "Looping in the right people here. Let me know what you think.",
           "Sounds good, see you then!")


def _iso(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def hubspot_frame(company: SampleCompany) -> pd.DataFrame:
    """The logged history in HubSpot's CRM API shape (``hs_*`` email properties), plus never-sent rows.

    >>> hubspot_frame(generate()).columns[0]
    'hs_object_id'
    """
    # Mail sent or received with no logging action (channel client) is logged only under profile 2026's
    # log_all rule; this export shows the account as the 2023-2025 articles describe it, without it.
    m = company.messages[company.messages["log_enabled"] & (company.messages["channel"] != "client")
                         ].reset_index(drop=True)
    r = company.recipients[company.recipients["log_enabled"] & (company.recipients["channel"] != "client")]
    fields: dict[tuple[str, str], list[str]] = {}
    for mid, role, address in zip(r["message_id"].tolist(), r["role"].tolist(), r["recipient"].tolist()):
        fields.setdefault((mid, role), []).append(address)
    plain = {role: [";".join(fields.get((mid, role), ())) for mid in m["message_id"].tolist()]
             for role in ("to", "cc", "bcc")}
    counts = company.tracking.groupby(["message_id", "event"]).size().unstack("event").reindex(
        m["message_id"], columns=["open", "click"]).fillna(0).astype(int)
    owner_of = dict(zip(company.owners["email"], company.owners["id"]))
    inbound = (m["direction"] == "inbound").to_numpy()
    ids = m["message_id"].astype("int64")
    bcc_fwd = (m["channel"] == "bcc_forward").to_numpy() & (ids % 4 == 0).to_numpy()  # forwarded after the fact
    # Some sends carry no from address (sequences, API-created); their sender is the owner, via owners.csv.
    no_from = ~inbound & (ids % 17 == 0).to_numpy()
    frame = pd.DataFrame({
        "hs_object_id": m["message_id"],
        "hs_timestamp": _iso(m["sent_at"]),
        "hs_email_direction": np.where(inbound, "INCOMING_EMAIL", np.where(bcc_fwd, "FORWARDED_EMAIL", "EMAIL")),
        "hs_email_status": "SENT",
        "hs_email_subject": m["subject"],
        "hs_email_from_email": np.where(no_from, "", m["sender"]),
        "hs_email_to_email": plain["to"],
        "hs_email_cc_email": plain["cc"],
        "hs_email_bcc_email": plain["bcc"],
        # On an inbound email the owner is the user who received it.
        "hubspot_owner_id": [owner_of[s if not i else t] for s, t, i in zip(m["sender"], plain["to"], inbound)],
        "hs_email_logged_from": m["channel"].map(_LOGGED_FROM),
        "hs_object_source": m["channel"].map(_SOURCE),
        "hs_email_open_count": counts["open"].to_numpy(),
        "hs_email_click_count": counts["click"].to_numpy(),
        "hs_email_thread_id": m["message_id"].map(company.thread_ids),
    })
    u = company.hubspot_unsent
    unsent = pd.DataFrame({
        "hs_object_id": u["message_id"], "hs_timestamp": _iso(u["sent_at"]), "hs_email_direction": "EMAIL",
        "hs_email_status": u["status"], "hs_email_subject": "Northwind Analytics x " + u["org"],
        "hs_email_from_email": u["sender"], "hs_email_to_email": u["to"], "hs_email_cc_email": "",
        "hs_email_bcc_email": "", "hubspot_owner_id": u["sender"].map(owner_of), "hs_email_logged_from": "CRM",
        "hs_object_source": "CRM_UI", "hs_email_open_count": 0, "hs_email_click_count": 0,
        "hs_email_thread_id": (8_000_000_000 + u.index).astype(str)})
    return pd.concat([frame, unsent], ignore_index=True).sort_values("hs_object_id", kind="stable")


def mbox_bytes(company: SampleCompany) -> bytes:
    """Every outbound message of ``company.mbox_user`` (all extension sends, logged or not) as a Gmail-style mbox."""
    policy = email_policy.default.clone(linesep="\n")
    m = company.messages[(company.messages["sender"] == company.mbox_user)
                         & (company.messages["direction"] == "outbound")]
    local = company.mbox_user.split("@")[0]
    name = company.user_names[company.mbox_user]
    out = BytesIO()
    for row in m.itertuples(index=False):
        msg = EmailMessage(policy=policy)
        msg["From"] = f'"{name}" <{row.sender}>' if not name.isascii() else f"{name} <{row.sender}>"
        for header, value in (("To", row.to), ("Cc", row.cc), ("Bcc", row.bcc)):
            if value:
                msg[header] = value
        msg["Subject"] = row.subject
        msg["Date"] = format_datetime(row.sent_at.to_pydatetime())
        msg["Message-ID"] = f"<{row.message_id}.{local}@mail.{DOMAIN}>"
        msg["X-Gmail-Labels"] = "Sent"
        msg.set_content(f"Hi,\n\n{_BODIES[int(row.message_id) % len(_BODIES)]}\n\nBest,\n{name.split()[0]}\n")
        out.write(f"From {row.message_id}@xxx {row.sent_at.strftime('%a %b %d %H:%M:%S +0000 %Y')}\n".encode())
        BytesGenerator(out, mangle_from_=True, policy=policy).flatten(msg)
        out.write(b"\n")
    return out.getvalue()


def _readme(c: SampleCompany, files: dict[str, Path]) -> str:
    """README.md of the samples folder: what each file is, its columns, how it was made; wrapped at 100."""
    r, m = c.recipients, c.messages
    per_channel = r.groupby("channel").agg(rows=("recipient", "size"), messages=("message_id", "nunique"))
    per_recipient = r["recipient"].value_counts()
    mbox = next(k for k in files if k.startswith("mbox/"))
    mine = r[(r["sender"] == c.mbox_user) & (r["direction"] == "outbound")]
    off, n_in = int((~m["log_enabled"]).sum()), int((m["direction"] == "inbound").sum())
    client = m[m["channel"] == "client"]
    n_client_out, n_client_in = int((client["direction"] == "outbound").sum()), int((client["direction"] == "inbound").sum())
    unsent = ", ".join(f"{n} {s}" for s, n in c.hubspot_unsent["status"].value_counts().items())
    last_day = (END - pd.Timedelta(days=1)).date()
    paragraphs = [
        f"A made-up business for trying the simulator: {len(c.owners)} users at `{DOMAIN}` email customers, "
        f"prospects, vendors, competitors, colleagues and their own families from {START.date()} to {last_day}. "
        f"`neverlog_sim.samples.write_samples(folder, seed={c.seed})` writes every file here byte for byte (a test "
        "checks it). The people are invented; the free-mail domains (gmail.com, yahoo.com, ...) are real.",
        f"History: {len(m)} messages and {len(r)} recipient rows (message x recipient); {n_in} messages are "
        f"inbound replies and {off} were sent with \"Log in CRM\" switched off. Mail is skewed: the busiest "
        f"recipient gets {per_recipient.iloc[0]} rows, half of the {len(per_recipient)} recipients get "
        f"{int(per_recipient.median())} or fewer. Some customers and prospects are small businesses on free mail, "
        "and users write to family and friends from the same inbox - the reason people want Never Log.",
        f"How it was made: {N_CONVERSATIONS} conversations fall on business days (the company grows over the two "
        "years); each has a user (sales, success, support, marketing, finance or exec, each with its own mix of "
        "recipients and channels; a few users join or leave), a kind (customer, prospect, vendor, competitor, "
        "family, colleague), recipients drawn with Zipf-like weights, one or more messages and sometimes a reply.",
        f"Mail no user logged (channel `client`, for profile 2026): {n_client_out} follow-ups users sent from their "
        f"phones with no logging action and {n_client_in} replies customers, prospects and vendors sent back to a "
        "connected inbox, in the threads of the logged mail (`thread_id`, `in_reply_to`). The profiles `seed-2023` "
        "and `2025` never log them; under `2026` they are logged to contacts that exist, and a list stops them "
        "(docs/rules.md#profile-2026-contact-email-logging-rules).",
    ]
    table = ["| channel | messages | recipient rows |", "|---|---|---|"] + [
        f"| {ch} | {per_channel.loc[ch, 'messages']} | {per_channel.loc[ch, 'rows']} |" for ch in CHANNELS + ("client",)]
    bullets = [
        "`sent_canonical.csv` - the whole history, one row per message, in the canonical message-level shape: "
        "`message_id`, `sent_at` (ISO-8601 UTC), `sender`, `channel` (" + ", ".join(CHANNELS + ("client",)) + "), "
        "`to`, `cc`, "
        "`bcc` (addresses separated by \", \", some with display names such as `\"Doe, Jane\" <jane@acme.com>`, a "
        "few with capitals), `log_enabled` (true/false), `direction` (outbound/inbound), `subject`, `thread_id` "
        "(the conversation), `in_reply_to` (on the `client` mail: the message it follows). On an inbound "
        "row `sender` is the outside person who replied and `to` the user.",
        "`sent_hubspot.csv` - the same history as HubSpot's CRM API gives email engagements: `hs_object_id` "
        "(= message_id), `hs_timestamp` (UTC, `Z`), `hs_email_direction` (EMAIL; INCOMING_EMAIL for replies; "
        "FORWARDED_EMAIL for a quarter of the BCC-logged sends), `hs_email_status`, `hs_email_subject`, "
        "`hs_email_from_email`, `hs_email_to_email`, `hs_email_cc_email`, `hs_email_bcc_email` (lower-case "
        "addresses separated by \";\"), `hubspot_owner_id` (an `owners.csv` id: the sender, or on a reply the user "
        "who received it), `hs_email_logged_from` (CRM, EXTENSION, BCC, TEAM_INBOX; empty for integrations), "
        "`hs_object_source` (CRM_UI, EMAIL_INTEGRATION, CONVERSATIONS; INTEGRATION for third-party tools), "
        "`hs_email_open_count` and `hs_email_click_count` (equal to the events in `tracking.csv`), "
        f"`hs_email_thread_id`. HubSpot holds logged mail only: the {off} messages with `log_enabled` false and "
        f"the channel `client` mail are not in it, so compare shapes on logged rows. It has {unsent} rows that "
        "were never sent and are not "
        "in the canonical file. Outbound rows whose message_id is a multiple of 17 have no "
        "`hs_email_from_email`: their sender comes from `hubspot_owner_id` through `owners.csv`.",
        f"`logged_hubspot.csv` - what HubSpot logged once the lists in `lists/` were switched on, on "
        f"{LOGGED_SINCE.date()}: every log-enabled email from then on, in the shape of `sent_hubspot.csv`, whose "
        "recipient columns name only the recipients it was logged to, plus `hs_email_message_id` (the Message-ID "
        "the mailbox shows; empty on replies) and HubSpot's own record ids. Made from the history by its own "
        f"rules, not by the simulator: profile {LOGGED_RULES['profile']} (team inbox governed), exact domains, "
        "Bcc recipients never blocked; `hs_timestamp` is up to a minute after the send. The other side of "
        "`neverlog-sim backtest`.",
        f"`owners.csv` - `id`, `email`: the HubSpot owner id of each of the {len(c.owners)} users.",
        f"`{mbox}` - the Gmail \"Sent\" mbox of {c.mbox_user}, an account manager who works only from Gmail: "
        f"all {mine['message_id'].nunique()} outbound messages ({len(mine)} recipient rows, all channel `extension`, "
        "logged or not) as RFC 5322 messages with To/Cc/Bcc, encoded display names and UTC dates. It holds the "
        f"canonical rows with `sender` {c.mbox_user} and `direction` outbound.",
        f"`contacts.csv` - `email`, `created_at`: a CRM contacts export of {len(c.contacts)} records covering most "
        "customers, fewer prospects and vendors, and family members whose logged emails created a record. "
        f"{int((c.contacts['created_at'] < START).sum())} were created before the history starts, some (form fills) "
        "were never emailed, and every contact here that a CRM send went to was created before that send.",
        f"`tracking.csv` - `message_id`, `recipient`, `event` (open/click), `occurred_at`: {len(c.tracking)} events "
        "on logged outbound sends (BCC-logged sends are not tracked). "
        f"{int((c.tracking['recipient'] == '').sum())} opens have an empty recipient: opens of a multi-recipient "
        "email, which HubSpot shows as \"Someone\".",
        f"`lists/team.txt` - a candidate team list of {len(c.candidate_team)} lines an admin might propose: "
        "competitors, sensitive vendors (payroll, law firm, bank, recruiting, insurance), free-mail and family "
        "domains, the company's own domain, a few single addresses, and a competitor domain nobody emailed (dead "
        "weight). Blocking free mail also blocks the customers on it. It also carries, on purpose, the mistakes "
        "`neverlog-sim doctor` finds: a disposable-mail domain, two vendor typos (`.con`, a missing letter), a law "
        "firm's mail host instead of its domain, an address with a `+tag` the history never uses, a relative on "
        "gmail.com (already blocked) and a line pasted twice.",
        *(f"`lists/personal/{o}.txt` - {len(e)} entries: family and friends of {o}, and the travel agency"
          + (f"; {sum(a.endswith('-holdings.com') for a in e)} addresses from an old address book (people at "
             "companies of an earlier job, never in the history) bring it near the 500-entry cap"
             if any(a.endswith("-holdings.com") for a in e) else "") + "." for o, e in c.personal.items())]
    wrap = textwrap.TextWrapper(width=100, break_long_words=False, break_on_hyphens=False)
    body = [wrap.fill(p) for p in paragraphs] + ["\n".join(table), "## Files"]
    body += ["\n".join(textwrap.wrap(b, 100, initial_indent="- ", subsequent_indent="  ", break_long_words=False,
                                     break_on_hyphens=False)) for b in bullets]
    return "# Sample company: Northwind Analytics\n\n" + "\n\n".join(body) + "\n"


def write_samples(folder: str | Path, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the sample company's files into ``folder``; returns {relative name: path}.

    folder: created if missing; files of the same names are overwritten.
    seed: the generator's seed (7 is the bundled one).

    >>> write_samples("/tmp/northwind")["sent_canonical.csv"].name  # doctest: +SKIP
    'sent_canonical.csv'
    """
    folder = Path(folder)
    c = generate(seed)
    files: dict[str, Path] = {}

    def put(name: str, data: bytes | str | pd.DataFrame) -> None:
        path = folder / name
        # Each file whole or not at all (temp file, fsync, rename); CSV cells never start a formula.
        if isinstance(data, pd.DataFrame):
            write_csv_atomic(path, data)
        else:
            write_bytes_atomic(path, data.encode("utf-8") if isinstance(data, str) else data)
        files[name] = path

    m = c.messages.copy()
    m["sent_at"] = _iso(m["sent_at"])
    m["log_enabled"] = m["log_enabled"].map({True: "true", False: "false"})
    put("sent_canonical.csv", m)
    put("sent_hubspot.csv", hubspot_frame(c))
    put("logged_hubspot.csv", logged_frame(c))
    put("owners.csv", c.owners)
    put(f"mbox/{c.mbox_user.split('@')[0]}_sent.mbox", mbox_bytes(c))
    put("contacts.csv", c.contacts.assign(created_at=_iso(c.contacts["created_at"])))
    put("tracking.csv", c.tracking.assign(occurred_at=_iso(c.tracking["occurred_at"])))
    put("lists/team.txt", "".join(e + "\n" for e in c.candidate_team))
    for owner, entries in c.personal.items():
        put(f"lists/personal/{owner}.txt", "".join(e + "\n" for e in entries))
    put("README.md", _readme(c, files))  # last: a folder with README.md is complete
    return files


def _complete(folder: Path) -> bool:
    return (folder / "README.md").is_file() and (folder / "sent_canonical.csv").is_file()


def generator_digest() -> str:
    """A short hash of the sample generator's own source: a cache made by another generator is never reused."""
    import hashlib
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in sorted(p.name for p in here.glob("*.py")):
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    return digest.hexdigest()[:12]


def cache_folder_name() -> str:
    """``samples-<version>-<seed>-<generator digest>``: the version alone missed generator changes within one."""
    from .._version import __version__
    return f"samples-{__version__}-{DEFAULT_SEED}-{generator_digest()}"


def _regenerated() -> Path:
    """Generate the samples once into a cache folder per generator, atomically (temp folder, then rename)."""
    for root in (_cache_root(), Path(tempfile.gettempdir()) / "neverlog-sim"):
        target = root / cache_folder_name()
        if _complete(target):
            return target
        try:
            root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".samples-", dir=root))
        except OSError:
            continue  # an unwritable home: fall back to the temp dir
        try:
            write_samples(tmp)
            if target.exists() and not _complete(target):
                shutil.rmtree(target, ignore_errors=True)  # a broken leftover
            os.rename(tmp, target)
        except OSError:
            if not _complete(target):  # another process won the race unless this is a real failure
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target
    raise OSError(f"cannot write the sample company to {str(_cache_root())!r} or the temp dir; "
                  "write it yourself with neverlog_sim.samples.write_samples(folder)")


def sample_path(name: str | None = None) -> Path:
    """Where the sample company's files are: ``data/samples/`` next to the package, else a generated cache.

    name: a file inside the samples folder (``"sent_canonical.csv"``, ``"lists/team.txt"``); None for the folder.

    >>> sample_path("sent_hubspot.csv").name
    'sent_hubspot.csv'
    """
    folder = BUNDLED_DIR if _complete(BUNDLED_DIR) else _regenerated()
    if name is None:
        return folder
    path = folder / name
    if not path.exists():
        known = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        raise FileNotFoundError(f"no sample named {name!r} in {str(folder)!r}; the samples are: {', '.join(known)}")
    return path
