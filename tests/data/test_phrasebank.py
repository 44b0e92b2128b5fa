"""The Financial PhraseBank loader: the real files (need ../shared/data) and small fakes."""

from __future__ import annotations

import itertools
import logging
import os

import pytest

from finwarn.data import PHRASEBANK_AGREEMENTS, load_phrasebank
from finwarn.exceptions import DataValidationError

# lines per file as published (../shared/data/text/README.md) and the exact duplicate
# lines found in each; every duplicate is a neutral sentence
README = {
    "50Agree": (4846, {"neutral": 2879, "positive": 1363, "negative": 604}, 6),
    "66Agree": (4217, {"neutral": 2535, "positive": 1168, "negative": 514}, 6),
    "75Agree": (3453, {"neutral": 2146, "positive": 887, "negative": 420}, 5),
    "AllAgree": (2264, {"neutral": 1391, "positive": 570, "negative": 303}, 5),
}


@pytest.fixture(scope="module")
def phrasebank(shared_data):
    folder = shared_data / "text" / "financial_phrasebank"
    if not folder.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the Financial PhraseBank is missing: {folder}.")
        pytest.skip(f"the Financial PhraseBank is not in {folder}.")
    return {agreement: load_phrasebank(agreement) for agreement in PHRASEBANK_AGREEMENTS}


@pytest.mark.shared_data
@pytest.mark.parametrize("agreement", PHRASEBANK_AGREEMENTS)
def test_counts_match_the_readme_minus_duplicates(phrasebank, agreement):
    lines, per_label, duplicates = README[agreement]
    frame = phrasebank[agreement]
    assert list(frame.columns) == ["sentence", "label"]
    assert len(frame) == lines - duplicates
    assert frame.attrs["duplicates_dropped"] == duplicates
    assert frame.value_counts("label").to_dict() == {
        **per_label,
        "neutral": per_label["neutral"] - duplicates,
    }
    assert not frame.duplicated().any()
    assert frame.attrs["source"].endswith(f"financial_phrasebank/Sentences_{agreement}.txt")
    assert frame.index.tolist() == list(range(len(frame)))


@pytest.mark.shared_data
def test_fifty_agree_is_latin1_and_decodes_accents(phrasebank):
    frame = phrasebank["50Agree"]
    assert frame.attrs["encoding"] == "latin-1"
    # the authors' text already carries mojibake for Finnish letters (Seppälä -> Sepp+ñl+ñ)
    assert frame["sentence"].str.contains("Sepp+ñl+ñ", regex=False).any()
    assert frame["sentence"].str.contains("\u00e4", regex=False).any()  # a real ä too


@pytest.mark.shared_data
def test_agreement_levels_nest_so_all_agree_is_read_as_utf8(phrasebank):
    # read as latin-1, 47 lines of the UTF-8 AllAgree file would not match 50Agree
    assert phrasebank["AllAgree"].attrs["encoding"] == "utf-8"
    levels = [set(map(tuple, phrasebank[a].to_numpy())) for a in PHRASEBANK_AGREEMENTS]
    for looser, stricter in itertools.pairwise(levels):
        assert stricter <= looser


@pytest.mark.shared_data
def test_label_conflicts_in_fifty_agree_are_kept_and_counted(phrasebank, caplog):
    frame = phrasebank["50Agree"]
    assert frame.attrs["label_conflicts"] == 2
    conflicted = frame[frame.duplicated("sentence", keep=False)]
    assert len(conflicted) == 4 and set(conflicted["label"]) == {"neutral", "positive"}
    assert phrasebank["AllAgree"].attrs["label_conflicts"] == 0
    with caplog.at_level(logging.INFO, logger="finwarn.data._text"):
        load_phrasebank("50Agree")
    assert "dropped 6 exact duplicate lines" in caplog.text
    assert "2 sentence(s) appear with more than one label" in caplog.text


def _write(folder, agreement, text, encoding="latin-1"):
    path = folder / f"Sentences_{agreement}.txt"
    path.write_bytes(text.encode(encoding))
    return path


