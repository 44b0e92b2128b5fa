"""The indicator formula language: a safe arithmetic over raw statement items.

A formula such as ``(current_assets - inventory) / current_liabilities`` is parsed
with :mod:`ast` (never ``eval``) and evaluated vectorised over a table. Only these
are allowed:

* raw item ids of ``finwarn/data/raw_items.yaml`` (``total_assets``, ``revenue``, ...),
* numeric literals, ``+ - * /``, unary minus and parentheses,
* ``prev(item)``: the same entity's value in the immediately previous period,
* ``abs(x)``, ``log(x)``, ``min(a, b)``, ``max(a, b)``.

Evaluation never produces ``inf``: a zero or negative denominator, the log of a
non-positive value, a missing input or a missing previous period each give NaN
together with a plain-language reason (``"denominator current_liabilities = 0"``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, cast

import numpy as np
import pandas as pd
import yaml

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import ConfigError, DataValidationError

__all__ = ["FUNCTIONS", "Formula", "parse_formula", "raw_item_ids"]

#: Functions a formula may call, with their number of arguments.
FUNCTIONS: dict[str, int] = {"abs": 1, "log": 1, "max": 2, "min": 2, "prev": 1}

_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}
_HOW_TO_WRITE = (
    "Write formulas with raw item names, numbers, + - * /, parentheses and the "
    "functions abs(), log(), min(), max() and prev()."
)

# A reason array holds one str (why the value is NaN) or None per row.
_Evaluated = tuple[np.ndarray, np.ndarray]


@lru_cache(maxsize=1)
def raw_item_ids() -> tuple[str, ...]:
    """Ids of the raw statement items formulas may use, in file order.

    Read from ``finwarn/data/raw_items.yaml``.

    Examples
    --------
    >>> raw_item_ids()[:3]
    ('total_assets', 'current_assets', 'cash')
    """
    # Read as a resource of the finwarn package, so that finwarn.data (and whatever
    # it imports) is not imported just to learn the item names.
    text = resources.files("finwarn").joinpath("data", "raw_items.yaml").read_text("utf-8")
    return tuple(str(item["id"]) for item in yaml.safe_load(text)["items"])


def _where(indicator_id: str | None, source: str | None) -> str:
    """Message prefix naming the file and indicator, e.g. ``"x.yaml: indicator 'roa': "``."""
    if indicator_id and source:
        return f"{source}: indicator '{indicator_id}': "
    if indicator_id:
        return f"indicator '{indicator_id}': "
    return f"{source}: " if source else ""


def _label(node: ast.expr) -> str:
    """Readable text of a sub-expression, bracketed unless it is a name or a call."""
    text = ast.unparse(node)
    simple = isinstance(node, ast.Name | ast.Call | ast.Constant)
    return text if simple else f"({text})"


@dataclass(frozen=True)
class Formula:
    """A parsed, validated indicator formula.

    Build one with :func:`parse_formula`; evaluate it with :meth:`evaluate`.

    Attributes
    ----------
    text : str
        The formula as written.
    items : frozenset of str
        Raw items used in the current period.
    prev_items : frozenset of str
        Raw items used through ``prev()``.
    """

    text: str
    items: frozenset[str]
    prev_items: frozenset[str]
    _tree: ast.expr = field(repr=False, compare=False)

    @property
    def uses_prev(self) -> bool:
        """Whether the formula needs the previous period (``prev()``)."""
        return bool(self.prev_items)

    @property
    def inputs(self) -> frozenset[str]:
        """Every raw item the formula reads, in any period."""
        return self.items | self.prev_items

    def evaluate(self, table: pd.DataFrame | FrameInputs) -> tuple[pd.Series, pd.Series]:
        """Evaluate the formula on every row of ``table``.

        Parameters
        ----------
        table : DataFrame or FrameInputs
            Raw item columns named by their ids; ``entity`` and ``period`` columns when
            the formula uses ``prev()``.

        Returns
        -------
        values : Series of float
            One value per row, NaN where it cannot be computed; never ``inf``.
        reasons : Series of object
            Why each NaN value is NaN (``None`` where the value exists).

        Raises
        ------
        DataValidationError
            If a needed column is absent or not numeric, or ``prev()`` is used on a
            table without ``entity`` and ``period`` columns or with duplicate rows.

        Examples
        --------
        >>> import pandas as pd
        >>> f = parse_formula("cash / current_liabilities")
        >>> values, reasons = f.evaluate(
        ...     pd.DataFrame({"cash": [5.0, 3.0], "current_liabilities": [10.0, 0.0]}))
        >>> values.tolist(), reasons.tolist()
        ([0.5, nan], [None, 'denominator current_liabilities = 0'])
        """
        inputs = table if isinstance(table, FrameInputs) else FrameInputs(table)
        values, reasons = self._evaluate(inputs)
        index = inputs.table.index
        return (
            pd.Series(values, index=index, name=self.text, dtype=float),
            pd.Series(reasons, index=index, name="reason", dtype=object),
        )

    def _evaluate(self, inputs: FrameInputs) -> _Evaluated:
        values, reasons = _eval(self._tree, inputs)
        values = np.asarray(values, dtype=float)
        nan = np.isnan(values)
        reasons = reasons.copy()
        reasons[~nan] = None
        unexplained = nan & pd.isna(reasons)
        if unexplained.any():  # defensive: every NaN must carry a reason
            reasons[unexplained] = f"{self.text} is undefined"
        return values, reasons


def parse_formula(
    text: str,
    *,
    known_items: Iterable[str] | None = None,
    indicator_id: str | None = None,
    source: str | None = None,
) -> Formula:
    """Parse and validate a formula without evaluating anything.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"(revenue - prev(revenue)) / prev(revenue)"``.
    known_items : iterable of str, optional
        Names the formula may use; the raw item ids by default.
    indicator_id, source : str, optional
        The indicator and the file the formula comes from, named in errors.

    Returns
    -------
    Formula

    Raises
    ------
    ConfigError
        On a syntax error, an unknown item or function, a wrong number of
        arguments, or any construct outside the formula language.

    Examples
    --------
    >>> f = parse_formula("(revenue - prev(revenue)) / prev(revenue)")
    >>> sorted(f.items), sorted(f.prev_items), f.uses_prev
    (['revenue'], ['revenue'], True)
    >>> parse_formula("revenu / total_assets", indicator_id="x")
    Traceback (most recent call last):
    ...
    finwarn.exceptions.ConfigError: indicator 'x': formula 'revenu / total_assets' uses \
