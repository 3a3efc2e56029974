"""What the finance and risk commands share: a tenant's programme opened, and the
files they read (an orders file) and write (``--csv``), with one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from punchcard.config import Settings
from punchcard.domain import validation
from punchcard.domain.errors import InvalidRequest
from punchcard.service_layer.loyalty.facade import Loyalty

MAX_FILE = 256 * 1024 * 1024


@contextmanager
def opened(tenant: str) -> Iterator[Loyalty]:
    validation.tenant_id(tenant)
    with Loyalty.open(Settings.from_env()) as loyalty:
        yield loyalty


def write(path: Path | None, text: str) -> None:
    if path is None:
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidRequest(f"cannot write {path}: {exc.strerror or exc}") from None


def read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE:
            raise InvalidRequest(f"{path} is larger than {MAX_FILE:,} bytes")
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise InvalidRequest(f"cannot read {path}: {exc.strerror or exc}") from None
