"""The addresses a programme's points and credit move between.

Each customer has a points account (spendable points), a pending account (points
locked until their return window closes), a credit account (store credit), a
clawback account (a refund's unpaid debt, negative while owed) and one account
per partner asset. The programme's own accounts are unbounded system accounts,
so no write ever queues on one of them.
"""

from __future__ import annotations

ISSUANCE = "program:issuance"
"""Source of every point issued; its balance is minus everything ever issued, net."""
REDEEMED = "program:redeemed"
EXPIRED = "program:expired"
CONVERSION = "program:conversion"
CREDIT_ISSUANCE = "program:credit-issuance"
WRITEOFF = "program:writeoff"
"""Expense: refunds' points the customer had already spent, under the write-off policy."""
ADJUSTMENTS = "program:adjustments"

CUSTOMER_PATTERN = "customer:**"
POINTS_PATTERN = "customer:*:points"
CLAWBACK_PATTERN = "customer:*:clawback"


def points(customer_id: str) -> str:
    return f"customer:{customer_id}:points"


def pending(customer_id: str) -> str:
    return f"customer:{customer_id}:pending"


def credit(customer_id: str) -> str:
    return f"customer:{customer_id}:credit"


def clawback(customer_id: str) -> str:
    return f"customer:{customer_id}:clawback"


def partner_holding(customer_id: str, partner: str) -> str:
    return f"customer:{customer_id}:partner:{partner}"


def exchange(partner: str) -> str:
    return f"partner:{partner}:exchange"
