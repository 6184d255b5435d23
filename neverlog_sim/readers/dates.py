"""Dates written as text: ISO 8601 and RFC 2822 are read as they are; day/month dates only when told which.

``01/02/2024`` is 1 February in Europe and January 2 in the US. A reader never guesses: numeric
dates whose day and month could be swapped are refused unless ``dayfirst=`` says which comes first
(docs/rules.md#dates-in-your-data). Dates are rewritten to ISO 8601 text here, vectorised with Arrow,
so every reader (the engine's SQL, pandas) then parses one unambiguous form.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import AmbiguousInputError, ArgumentError, quote

__all__ = ["iso_dates", "check_dayfirst"]

_TIME = r"(?:[ T,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<F>\d{1,9}))?)?\s*(?P<P>[AaPp][Mm])?)?"
_ZONE = r"\s*(?P<Z>Z|UTC|GMT|UT|[+-]\d{2}:?\d{2})?\s*"
NUMERIC = r"^\s*(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})" + _TIME + _ZONE + "$"
RFC2822 = (r"^\s*(?:[A-Za-z]{3},?\s+)?(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]{3})[A-Za-z]*\.?\s+(?P<y>\d{4}|\d{2})\s+"
           r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*"
           r"(?P<Z>[+-]\d{4}|UT|UTC|GMT|Z|EST|EDT|CST|CDT|MST|MDT|PST|PDT)?\s*(?:\([^)]*\))?\s*$")
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_ZONES = {"": "", "z": "+00:00", "ut": "+00:00", "utc": "+00:00", "gmt": "+00:00", "est": "-05:00",
          "edt": "-04:00", "cst": "-06:00", "cdt": "-05:00", "mst": "-07:00", "mdt": "-06:00", "pst": "-08:00",
          "pdt": "-07:00"}


def check_dayfirst(dayfirst, function: str = "load_sent"):
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise ArgumentError(f"{function}(): dayfirst must be True (31/12/2024), False (12/31/2024) or None; "
                            f"got {type(dayfirst).__name__} {quote(dayfirst)}")
    return dayfirst


def _int(arr) -> pa.Array:
    return pc.cast(pc.if_else(pc.equal(arr, ""), None, arr), pa.int32())


def _pad(arr, width: int = 2) -> pa.Array:
    return pc.utf8_lpad(pc.cast(arr, pa.string()), width=width, padding="0")


def _year(y) -> pa.Array:
    """Four-digit years as written; two-digit years 00–68 are 20xx, 69–99 19xx (the POSIX ``%y`` pivot)."""
    yi = _int(y)
    full = pc.if_else(pc.less(pc.utf8_length(y), 3),
                      pc.add(yi, pc.if_else(pc.less(yi, 69), 2000, 1900)), yi)
    return _pad(full, 4)


def _zone(z) -> pa.Array:
    low = pc.utf8_lower(pc.fill_null(z, ""))
    named = pc.index_in(low, value_set=pa.array(list(_ZONES)))
    mapped = pc.take(pa.array(list(_ZONES.values())), named)
    # +0700 / +07:00 → +07:00
    offset = pc.replace_substring_regex(low, r"^([+-]\d{2}):?(\d{2})$", r"\1:\2")
    return pc.if_else(pc.is_null(named), offset, mapped)


def _clock(s, hour) -> pa.Array:
    sec = pc.if_else(pc.equal(s.field("S"), ""), "00", s.field("S"))
    return pc.binary_join_element_wise(_pad(hour), s.field("M"), sec, ":")


def iso_dates(values, *, dayfirst=None, what: str = "input", column: str = "sent_at") -> pa.Array:
    """Text dates with numeric day/month or RFC 2822 forms rewritten as ISO 8601; everything else unchanged.

    Raises ``AmbiguousInputError`` naming the column, the row and the value when day and month
    could be swapped and ``dayfirst`` is None (or when the column mixes both orders).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return values
    values = values.cast(pa.string())
    out = values
    numeric = pc.match_substring_regex(values, NUMERIC)
    if pc.any(numeric).as_py():
        out = _numeric(values, numeric, dayfirst, what, column, out)
    rfc = pc.match_substring_regex(values, RFC2822)
    if pc.any(rfc).as_py():
        out = _rfc2822(values, rfc, out)
    return out


