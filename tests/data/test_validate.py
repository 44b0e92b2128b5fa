from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from finwarn.data import QUARANTINE_COLUMNS, ColumnMapping, load_data, validate_frame
from finwarn.exceptions import DataValidationError

GOOD = [
    ("F1", "2019", "retail", "0.0", "100", "50", "40"),
    ("F1", "2020", "retail", "1", "90", "55", "-5"),
    ("F2", "2019", "tech", "no", "200", "20", "30"),
    ("F2", "2020", "tech", "", "210", "25", "35"),
]
HEADER = "company_id,year,sector,bankrupt,total_assets,total_liabilities,net_income\n"


def _csv(tmp_path, rows, header=HEADER, name="firms.csv"):
    path = tmp_path / name
    with path.open("w", newline="") as handle:
        handle.write(header)
        csv.writer(handle).writerows(rows)
    return path


def test_good_rows_become_the_canonical_table(tmp_path):
    result = load_data(_csv(tmp_path, GOOD))
    assert list(result.data.columns) == [
        "entity",
        "period",
        "industry",
        "label",
        "total_assets",
        "total_liabilities",
        "net_income",
    ]
    assert result.data["period"].dtype == np.int64
    assert result.data["label"].tolist()[:3] == [0.0, 1.0, 0.0]
    assert np.isnan(result.data["label"].iloc[3])  # empty label = outcome unknown
    assert result.data["net_income"].iloc[1] == -5.0  # may be negative
    assert len(result.quarantine) == 0 and result.rows.tolist() == [1, 2, 3, 4]


def test_every_kind_of_bad_row_is_quarantined_with_its_reason(tmp_path):
    bad = [
        ("F3", "2019", "retail", "0", "12,5", "1", "1"),  # row 5: text in numeric
        ("F4", "2019", "retail", "0", "inf", "1", "1"),  # row 6: infinite
        ("F5", "2019", "retail", "0", "-10", "1", "1"),  # row 7: negative total assets
        ("F6", "2019", "retail", "maybe", "10", "1", "1"),  # row 8: unknown label
        ("", "2019", "retail", "0", "10", "1", "1"),  # row 9: missing entity
        ("F7", "FY19", "retail", "0", "10", "1", "1"),  # row 10: bad period
        ("F1", "2019", "retail", "0", "101", "50", "40"),  # row 11: conflicts with row 1
        ("F2", "2019", "tech", "no", "200", "20", "30"),  # row 12: repeats row 3
    ]
    result = load_data(_csv(tmp_path, GOOD + bad))
    q = result.quarantine.set_index("row")
    assert list(result.quarantine.columns) == QUARANTINE_COLUMNS
    assert sorted(q.index) == [1, 5, 6, 7, 8, 9, 10, 11, 12]
    assert q.loc[5, "problem"] == "text_in_numeric" and q.loc[5, "value"] == "12,5"
    assert q.loc[5, "reason"] == "text '12,5' in numeric column 'total_assets'"
    assert q.loc[6, "problem"] == "infinite"
    assert q.loc[7, "reason"] == "total_assets = -10 is negative, which is impossible"
    assert (
        q.loc[8, "reason"] == "label 'maybe' in column 'bankrupt' is neither distressed nor healthy"
    )
    assert "label_values" in q.loc[8, "fix"]
    assert q.loc[9, "problem"] == "missing_entity"
    assert q.loc[10, "reason"] == "period 'FY19' in column 'year' is not a whole number"
    assert q.loc[1, "problem"] == q.loc[11, "problem"] == "conflicting_duplicate"
    assert (
        q.loc[11, "reason"] == "entity 'F1' period 2019 appears in rows 1, 11 with different values"
    )
    assert q.loc[12, "reason"] == "entity 'F2' period 2019 repeats row 3 with identical values"
    assert (q["file"] == "firms.csv").all() and q["fix"].str.len().gt(10).all()
    # nothing silently dropped: every row is either accepted or quarantined
    assert result.rows.tolist() == [2, 3, 4]
    assert result.n_read == 12
    assert "12 rows read, 3 accepted, 9 quarantined" in result.summary()


def test_several_problems_of_one_row_share_its_quarantine_line(tmp_path):
    result = load_data(_csv(tmp_path, [("F9", "2019", "x", "what", "abc", "inf", "1")]))
    line = result.quarantine.iloc[0]
    assert line["problem"] == "unknown_label | text_in_numeric | infinite"
    assert line["column"] == "bankrupt | total_assets | total_liabilities"


def test_missing_value_tokens_are_missing_not_bad_text(tmp_path):
    rows = [("F1", "2019", "x", "0", "NA", "", "?"), ("F1", "2020", "x", "1", "n/a", "1", "1")]
    result = load_data(_csv(tmp_path, rows))
    assert len(result.quarantine) == 0
    assert result.data["total_assets"].isna().all()


def test_mapping_renames_columns_and_labels(tmp_path):
    path = _csv(
        tmp_path,
        [("A", "2019", "x", "ST", "1", "1", "1"), ("B", "2019", "x", "normal", "1", "1", "1")],
        header="code,fy,grp,flag,TotAssets,TL,NI\n",
    )
    mapping = ColumnMapping(
        entity="code",
        period="fy",
        industry="grp",
        label="flag",
        columns={"total_assets": "TotAssets", "total_liabilities": "TL", "net_income": "NI"},
    )
    result = load_data(path, mapping)
    assert result.features == ["total_assets", "total_liabilities", "net_income"]
    assert result.data["label"].tolist() == [1.0, 0.0]


def test_mapped_column_that_is_not_there_suggests_a_name(tmp_path):
    path = _csv(tmp_path, GOOD)
    with pytest.raises(
        DataValidationError,
        match=r"the entity column is 'company_idd', but the file has no such column\. "
        r"Did you mean 'company_id'\?",
    ):
        load_data(path, ColumnMapping(entity="company_idd"))
    with pytest.raises(DataValidationError, match=r"maps 'revenue' to column 'sale'.*"):
        load_data(path, ColumnMapping(columns={"revenue": "sale"}))


def test_period_without_entity_is_an_error(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("year,total_assets\n2019,1\n")
    with pytest.raises(DataValidationError, match=r"period column \('year'\) but no company id"):
        load_data(path)


def test_without_an_id_column_rows_are_named_by_position():
    result = validate_frame(pd.DataFrame({"x1": [1.0, 2.0], "class": ["0", "1"]}))
    assert result.data["entity"].tolist() == ["row-1", "row-2"]
    assert any("row-1, row-2" in note for note in result.notes)


def test_text_column_is_set_aside_not_quarantined():
    raw = pd.DataFrame({"entity": ["A", "B"], "name": ["Acme", "Bolt"], "x": [1.0, 2.0]})
    result = validate_frame(raw)
    assert result.features == ["x"] and len(result.quarantine) == 0
    assert any("column 'name' holds text" in note for note in result.notes)


def test_known_names_are_recognised_in_other_spellings():
    raw = pd.DataFrame({"Total Assets": [1.0], "Attr_7": [0.1]})
    result = validate_frame(raw, known_columns=["Attr7"])
    assert result.features == ["total_assets", "Attr7"]


def test_no_numeric_feature_is_an_error():
    with pytest.raises(DataValidationError, match="no numeric feature columns found"):
        validate_frame(pd.DataFrame({"entity": ["A"], "name": ["Acme"]}))


def test_counts_table():
    raw = pd.DataFrame({"entity": ["A", "B", "C"], "total_assets": ["1", "-1", "x"]})
    table = validate_frame(raw).table()
    assert table.to_dict(orient="records") == [
        {"outcome": "accepted", "problem": "", "rows": 1},
        {"outcome": "quarantined", "problem": "impossible_value", "rows": 1},
        {"outcome": "quarantined", "problem": "text_in_numeric", "rows": 1},
    ]


def test_a_line_with_too_many_fields_is_quarantined_not_fatal(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("entity,total_assets\nA,1\nB,12,5\nC,3\n")
    result = load_data(path)
    assert result.data["entity"].tolist() == ["A", "C"]
    line = result.quarantine.iloc[0]
    assert (line["row"], line["problem"]) == (2, "malformed_row")
    assert line["reason"] == "line has 3 fields where the header has 2: B,12,5"


def test_a_frame_with_a_gapped_index_is_numbered_by_position():
    # e.g. a frame after dropna: index labels 0, 2, 5 but rows 1, 2, 3
    raw = pd.DataFrame(
        {
            "entity": ["A", "B", "A"],
            "period": [2019, 2019, 2019],
            "total_assets": [100.0, 200.0, 100.0],
        },
        index=[0, 2, 5],
    )
    result = validate_frame(raw)
    q = result.quarantine.set_index("row")
    assert result.rows.tolist() == [1, 2]
    assert q.loc[3, "reason"] == "entity 'A' period 2019 repeats row 1 with identical values"
