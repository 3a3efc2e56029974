"""The operator console: a browser UI at ``/console`` beside the API, over the same
use cases (see ``app.create_console`` and docs/console.md)."""
