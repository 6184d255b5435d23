"""Reading tables from files and frames: CSV, Parquet (file, glob or folder), DataFrames, Arrow.

Every reader of the toolkit (sent mail, contacts, tracking, HubSpot exports) starts here, so the
file discovery, the CSV diagnosis that names the bad line and the column mapping are the same
everywhere. Readers produce canonical tables and know nothing of engines: DuckDB is used here only
as a fast CSV/Parquet parser, through its relation API (no SQL text).
"""

from __future__ import annotations

import difflib
import glob as globmod
import io
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import InputError, MissingColumnsError, read_utf8

def arrow_table(relation) -> pa.Table:
    """A DuckDB relation read as Arrow (``to_arrow_table`` in DuckDB 2, ``fetch_arrow_table`` before)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # DuckDB 2 notes the copy; these tables are read once
        return (getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table)()


def _files(source: str | Path, suffixes: tuple[str, ...], what: str = "input") -> list[Path]:
    text = str(source)
    if any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in globmod.glob(text, recursive=True))
    else:
        path = Path(text)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes)
        elif path.exists():
            files = [path]
        else:
            raise InputError(f"{what} {text!r} does not exist; give a CSV or Parquet file, a glob or a folder")
    if not files:
        raise InputError(f"{what} {text!r} matches no {' or '.join(suffixes)} files")
    return files


def read_table(source, *, what: str = "input") -> tuple[pa.Table, str]:
    """Read a DataFrame, Arrow table, CSV or Parquet (file, glob or folder) as text-typed Arrow; return it and a label."""
    if isinstance(source, pd.DataFrame):
        return pa.Table.from_pandas(source, preserve_index=False), "DataFrame"
    if isinstance(source, pa.Table):
        return source, "Arrow table"
    if not isinstance(source, (str, Path)):
        raise InputError(f"{what} must be a DataFrame or a path to CSV/Parquet, got {type(source).__name__}")
    files = _files(source, (".csv", ".parquet", ".pq", ".tsv"), what)
    kinds = {"parquet" if f.suffix.lower() in (".parquet", ".pq") else "csv" for f in files}
    if len(kinds) > 1:
        raise InputError(f"{str(source)!r} mixes CSV and Parquet files; point at one kind")
    con = duckdb.connect()
    names = [str(f) for f in files]
    try:
        if kinds == {"parquet"}:
            table = arrow_table(con.read_parquet(names, union_by_name=True))
        else:
            table = arrow_table(con.read_csv(names, all_varchar=True, header=True, union_by_name=True))
    except duckdb.Error as exc:
        if kinds == {"csv"}:
            for f in files:
                _diagnose_csv(f, what)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read {what} {str(source)!r}: {first} — check that it is a valid "
                         f"{'Parquet' if kinds == {'parquet'} else 'CSV (UTF-8, header row)'} file") from None
    finally:
        con.close()
    if kinds == {"csv"} and (table.num_columns <= 1 or not _header_matches(files, table.column_names)):
        # DuckDB's sniffer copes with a ragged file by reading each line as one column, or by taking
        # a later line as the header; find the real fault so the message says which line to fix.
        for f in files:
            _diagnose_csv(f, what)
    return table, str(source)


def _header_matches(files: list[Path], columns: list[str]) -> bool:
    """Whether every file's first line holds the column names DuckDB read (empty names aside)."""
    import csv
    for f in files:
        with f.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
            first = fh.readline()
        delim = _delimiter(first)
        header = [h.strip() for h in next(csv.reader([first], delimiter=delim), [])]
        if any(h and h not in columns for h in header):
            return False
    return True


def _diagnose_csv(path: Path, what: str) -> None:
    """Raise an ``InputError`` naming the first line whose field count differs from the header's."""
    import csv
    text = read_utf8(path, f"{what} {str(path)!r}")
    if not text.strip():
        raise InputError(f"{what} {str(path)!r} is empty; it needs a header row and at least one row")
    delim = _delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header = next(reader)
    start = 1
    for row in reader:
        if row and len(row) != len(header):
            raise InputError(f"{what} {str(path)!r}: line {start + 1} has {len(row)} fields, the header has "
                             f"{len(header)} — quote fields that contain {delim!r}, or remove the extra ones")
        start = reader.line_num


def _delimiter(header_line: str) -> str:
    """The field separator a CSV header line uses most."""
    return max(",;\t|", key=header_line.count)


def read_lookup_csv(path: str | Path, what: str, columns: str) -> pd.DataFrame:
    """Read a small lookup table (owners, aliases) as text; a missing or unreadable file is an ``InputError``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {str(path)!r} does not exist; give a CSV with columns {columns}")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{what} {str(path)!r} is not a readable UTF-8 CSV: {exc}") from None


def canon_name(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def map_columns(table: pa.Table, required: tuple[str, ...], optional: tuple[str, ...], columns: dict | None,
                what: str) -> pa.Table:
    """Rename columns to ours (case and spacing ignored, ``columns`` maps the rest); raise on missing ones."""
    columns = {str(k): str(v) for k, v in (columns or {}).items()}
    unknown_targets = sorted(set(columns.values()) - set(required) - set(optional))
    if unknown_targets:
        raise InputError(f"columns= maps to {unknown_targets!r}, which {what} does not use; "
                         f"our names are {list(required) + list(optional)!r}")
    new_names = []
    for name in table.column_names:
        if name in columns:
            new_names.append(columns[name])
        else:
            new_names.append(canon_name(name))
    table = table.rename_columns(new_names)
    missing = [c for c in required if c not in new_names]
    if missing:
        suggestions = {}
        for col in missing:
            close = difflib.get_close_matches(col, table.column_names, n=1, cutoff=0.5)
            if close:
                suggestions[col] = close[0]
        raise MissingColumnsError(what, missing, list(table.column_names), suggestions)
    keep = [c for c in list(required) + list(optional) if c in new_names]
    return table.select(keep)



def as_text(table: pa.Table) -> pa.Table:
    """Every column as text except timestamps and booleans, so ids like 00123 and 123 stay as written."""
    cols = []
    for col in table.columns:
        t = col.type
        if pa.types.is_timestamp(t) or pa.types.is_boolean(t) or pa.types.is_date(t):
            cols.append(col)
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            cols.append(col.cast(pa.string()))
        elif pa.types.is_null(t):
            cols.append(pa.nulls(len(col), pa.string()))
        elif pa.types.is_dictionary(t):
            cols.append(col.cast(pa.string()))
        elif pa.types.is_floating(t):
            # Integer ids read through pandas as floats (NaN present) must not become "12.0".
            import pyarrow.compute as pc
            as_int = pc.if_else(pc.equal(col, pc.floor(col)), pc.cast(pc.floor(col), pa.int64(), safe=False), None)
            cols.append(pc.if_else(pc.is_null(as_int), pc.cast(col, pa.string()), pc.cast(as_int, pa.string())))
        else:
            cols.append(col.cast(pa.string()))
    return pa.table(cols, names=table.column_names)
