"""Embedded data sets, all **simulated**: a firm-year panel and paper 004's risk records.

No public data set pairs raw statement items with firm identifiers over many
years; :func:`make_demo_panel` generates one (clearly marked as simulated), and
:func:`corrupt_panel` mixes documented bad rows into it to show the quarantine.
:func:`make_paper004_records` generates records graded into 8 risk levels by the
presence or absence of risk signals, the validation data of paper 004.
"""

from finwarn.datasets._demo import CORRUPTION_KINDS, corrupt_panel, make_demo_panel
from finwarn.datasets._paper004 import make_paper004_records
from finwarn.datasets._text import add_report_text

__all__ = [
    "CORRUPTION_KINDS",
    "add_report_text",
    "corrupt_panel",
    "make_demo_panel",
    "make_paper004_records",
]
