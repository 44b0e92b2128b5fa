"""The ``finwarn`` command line (typer + rich)."""

from finwarn.cli._app import app, main

__all__ = ["app", "main"]
