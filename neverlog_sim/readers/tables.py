"""Reading tables from files and frames: CSV, Parquet (file, glob or folder), DataFrames, Arrow.

Every reader of the toolkit (sent mail, contacts, tracking, HubSpot exports) starts here, so the
file discovery, the CSV diagnosis that names the bad line and the column mapping are the same
everywhere. Readers produce canonical tables and know nothing of engines: DuckDB is used here only
as a fast CSV/Parquet parser, through its relation API (no SQL text).
"""

from __future__ import annotations

import csv
import difflib
import glob as globmod
import io
import os
import re
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import (AmbiguousInputError, ArgumentError, InputError, MissingColumnsError, check_encoding,
                      detect_encoding, quote, read_text)

def arrow_table(relation) -> pa.Table:
    """A DuckDB relation read as Arrow (``to_arrow_table`` in DuckDB 2, ``fetch_arrow_table`` before)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # DuckDB 2 notes the copy; these tables are read once
        return (getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table)()


# No Python csv field limit (131,072 characters by default): a 5 MB field is data, not an error.
csv.field_size_limit(2**31 - 1)

TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv")
SKIPPED_FILES = "files not read (skipped)"


_KIND_NAMES = {".csv": "CSV", ".tsv": "CSV", ".parquet": "Parquet", ".pq": "Parquet", ".xlsx": ".xlsx", ".xls": ".xlsx"}


def _kinds(suffixes: tuple[str, ...]) -> str:
    names = list(dict.fromkeys(_KIND_NAMES.get(s, s) for s in suffixes))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def find_files(source: str | Path, suffixes: tuple[str, ...], what: str = "input",
               skipped: list | None = None) -> list[Path]:
    """The files a path names, for every reader: an existing file is that file, never a pattern.

    A folder is read recursively, extensions compared case-insensitively (``A.CSV``), each file once
    (a link to a file already read is skipped); hidden files and files of other kinds are skipped and,
    when ``skipped`` is a list, named there with the reason. A path that does not exist is a glob
    pattern only when it has ``*``, ``?`` or ``[``.
    """
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(f"{what} must be a path, got {type(source).__name__} {quote(source)}")
    text = os.fspath(source)
    path = Path(text)
    notes: list[tuple[str, str]] = []
    if path.is_file():
        return [path]
    if path.is_dir():
        candidates = sorted((p for p in path.rglob("*") if not p.is_dir()), key=lambda p: p.as_posix())
        base = path
    elif path.exists():
        raise InputError(f"{what} {quote(text)} is neither a file nor a folder")
    elif any(ch in text for ch in "*?["):
        candidates = sorted({Path(p) for p in globmod.glob(text, recursive=True)}, key=lambda p: p.as_posix())
        base = None
    else:
        raise InputError(f"{what} {quote(text)} does not exist; give a {_kinds(suffixes)} file, a glob or a folder")
    files, seen = [], {}
    for p in candidates:
        shown = p.relative_to(base).as_posix() if base is not None else str(p)
        if p.is_dir():
            continue
        if any(part.startswith(".") for part in (p.relative_to(base).parts if base is not None else (p.name,))):
            notes.append((shown, "hidden file"))
            continue
        if p.suffix.lower() not in suffixes:
            notes.append((shown, f"not a {_kinds(suffixes)} file"))
            continue
        try:
            key = p.resolve()
        except OSError:
            key = p
        if key in seen:
            notes.append((shown, f"the same file as {seen[key]}"))
            continue
        seen[key] = shown
        files.append(p)
    if skipped is not None and notes:
        skipped.append({"problem": SKIPPED_FILES, "count": len(notes),
                        "examples": [f"{f}: {why}" for f, why in notes[:3]]})
    if not files:
        why = f" (skipped: {'; '.join(f'{f}: {w}' for f, w in notes[:3])})" if notes else ""
        if base is None:
            raise InputError(f"{what} {quote(text)} matches no {' or '.join(suffixes)} files{why}")
        raise InputError(f"{what} {quote(text)} holds no {_kinds(suffixes)} files{why}")
    return files


def _duckdb_path(path: Path) -> str:
    """A file name as DuckDB reads it: DuckDB globs every name, so ``[ab].csv`` must be escaped to mean itself."""
    return re.sub(r"([\[*?])", r"[\1]", str(path))


def frame_to_arrow(frame: pd.DataFrame, what: str) -> pa.Table:
    """A DataFrame as Arrow; duplicate or odd columns get an ``InputError`` naming the column."""
    names = [str(c) for c in frame.columns]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise AmbiguousInputError(f"{what} has the column {dup[0]!r} more than once; rename or drop the copies")
    columns = {}
    for name, col in zip(names, frame.columns):
        series = frame[col]
        try:
            columns[name] = pa.array(series, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            kinds = series.dropna().map(lambda v: type(v).__name__)
            first_kind = kinds.iloc[0] if len(kinds) else "?"
            odd = kinds[kinds != first_kind]
            where = f", row {frame.index.get_loc(odd.index[0]) + 1}" if len(odd) else ""
            raise InputError(f"{what}: column {name!r}{where} mixes values of types "
                             f"{', '.join(sorted(set(kinds)))}; give text (or, for addresses, a list of "
                             "addresses) in every row") from None
    return pa.table(columns) if columns else pa.table({})


def read_table(source, *, what: str = "input", encoding: str | None = None, report: list | None = None
               ) -> tuple[pa.Table, str]:
    """Read a DataFrame, Arrow table, CSV or Parquet (file, glob or folder) as Arrow; return it and a label.

    ``encoding`` the CSV files' encoding (UTF-8 by default; a UTF-16 or UTF-32 byte-order mark is
    detected); ``report`` a list that receives load-report rows (files skipped in a folder).
    """
    encoding = check_encoding(encoding)
    if isinstance(source, pd.DataFrame):
        return frame_to_arrow(source, what), "DataFrame"
    if isinstance(source, pa.Table):
        return source, "Arrow table"
    if not isinstance(source, (str, os.PathLike)):
        raise ArgumentError(f"{what} must be a DataFrame, an Arrow table or a path to CSV/Parquet files; "
                            f"got {type(source).__name__} {quote(source)}")
    files = find_files(source, TABLE_SUFFIXES, what, report)
    kinds = {"parquet" if f.suffix.lower() in (".parquet", ".pq") else "csv" for f in files}
    if len(kinds) > 1:
        raise InputError(f"{quote(str(source))} mixes CSV and Parquet files; point at one kind")
    if kinds == {"parquet"}:
        table = _read_parquet(files, what, source)
        for name in table.column_names:
            _check_type(table.schema.field(name).type, name, f"{what} {str(source)!r}")
        return table, str(source)
    return _read_csv(files, what, source, encoding, report), str(source)


class ParquetFile:
    """One Parquet file for an engine to read itself, never copied into Python: its path and schema.

    ``read()`` gives the Arrow table when the engine cannot take the file as it is (see
    ``direct_columns``).
    """

    def __init__(self, path: Path, schema: pa.Schema, num_rows: int, what: str, label: str):
        self.path, self.schema, self.num_rows, self.what, self.label = path, schema, num_rows, what, label

    @property
    def column_names(self) -> list[str]:
        return list(self.schema.names)

    @property
    def duckdb_path(self) -> str:
        return _duckdb_path(self.path)

    def read(self) -> pa.Table:
        return _read_parquet([self.path], self.what, self.label)


def parquet_file(source, *, what: str = "input", report: list | None = None) -> "ParquetFile | None":
    """``source`` as a :class:`ParquetFile` when it names exactly one Parquet file, else None (read it
    with :func:`read_table`). The checks and load-report notes are read_table's."""
    if not isinstance(source, (str, os.PathLike)):
        return None
    notes: list = []
    files = find_files(source, TABLE_SUFFIXES, what, notes)
    if len(files) != 1 or files[0].suffix.lower() not in (".parquet", ".pq"):
        return None
    import pyarrow.parquet as pq
    try:
        meta = pq.read_metadata(files[0])
        schema = meta.schema.to_arrow_schema()
    except (pa.ArrowException, OSError, ValueError):
        return None  # read_table names the fault
    for name in schema.names:
        _check_type(schema.field(name).type, name, f"{what} {str(source)!r}")
    if report is not None:
        report.extend(notes)
    return ParquetFile(files[0], schema, meta.num_rows, what, str(source))