unknown item 'revenu'. Did you mean 'revenue'? Use a raw item id from \
finwarn/data/raw_items.yaml.
    """
    known = tuple(known_items) if known_items is not None else raw_item_ids()
    where = _where(indicator_id, source)
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}the formula is empty. {_HOW_TO_WRITE}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigError(
            f"{where}formula {text!r} is not valid ({exc.msg} at column {exc.offset}). "
            f"{_HOW_TO_WRITE}"
        ) from exc
    checker = _Checker(text, frozenset(known), where)
    checker.check(tree.body)
    return Formula(
        text=text.strip(),
        items=frozenset(checker.items),
        prev_items=frozenset(checker.prev_items),
        _tree=tree.body,
    )


_FORBIDDEN_OPERATORS: dict[type[ast.operator], str] = {
    ast.Pow: "**",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
}


class _Checker:
    """Walk a parsed formula and reject everything outside the language."""

    def __init__(self, text: str, known: frozenset[str], where: str) -> None:
        self.text = text
        self.known = known
        self.where = where
        self.items: set[str] = set()
        self.prev_items: set[str] = set()

    def fail(self, problem: str) -> ConfigError:
        return ConfigError(f"{self.where}formula {self.text!r} {problem}")

    def not_allowed(self, what: str) -> ConfigError:
        return self.fail(f"uses {what}, which is not allowed. {_HOW_TO_WRITE}")

    def check_name(self, node: ast.Name) -> str:
        if node.id in self.known:
            return node.id
        if node.id in FUNCTIONS:
            raise self.not_allowed(f"the function name '{node.id}' without calling it")
        raise self.fail(
            f"uses unknown item '{node.id}'.{did_you_mean(node.id, self.known)} "
            "Use a raw item id from finwarn/data/raw_items.yaml."
        )

    def check(self, node: ast.expr) -> None:
        if isinstance(node, ast.Name):
            self.items.add(self.check_name(node))
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self.not_allowed(f"the constant {node.value!r}")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                symbol = _FORBIDDEN_OPERATORS.get(type(node.op), type(node.op).__name__)
                raise self.not_allowed(f"the operator '{symbol}'")
            self.check(node.left)
            self.check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise self.not_allowed(f"'{ast.unparse(node)}'")
            self.check(node.operand)
        elif isinstance(node, ast.Call):
            self.check_call(node)
        else:
            raise self.not_allowed(f"'{ast.unparse(node)}'")

    def check_call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            raise self.not_allowed(f"the call '{ast.unparse(node)}'")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(
                f"calls unknown function '{name}'.{did_you_mean(name, FUNCTIONS)} "
                f"Allowed functions: {', '.join(sorted(FUNCTIONS))}."
            )
        if node.keywords:
            raise self.fail(
                f"calls {name}() with a keyword argument ({node.keywords[0].arg}=...); "
                f"pass arguments by position, e.g. {name}(total_assets)."
            )
        if len(node.args) != FUNCTIONS[name]:
            given = len(node.args)
            raise self.fail(
                f"calls {name}() with {given} argument(s); {name}() takes exactly "
                f"{FUNCTIONS[name]} positional argument(s)."
            )
        if name == "prev":
            arg = node.args[0]
            if not isinstance(arg, ast.Name):
                raise self.fail(
                    f"calls prev({ast.unparse(arg)}); prev() takes one raw item name, "
                    "for example prev(revenue)."
                )
            self.prev_items.add(self.check_name(arg))
            return
        for arg in node.args:
            self.check(arg)


# --------------------------------------------------------------------------- inputs


class FrameInputs:
    """Numeric raw item columns of one table and each row's previous period.

    Shared by all formulas evaluated on the same table, so columns are converted
    and previous periods matched only once. Previous periods are matched by
    ``entity`` + ``period``, never by row order: with integer periods the previous
    period of ``t`` is ``t - 1``; with other period values (``"2019Q1"``) it is the
    entity's preceding period in sorted order.
    """

    def __init__(self, table: pd.DataFrame, *, source: str = "table") -> None:
        if not isinstance(table, pd.DataFrame):
            raise DataValidationError(
                f"expected a pandas DataFrame of raw statement items, got "
                f"{type(table).__name__}. Build one with pandas.DataFrame(...) or "
                "finwarn.data.load_data(path)."
            )
        if table.columns.duplicated().any():
            dupes = sorted({str(c) for c in table.columns[table.columns.duplicated()]})
            raise DataValidationError(
                f"{source} has duplicate column names: {preview(dupes)}. Rename or drop "
                "the duplicates so every column name is unique."
            )
        self.table = table
        self.source = source
        self._columns: dict[str, _Evaluated] = {}
        self._prev: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def n_rows(self) -> int:
        return len(self.table)

    def prev_unavailable(self) -> str | None:
        """Why ``prev()`` cannot be evaluated on this table, or ``None`` if it can."""
        missing = [c for c in ("entity", "period") if c not in self.table.columns]
        if missing:
            cols = " and ".join(f"'{c}'" for c in missing)
            return (
                f"the table has no {cols} column, so prev() (the same entity's previous "
                "period) cannot be evaluated"
            )
        return None

    def current(self, item: str) -> _Evaluated:
        """Values of raw item ``item`` and why each missing one is missing."""
        if item not in self._columns:
            self._columns[item] = self._convert(item)
        return self._columns[item]

    def _convert(self, item: str) -> _Evaluated:
        if item not in self.table.columns:
            raise DataValidationError(
                f"{self.source} has no column '{item}'."
                f"{did_you_mean(item, map(str, self.table.columns))} Add the raw item or "
                "map your column onto it with a column mapping."
            )
        column = self.table[item]
        if isinstance(column.dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_numeric_dtype(column.dtype)
            and not pd.api.types.is_bool_dtype(column.dtype)
        ):
            converted = pd.to_numeric(column.astype(object), errors="coerce")
            bad = converted.isna() & column.notna()
            if bad.any():
                raise DataValidationError(
                    f"{self.source}: column '{item}' has {int(bad.sum())} value(s) that are "
                    f"not numbers: {self._describe_rows(bad, column)}. Clean the column or "
                    "load the table with finwarn.data.load_data, which quarantines such rows."
                )
            column = converted
        values = column.to_numpy(dtype=float, na_value=np.nan).copy()
        reasons = np.full(len(values), None, dtype=object)
        reasons[np.isnan(values)] = f"input {item} missing"
        infinite = np.isinf(values)
        if infinite.any():
            values[infinite] = np.nan
            reasons[infinite] = f"input {item} is not finite"
        return values, reasons

    def _describe_rows(self, mask: pd.Series, column: pd.Series) -> str:
        """At most five offending values with their row label, entity and period."""
        positions = np.flatnonzero(mask.to_numpy())
        keys = [c for c in ("entity", "period") if c in self.table.columns]
        shown = []
        for pos in positions[:5]:
            ids = ", ".join(str(self.table[c].iloc[pos]) for c in keys)
            where = f"row {self.table.index[pos]}" + (f" ({ids})" if ids else "")
            shown.append(f"{column.iloc[pos]!r} at {where}")
        rest = positions.size - len(shown)
        return "; ".join(shown) + (f" and {rest} more" if rest > 0 else "")

    def previous(self, item: str) -> _Evaluated:
        """Values of ``item`` in each row's previous period, with reasons for NaN."""
        positions, no_prev_reason, prev_period = self._previous_rows()
        values, reasons = self.current(item)
        found = positions >= 0
        out = np.full(self.n_rows, np.nan)
        why = no_prev_reason.copy()
        out[found] = values[positions[found]]
        missing_before = found & np.isnan(out)
        if missing_before.any():
            idx = np.flatnonzero(missing_before)
            why[idx] = [f"{reasons[positions[i]]} in previous period {prev_period[i]}" for i in idx]
        return out, why

    def _previous_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Position of each row's previous-period row (-1 if none) and why none."""
        if self._prev is None:
            self._prev = self._match_previous()
        return self._prev

    def _match_previous(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        problem = self.prev_unavailable()
        if problem is not None:
            raise DataValidationError(f"{self.source}: {problem}. Add the missing column(s).")
        n = self.n_rows
        entity = self.table["entity"]
        period = self.table["period"]
        blank = entity.astype(object).map(lambda v: isinstance(v, str) and not v.strip())
        codes, _ = pd.factorize(entity.where(~blank.astype(bool)))
        numeric = pd.to_numeric(period.astype(object), errors="coerce")
        integer = bool(
            (numeric.notna() | period.isna()).all()
            and np.all(np.mod(numeric.dropna().to_numpy(dtype=float), 1) == 0)
        )
        if integer:
            order_key = numeric.to_numpy(dtype=float)
        else:
            ranks, _ = pd.factorize(period, sort=True)
            order_key = np.where(ranks < 0, np.nan, ranks).astype(float)
        valid = (codes >= 0) & ~np.isnan(order_key)
        self._check_unique(codes, order_key, valid)

        positions = np.full(n, -1, dtype=np.int64)
        why = np.full(n, None, dtype=object)
        why[~valid] = "entity or period missing, so the previous period is unknown"
        prev_period = np.full(n, None, dtype=object)
        rows = np.flatnonzero(valid)
        if rows.size:
            order = rows[np.lexsort((order_key[rows], codes[rows]))]
            same_entity = codes[order[1:]] == codes[order[:-1]]
            candidate = np.full(order.size, -1, dtype=np.int64)
            candidate[1:][same_entity] = order[:-1][same_entity]
            if integer:
                gap_free = candidate >= 0
                gap_free[gap_free] = (
                    order_key[order[gap_free]] - order_key[candidate[gap_free]] == 1
                )
                candidate[~gap_free] = -1
            positions[order] = candidate
            found = positions >= 0
            if integer:
                prev_period[found] = [str(int(p)) for p in order_key[positions[found]]]
            else:
                prev_period[found] = [str(p) for p in period.to_numpy(object)[positions[found]]]
            lacking = np.flatnonzero(valid & ~found)
            ent = entity.to_numpy(dtype=object)
            if integer:
                why[lacking] = [
                    f"no previous period {int(order_key[i]) - 1} for entity {ent[i]}"
                    for i in lacking
                ]
            else:
                per = period.to_numpy(dtype=object)
                why[lacking] = [f"no period before {per[i]} for entity {ent[i]}" for i in lacking]
        return positions, why, prev_period

    def _check_unique(self, codes: np.ndarray, order_key: np.ndarray, valid: np.ndarray) -> None:
        keys = pd.DataFrame({"c": codes[valid], "p": order_key[valid]})
        dup = keys.duplicated(keep=False).to_numpy()
        if dup.any():
            rows = self.table.iloc[np.flatnonzero(valid)[dup]]
            pairs = list(dict.fromkeys(zip(rows["entity"], rows["period"], strict=True)))
            raise DataValidationError(
                f"{self.source}: {int(dup.sum())} rows share their entity and period with "
                f"another row: {preview(pairs)}. prev() needs one row per entity and period; "
                "remove or quarantine the duplicates first (finwarn.data.load_data does this)."
            )


# --------------------------------------------------------------------------- evaluation


def _first_reason(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(pd.isna(a), b, a)


def _finite(values: np.ndarray, reasons: np.ndarray, node: ast.expr) -> _Evaluated:
    """Turn any overflow to ``inf`` into NaN with a reason."""
    infinite = ~np.isfinite(values) & ~np.isnan(values)
    if infinite.any():
        values = np.where(infinite, np.nan, values)
        reasons = np.where(
            infinite & pd.isna(reasons), f"{ast.unparse(node)} is not finite", reasons
        )
    # inf - inf and the like give NaN without a reason
    unexplained = np.isnan(values) & pd.isna(reasons)
    if unexplained.any():
        reasons = np.where(unexplained, f"{ast.unparse(node)} is undefined", reasons)
    return values, reasons


def _eval(node: ast.expr, inputs: FrameInputs) -> _Evaluated:
    if isinstance(node, ast.Name):
        return inputs.current(node.id)
    if isinstance(node, ast.Constant):
        number = cast(float, node.value)  # checked by _Checker: an int or a float
        return np.full(inputs.n_rows, float(number)), np.full(inputs.n_rows, None, object)
    if isinstance(node, ast.UnaryOp):
        values, reasons = _eval(node.operand, inputs)
        return (-values if isinstance(node.op, ast.USub) else values), reasons
    if isinstance(node, ast.BinOp):
        return _eval_binop(node, inputs)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _eval_call(node, node.func.id, inputs)
    raise AssertionError(f"unchecked formula node {ast.dump(node)}")  # pragma: no cover


def _eval_binop(node: ast.BinOp, inputs: FrameInputs) -> _Evaluated:
    left, left_why = _eval(node.left, inputs)
    right, right_why = _eval(node.right, inputs)
    reasons = _first_reason(left_why, right_why)
    with np.errstate(all="ignore"):
        if isinstance(node.op, ast.Add):
            values = left + right
        elif isinstance(node.op, ast.Sub):
            values = left - right
        elif isinstance(node.op, ast.Mult):
            values = left * right
        else:
            values = left / right
            zero = right == 0
            negative = right < 0
            denominator = _label(node.right)
            values = np.where(zero | negative, np.nan, values)
            open_reason = pd.isna(reasons)
            reasons = np.where(zero & open_reason, f"denominator {denominator} = 0", reasons)
            reasons = np.where(negative & open_reason, f"denominator {denominator} < 0", reasons)
    return _finite(values, reasons, node)


def _eval_call(node: ast.Call, name: str, inputs: FrameInputs) -> _Evaluated:
    if name == "prev":
        arg = node.args[0]
        assert isinstance(arg, ast.Name)
        return inputs.previous(arg.id)
    args = [_eval(arg, inputs) for arg in node.args]
    with np.errstate(all="ignore"):
        if name == "abs":
            values, reasons = np.abs(args[0][0]), args[0][1]
        elif name == "log":
            x, reasons = args[0]
            bad = x <= 0
            values = np.where(bad, np.nan, np.log(np.where(bad, 1.0, x)))
            reasons = np.where(
                bad & pd.isna(reasons), f"log argument {_label(node.args[0])} <= 0", reasons
            )
        else:
            func: Any = np.minimum if name == "min" else np.maximum
            values = func(args[0][0], args[1][0])
            reasons = _first_reason(args[0][1], args[1][1])
    return _finite(values, reasons, node)
