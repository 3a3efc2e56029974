"""``punchcard import FILE``: bulk ingestion of events (being written)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the import command to the CLI."""
