"""The rule profile: which sends a Never Log list governs, and every named assumption (docs/rules.md#rule-profiles).

Where is the rule that a team inbox is exempt? Here: ``PROFILES["seed-2023"].applies``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import RulesError

CHANNELS = ("extension", "crm", "bcc_forward", "team_inbox", "integration", "client")
ROLES = ("to", "cc", "bcc")
# The account-wide contact email logging rules of profile 2026 (docs/rules.md#contact-email-logging-rules).
LOGGING_RULES = ("log_all", "replies_only")
# Channels on which an incoming email reached a connected personal inbox: governed in profile 2026
# (docs/rules.md#incoming-email-in-2026); incoming rows on other channels pass through (A7).
INBOUND_CHANNELS = ("extension", "client")


@dataclass(frozen=True)
class Rules:
    """A rule profile. Every field is a named assumption of docs/rules.md#assumptions.

    - ``applies``: channels whose sends the lists govern (docs/rules.md#channels).
    - ``roles`` (A3): recipient roles a list can block.
    - ``subdomains`` (A2): a domain entry also matches sub-domains (what-if only; HubSpot: exact).
    - ``creating_channels`` (A4): channels whose logged sends create a contact record.
    - ``crm_implies_contact`` (A4): a ``crm`` send is made from an existing record.
    - ``unknown_channel_applies`` (U1): whether a list governs a send whose channel is not one of
      the five; default no — the row is kept, counted in the load report, never blocked.
    - ``case_insensitive`` (A1) and ``unattributed_tracking`` (A5) have one value each; they are
      here so that reports can state them.
    - ``logging_rule`` (profile ``2026`` only; ``None`` in earlier profiles): the account-wide contact
      email logging rule, ``"log_all"`` or ``"replies_only"`` (docs/rules.md#logging-rule). With a
      logging rule, ``client`` sends are logged under ``log_all`` to records that exist at send time,
      and incoming mail in a connected inbox (channel ``extension``/``client``) is governed; without
      one, ``client`` sends are never logged and incoming rows pass through (U3).
    - ``client_creates`` (A6, what-if): a logged, unblocked ``client`` send creates its recipient's
      record (HubSpot's beta); incoming mail never creates one. Profile ``2026`` only.
    - A7 (fixed): incoming rows on channels other than ``extension``/``client`` pass through.
    - A3 in profile ``2026``: ``roles`` are the roles of an outgoing email's recipients; an incoming
      email's contact is its sender, whatever the receiving user's role (To, Cc, Bcc).
    - A8 (fixed, profile ``2026``): an incoming email received by several users is one row per
      receiving user, each governed by that user's personal list and each a timeline entry of the
      sender when logged (each connected inbox logs its own copy).
    - Three decisions the HubSpot articles leave open have one value each, for the same reason
      (docs/rules.md#u9-conflicting-log-toggle and the next two sections):
      ``log_toggle_conflict`` (U9) ``"off"``: a recipient listed twice in one message, "Log in CRM"
      on in one listing and off in the other, is one row with the toggle off;
      ``undated_sends`` (U10) ``"no_place_in_time"``: a send with no ``sent_at`` is on the timeline
      whenever the record exists and can create a record, but never dates it — a dated send that
      needs an existing record is on the timeline only from the record's earliest dated creation;
      ``same_moment`` (U11) ``"exists"``: a record created at time *t* exists for every send at *t*.

    >>> rules = PROFILES["seed-2023"].replace(roles={"to", "cc"})
    >>> rules.name, sorted(rules.roles)
    ('seed-2023+custom', ['cc', 'to'])
    """

    name: str
    applies: frozenset = frozenset({"extension", "crm", "bcc_forward"})
    roles: frozenset = frozenset(ROLES)
    subdomains: bool = False
    creating_channels: frozenset = frozenset({"extension", "bcc_forward", "team_inbox", "integration"})
    crm_implies_contact: bool = True
    unknown_channel_applies: bool = False
    case_insensitive: bool = True
    unattributed_tracking: str = "feed_only"
    logging_rule: str | None = None
    client_creates: bool = False
    log_toggle_conflict: str = "off"
    undated_sends: str = "no_place_in_time"
    same_moment: str = "exists"

    def __post_init__(self):
        for fname in ("applies", "creating_channels"):
            value = frozenset(getattr(self, fname))
            bad = sorted(value - set(CHANNELS))
            if bad:
                raise RulesError(f"{fname} has unknown channel(s) {bad!r}; channels are {list(CHANNELS)}")
            object.__setattr__(self, fname, value)
        roles = frozenset(r.lower() for r in self.roles)
        bad = sorted(roles - set(ROLES))
        if bad:
            raise RulesError(f"roles has unknown role(s) {bad!r}; roles are {list(ROLES)}")
        object.__setattr__(self, "roles", roles)
        if not self.case_insensitive:
            raise RulesError("A1: matching is case-insensitive in HubSpot; case_insensitive=False is not supported")
        if self.unattributed_tracking != "feed_only":
            raise RulesError("A5: unattributed tracking events are 'feed_only'; no other value is supported")
        if self.logging_rule is not None and self.logging_rule not in LOGGING_RULES:
            raise RulesError(f"logging_rule must be one of {list(LOGGING_RULES)!r} (profile 2026), got "
                             f"{self.logging_rule!r}; see docs/rules.md#logging-rule")
        if self.logging_rule is None:
            if self.client_creates:
                raise RulesError("client_creates (A6) applies to profile 2026 only: use "
                                 "PROFILES['2026'].replace(client_creates=True); see "
                                 "docs/rules.md#a6-client-and-inbound-creation")
            if "client" in self.applies:
                raise RulesError("'client' sends are never logged outside profile 2026, so no list governs them; "
                                 "use rules='2026'; see docs/rules.md#client-sends")
        if "client" in self.creating_channels:
            raise RulesError("creating_channels cannot name 'client': client sends create records only with the "
                             "what-if switch client_creates=True (profile 2026); see "
                             "docs/rules.md#a6-client-and-inbound-creation")
        if not isinstance(self.client_creates, bool):
            raise RulesError(f"client_creates must be True or False, got {self.client_creates!r}")
        for fname, (name, only) in _ONE_VALUE.items():
            if getattr(self, fname) != only:
                raise RulesError(f"{name}: {fname} must be {only!r}, the only value supported, got "
                                 f"{getattr(self, fname)!r} (see docs/rules.md#assumptions)")

    def replace(self, **changes) -> "Rules":
        """A copy with some assumptions changed, e.g. ``rules.replace(subdomains=True)``."""
        name = changes.pop("name", None) or f"{self.name}+custom"
        unknown = sorted(set(changes) - set(self.__dataclass_fields__))
        if unknown:
            raise RulesError(f"Rules has no option(s) {unknown!r}; options are "
                             f"{sorted(f for f in self.__dataclass_fields__ if f != 'name')!r}")
        return replace(self, name=name, **changes)

    @property
    def governs_inbound(self) -> bool:
        """Whether incoming mail in a connected inbox is logged and governed (profile 2026)."""
        return self.logging_rule is not None

    @property
    def logs_client(self) -> bool:
        """Whether ``client`` sends are logged (profile 2026 under ``log_all``)."""
        return self.logging_rule == "log_all"

    def assumptions(self) -> list[dict]:
        """The assumptions in force, as rows ``name, value, default, note`` for reports."""
        base = PROFILES["seed-2023"]
        def fmt(v):
            return ", ".join(sorted(v)) if isinstance(v, frozenset) else str(v)
        rows = [
            ("profile", self.name, "seed-2023", "which HubSpot article version the rules follow"),
            ("A1 case", "case-insensitive", "case-insensitive", "addresses and entries are compared lower-cased"),
            ("A2 domain entry scope", "exact domain + sub-domains" if self.subdomains else "exact domain",
             "exact domain", "*@acme.com matches a@acme.com, not a@eu.acme.com" if not self.subdomains
             else "what-if: *@acme.com also matches a@eu.acme.com"),
            ("A3 recipient roles", fmt(self.roles), fmt(base.roles), "roles a list can block"),
            ("A4 contact creation", fmt(self.creating_channels), fmt(base.creating_channels),
             "channels whose logged sends create a contact"),
            ("A4 crm implies contact", str(self.crm_implies_contact), "True", "a CRM send is made from an existing record"),
            ("A5 unattributed tracking", "feed only", "feed only", "an open by 'Someone' is on no contact timeline"),
            ("channels governed", fmt(self.applies), fmt(base.applies), "team_inbox: exempt in seed-2023, blocked in 2025"),
            ("U1 unknown channel", "governed" if self.unknown_channel_applies else "not governed", "not governed",
             "a send whose channel is unknown is kept and counted, never blocked"),
            ("U9 conflicting log toggle", "off", "off",
             "a recipient listed twice in one message with 'Log in CRM' on and off is read as off"),
            ("U10 undated sends", "no place in time", "no place in time",
             "a send with no date is logged whenever the record exists, and never dates the record"),
            ("U11 same moment", "record exists", "record exists",
             "a send at the very moment its recipient's record is created is on the timeline"),
        ]
        if self.logging_rule is not None:
            rows += [
                ("logging rule", self.logging_rule, "log_all",
                 "log_all: every email with an existing contact, both directions; replies_only: incoming email "
                 "only in a thread with a logged email (docs/rules.md#contact-email-logging-rules)"),
                ("A6 client and inbound creation", "client sends create" if self.client_creates else "no record",
                 "no record", "client sends and incoming email create no contact record (client_creates: what-if)"),
                ("A7 incoming on other channels", "pass through", "pass through",
                 "incoming rows not on extension or client are not governed"),
                ("A8 incoming to several users", "one entry per receiving user", "one entry per receiving user",
                 "each receiving user's personal list governs its own copy"),
            ]
        return [{"name": n, "value": v, "default": d, "note": note} for n, v, d, note in rows]


# Open decisions with one supported value (see Rules): field → (assumption, value).
_ONE_VALUE = {"log_toggle_conflict": ("U9", "off"), "undated_sends": ("U10", "no_place_in_time"),
              "same_moment": ("U11", "exists")}

PROFILES: dict[str, Rules] = {
    # HubSpot article of 2023-08-24: team inbox threads and integrations are exempt.
    "seed-2023": Rules(name="seed-2023"),
    # Later article versions: team inbox threads are governed too.
    "2025": Rules(name="2025", applies=frozenset({"extension", "crm", "bcc_forward", "team_inbox"})),
    # "Manage contact email logging rules" (2025-09-02, 2026-04-13): the account-wide logging rule,
    # "Log all emails (from known contacts)" by default; client sends and incoming mail are governed.
    "2026": Rules(name="2026", applies=frozenset({"extension", "crm", "bcc_forward", "team_inbox", "client"}),
                  logging_rule="log_all"),
}


# Which HubSpot each profile describes (docs/rules.md#rule-profiles); reports say it beside the profile.
PROFILE_NOTES = {
    "seed-2023": "HubSpot as its article of 2023-08-24 describes it: logged sends only, team inbox exempt",
    "2025": "later versions of the article: team inbox governed too",
    "2026": "HubSpot today (contact email logging rules, 2025-09-02 and 2026-04-13): mail sent with no logging "
            "action and incoming mail are logged for existing contacts; recommended for accounts today",
}


def profile_note(rules: Rules) -> str:
    """What HubSpot a profile describes, with its logging rule when it has one."""
    base = next((k for k in PROFILES if rules.name == k or rules.name.startswith(k + " ") or
                 rules.name.startswith(k + "+")), None)
    if base is None:
        base = "2026" if rules.logging_rule else ("2025" if "team_inbox" in rules.applies else "seed-2023")
    note = PROFILE_NOTES[base]
    if rules.logging_rule:
        note += f"; logging rule {rules.logging_rule}"
    return note


def get_rules(rules: "str | Rules") -> Rules:
    """Return a ``Rules`` for a profile name or pass a ``Rules`` through (docs/rules.md#rule-profiles).

    >>> get_rules("2025").name, "team_inbox" in get_rules("2025").applies
    ('2025', True)
    """
    if isinstance(rules, Rules):
        return rules
    if isinstance(rules, str) and rules in PROFILES:
        return PROFILES[rules]
    raise RulesError(f"rules must be one of {sorted(PROFILES)!r} or a Rules object, got {rules!r}")


# --- the words of the outcome (docs/rules.md#scenarios-and-change) -----------------------------

CHANGE_CLASSES = ("not_created", "created_later", "timeline_emptied", "timeline_reduced",
                  "newly_created", "created_earlier", "timeline_added", "unchanged")
NO_CONTACTS_NOTE = ("no contacts table: no recipient is a contact before the history shows one "
                    "(a CRM send or a logged, contact-creating send)")
NO_TRACKING_NOTE = "no tracking events: feed and timeline tracking figures are zero"
FEED_NOTE = ("the activity feed still shows every open and click, blocked recipients included: "
             "a Never Log list never changes feed events (docs/rules.md#the-activity-feed-never-changes)")
