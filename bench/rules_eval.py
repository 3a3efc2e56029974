"""How many single-order evaluations of the default programme one core does.

    .venv/bin/python -m bench.rules_eval [--orders 2000] [--rounds 5] [--json out.json]

Builds a fixed, seeded sample of baskets (1-5 line items over the seed's
categories, excluded ones included, dates across November and December so the
campaigns apply to some), evaluates every order once to warm the condition
memo, then times ``rounds`` passes over the sample in one process, and prints
the best and median pass. Pure CPU: no database, no I/O.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from punchcard.domain.loyalty.commands import LineItem, Purchase
from punchcard.domain.rules.defaults import default_ruleset
from punchcard.domain.rules.evaluation import CompiledRuleset, evaluate
from punchcard.domain.rules.facts import CustomerContext, EventFacts

CATEGORIES = ["groceries", "gas", "dining", "travel", "books", "toys", "gift_cards"]
TIERS = ["bronze", "silver", "gold", "platinum"]


def sample(orders: int, seed: int = 1) -> list[tuple[EventFacts, CustomerContext]]:
    rng = random.Random(seed)
    out = []
    for n in range(orders):
        items = tuple(
            LineItem(
                sku=f"sku-{rng.randint(1, 500)}",
                amount=rng.randint(100, 20_000),
                category=rng.choice(CATEGORIES),
            )
            for _ in range(rng.randint(1, 5))
        )
        at = datetime(2026, rng.choice([11, 12]), rng.randint(1, 30), 12, tzinfo=UTC)
        event = Purchase(
            tenant="bench", customer_id="cus_bench", order_id=f"o-{n}",
            amount=sum(i.amount for i in items), currency="USD", occurred_at=at, items=items,
        )  # fmt: skip
        out.append((EventFacts.of(event, at, "UTC"), CustomerContext(tier=rng.choice(TIERS))))
    return out


def measure(orders_: int = 2000, rounds: int = 5) -> dict[str, int]:
    """Best and median evaluations per second over ``rounds`` passes, on this core."""
    compiled = CompiledRuleset.of(default_ruleset(2026), 1)
    orders = sample(orders_)
    for facts, customer in orders:
        evaluate(compiled, facts, customer)
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for facts, customer in orders:
            evaluate(compiled, facts, customer)
        rates.append(len(orders) / (time.perf_counter() - started))
    return {"orders": orders_, "rounds": rounds, "best_per_s": round(max(rates)),
            "median_per_s": round(statistics.median(rates)), "target_per_s": 20_000}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = measure(args.orders, args.rounds)
    print(f"rules: {result['median_per_s']:,} evaluations/s median, {result['best_per_s']:,} best "
          f"(one core; target {result['target_per_s']:,})")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
