"""Refund arithmetic: how much of what an order earned (or spent) a refund takes back.

Shares are computed on the cumulative refunded amount, not per refund, and
rounded down: after refunds totalling R of an order of amount A that earned E
points, floor(E * R / A) points have been reversed in all. Each refund takes the
difference from what earlier refunds took. So a series of partial refunds never
reverses more than a single refund of the same total would, the rounding never
accumulates, and a refund of the whole order reverses exactly E.
"""

from __future__ import annotations

from dataclasses import dataclass

from punchcard.domain.errors import RefundExceedsOrder


@dataclass(frozen=True, slots=True)
class OrderTotals:
    amount: int
    """The order's amount (minor units)."""
    earned: int
    """Points the order earned."""
    redeemed: int
    """Points the customer redeemed on this order."""
    refunded: int = 0
    """Amount refunded by earlier refunds."""
    reversed: int = 0
    """Points earlier refunds took back."""
    recredited: int = 0
    """Redeemed points earlier refunds gave back."""


@dataclass(frozen=True, slots=True)
class RefundShare:
    reverse: int
    recredit: int


def cumulative_share(total: int, refunded: int, amount: int) -> int:
    return total * refunded // amount


def share(order: OrderTotals, refund_amount: int) -> RefundShare:
    refunded = order.refunded + refund_amount
    if refunded > order.amount:
        raise RefundExceedsOrder(
            f"refunds would total {refunded}, more than the order amount {order.amount} "
            f"({order.refunded} already refunded)"
        )
    reverse = cumulative_share(order.earned, refunded, order.amount) - order.reversed
    recredit = cumulative_share(order.redeemed, refunded, order.amount) - order.recredited
    return RefundShare(max(reverse, 0), max(recredit, 0))