def _plain(t: pa.DataType) -> bool:
    """Types the engine reads from Parquet exactly as ``as_text`` would give them."""
    if pa.types.is_dictionary(t):
        return pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)
    return (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t) or pa.types.is_boolean(t)
            or pa.types.is_timestamp(t) or pa.types.is_date(t))


def direct_columns(parquet: ParquetFile, mapped: list[str], columns: dict | None) -> dict | None:
    """Our column name → the file's, for the columns ``map_columns`` kept, when the engine can read the file
    itself; None when a column needs Arrow's reading (lists, floats, dates written as text, ...)."""
    columns = columns or {}
    names = parquet.column_names
    if "file_row_number" in names:
        return None
    ours = {}
    for name in names:
        new = columns[name] if name in columns else canon_name(name)
        if new is not None:
            ours.setdefault(new, name)
    out = {}
    for col in mapped:
        if col not in ours:
            continue  # a column the loader adds (a default channel)
        t = parquet.schema.field(ours[col]).type
        if not _plain(t) or (col == "sent_at" and not (pa.types.is_timestamp(t) or pa.types.is_date(t))):
            return None
        out[col] = ours[col]
    return out


def _read_parquet(files: list[Path], what: str, source) -> pa.Table:
    con = duckdb.connect()
    try:
        return arrow_table(con.read_parquet([_duckdb_path(f) for f in files], union_by_name=True))
    except duckdb.Error as exc:
        raise InputError(f"cannot read {what} {quote(str(source))}: {_first_line(exc)} — check that it is a valid "
                         "Parquet file") from None
    finally:
        con.close()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return quote(text.splitlines()[0], 160)[1:-1] if text else type(exc).__name__


