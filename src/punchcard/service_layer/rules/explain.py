"""Explaining an earn: the breakdown it stored, and the same evaluation run again
from the inputs stored with it, by the ruleset version it used.

Published versions never change and evaluation is pure, so a recomputation that
differs from what was stored means a record was altered (or a bug): ``matches``
says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from punchcard.domain.errors import InvalidRequest
from punchcard.domain.loyalty.commands import Engagement, LineItem, Purchase
from punchcard.domain.rules.evaluation import evaluate
from punchcard.domain.rules.facts import CustomerContext, EventFacts

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Explanation:
    transaction_id: int
    version: int | None
    """The ruleset version that rated the earn; None for the programme's fixed rate."""
    stored: dict[str, Any]
    recomputed: dict[str, Any] | None
    matches: bool | None


def explain(loyalty: Loyalty, tenant: str, transaction_id: int) -> Explanation:
    txn = loyalty.ledger.transaction(tenant, transaction_id)
    if txn.metadata.get("operation") != "earn":
        raise InvalidRequest(f"transaction {transaction_id} is not an earn")
    op_id = int(txn.idempotency_key.removeprefix("loyalty:"))
    stored = txn.metadata.get("breakdown")
    assert isinstance(stored, dict)
    with loyalty.work() as w:
        _, inputs, _ = w.operations.inputs(tenant, op_id)
        if inputs is None:
            return Explanation(transaction_id, None, stored, None, None)
        compiled = loyalty.compiled.get(w.rules, tenant, int(inputs["version"]))
    event = _event(tenant, inputs["event_kind"], inputs["event"])
    assert event.occurred_at is not None
    facts = EventFacts.of(event, event.occurred_at, inputs["zone"])
    context = _context(inputs["context"])
    recomputed = evaluate(compiled, facts, context).document()
    evaluated = {key: value for key, value in stored.items() if key != "awards"}
    return Explanation(
        transaction_id, compiled.version, stored, recomputed, recomputed == evaluated
    )


def _event(tenant: str, kind: str, doc: dict[str, Any]) -> Purchase | Engagement:
    at = _EPOCH + timedelta(microseconds=doc["occurred_at"])
    if kind == "engagement":
        return Engagement(tenant=tenant, customer_id=doc["customer_id"],
                          event_id=doc["event_id"], type=doc["type"], occurred_at=at)  # fmt: skip
    items = tuple(
        LineItem(
            sku=i["sku"],
            amount=i["amount"],
            category=i["category"],
            quantity=i["quantity"],
            labels=tuple(i.get("labels", ())),
        )
        for i in doc["items"]
    )
    return Purchase(
        tenant=tenant, customer_id=doc["customer_id"], order_id=doc["order_id"],
        amount=doc["amount"], currency=doc["currency"], occurred_at=at, items=items,
        channel=doc.get("channel"), store=doc.get("store"),
    )  # fmt: skip


def _context(doc: dict[str, Any]) -> CustomerContext:
    usage = {(rule, period): used for rule, period, used in doc["usage"]}
    return CustomerContext(doc["tier"], doc["attributes"], doc["counts"], usage)
