"""Data in (C1): read files, map columns, validate, quarantine bad rows.

Every row read ends up either in the canonical table or in the quarantine with
its reason; nothing is silently dropped.
"""

from finwarn.data._mapping import ColumnMapping, RawItem, load_mapping, raw_items
from finwarn.data._readers import SUPPORTED_SUFFIXES, read_raw
from finwarn.data._shared import POLISH_HORIZONS, find_shared_data, load_polish, load_taiwan
from finwarn.data._text import PHRASEBANK_AGREEMENTS, PHRASEBANK_LABELS, load_phrasebank
from finwarn.data._validate import QUARANTINE_COLUMNS, LoadResult, load_data, validate_frame

__all__ = [
    "PHRASEBANK_AGREEMENTS",
    "PHRASEBANK_LABELS",
    "POLISH_HORIZONS",
    "QUARANTINE_COLUMNS",
    "SUPPORTED_SUFFIXES",
    "ColumnMapping",
    "LoadResult",
    "RawItem",
    "find_shared_data",
    "load_data",
    "load_mapping",
    "load_phrasebank",
    "load_polish",
    "load_taiwan",
    "raw_items",
    "read_raw",
    "validate_frame",
]
