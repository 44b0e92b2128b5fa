"""Embedded data sets: a **simulated** firm-year panel for examples, tests and the demo.

No public data set pairs raw statement items with firm identifiers over many
years; :func:`make_demo_panel` generates one (clearly marked as simulated), and
:func:`corrupt_panel` mixes documented bad rows into it to show the quarantine.
"""

from finwarn.datasets._demo import CORRUPTION_KINDS, corrupt_panel, make_demo_panel

__all__ = ["CORRUPTION_KINDS", "corrupt_panel", "make_demo_panel"]