def _numeric(values, hit, dayfirst, what, column, out):
    s = pc.extract_regex(pc.if_else(hit, values, "01/01/2000"), NUMERIC)
    a, b = _int(s.field("a")), _int(s.field("b"))
    ambiguous = pc.and_(hit, pc.and_(pc.and_(pc.less_equal(a, 12), pc.less_equal(b, 12)), pc.not_equal(a, b)))
    first_is_day = pc.and_(hit, pc.and_(pc.greater(a, 12), pc.less_equal(b, 12)))
    first_is_month = pc.and_(hit, pc.and_(pc.greater(b, 12), pc.less_equal(a, 12)))
    if dayfirst is None:
        fix = ("pass dayfirst=True if they are day/month/year (31/12/2024), dayfirst=False if month/day/year "
               "(12/31/2024) — command line --dayfirst or --monthfirst; ISO 8601 (2024-12-31) needs neither")
        if pc.any(ambiguous).as_py():
            row = pc.index(ambiguous, True).as_py()
            raise AmbiguousInputError(f"{what}: column {column!r}, row {row + 1}: {quote(values[row].as_py())} "
                                      f"could be read day first or month first; {fix}")
        if pc.any(first_is_day).as_py() and pc.any(first_is_month).as_py():
            r1, r2 = pc.index(first_is_day, True).as_py(), pc.index(first_is_month, True).as_py()
            raise AmbiguousInputError(
                f"{what}: column {column!r} writes dates day first (row {r1 + 1}: {quote(values[r1].as_py())}) and "
                f"month first (row {r2 + 1}: {quote(values[r2].as_py())}); {fix}")
        dayfirst = bool(pc.any(first_is_day).as_py())
    day, month = (a, b) if dayfirst else (b, a)
    valid = pc.and_(hit, pc.and_(pc.less_equal(month, 12), pc.greater_equal(month, 1)))
    hour = _int(s.field("H"))
    pm = pc.equal(pc.utf8_lower(s.field("P")), "pm")
    am = pc.equal(pc.utf8_lower(s.field("P")), "am")
    hour = pc.if_else(pc.and_(pm, pc.less(hour, 12)), pc.add(hour, 12), pc.if_else(pc.and_(am, pc.equal(hour, 12)), 0,
                                                                                     hour))
    date = pc.binary_join_element_wise(_year(s.field("y")), _pad(month), _pad(day), "-")
    frac = pc.if_else(pc.equal(s.field("F"), ""), "", pc.binary_join_element_wise(".", s.field("F"), ""))
    clock = pc.binary_join_element_wise(_clock(s, hour), frac, "")
    with_time = pc.binary_join_element_wise(date, pc.binary_join_element_wise(clock, _zone(s.field("Z")), ""), " ")
    iso = pc.if_else(pc.equal(s.field("H"), ""), pc.binary_join_element_wise(date, _zone(s.field("Z")), ""),
                     with_time)
    return pc.if_else(valid, iso, out)


def _rfc2822(values, hit, out):
    s = pc.extract_regex(pc.if_else(hit, values, "1 Jan 2000 00:00"), RFC2822)
    month = pc.add(pc.index_in(pc.utf8_lower(s.field("mon")), value_set=pa.array(_MONTHS)), 1)
    valid = pc.and_(hit, pc.is_valid(month))
    date = pc.binary_join_element_wise(_year(s.field("y")), _pad(month), _pad(_int(s.field("d"))), "-")
    clock = _clock(s, _int(s.field("H")))
    iso = pc.binary_join_element_wise(date, pc.binary_join_element_wise(clock, _zone(s.field("Z")), ""), " ")
    return pc.if_else(valid, iso, out)
