"""``python -m punchcard`` runs the CLI."""

from punchcard.entrypoints.cli.main import app

app(prog_name="punchcard")
