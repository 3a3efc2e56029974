"""``punchcard consume``: apply purchases, refunds and engagement from NATS JetStream
until SIGTERM or Ctrl-C (docs/events.md)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from punchcard.config import ConfigError, Settings
from punchcard.entrypoints.cli.console import one_line_errors
from punchcard.entrypoints.http.observability import configure_logging
from punchcard.service_layer.bus import run_consumer
from punchcard.service_layer.loyalty.facade import Loyalty


@one_line_errors
def consume() -> None:
    """Consume the ingest subject of PUNCHCARD_NATS_URL with a durable consumer."""
    settings = Settings.from_env()
    if settings.nats_url is None:
        raise ConfigError("PUNCHCARD_NATS_URL is not set")
    configure_logging()
    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()  # the message in hand is settled first, then the loop ends

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    with Loyalty.open(settings) as loyalty:
        typer.echo("consuming; SIGTERM or Ctrl-C stops", err=True)
        run_consumer(loyalty, stop)


def register(app: typer.Typer) -> None:
    """Add the consume command to the CLI."""
    app.command("consume")(consume)
