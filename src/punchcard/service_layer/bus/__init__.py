"""The event bus: the outbox published to NATS JetStream, and purchases, refunds and
engagement consumed from it (docs/events.md)."""

from punchcard.service_layer.bus.consuming import run_consumer
from punchcard.service_layer.bus.publishing import publish_pending

__all__ = ["publish_pending", "run_consumer"]
