"""The CLI's consoles and its error contract: an expected failure is one line on
stderr and exit status 1, never a traceback; option values are parsed here."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from punchcard.config import ConfigError
from punchcard.domain.errors import InvalidRequest, PunchcardError

console = Console()
errors = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def _error(message: str) -> None:
    """One line of plain text, however narrow the terminal (or log) is."""
    line = " ".join(message.split())  # a message that spans lines still prints as one
    errors.print(line, markup=False, highlight=False, soft_wrap=True)


def one_line_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Expected failures print one line on stderr and exit 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PunchcardError as exc:
            _error(f"error: {exc.code}: {exc.message}")
        except ConfigError as exc:
            _error(f"error: config: {exc}")
        raise typer.Exit(1)

    return wrapper


def moment(value: str, option: str) -> datetime:
    """An ISO-8601 time with a UTC offset, e.g. 2025-06-30T00:00:00+00:00 (or Z)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() is None:
        raise InvalidRequest(
            f"{option} {value!r} is not an ISO-8601 time with a UTC offset "
            "(e.g. 2025-06-30T00:00:00+00:00)"
        )
    return parsed