def _header(path: Path, encoding: str | None, what: str) -> tuple[list[str], str, str | None]:
    """A CSV file's header fields, its delimiter and the encoding its bytes need (None: UTF-8)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 20)
    except OSError as exc:
        raise InputError(f"{what} {quote(str(path))} cannot be read ({exc.strerror or exc}); check its permissions"
                         ) from None
    bom = detect_encoding(head[:4])
    if b"\x00" in head[:65536] and bom in (None, "utf-8-sig") and encoding is None:
        kind = ("an Excel workbook: save it as CSV, or load a HubSpot UI export with load_hubspot()"
                if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0") else
                "a Parquet file: give it the .parquet extension" if head.startswith(b"PAR1") else "binary data")
        raise InputError(f"{what} {quote(str(path))} is not a text CSV file (it looks like {kind})")
    need = bom if bom not in (None, "utf-8-sig") else (None if encoding in (None, "utf-8") else encoding)
    text = head.decode(need or "utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    delim = _delimiter(first)
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delim), [])
    return [h.strip() for h in header], delim, need


DIFFERENT_COLUMNS = "files whose columns differ from the first file's (read by column name, the rest empty)"


def _read_csv(files: list[Path], what: str, source, encoding: str | None, report: list | None = None) -> pa.Table:
    headers = [_header(f, encoding, what) for f in files]
    first = {canon_name(h) for h in headers[0][0]}
    odd = [(f, sorted(first ^ {canon_name(h) for h in h_})) for f, (h_, _, _) in zip(files[1:], headers[1:])
           if {canon_name(h) for h in h_} != first]
    if odd and report is not None:
        # A folder holding several kinds of table (sent mail beside contacts) is read as one table:
        # say so, with the columns that differ, so the rows set aside have a visible cause.
        report.append({"problem": DIFFERENT_COLUMNS, "count": len(odd),
                       "examples": [f"{f.name}: {', '.join(cols[:4])}" for f, cols in odd[:3]]})
    if any(need for _, _, need in headers):
        table = _read_csv_transcoded(files, headers, what, encoding)
    else:
        table = _read_csv_duckdb(files, what, source)
    same = all(h == headers[0][0] for h, _, _ in headers)
    if same and table.num_columns == len(headers[0][0]) and table.num_columns > 1:
        # DuckDB renames columns that differ only in case ("To", "to" → "To", "to_1"); give each its own
        # name back, so that the column mapping sees the clash and refuses it.
        table = table.rename_columns(headers[0][0])
    elif table.num_columns <= 1 or not _header_matches(files, table.column_names, headers):
        # DuckDB's sniffer copes with a ragged file by reading each line as one column, or by taking
        # a later line as the header; find the real fault so the message says which line to fix.
        for f in files:
            _diagnose_csv(f, what, encoding)
    return table


def _read_csv_duckdb(files: list[Path], what: str, source) -> pa.Table:
    con = duckdb.connect()
    names = [_duckdb_path(f) for f in files]
    try:
        try:
            return arrow_table(con.read_csv(names, all_varchar=True, header=True, union_by_name=True))
        except duckdb.Error:
            # One long line (a 5 MB field) is over DuckDB's default line size: try again without that limit.
            return arrow_table(con.read_csv(names, all_varchar=True, header=True, union_by_name=True,
                                            max_line_size=1 << 30))
    except duckdb.Error as exc:
        for f in files:
            _diagnose_csv(f, what, None)
        raise InputError(f"cannot read {what} {quote(str(source))}: {_first_line(exc)} — check that it is a valid "
                         "CSV file (UTF-8, or pass encoding=; a header row)") from None
    finally:
        con.close()


def _read_csv_transcoded(files: list[Path], headers, what: str, encoding: str | None) -> pa.Table:
    """CSV files in another encoding (UTF-16 with a byte-order mark, or ``encoding=``): decoded in Python."""
    import pyarrow.csv as pacsv
    tables = []
    for f, (header, delim, _) in zip(files, headers):
        text = read_text(f, f"{what} {quote(str(f))}", encoding)
        if not text.strip():
            raise InputError(f"{what} {quote(str(f))} is empty; it needs a header row and at least one row")
        names = [f"c{i}" for i in range(len(header))]
        data = text.encode("utf-8")
        try:
            t = pacsv.read_csv(io.BytesIO(data),
                               read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                                              block_size=max(1 << 20, len(data) + 1)),
                               parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True),
                               convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                                    strings_can_be_null=True))
        except pa.ArrowInvalid:
            _diagnose_csv(f, what, encoding)
            raise InputError(f"cannot read {what} {quote(str(f))} as CSV in {encoding or 'its encoding'}") from None
        tables.append(t.rename_columns(header))
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="default")


def _header_matches(files: list[Path], columns: list[str], headers) -> bool:
    """Whether every file's first line holds the column names DuckDB read (empty names aside)."""
    return all(not any(h and h not in columns for h in header) for header, _, _ in headers)


