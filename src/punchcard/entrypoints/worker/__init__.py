"""The background worker: scheduled jobs and event delivery, on procrastinate."""
