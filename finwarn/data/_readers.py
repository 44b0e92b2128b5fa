"""Read a data file of any supported format into a raw DataFrame.

Readers keep values as close to the file as possible (text stays text) so that
validation can say exactly which cell was wrong; conversion happens in
:mod:`finwarn.data._validate`.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd

from finwarn._text import did_you_mean
from finwarn.exceptions import DataValidationError

__all__ = ["MALFORMED", "SUPPORTED_SUFFIXES", "read_raw"]

logger = logging.getLogger(__name__)

# Column added by the text reader for lines that do not split into as many fields as the
# header; validation quarantines those rows.
MALFORMED = "__malformed__"

SUPPORTED_SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".parquet",
    ".pq",
    ".xlsx",
    ".xlsm",
    ".xls",
    ".arff",
    ".json",
    ".json.gz",
    ".jsonl",
)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def read_raw(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read ``path`` into a DataFrame of raw values, one row per data row.

    Parameters
    ----------
    path : str or Path
        A CSV/TSV, Parquet, Excel, ARFF, JSON (records, or an object with a
        ``data`` list as written by ``pandas.to_json(orient="table")``), JSON
        Lines, or any of these JSON forms gzip-compressed (``.json.gz``).
    sheet : str or int, optional
        Excel only: the sheet to read (default: the first).

    Returns
    -------
    pandas.DataFrame
        Text files give text cells (``str``); binary formats keep their types.
        Row ``i`` of the frame is data row ``i + 1`` of the file (blank lines do not
        count). A text line with the wrong number of fields becomes an empty row with
        its reason in the column ``MALFORMED``.

    Raises
    ------
    DataValidationError
        If the file is missing, empty, of an unknown format or unreadable.
    """
    path = Path(path)
    if not path.exists():
        hint = ""
        if path.parent.exists():
            hint = did_you_mean(path.name, [p.name for p in path.parent.iterdir()])
        raise DataValidationError(f"{path}: file not found.{hint}")
    if path.is_dir():
        raise DataValidationError(f"{path}: is a folder; give the path of a data file.")
    suffix = _suffix(path)
    readers = {
        ".csv": _read_delimited,
        ".tsv": _read_delimited,
        ".txt": _read_delimited,
        ".parquet": _read_parquet,
        ".pq": _read_parquet,
        ".arff": _read_arff,
        ".json": _read_json,
        ".json.gz": _read_json,
        ".jsonl": _read_json,
    }
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            frame = _read_excel(path, sheet)
        elif suffix in readers:
            frame = readers[suffix](path)
        else:
            raise DataValidationError(
                f"{path}: unsupported file type '{suffix}'. finwarn reads "
                f"{', '.join(SUPPORTED_SUFFIXES)}; convert the file to CSV or Parquet."
            )
    except DataValidationError:
        raise
    except (
        OSError,
        ValueError,
        UnicodeError,
        json.JSONDecodeError,
        KeyError,
        csv.Error,
        zipfile.BadZipFile,
        EOFError,  # a truncated gzip file
    ) as exc:
        raise DataValidationError(
            f"{path}: could not be read as {suffix.lstrip('.').upper()} ({exc}). "
            "Check that the file is complete and of the type its name says."
        ) from exc
    if frame.shape[1] == 0:
        raise DataValidationError(f"{path}: no columns found; is the file empty?")
    frame.columns = [str(c).strip() for c in frame.columns]
    _refuse_duplicate_columns(path, list(frame.columns))
    logger.info("read %s: %d rows, %d columns", path, len(frame), frame.shape[1])
    return frame.reset_index(drop=True)


def _refuse_duplicate_columns(path: Path, columns: list[str]) -> None:
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise DataValidationError(
            f"{path}: column name(s) {dupes} appear more than once; rename them so "
            "each column has its own name."
        )


def _open_text(path: Path) -> tuple[str, str]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise DataValidationError(
        f"{path}: cannot decode the text; save it as UTF-8."
    )  # pragma: no cover


def _read_delimited(path: Path) -> pd.DataFrame:
    text, encoding = _open_text(path)
    if not text.strip():
        raise DataValidationError(
            f"{path}: the file is empty; it needs a header row and data rows."
        )
    if encoding != "utf-8-sig":
        logger.warning("%s is not UTF-8; read it as %s", path, encoding)
    sample = text[:65536]
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        pass
    rows = [r for r in csv.reader(StringIO(text), delimiter=delimiter) if r]
    header = [h.strip() for h in rows[0]]
    _refuse_duplicate_columns(path, header)
    width = len(header)
    good = [r if len(r) == width else [None] * width for r in rows[1:]]
    frame = pd.DataFrame(good, columns=header, dtype=object)
    malformed = [
        None
        if len(r) == width
        else f"{len(r)} fields where the header has {width}: " + delimiter.join(r)
        for r in rows[1:]
    ]
    if any(m is not None for m in malformed):
        frame[MALFORMED] = malformed
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    target: str | int = 0 if sheet is None else sheet
    try:
        return pd.read_excel(path, sheet_name=target, dtype=object)
    except ValueError as exc:
        if "Worksheet" in str(exc) or "not found" in str(exc):
            sheets = pd.ExcelFile(path).sheet_names
            raise DataValidationError(
                f"{path}: no sheet {target!r}; the workbook has {sheets}."
                f"{did_you_mean(str(target), [str(s) for s in sheets])}"
            ) from exc
        raise


def _read_arff(path: Path) -> pd.DataFrame:
    import arff  # liac-arff

    text, _ = _open_text(path)
    try:
        decoded = arff.loads(text.replace("\r\n", "\n"))
    except arff.ArffException as exc:
        raise DataValidationError(f"{path}: not a valid ARFF file ({exc}).") from exc
    names = [name for name, _ in decoded["attributes"]]
    return pd.DataFrame(decoded["data"], columns=names)


def _read_json(path: Path) -> pd.DataFrame:
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        if path.name.lower().endswith(".jsonl"):
            records = [json.loads(line) for line in handle if line.strip()]
            return pd.DataFrame.from_records(records)
        payload = json.load(handle)
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        payload = payload["data"]
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        raise DataValidationError(
            f"{path}: JSON must be a list of records, or an object whose 'data' key "
            "holds a list of records (one object per firm-period)."
        )
    return pd.DataFrame.from_records(payload)
