"""neverlog_sim — preview what a HubSpot Never Log list would do, and export lists HubSpot accepts."""

from .entries import Entry, parse_entry
from .errors import (
    CapError,
    EntryError,
    EntryProblem,
    ExportError,
    InputError,
    MissingColumnsError,
    NeverLogError,
    RulesError,
)
from .lists import CAP, NeverLogList, Policy
from .rules import PROFILES, Rules, get_rules

__version__ = "0.1.0"

__all__ = [
    "CAP",
    "CapError",
    "Entry",
    "EntryError",
    "EntryProblem",
    "ExportError",
    "InputError",
    "MissingColumnsError",
    "NeverLogError",
    "NeverLogList",
    "PROFILES",
    "Policy",
    "Rules",
    "RulesError",
    "get_rules",
    "parse_entry",
]
