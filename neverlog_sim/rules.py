"""The rule profile: which sends a Never Log list governs, and every named assumption (docs/rules.md#rule-profiles).

Where is the rule that a team inbox is exempt? Here: ``PROFILES["seed-2023"].applies``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import RulesError

CHANNELS = ("extension", "crm", "bcc_forward", "team_inbox", "integration")
ROLES = ("to", "cc", "bcc")


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

    def replace(self, **changes) -> "Rules":
        """A copy with some assumptions changed, e.g. ``rules.replace(subdomains=True)``."""
        name = changes.pop("name", None) or f"{self.name}+custom"
        return replace(self, name=name, **changes)

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
        ]
        return [{"name": n, "value": v, "default": d, "note": note} for n, v, d, note in rows]


PROFILES: dict[str, Rules] = {
    # HubSpot article of 2023-08-24: team inbox threads and integrations are exempt.
    "seed-2023": Rules(name="seed-2023"),
    # Later article versions: team inbox threads are governed too.
    "2025": Rules(name="2025", applies=frozenset({"extension", "crm", "bcc_forward", "team_inbox"})),
}


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
