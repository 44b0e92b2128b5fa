"""Atomic writes."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from finwarn._io import atomic_write, write_csv, write_json


def test_files_get_the_usual_permissions(tmp_path):
    path = write_json({"a": 1}, tmp_path / "x.json")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = write_csv(pd.DataFrame({"a": [1]}), tmp_path / "x.csv")

    def broken(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, broken)
    assert path.read_text() == "a\n1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]
