"""Webhooks by the Standard Webhooks specification (docs/webhooks.md): endpoints,
signed delivery with retries, replay and health. The background worker calls
``dispatch(loyalty)`` every few seconds."""

from punchcard.service_layer.webhooks.delivery import deliver_due, dispatch, fan_out
from punchcard.service_layer.webhooks.endpoints import (
    add_endpoint,
    deliveries,
    endpoint,
    endpoints,
    health,
    remove_endpoint,
    replay,
    rotate_secret,
    update_endpoint,
)

__all__ = [
    "add_endpoint",
    "deliver_due",
    "deliveries",
    "dispatch",
    "endpoint",
    "endpoints",
    "fan_out",
    "health",
    "remove_endpoint",
    "replay",
    "rotate_secret",
    "update_endpoint",
]
