"""The sample company's generator: a seeded, deterministic business and its mail, contacts and lists.

Northwind Analytics (``northwind-analytics.com``) has 40 users who email customers, prospects,
vendors, competitors, colleagues and their own families over 2024-2025. The same seed always
gives the same tables; nothing depends on today's date. The files are written by
``files.py``; use both through ``neverlog_sim.samples``.

>>> company = generate(seed=7)  # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import math
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..rules import CHANNELS as _ALL_CHANNELS

# The channels of the sample company's logged mail (weights per role below, in this order).
CHANNELS = _ALL_CHANNELS[:5]

__all__ = ["SampleCompany", "generate", "DOMAIN", "DEFAULT_SEED"]

DEFAULT_SEED = 7
DOMAIN = "northwind-analytics.com"
START = pd.Timestamp("2024-01-01", tz="UTC")
END = pd.Timestamp("2026-01-01", tz="UTC")  # exclusive: the history is 2024-01-01 .. 2025-12-31
N_CONVERSATIONS = 17_500

_FIRST = ("Aaron Abigail Adam Aisha Alan Alice Amir Ana Andre Anna Arjun Ben Bianca Brian Carla Carlos Chloe Chris "
          "Claire Daniel Diana David Elena Emma Eric Fatima Felix Fiona Gabriel Grace Hannah Hugo Ian Isabel Ivan "
          "Jack James Jasmine Javier Jin Julia Kai Karen Kevin Laura Leila Leo Liam Lina Lucas Maria Mark Marta Max "
          "Maya Mei Mia Nadia Nathan Nina Noah Olivia Omar Oscar Paula Peter Priya Rachel Rafael Ravi Rosa Ryan Sara "
          "Sean Sofia Sophie Stefan Tariq Tom Uma Victor Wei Yuki Zoe José Zoë Søren Chloé Renée Jürgen").split()
_LAST = ("Abbott Adams Ahmed Alvarez Anders Baker Banerjee Becker Bennett Brooks Campbell Carter Chang Chen Clarke "
         "Cohen Collins Cooper Cruz Davies Diaz Dubois Edwards Evans Fischer Fletcher Foster Garcia Gordon Graham "
         "Green Gupta Hall Hansen Harris Hayes Henderson Hughes Ito Jackson Jensen Johnson Kaur Kelly Khan Kim Klein "
         "Kowalski Larsen Lee Lewis Lopez Marsh Martin Meyer Miller Moore Morgan Murphy Nguyen Novak Okafor Olsen "
         "Owens Park Patel Perez Price Quinn Reed Reyes Richter Rivera Roberts Rossi Russo Sato Schmidt Shah Silva "
         "Singh Smith Sousa Stewart Suzuki Taylor Thomas Torres Turner Walker Wang Ward Weber Wilson Wong Wright "
         "Young Zhang Müller Núñez Gonçalves").split()
_PREFIX = "blue red silver north iron oak cedar harbor summit river stone bright clear true swift maple pine granite coral amber".split()
_NOUN = "peak field gate bridge line wave point works forge mill path crest rock leaf haven".split()
_INDUSTRY = "logistics foods health retail labs systems group partners manufacturing energy media capital dental legal".split()
_TLDS = (("com", .72), ("io", .08), ("co.uk", .07), ("de", .05), ("nl", .03), ("ca", .05))
_FREEMAIL = (("gmail.com", .45), ("yahoo.com", .12), ("outlook.com", .10), ("hotmail.com", .10), ("icloud.com", .08),
             ("aol.com", .04), ("comcast.net", .03), ("proton.me", .03), ("gmx.de", .03), ("me.com", .02))
_COMPETITORS = ("southwind-data.com", "eastgate-insights.com", "datalumen.io", "quantiva-analytics.com", "metricsmith.co")
_EU_OFFICE = "eu"  # sub-domain of the first competitor's European office
_DEAD_COMPETITOR = "brightline-metrics.com"  # on the candidate list, never emailed: dead weight against the cap
# (domain, sensitive?, weight): travel and IT get most vendor mail; the sensitive ones (payroll, law, bank,
# recruiting, insurance) get less, and go on the candidate team list.
_VENDORS = (("jetwise-travel.com", False, 10), ("helpdeskhero-it.com", False, 8), ("stratocloud-hosting.com", False, 6),
            ("officeloop-supplies.com", False, 5), ("brightspark-creative.com", False, 4),
            ("venuecraft-events.com", False, 3), ("ledgerline-cpa.com", False, 3), ("paycrest-payroll.com", True, 2),
            ("firstharbor-bank.com", True, 2), ("hale-winthrop-law.com", True, 1.5),
            ("talentbridge-recruiting.com", True, 1.5), ("shieldmark-insurance.com", True, 1))
# role: (users, activity, kind weights customer/prospect/vendor/competitor/personal/internal,
#        channel weights extension/crm/bcc_forward/team_inbox/integration)
_ROLES = {
    "exec": (3, 0.8, (.40, .05, .15, .05, .20, .10), (.80, .10, .10, 0, 0)),
    "sales": (16, 1.3, (.42, .38, .01, .015, .08, .07), (.26, .32, .08, .04, .30)),
    "success": (8, 1.1, (.78, .02, .01, .01, .07, .06), (.32, .28, .06, .28, .06)),
    "support": (6, 1.0, (.88, .02, 0, 0, .03, .04), (.15, .05, 0, .80, 0)),
    "marketing": (3, 0.9, (.30, .30, .20, .04, .08, .08), (.20, .10, 0, 0, .70)),
    "finance": (4, 0.6, (.25, 0, .50, 0, .10, .08), (.50, .05, .45, 0, 0)),
}
_KINDS = ("customer", "prospect", "vendor", "competitor", "personal", "internal")
_ALLOWED = {"customer": CHANNELS, "prospect": ("extension", "crm", "bcc_forward", "integration"),
            "vendor": ("extension", "crm", "bcc_forward"), "competitor": ("extension",),
            "personal": ("extension",), "internal": ("extension",)}
_SUBJECTS = {
    "customer": ("Q{q} business review", "Renewal for {org}", "Dashboard access", "Follow-up on our call",
                 "Invoice {n} for {org}", "Onboarding next steps", "Data pipeline question", "Updated SOW",
                 "Training session next week", "Feature request: scheduled exports"),
    "support": ("[#{n}] Login problem", "[#{n}] Export failing", "[#{n}] Dashboard not loading",
                "[#{n}] API rate limit", "[#{n}] SSO setup"),
    "prospect": ("Quick question, {first}", "Northwind Analytics x {org}", "Intro: analytics for {org}",
                 "Following up", "Demo recording", "Pricing overview"),
    "vendor": ("Invoice {n}", "Contract renewal", "PO {n}", "Payroll run for {month}", "Hosting upgrade",
               "Office supplies order", "Policy documents", "Trip to Chicago"),
    "competitor": ("Catching up", "Partnership idea", "Conference panel", "Coffee next week?"),
    "personal": ("Dinner Saturday?", "Pictures from the weekend", "Mom's birthday", "Flight details",
                 "School pickup tomorrow", "Happy birthday!", "Weekend plans", "House insurance"),
    "internal": ("Pipeline review", "Deck for {org}", "Out of office", "Team lunch", "Quick sync", "Handover notes"),
}
_MONTHS = "January February March April May June July August September October November December".split()


@dataclass
class SampleCompany:
    """The generated history: canonical messages, recipient rows, contacts, tracking, owners and lists.

    ``messages``: message_id, sent_at (UTC), sender, channel, to, cc, bcc, log_enabled, direction, subject.
    ``recipients``: one row per message x recipient (message_id, sent_at, sender, channel, recipient, role,
    log_enabled, direction), addresses lower-cased. ``thread_ids`` maps message_id to its thread.
    """

    seed: int
    messages: pd.DataFrame
    recipients: pd.DataFrame
    contacts: pd.DataFrame
    tracking: pd.DataFrame
    owners: pd.DataFrame
    candidate_team: list[str]
    personal: dict[str, list[str]]
    mbox_user: str
    thread_ids: dict[str, str]
    hubspot_unsent: pd.DataFrame
    user_names: dict[str, str]

    def __repr__(self) -> str:
        return (f"<SampleCompany seed={self.seed}: {len(self.messages)} messages, {len(self.recipients)} recipient rows, "
                f"{len(self.owners)} users, {len(self.contacts)} contacts, {len(self.tracking)} tracking events>")


class _Pool:
    """People and their display names; addresses are unique and lower-case."""

    def __init__(self, draw: "_Draws"):
        self.draw = draw
        self.names: dict[str, tuple[str, str]] = {}
        self.cased: dict[str, str] = {}  # address -> how it is written in the sources (a few are mixed-case)

    def name(self) -> tuple[str, str]:
        return self.draw.one(_FIRST), self.draw.one(_LAST)

    def add(self, local: str, domain: str, first: str, last: str) -> str:
        base, n = local, 1
        while f"{local}@{domain}" in self.names:
            n += 1
            local = f"{base}{n}"
        address = f"{local}@{domain}"
        self.names[address] = (first, last)
        if domain != DOMAIN and self.draw() < 0.02:  # some clients keep the capitals people type
            self.cased[address] = f"{'.'.join(p.capitalize() for p in local.split('.'))}@{domain}"
        return address

    def person(self, domain: str, style: int, freemail: bool = False, last: str | None = None) -> str:
        first, family = self.name()
        last = last or family
        f, l = _ascii(first), _ascii(last)
        if freemail:
            local = self.draw.one((f"{f}.{l}", f"{f}{l}{1 + self.draw.below(98)}", f"{f[0]}{l}{60 + self.draw.below(39)}"))
        else:
            local = (f"{f}.{l}", f"{f[0]}{l}", f, f"{f}{l[0]}")[style]
        return self.add(local, domain, first, last)


def _ascii(text: str) -> str:
    text = text.lower().replace("ø", "o").replace("ł", "l").replace("ß", "ss")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


class _Draws:
    """Uniform draws from the seeded generator, buffered: building the history takes ~10^5 tiny draws."""

    def __init__(self, rng: np.random.Generator):
        self.rng, self.buf, self.i = rng, [], 0

    def __call__(self) -> float:
        if self.i == len(self.buf):
            self.buf, self.i = self.rng.random(1 << 16).tolist(), 0
        self.i += 1
        return self.buf[self.i - 1]

    def below(self, n: int) -> int:
        return int(self() * n)

    def one(self, options):
        return options[int(self() * len(options))]

    def pick(self, cum: list) -> int:
        """Index drawn with weights given as their cumulative sum; a zero weight is never drawn."""
        return bisect.bisect_right(cum, self() * cum[-1])

    def geometric(self, p: float) -> int:
        return 1 + int(math.log(1.0 - self()) / math.log(1.0 - p))

    def exponential(self, mean: float) -> float:
        return -mean * math.log(1.0 - self())


def _cum(weights) -> list:
    return np.cumsum(weights, dtype=float).tolist()


def _zipf(rng, n: int, s: float = 1.1) -> np.ndarray:
    """Zipf-like weights for n items in a random order: a few items get most of the mail."""
    return (1.0 / np.arange(1, n + 1) ** s)[rng.permutation(n)]


def _world(rng, draw: _Draws):
    pool = _Pool(draw)
    freemail_domains, freemail_cum = [d for d, _ in _FREEMAIL], _cum([w for _, w in _FREEMAIL])
    tlds, tld_cum = [t for t, _ in _TLDS], _cum([w for _, w in _TLDS])
    domains: set[str] = set()

    def company_domain() -> str:
        while True:
            d = f"{draw.one(_PREFIX)}{draw.one(_NOUN)}"
            if draw() < 0.6:
                d += f"-{draw.one(_INDUSTRY)}"
            d += "." + tlds[draw.pick(tld_cum)]
            if d not in domains:
                domains.add(d)
                return d

    def org(n_contacts: int, freemail_share: float) -> dict:
        domain = company_domain()
        freemail = draw() < freemail_share  # small businesses run on Gmail and friends
        style = draw.below(4)
        people = [pool.person(freemail_domains[draw.pick(freemail_cum)] if freemail else domain, style, freemail)
                  for _ in range(n_contacts)]
        return {"domain": domain, "name": domain.split(".")[0].replace("-", " ").title(), "people": people,
                "weights": _zipf(rng, len(people), 1.2)}

    customers = [org(1 + draw.geometric(0.3), 0.12) for _ in range(160)]
    prospects = [org(1 + int(draw() < 0.2), 0.25) for _ in range(3000)]
    vendors = [{"domain": d, "name": d.split("-")[0].title(), "people": [pool.person(d, 0) for _ in range(1 + i % 3)],
                "weights": np.ones(1 + i % 3), "weight": w} for i, (d, _, w) in enumerate(_VENDORS)]
    # The first competitor's second person writes from its European office, a sub-domain: a domain entry
    # for the parent misses them (the list doctor's subdomain_miss). Same draws either way.
    competitors = [{"domain": d, "name": d.split(".")[0],
                    "people": [pool.person(f"{_EU_OFFICE}.{d}" if (d, k) == (_COMPETITORS[0], 1) else d, 0)
                               for k in range(2)],
                    "weights": np.array([2.0, 1.0])} for d in _COMPETITORS]
    users = []
    for role, (n, activity, kinds, channels) in _ROLES.items():
        for _ in range(n):
            first, last = pool.name()
            while any(u["last"] == last for u in users):
                first, last = pool.name()
            address = pool.add(f"{_ascii(first)}.{_ascii(last)}", DOMAIN, first, last)
            users.append({"address": address, "first": first, "last": last, "role": role,
                          "activity": activity * float(rng.lognormal(0, 0.5)), "kinds": kinds, "channels": channels,
                          "start": START, "end": END})
    for i in rng.choice(len(users), 4, replace=False):  # people join ...
        u = users[int(i)]
        u["start"] = START + pd.Timedelta(days=60 + draw.below(480))
    for u in [u for u in users if u["start"] == START][-2:]:  # ... and leave
        u["end"] = START + pd.Timedelta(days=400 + draw.below(300))
    for u in users:  # family and friends, often on the same family name, often on free mail
        u["family"] = []
        own = f"{_ascii(u['last'])}family.net" if draw() < 0.25 else None
        for _ in range(2 + draw.below(7)):
            if own and draw() < 0.4:
                u["family"].append(pool.person(own, 2, last=u["last"]))
            else:
                d = freemail_domains[draw.pick(freemail_cum)]
                u["family"].append(pool.person(d, 0, True, last=u["last"] if draw() < 0.5 else None))
        u["family_weights"] = _zipf(rng, len(u["family"]), 1.0)
        u["family_domain"] = own
    sellers = [u for u in users if u["role"] in ("sales", "success")]
    for c in customers:
        c["owner"] = draw.one(sellers)["address"]
    # The mbox user: an account manager who works only from Gmail (all sends through the extension).
    mbox = min((u for u in users if u["role"] == "success" and u["start"] == START and u["end"] == END),
               key=lambda u: u["activity"])
    mbox["channels"], mbox["activity"] = (1, 0, 0, 0, 0), mbox["activity"] / 2  # a small mbox
    return pool, users, {"customer": customers, "prospect": prospects, "vendor": vendors, "competitor": competitors}, mbox


def _prepare(rng, users, orgs) -> dict:
    """Cumulative weights, computed once, so the per-conversation loop stays cheap."""
    for kind, group in orgs.items():  # cold outreach spreads thinly over many prospects
        for o, w in zip(group, _zipf(rng, len(group), {"prospect": 0.5, "customer": 0.9}.get(kind, 1.1))):
            o["zipf"], o["cum"] = o.get("weight", w), _cum(o["weights"])
    for u in users:
        u["colleagues"] = [v["address"] for v in users if v is not u]
        u["family_cum"] = _cum(u["family_weights"])
        u["kind_cum"] = _cum(u["kinds"])
        u["channel_cum"] = {k: _cum([w if c in _ALLOWED[k] else 0 for c, w in zip(CHANNELS, u["channels"])])
                            for k in _KINDS}
        u["owned"] = [c for c in orgs["customer"] if c["owner"] == u["address"]] or orgs["customer"]
        u["owned_cum"] = _cum([c["zipf"] for c in u["owned"]])
    return {kind: (group, _cum([o["zipf"] for o in group])) for kind, group in orgs.items()}


def _recipients(draw: _Draws, kind: str, channel: str, user: dict, picks: dict) -> tuple[str, list, list, list]:
    """Pick (organisation name, to, cc, bcc) for one conversation."""
    colleagues = user["colleagues"]
    if kind == "personal":
        to = [user["family"][draw.pick(user["family_cum"])] for _ in range(1 + int(draw() < .15))]
        return "", list(dict.fromkeys(to)), [], []
    if kind == "internal":
        to = list(dict.fromkeys(draw.one(colleagues) for _ in range(1 + int(draw() < .3))))
        cc = [draw.one(colleagues)] if draw() < .3 else []
        return "Northwind", to, [c for c in cc if c not in to], []
    group, cum = picks[kind]
    if kind == "customer" and user["role"] in ("sales", "success") and draw() < .85:
        group, cum = user["owned"], user["owned_cum"]  # an account's owner writes to it most
    org = group[draw.pick(cum)]
    n_to = 1 if channel in ("integration", "team_inbox") else 1 + int(draw() < .45) + int(draw() < .2)
    to = list(dict.fromkeys(org["people"][draw.pick(org["cum"])] for _ in range(n_to)))
    cc, bcc = [], []
    if channel != "integration":
        if draw() < .14:
            cc.append(draw.one(colleagues))
        rest = [p for p in org["people"] if p not in to]
        if rest and draw() < .2:
            cc.append(rest[0])
        if draw() < .03:
            bcc.append(draw.one(colleagues))
    return org["name"], to, cc, [b for b in bcc if b not in cc]


def _subject(draw: _Draws, kind: str, channel: str, org: str, first: str, month: int) -> str:
    return draw.one(_SUBJECTS["support" if channel == "team_inbox" else kind]).format(
        q=(month - 1) // 3 + 1, org=org, n=1000 + draw.below(9000), first=first, month=_MONTHS[month - 1])


def _history(rng, draw: _Draws, pool, users, orgs, seed: int = DEFAULT_SEED, mbox_user: str | None = None):
    picks = _prepare(rng, users, orgs)
    days = pd.date_range(START, END, freq="D", inclusive="left").as_unit("ns")
    trend = 1 + 0.35 * np.arange(len(days)) / len(days)  # the company grows
    weekday = np.where(days.day_of_week < 5, 1.0, 0.08)
    p = trend * weekday
    day = rng.choice(len(days), N_CONVERSATIONS, p=p / p.sum())
    seconds = np.clip(rng.normal(16.5, 2.3, N_CONVERSATIONS), 12, 23.9) * 3600
    starts = np.sort(days[day].asi8 // 10**9 * 10**9 + seconds.astype(np.int64) * 10**9)  # ns since epoch
    months = pd.DatetimeIndex(starts, tz="UTC").month.tolist()
    activity = np.array([u["activity"] for u in users])
    ustart = np.array([u["start"].value for u in users])
    uend = np.array([u["end"].value for u in users])
    end, day_s, second = END.value, 86400, 10**9
    messages, rows = [], []
    convs = {}  # conversation -> (kind, user); the 2026 mail (client sends, incoming mail) follows these
    for conv, t in enumerate(starts.tolist()):
        ui = draw.pick(_cum(activity * ((ustart <= t) & (t < uend))))
        user = users[ui]
        kind = _KINDS[draw.pick(user["kind_cum"])]
        channel = CHANNELS[draw.pick(user["channel_cum"][kind])]
        org, to, cc, bcc = _recipients(draw, kind, channel, user, picks)
        subject = _subject(draw, kind, channel, org, pool.names[to[0]][0], months[conv])
        can_reply = kind in ("customer", "prospect", "vendor") and channel != "integration"
        convs[conv] = (kind, ui)
        when = t
        for i in range(draw.geometric(0.55)):
            if when >= min(end, uend[ui]):
                break
            log = not (channel == "extension" and draw() < {"personal": .35, "internal": .10}.get(kind, .02))
            messages.append((conv, when, user["address"], channel, to, cc, bcc, log, "outbound",
                             ("Re: " if i else "") + subject))
            when += (int(draw.exponential(1.6 * day_s)) + 600) * second
            if can_reply and draw() < .09 and when < end:  # a reply, logged to the same thread
                messages.append((conv, when, to[0], channel, [user["address"]], [], [], True, "inbound",
                                 "Re: " + subject))
                when += (int(draw.exponential(day_s)) + 600) * second
    messages.sort(key=lambda m: (m[1], m[0]))
    ids = 40_000_000_000 + np.cumsum(rng.integers(1, 5000, len(messages)))
    threads = {}
    conv_thread = 7_100_000_000 + np.cumsum(rng.integers(1, 900, N_CONVERSATIONS))
    out = []
    ids = [str(i) for i in ids.tolist()]
    extra = _mail_2026(ids, messages, convs, users, end, seed, mbox_user)
    for mid, (conv, when, sender, channel, to, cc, bcc, log, direction, subject, *reply) in sorted(
            list(zip(ids, messages)) + extra, key=lambda x: (x[1][1], x[1][0], x[0])):
        threads[mid] = str(conv_thread[conv])
        in_reply_to = reply[0] if reply else None  # the logged mail is threaded by thread_id alone
        fields = {}
        for role, addrs in (("to", to), ("cc", cc), ("bcc", bcc)):
            # The 2026 mail writes bare addresses: it must not take draws from the logged history's stream.
            fields[role] = ", ".join(a if reply else _display(draw, pool, a) for a in addrs)
            rows.extend((mid, when, sender, channel, a, role, log, direction) for a in addrs)
        out.append((mid, when, sender, channel, fields["to"], fields["cc"], fields["bcc"], log, direction, subject,
                    threads[mid], in_reply_to))
    cols = ["message_id", "sent_at", "sender", "channel", "to", "cc", "bcc", "log_enabled", "direction", "subject",
            "thread_id", "in_reply_to"]
    msgs = pd.DataFrame(out, columns=cols)
    rcols = ["message_id", "sent_at", "sender", "channel", "recipient", "role", "log_enabled", "direction"]
    recips = pd.DataFrame(rows, columns=rcols)
    for df in (msgs, recips):
        df["sent_at"] = pd.to_datetime(df["sent_at"].to_numpy(dtype="int64"), utc=True).astype("datetime64[ns, UTC]")
    return msgs, recips, threads


def _mail_2026(ids: list[str], messages: list, convs: dict, users, end: int, seed: int, mbox_user: str | None) -> list:
    """Mail that the 2023-2025 profiles never log (docs/rules.md#profile-2026-contact-email-logging-rules).

    From their own seeded generator, so the logged history above stays as it was: follow-ups users send
    from their phones (channel ``client``, no logging action) and replies their contacts send back to the
    connected inbox (incoming, channel ``client``), in the same threads. The mbox user works only from
    Gmail, so none of it is theirs. Each extra message is ``(..., in_reply_to)``.
    """
    xr = np.random.default_rng([seed, 2026])
    extra, next_id = [], 90_000_000_000
    day_s, second = 86400, 10**9
    for mid, (conv, when, sender, channel, to, cc, bcc, log, direction, subject) in zip(ids, messages):
        kind, ui = convs[conv]
        if direction != "outbound" or kind not in ("customer", "prospect", "vendor") or sender == mbox_user:
            continue
        if channel not in ("extension", "crm", "bcc_forward"):
            continue
        u = xr.random(4)
        follow = when + int(u[0] * 3 * day_s + 1800) * second
        if u[1] < .12 and follow < end:  # a follow-up from the phone, to the same people
            next_id += 1 + int(u[2] * 4000)
            extra.append((str(next_id), (conv, follow, sender, "client", to, [], [], True, "outbound",
                                         "Re: " + subject.removeprefix("Re: "), mid)))
        reply = when + int(u[2] * 2 * day_s + 900) * second
        if u[3] < .20 and reply < end:  # the contact answers; the connected inbox receives it
            next_id += 1 + int(u[0] * 4000)
            extra.append((str(next_id), (conv, reply, to[0], "client", [users[ui]["address"]], [], [], True,
                                         "inbound", "Re: " + subject.removeprefix("Re: "), mid)))
    return extra


def _display(draw: _Draws, pool, address: str) -> str:
    """How an address is written in a To/Cc/Bcc field: bare, with a name, or with 'Last, First'."""
    first, last = pool.names[address]
    shown = pool.cased.get(address, address)
    r = draw()
    if r < .6:
        return shown
    name = f"{first} {last}" if r < .88 else f"{last}, {first}"
    quoted = any(c in name for c in ',."') or not name.isascii()
    return f'"{name}" <{shown}>' if quoted else f"{name} <{shown}>"


def _tracking(rng, msgs: pd.DataFrame, recips: pd.DataFrame) -> pd.DataFrame:
    """Opens and clicks; an open of a multi-recipient email is often unattributed ("Someone")."""
    tracked = recips[recips["log_enabled"] & (recips["direction"] == "outbound")
                     & recips["channel"].isin(["extension", "crm", "team_inbox", "integration"])]
    per_msg = tracked.groupby("message_id")["recipient"].transform("size").to_numpy()
    opened = rng.random(len(tracked)) < 0.4
    n_open = np.where(opened, rng.geometric(0.6, len(tracked)), 0)
    n_click = np.where(opened & (rng.random(len(tracked)) < 0.15), 1 + (rng.random(len(tracked)) < .2), 0)
    events = []
    for event, counts in (("open", n_open), ("click", n_click)):
        rep = np.repeat(np.arange(len(tracked)), counts)
        delay = pd.to_timedelta(rng.exponential(8 * 3600, len(rep)).astype(int) + 30, unit="s")
        someone = (per_msg[rep] > 1) & (rng.random(len(rep)) < 0.35) & (event == "open")
        events.append(pd.DataFrame({
            "message_id": tracked["message_id"].to_numpy()[rep],
            "recipient": np.where(someone, "", tracked["recipient"].to_numpy()[rep]),
            "event": event,
            "occurred_at": pd.DatetimeIndex(tracked["sent_at"])[rep] + delay}))
    ev = pd.concat(events, ignore_index=True)
    ev["occurred_at"] = pd.to_datetime(ev["occurred_at"], utc=True).astype("datetime64[ns, UTC]")
    ev = ev[ev["occurred_at"] < END]  # the export is taken at the end of the history
    return ev.sort_values(["occurred_at", "message_id", "event", "recipient"], kind="stable").reset_index(drop=True)


def _contacts(draw: _Draws, recips: pd.DataFrame, users, orgs) -> pd.DataFrame:
    """A CRM contacts export: most customers, fewer prospects and vendors, some family members logged by mistake."""
    logged = recips[recips["log_enabled"] & (recips["direction"] == "outbound") & (recips["channel"] != "client")]
    first = logged.groupby("recipient")["sent_at"].min()
    first_crm = logged[logged["channel"] == "crm"].groupby("recipient")["sent_at"].min()
    share = {"customer": (.85, .45), "prospect": (.6, .1), "vendor": (.3, .5), "competitor": (.2, .3)}
    people = [(kind, p) for kind, group in orgs.items() for o in group for p in o["people"]]
    people += [("personal", p) for u in users for p in u["family"]]
    rows = []
    for kind, person in people:
        covered, before = share.get(kind, (.5, 0))
        if draw() >= covered or (kind == "personal" and person not in first.index):
            continue
        if draw() < before or person not in first.index:  # imported before the history, or a form fill
            span = (pd.Timestamp("2021-01-01", tz="UTC"), START) if person in first.index else (START, END)
            created = span[0] + pd.Timedelta(seconds=draw.below(int((span[1] - span[0]).total_seconds())))
        elif person in first_crm.index and first_crm[person] <= first[person]:
            created = first_crm[person] - pd.Timedelta(seconds=600 + draw.below(5 * 86400))  # CRM sends need a record
        else:
            created = first[person]  # the first logged send created it
        rows.append((person, created))
    df = pd.DataFrame(rows, columns=["email", "created_at"])
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True).astype("datetime64[ns, UTC]")
    return df.sort_values(["created_at", "email"], kind="stable").reset_index(drop=True)


def _lists(users, recips: pd.DataFrame, mbox_user: dict) -> tuple[list[str], dict[str, list[str]]]:
    """The candidate team list and three personal lists an admin might propose.

    They carry, on purpose, one case of every mistake the list doctor finds (``neverlog_sim.doctor``):
    free-mail and own domains, a disposable domain, typos, a sub-domain entry, a +tag address, dead,
    redundant and duplicate entries, entries in the wrong place, and a personal list near the cap.
    """
    team = [f"*@{DOMAIN}", *(f"*@{d}" for d in _COMPETITORS), f"*@{_DEAD_COMPETITOR}",
            *(f"*@{d}" for d, sensitive, _ in _VENDORS if sensitive),
            *(f"*@{d}" for d in ("gmail.com", "yahoo.com", "hotmail.com", "aol.com", "icloud.com", "comcast.net",
                                 "gmx.de", "me.com", "web.de", "proton.me"))]
    team += [f"*@{u['family_domain']}" for u in users if u["family_domain"]]
    blocked = {e[2:] for e in team}
    # A few people admins named one by one: family on outlook.com (not a blocked domain) and a board member.
    singles = [a for u in users for a in u["family"] if a.split("@")[1] not in blocked][:6]
    sent = recips[(recips["direction"] == "outbound") & (recips["channel"] != "client")].groupby("sender").size()
    execs = sorted((u for u in users if u["role"] == "exec"), key=lambda u: -sent.get(u["address"], 0))
    owners = (mbox_user, execs[0], execs[1])  # the users with personal lists
    # One was copied from a newsletter sign-up with its +tag; the history has the plain address (a relative
    # of a user with no personal list, so that nothing else blocks it).
    tagged = next(i for i, a in enumerate(singles) if not any(a in u["family"] for u in owners))
    local, domain = singles[tagged].split("@")
    singles[tagged] = f"{local}+family@{domain}"
    team += singles + ["board.chair@harborpoint-capital.com"]
    # More mistakes: a disposable domain, two typos of vendors (.con has no such suffix; a missing letter),
    # a law firm's mail host instead of its domain, and a relative on gmail.com, which is already blocked.
    vendors = {d.split("-")[0]: d for d, _, _ in _VENDORS}
    out = recips[recips["direction"] == "outbound"]
    rdomain = out["recipient"].str.split("@").str[1]
    uk = rdomain[rdomain.str.endswith(".co.uk")].value_counts()
    legal = [d for d in uk.index if "legal" in d] or list(uk.index)
    team += ["*@mailinator.com", f"*@{vendors['ledgerline'].removesuffix('.com')}.con",
             f"*@{vendors['venuecraft'].replace('events', 'event')}", f"*@mail.{legal[0]}",
             next(a for u in users for a in u["family"] if a.endswith("@gmail.com"))]
    # Pasted twice, once capitalised: a duplicate line.
    team = sorted(dict.fromkeys(team)) + ["*@Yahoo.com"]
    personal = {}
    for u in owners:  # family addresses; a family domain becomes one domain entry
        fam = u["family_domain"]
        entries = [a for a in u["family"] if not fam or not a.endswith("@" + fam)] + ([f"*@{fam}"] if fam else [])
        # The travel agency books their private trips: the same entry on three personal lists.
        entries.append(f"*@{vendors['jetwise']}")
        if u is execs[0]:
            entries += _old_address_book()
        personal[u["address"]] = sorted(dict.fromkeys(entries))
    return team, personal


def _old_address_book(companies: int = 12, people: int = 38) -> list[str]:
    """An exec's address book from an earlier job, pasted into a personal list: people the history never shows,
    38 at each of 12 companies (``-holdings.com``, a name no generated organisation has)."""
    out = []
    for k in range(companies):
        domain = f"{_PREFIX[k]}{_NOUN[k]}-holdings.com"
        for j in range(people):
            first, last = _FIRST[(7 * k + j) % len(_FIRST)], _LAST[(11 * k + 3 * j) % len(_LAST)]
            out.append(f"{_ascii(first)}.{_ascii(last)}@{domain}")
    return out


def generate(seed: int = DEFAULT_SEED) -> SampleCompany:
    """Generate the sample company; the same seed always gives equal tables.

    seed: any integer; 7 is the one bundled in ``data/samples/``.

    >>> generate(7).owners.shape
    (40, 2)
    """
    rng = np.random.default_rng(seed)
    draw = _Draws(rng)
    pool, users, orgs, mbox_user = _world(rng, draw)
    msgs, recips, threads = _history(rng, draw, pool, users, orgs, seed, mbox_user["address"])
    recips["recipient"] = recips["recipient"].str.lower()
    tracking = _tracking(rng, msgs, recips)
    contacts = _contacts(draw, recips, users, orgs)
    team, personal = _lists(users, recips, mbox_user)
    owner_ids = 50_000_000 + np.sort(rng.choice(9_000_000, len(users), replace=False))
    owners = pd.DataFrame({"id": owner_ids.astype(str), "email": [u["address"] for u in users]})
    unsent = _unsent(draw, users, orgs)
    return SampleCompany(seed, msgs, recips, contacts, tracking, owners, team, personal, mbox_user["address"],
                         threads, unsent, {u["address"]: f"{u['first']} {u['last']}" for u in users})


def _unsent(draw: _Draws, users, orgs) -> pd.DataFrame:
    """HubSpot rows that were never sent (FAILED, SCHEDULED past the end): absent from the canonical file."""
    rows = []
    for i in range(30):
        status = "FAILED" if i < 22 else "SCHEDULED"
        u = draw.one([u for u in users if u["role"] == "sales"])
        when = (START + pd.Timedelta(seconds=draw.below(730 * 86400))) if status == "FAILED" \
            else END + pd.Timedelta(seconds=86400 + draw.below(19 * 86400))
        org = draw.one(orgs["prospect"])
        rows.append((str(39_000_000_000 + i * 7919), when, status, u["address"], org["people"][0], org["name"]))
    return pd.DataFrame(rows, columns=["message_id", "sent_at", "status", "sender", "to", "org"])