def _diagnose_csv(path: Path, what: str, encoding: str | None = None) -> None:
    """Raise an ``InputError`` naming the first line whose field count differs from the header's."""
    text = read_text(path, f"{what} {quote(str(path))}", encoding)
    if not text.strip():
        raise InputError(f"{what} {quote(str(path))} is empty; it needs a header row and at least one row")
    delim = _delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    start = 1
    try:
        header = next(reader)
        for row in reader:
            if row and len(row) != len(header):
                raise InputError(f"{what} {quote(str(path))}: line {start + 1} has {len(row)} fields, the header "
                                 f"has {len(header)} — quote fields that contain {delim!r}, or remove the extra ones")
            start = reader.line_num
    except csv.Error as exc:
        raise InputError(f"{what} {quote(str(path))}: line {reader.line_num} is not valid CSV ({exc}); "
                         "check its quotes") from None


def _delimiter(header_line: str) -> str:
    """The field separator a CSV header line uses most."""
    return max(",;\t|", key=header_line.count)


def read_lookup_csv(path: str | Path, what: str, columns: str) -> pd.DataFrame:
    """Read a small lookup table (owners, aliases) as text; a missing or unreadable file is an ``InputError``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {quote(str(path))} does not exist; give a CSV with columns {columns}")
    text = read_text(path, f"{what} {quote(str(path))}")
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(f"{what} {quote(str(path))} is not a readable CSV: {_first_line(exc)}") from None


def canon_name(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


# Names other exports give our columns: where a column is not used, the load report names the one
# it most likely is, and a set-aside error says how to map it.
SYNONYMS = {
    "to": ("to_address", "to_addresses", "to_email", "to_emails", "recipients", "to_recipients", "to_list"),
    "cc": ("cc_address", "cc_addresses", "cc_email", "cc_emails", "cc_recipients"),
    "bcc": ("bcc_address", "bcc_addresses", "bcc_email", "bcc_emails", "bcc_recipients"),
    "recipient": ("recipient_email", "recipient_address", "email", "email_address", "address", "recipients"),
    "sender": ("from", "from_address", "from_email", "sender_email", "sender_address", "user", "user_email"),
    "sent_at": ("date", "sent", "sent_date", "date_sent", "timestamp", "sent_time", "time", "datetime"),
    "message_id": ("id", "msg_id", "messageid", "email_id", "record_id"),
    "channel": ("source", "logged_from", "channel_name"),
    "role": ("recipient_type", "type", "kind"),
    "event": ("event_type", "type", "kind", "activity"),
    "occurred_at": ("date", "timestamp", "time", "event_date", "created"),
    "email": ("address", "email_address", "contact_email", "recipient"),
    "created_at": ("created", "create_date", "createdate", "date", "created_date"),
}


def nearest_name(name: str, known) -> str | None:
    """The one of our ``known`` column names a column most likely means (None when nothing is close)."""
    known = list(known)
    c = canon_name(name)
    if c in known:
        return c
    for k in known:
        if c in SYNONYMS.get(k, ()):
            return k
    tokens = [t for t in re.split(r"[^a-z0-9]+", c) if t]
    hits = [k for k in known if k in tokens]
    if hits:
        return max(hits, key=len)
    close = difflib.get_close_matches(c, known, n=1, cutoff=0.6)
    return close[0] if close else None


UNUSED_COLUMNS = "columns not used (the nearest name we read is in brackets)"


def check_columns(columns, function: str = "load_sent") -> dict:
    """``columns=`` checked: ``{their name: our name}``, ``None`` as our name leaves a column out."""
    if columns is None:
        return {}
    if not isinstance(columns, dict):
        raise ArgumentError(f"{function}(): columns must be a dict {{'their name': 'our name'}}; "
                            f"got {type(columns).__name__} {quote(columns)}")
    out = {}
    for k, v in columns.items():
        if not isinstance(k, str) or not (v is None or isinstance(v, str)):
            raise ArgumentError(f"{function}(): columns maps {quote(k)} to {quote(v)}; both must be text "
                                "(our name may be None to leave the column out)")
        out[k] = v.strip() if isinstance(v, str) and v.strip() else None
    return out


def map_columns(table: pa.Table, required: tuple[str, ...], optional: tuple[str, ...], columns: dict | None,
                what: str, report: list | None = None) -> pa.Table:
    """Rename columns to ours (case and spacing ignored, ``columns`` maps the rest); raise on missing ones.

    Two columns that read as the same name are refused (never one of them dropped silently);
    columns we do not use are named in ``report`` (a load-report list) with the nearest name we read.
    """
    columns = check_columns(columns)
    ours = list(required) + list(optional)
    unknown_targets = sorted({v for v in columns.values() if v is not None} - set(ours))
    if unknown_targets:
        raise InputError(f"columns= maps to {unknown_targets!r}, which {what} does not use; "
                         f"our names are {ours!r}")
    absent = [k for k in columns if k not in table.column_names]
    if absent:
        close = difflib.get_close_matches(absent[0], table.column_names, n=1, cutoff=0.5)
        raise InputError(f"columns= names {absent[0]!r}, which {what} does not have"
                         + (f" (closest: {close[0]!r})" if close else "") + f"; its columns are {table.column_names!r}")
    new_names = [columns[name] if name in columns else canon_name(name) for name in table.column_names]
    by_target: dict[str, list[str]] = {}
    for name, new in zip(table.column_names, new_names):
        if new in ours:
            by_target.setdefault(new, []).append(name)
    for target, names in by_target.items():
        if len(names) > 1 and len(set(names)) < len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise AmbiguousInputError(f"{what}: the column {twice!r} appears {names.count(twice)} times; we will not "
                                      "pick one — rename or remove the copies in the file")
        if len(names) > 1:
            drop = next((n for n in names if n != target), names[-1])
            raise AmbiguousInputError(
                f"{what}: the columns {' and '.join(repr(n) for n in names)} both read as {target!r}; we will not "
                f"pick one — leave one out with columns={{{drop!r}: None}} (command line: --columns '{drop}=')")
    unused = [(name, nearest_name(name, ours)) for name, new in zip(table.column_names, new_names)
              if new is not None and new not in ours]
    missing = [c for c in required if c not in new_names]
    if missing:
        suggestions = {}
        for col in missing:
            near = [name for name, n in unused if n == col]
            close = near or difflib.get_close_matches(col, table.column_names, n=1, cutoff=0.5)
            if close:
                suggestions[col] = close[0]
        raise MissingColumnsError(what, missing, list(table.column_names), suggestions)
    if report is not None and unused:
        report.append({"problem": UNUSED_COLUMNS, "count": len(unused),
                       "examples": [f"{name!r} ({near or 'no close name'})" for name, near in unused[:3]],
                       "hints": [(name, near) for name, near in unused if near and near not in new_names]})
    keep = [i for i, new in enumerate(new_names) if new in ours]
    table = table.select(keep).rename_columns([new_names[i] for i in keep])
    return table.select([c for c in ours if c in table.column_names])


def _check_type(t: pa.DataType, name: str, what: str) -> None:
    """Column types a reader turns into text: scalars, and lists of text (a list of addresses)."""
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = t.value_type
        if pa.types.is_string(inner) or pa.types.is_large_string(inner) or pa.types.is_null(inner):
            return
        raise InputError(f"{what}: column {name!r} holds lists of {inner}; a list column must hold addresses "
                         "as text, e.g. ['jo@acme.com', 'sam@acme.com']")
    if pa.types.is_nested(t) or pa.types.is_map(t):
        raise InputError(f"{what}: column {name!r} holds {t} values; give text (one value, or addresses "
                         "separated by commas) or a list of addresses")


def _list_as_text(col) -> pa.Array:
    """A list-of-text column as one text field per row, addresses joined by ", " (nulls inside skipped)."""
    import pyarrow.compute as pc
    chunks = []
    for arr in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        values = pc.fill_null(arr.values.cast(pa.string()), "")
        rebuilt = type(arr).from_arrays(arr.offsets, values, mask=arr.is_null())
        chunks.append(pc.binary_join(rebuilt, ", "))
    return pa.chunked_array(chunks, type=pa.string())


def as_text(table: pa.Table, what: str = "input") -> pa.Table:
    """Every column as text except timestamps and booleans, so ids like 00123 and 123 stay as written.

    A list of addresses becomes one field (``"a@x.com, b@x.com"``); other nested types get an
    ``InputError`` naming the column.
    """
    import pyarrow.compute as pc
    cols = []
    for name, col in zip(table.column_names, table.columns):
        t = col.type
        _check_type(t, name, what)
        try:
            if pa.types.is_timestamp(t) or pa.types.is_boolean(t) or pa.types.is_date(t):
                cols.append(col)
            elif pa.types.is_list(t) or pa.types.is_large_list(t):
                cols.append(_list_as_text(col))
            elif pa.types.is_string(t) or pa.types.is_large_string(t):
                cols.append(col.cast(pa.string()))
            elif pa.types.is_null(t):
                cols.append(pa.nulls(len(col), pa.string()))
            elif pa.types.is_dictionary(t):
                cols.append(col.cast(pa.string()))
            elif pa.types.is_floating(t):
                # Integer ids read through pandas as floats (NaN present) must not become "12.0".
                finite = pc.is_finite(col)
                whole = pc.and_(finite, pc.equal(col, pc.floor(col)))
                small = pc.less_equal(pc.abs(col), 2.0**62)
                as_int = pc.if_else(pc.and_(whole, small), pc.cast(pc.floor(pc.if_else(pc.and_(whole, small), col, 0.0)),
                                                                    pa.int64(), safe=False), None)
                cols.append(pc.if_else(pc.is_null(as_int), pc.cast(col, pa.string()), pc.cast(as_int, pa.string())))
            else:
                cols.append(col.cast(pa.string()))
        except (pa.ArrowException, OverflowError) as exc:
            raise InputError(f"{what}: column {name!r} ({t}) cannot be read as text ({_first_line(exc)}); "
                             "give text values") from None
    return pa.table(cols, names=table.column_names)
