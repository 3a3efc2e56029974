"""NATS JetStream: the streams punchcard publishes its events to and reads
purchases, refunds and engagement from (docs/events.md)."""
