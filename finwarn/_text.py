"""Small helpers for error messages: "did you mean" and short value lists."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = ["did_you_mean", "preview"]

MAX_SHOWN = 5


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for a close match of ``name``, else ``""``.

    Matching ignores case, spaces, dashes and underscores.

    >>> did_you_mean("totl_assets", ["total_assets", "cash"])
    " Did you mean 'total_assets'?"
    >>> did_you_mean("zzz", ["total_assets"])
    ''
    """
    cands = [str(c) for c in candidates]

    def norm(s: str) -> str:
        return s.lower().replace("_", "").replace("-", "").replace(" ", "")

    by_norm: dict[str, str] = {}
    for c in cands:
        by_norm.setdefault(norm(c), c)
    hits = difflib.get_close_matches(norm(name), list(by_norm), n=1, cutoff=0.75)
    return f" Did you mean '{by_norm[hits[0]]}'?" if hits else ""


def preview(values: Sequence[object], limit: int = MAX_SHOWN) -> str:
    """Show at most ``limit`` values, saying how many more there are.

    >>> preview(["a", "b", "c", "d", "e", "f", "g"])
    "'a', 'b', 'c', 'd', 'e' and 2 more"
    """
    shown = ", ".join(repr(v) for v in list(values)[:limit])
    rest = len(values) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown
