from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from finwarn.data import read_raw
from finwarn.exceptions import DataValidationError


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"entity": ["A", "B"], "period": [2020, 2021], "total_assets": [1.5, 2.0]})


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ".json", ".json.gz", ".jsonl"])
def test_every_format_reads_the_same_rows(tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    frame = _frame()
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif suffix == ".json":
        path.write_text(frame.to_json(orient="table"))
    elif suffix == ".json.gz":
        with gzip.open(path, "wt") as handle:
            json.dump({"data": frame.to_dict(orient="records")}, handle)
    else:
        path.write_text(frame.to_json(orient="records", lines=True))
    raw = read_raw(path)
    assert list(raw.columns)[-3:] == ["entity", "period", "total_assets"]
    assert raw["entity"].tolist() == ["A", "B"]
    assert [float(v) for v in raw["total_assets"]] == [1.5, 2.0]


def test_csv_cells_stay_text_and_semicolons_are_sniffed(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("entity;total_assets\nA;12\nB;n.a.\n")
    raw = read_raw(path)
    assert raw["total_assets"].tolist() == ["12", "n.a."]


def test_arff_missing_values_and_nominal_labels(tmp_path):
    path = tmp_path / "small.arff"
    path.write_text(
        "@relation test\n@attribute Attr1 numeric\n@attribute class {0,1}\n@data\n0.5,1\r\n?,0\r\n"
    )
    raw = read_raw(path)
    assert raw["class"].tolist() == ["1", "0"]
    assert raw["Attr1"].iloc[0] == 0.5 and raw["Attr1"].isna().iloc[1]


def test_missing_file_suggests_a_close_name(tmp_path):
    (tmp_path / "panel.csv").write_text("a\n1\n")
    with pytest.raises(
        DataValidationError, match=r"pannel\.csv: file not found\. Did you mean 'panel\.csv'\?"
    ):
        read_raw(tmp_path / "pannel.csv")


def test_unsupported_format_names_the_formats(tmp_path):
    path = tmp_path / "data.sav"
    path.write_text("x")
    with pytest.raises(
        DataValidationError, match=r"unsupported file type '\.sav'.*convert the file to CSV"
    ):
        read_raw(path)


def test_empty_csv_is_an_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataValidationError, match=r"empty\.csv: the file is empty"):
        read_raw(path)


def test_duplicate_column_names_are_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(
        DataValidationError, match=r"column name\(s\) \['a'\] appear more than once"
    ):
        read_raw(path)


def test_json_of_the_wrong_shape(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"rows": 3}')
    with pytest.raises(DataValidationError, match="JSON must be a list of records"):
        read_raw(path)


def test_broken_arff(tmp_path):
    path = tmp_path / "bad.arff"
    path.write_text("@relation x\n@attribute a numeric\n@data\n1,2,3\n")
    with pytest.raises(DataValidationError, match=r"bad\.arff: not a valid ARFF file"):
        read_raw(path)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "XLSX"),
        ("cut.json.gz", gzip.compress(b'[{"entity": "A", "x": 1}]')[:20], "JSON.GZ"),
    ],
)
def test_truncated_or_corrupt_binary_files_are_named(tmp_path, name, content, kind):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataValidationError, match=rf"{name}: could not be read as {kind} \("):
        read_raw(path)
