"""Request bodies of the points and adjustments areas: spending, moving and correcting
points. Strict, closed models like ``schemas``; plus the Idempotency-Key these
money-moving writes cannot do without, since it becomes the use case's own key."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Header, Path
from pydantic import AfterValidator, Field

from punchcard.domain.errors import InvalidRequest
from punchcard.entrypoints.http.schemas import Body, Id, Label, Points, Text

MAX_ID = 2**63 - 1
Serial = Annotated[int, Path(gt=0, le=MAX_ID)]
"""A hold or adjustment id in the path."""


def _non_zero(value: int) -> int:
    if value == 0:
        raise ValueError("an adjustment is a non-zero number of points")
    return value


SignedPoints = Annotated[int, Field(ge=-MAX_ID, le=MAX_ID), AfterValidator(_non_zero)]


def _caller_key(
    idempotency_key: Annotated[
        str | None,
        Header(description="Required: the retry-safe identity of this money-moving write."),
    ] = None,
) -> str:
    # Optional to FastAPI so that a missing header is our one clear 400, not a
    # generic validation list; the use case keys its own operation log by it.
    if idempotency_key is None:
        raise InvalidRequest("Idempotency-Key header is required")
    return idempotency_key


CallerKey = Annotated[str, Depends(_caller_key)]
"""The Idempotency-Key header, required: it is passed on as the use case's key."""


class Redemption(Body):
    option: Label
    points: Points
    order_id: Id | None = None


class NewAuthorization(Redemption):
    timeout_seconds: Annotated[int, Field(ge=1, le=2_592_000)] | None = None
    """How long the points stay held before the hold expires; default 15 minutes."""


class Capture(Body):
    points: Points | None = None
    """How many of the held points to spend; the rest go back. Default: all."""


class Void(Body):
    pass


class Conversion(Body):
    points: Points


class NewTransfer(Body):
    from_customer: Id
    to_customer: Id
    points: Points


class NewExchange(Body):
    partner: Label
    amount: Points
    direction: Literal["out", "back"]


class NewAdjustment(Body):
    customer_id: Id
    points: SignedPoints
    reason: Text


class Decision(Body):
    note: Text | None = None
