"""The HTTP API: FastAPI routes over the same use cases as the CLI."""
