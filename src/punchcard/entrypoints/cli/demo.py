"""``punchcard demo``: a small loyalty programme simulated against the real engine.

Customers earn, hold and capture or void, get earns reversed, spend, convert
points to store credit, retry with the same idempotency key and sometimes ask for
more than they have. Each customer's story is drawn from its own seeded random
stream, so a run is reproducible whatever the thread interleaving.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from punchcard.domain.errors import InsufficientFunds, ReversalExceedsOriginal
from punchcard.domain.model import AccountPolicy, Posting
from punchcard.entrypoints.cli import render
from punchcard.service_layer.ledger import Ledger

ISSUANCE = "program:issuance"
REDEEMED = "program:redeemed"
CONVERSION = "program:conversion"
CREDIT_ISSUANCE = "program:credit-issuance"
POINTS_PER_CREDIT_CENT = 1  # 100 points = $1.00


def run(
    ledger: Ledger,
    console: Console,
    *,
    customers: int,
    workers: int,
    tenant: str | None,
    seed: int,
) -> bool:
    tenant = tenant or f"demo-{uuid.uuid4().hex[:6]}"
    _set_up(ledger, tenant)
    console.print(f"tenant [bold]{tenant}[/]: {customers} customers, {workers} writers")
    totals: Counter[str] = Counter()
    started = time.perf_counter()
    columns = (
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with (
        Progress(*columns, console=console) as progress,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        task = progress.add_task("customers", total=customers)
        futures = [
            pool.submit(_Customer(ledger, tenant, n, random.Random(seed * 1_000_003 + n)).live)
            for n in range(customers)
        ]
        for future in as_completed(futures):
            totals.update(future.result())
            progress.advance(task)
    elapsed = time.perf_counter() - started
    sealed = ledger.seal()
    report = ledger.verify(tenant=tenant)
    _summary(
        ledger,
        console=console,
        tenant=tenant,
        totals=totals,
        elapsed=elapsed,
        sealed=sealed.sealed,
    )
    render.verification(console, report)
    return report.ok


def _set_up(ledger: Ledger, tenant: str) -> None:
    ledger.create_tenant(tenant, name="punchcard demo programme")
    ledger.create_asset(tenant, "PTS", precision=0)
    ledger.create_asset(tenant, "USD", precision=2)
    ledger.set_account_policy(tenant, "program:**", AccountPolicy.system())
    ledger.set_account_policy(tenant, "partner:**", AccountPolicy.system())


class _Customer:
    """One customer's story; every step uses its own idempotency key."""

    def __init__(self, ledger: Ledger, tenant: str, n: int, rng: random.Random) -> None:
        self.ledger, self.tenant, self.n, self.rng = ledger, tenant, n, rng
        self.points = f"customer:c{n:05d}:points"
        self.credit = f"customer:c{n:05d}:credit"
        self.done: Counter[str] = Counter()
        self.earns: list[int] = []

    def key(self, what: str) -> str:
        return f"{what}:{self.n}"

    def live(self) -> Counter[str]:
        self.earn()
        for step, chance in [(self.hold, 0.7), (self.refund, 0.25), (self.redeem, 0.3)]:
            if self.rng.random() < chance:
                try:
                    step()
                except (InsufficientFunds, ReversalExceedsOriginal):
                    self.done["refused: insufficient points"] += 1
        self.convert_and_overdraw()
        return self.done

    def earn(self) -> None:
        for i in range(self.rng.randint(2, 5)):
            order = f"order-{self.n}-{i}"
            earn = [Posting(ISSUANCE, self.points, "PTS", self.rng.randint(50, 500))]
            meta = {"order": order, "channel": self.rng.choice(["web", "store", "app"])}
            result = self.ledger.post(
                self.tenant, earn, idempotency_key=self.key(order), metadata=meta
            )
            self.earns.append(result.transaction.id)
            self.done["earn"] += 1
            if self.rng.random() < 0.2:  # the commerce platform retries its webhook
                again = self.ledger.post(
                    self.tenant, earn, idempotency_key=self.key(order), metadata=meta
                )
                self.done["replayed (same key, same request)"] += again.replayed

    def hold(self) -> None:
        wanted = Posting(self.points, REDEEMED, "PTS", self.rng.randint(100, 400))
        hold = self.ledger.hold(self.tenant, wanted, idempotency_key=self.key("hold")).hold
        self.done["hold"] += 1
        if self.rng.random() < 0.6:
            amount = wanted.amount if self.rng.random() < 0.5 else wanted.amount // 2
            self.ledger.capture(
                self.tenant, hold.id, amount=amount, idempotency_key=self.key("capture")
            )
            self.done["capture"] += 1
        else:
            self.ledger.void(self.tenant, hold.id, idempotency_key=self.key("void"))
            self.done["void"] += 1

    def refund(self) -> None:
        amount = None if self.rng.random() < 0.5 else self.rng.randint(1, 40)
        self.ledger.reverse(
            self.tenant, self.earns[0], amount=amount, idempotency_key=self.key("refund")
        )
        self.done["reversal"] += 1

    def redeem(self) -> None:
        spend = Posting(self.points, REDEEMED, "PTS", self.rng.randint(50, 300))
        self.ledger.post(self.tenant, [spend], idempotency_key=self.key("spend"))
        self.done["redeem"] += 1

    def convert_and_overdraw(self) -> None:
        available = self.ledger.balance(self.tenant, self.points, "PTS").available
        if self.rng.random() < 0.2 and available >= 100:
            converted = available // 100 * 100
            conversion = [
                Posting(self.points, CONVERSION, "PTS", converted),
                Posting(CREDIT_ISSUANCE, self.credit, "USD", converted * POINTS_PER_CREDIT_CENT),
            ]
            self.ledger.post(self.tenant, conversion, idempotency_key=self.key("convert"))
            self.done["convert to credit"] += 1
            available -= converted
        if self.rng.random() < 0.05:  # asks for one point more than there is
            too_much = Posting(self.points, REDEEMED, "PTS", available + 1)
            try:
                self.ledger.post(self.tenant, [too_much], idempotency_key=self.key("overdraw"))
            except InsufficientFunds:
                self.done["refused: insufficient points"] += 1


def _summary(
    ledger: Ledger,
    *,
    console: Console,
    tenant: str,
    totals: Counter[str],
    elapsed: float,
    sealed: int,
) -> None:
    rows = [(name, f"{count:,}") for name, count in sorted(totals.items())]
    rows += [
        ("ledger calls", f"{sum(totals.values()):,}"),
        ("elapsed", f"{elapsed:.1f} s"),
        ("calls per second", f"{sum(totals.values()) / elapsed:,.0f}"),
        ("transactions sealed", f"{sealed:,}"),
    ]
    render.key_values(console, "what happened", rows)

    def posted(address: str, asset: str) -> int:
        return ledger.balance(tenant, address, asset).posted

    issued = -posted(ISSUANCE, "PTS")
    redeemed = posted(REDEEMED, "PTS")
    converted = posted(CONVERSION, "PTS")
    held = ledger.balance(tenant, REDEEMED, "PTS").pending_credits
    credit = -posted(CREDIT_ISSUANCE, "USD")
    render.key_values(
        console,
        "programme accounts",
        [
            ("points issued, net of reversals", f"{issued:,}"),
            ("points redeemed", f"{redeemed:,}"),
            ("points converted to credit", f"{converted:,}"),
            ("points outstanding (liability)", f"{issued - redeemed - converted:,}"),
            ("points on hold", f"{held:,}"),
            ("store credit issued", f"${credit // 100:,}.{credit % 100:02d}"),
        ],
    )