def test_splits_on_the_last_at_sign(tmp_path):
    _write(
        tmp_path, "AllAgree", "Mail ir@firm.fi for the report .@neutral\nSales rose .@positive\n"
    )
    frame = load_phrasebank(root=tmp_path)
    assert frame["sentence"].tolist() == ["Mail ir@firm.fi for the report .", "Sales rose ."]
    assert frame["label"].tolist() == ["neutral", "positive"]


def test_latin1_file_is_decoded(tmp_path):
    path = _write(tmp_path, "50Agree", "Sales of Lännen rose .@positive\n", encoding="latin-1")
    assert b"\xe4" in path.read_bytes()
    frame = load_phrasebank("50Agree", root=tmp_path)
    assert frame["sentence"].iloc[0] == "Sales of Lännen rose ."
    assert frame.attrs["encoding"] == "latin-1"


def test_utf8_file_is_decoded_as_utf8(tmp_path):
    _write(tmp_path, "AllAgree", "Sales of Lännen rose .@positive\n", encoding="utf-8")
    frame = load_phrasebank(root=tmp_path)
    assert frame["sentence"].iloc[0] == "Sales of Lännen rose ."
    assert frame.attrs["encoding"] == "utf-8"


def test_exact_duplicates_dropped_and_counted(tmp_path, caplog):
    _write(
        tmp_path,
        "AllAgree",
        "A .@neutral\nB .@negative\nA .@neutral\nA .@positive\nA .@neutral\n",
    )
    with caplog.at_level(logging.INFO, logger="finwarn.data._text"):
        frame = load_phrasebank(root=tmp_path)
    assert frame.to_numpy().tolist() == [
        ["A .", "neutral"],
        ["B .", "negative"],
        ["A .", "positive"],
    ]
    assert frame.attrs["duplicates_dropped"] == 2
    assert frame.attrs["label_conflicts"] == 1
    assert "dropped 2 exact duplicate lines" in caplog.text


def test_line_without_at_names_file_and_line(tmp_path):
    path = _write(tmp_path, "AllAgree", "Fine .@neutral\nNo separator here\n")
    with pytest.raises(DataValidationError, match=r"Sentences_AllAgree\.txt: 1 malformed") as err:
        load_phrasebank(root=tmp_path)
    assert str(path) in str(err.value)
    assert "line 2: no '@' before the label in 'No separator here'" in str(err.value)


def test_unknown_label_names_line_and_suggests(tmp_path):
    _write(tmp_path, "AllAgree", "Fine .@neutral\n\nGood .@postive\nBad .@bad\n@negative\n")
    with pytest.raises(
        DataValidationError,
        match=r"Sentences_AllAgree\.txt: 3 malformed line\(s\): line 3: unknown label 'postive' "
        r"\(Did you mean 'positive'\?\); line 4: unknown label 'bad'; line 5: empty sentence",
    ):
        load_phrasebank(root=tmp_path)


def test_many_bad_lines_show_five(tmp_path):
    _write(tmp_path, "AllAgree", "".join(f"no label {i}\n" for i in range(8)))
    with pytest.raises(
        DataValidationError, match=r"8 malformed line\(s\): .*line 5: .*; and 3 more"
    ):
        load_phrasebank(root=tmp_path)


def test_unknown_agreement_suggests_one():
    with pytest.raises(
        DataValidationError,
        match=r"unknown PhraseBank agreement level 'allagree'.*Did you mean 'AllAgree'\?",
    ):
        load_phrasebank("allagree")


def test_missing_file_under_root(tmp_path):
    with pytest.raises(DataValidationError, match=r"Sentences_75Agree\.txt: PhraseBank file not"):
        load_phrasebank("75Agree", root=tmp_path)


def test_default_location_is_the_shared_data_folder(tmp_path, monkeypatch):
    folder = tmp_path / "text" / "financial_phrasebank"
    folder.mkdir(parents=True)
    _write(folder, "66Agree", "Sales rose .@positive\n")
    monkeypatch.setenv("FINWARN_DATA_DIR", str(tmp_path))
    frame = load_phrasebank("66Agree")
    assert frame.attrs["source"] == str(folder / "Sentences_66Agree.txt")
    with pytest.raises(
        DataValidationError, match=r"Sentences_AllAgree\.txt: not found in the shared"
    ):
        load_phrasebank()
