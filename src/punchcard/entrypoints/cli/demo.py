"""``punchcard demo``: the default loyalty programme simulated through the Loyalty API.

The seed ruleset is published first, under maker-checker, and rates every earn
(see ``demo_rules``). Customers enrol, buy baskets of line items (some orders
still inside their 14-day return window, some webhooks delivered twice), engage,
then redeem, authorize and capture or void, convert to store credit, exchange
with a partner, get refunds (also of points already spent), receive operators'
adjustments, ask for more than they have and finally give points to each other.
Between the acts the scheduled sweeps run: pending points are activated,
abandoned authorizations expire, due lots expire. At the end come the points
each rule gave, the tiers reached, a campaign simulated on the demo's orders and
one earn explained. Each customer's story is drawn from its own seeded random
stream (see ``demo_customer``), so a run's counts are reproducible whatever the
interleaving.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from punchcard.domain.errors import UnknownAccount, UnknownProgramme
from punchcard.domain.loyalty import accounts
from punchcard.domain.loyalty.programme import Programme, default_programme
from punchcard.domain.loyalty.results import ExpiringPoints, PointsBalance, SweepReport
from punchcard.entrypoints.cli import demo_rules, render
from punchcard.entrypoints.cli.demo_customer import PARTNER, Customer
from punchcard.service_layer.loyalty.facade import Loyalty

WARNING_WINDOW = timedelta(days=400)

CALLS = [
    "enroll", "purchase", "purchase webhook replayed", "engagement app_login",
    "engagement social_share", "engagement review_written", "engagement referral_completed",
    "redeem cashback", "redeem gift_card", "redeem product", "redeem donation",
    "redeem replayed", "authorize", "capture in full", "capture in part", "void",
    "convert to store credit", "refund in part", "refund in full", "exchange out to skyways",
    "exchange back from skyways", "transfer to another customer", "adjustment requested",
    "adjustment approved", "adjustment rejected", "balance read", "refused: insufficient points",
    "refused: below the option's minimum", "refused: refund exceeds order",
    "refused: approving one's own request",
]  # fmt: skip
"""The Loyalty calls the customers make, in the order the summary lists them."""
FACTS = [
    "purchases still in their return window", "redemptions paying part of an order",
    "pending points cancelled", "points taken back", "points already spent, now owed",
    "redeemed points given back",
]  # fmt: skip
"""What the customers' calls did, beyond being made."""


@dataclass
class Sweeps:
    activated: SweepReport | None = None
    authorizations: int = 0
    expired: SweepReport | None = None
    expiring: list[ExpiringPoints] = field(default_factory=list)


def run(
    loyalty: Loyalty,
    console: Console,
    *,
    customers: int,
    workers: int,
    tenant: str | None,
    seed: int,
) -> bool:
    run_id = uuid.uuid4().hex[:6]
    tenant = tenant or f"demo-{run_id}"
    try:
        loyalty.programme(tenant)
        again = True  # the customers exist already, with balances of their own
    except UnknownProgramme:
        again = False
    programme = loyalty.create_programme(tenant, default_programme())
    console.print(
        f"tenant [bold]{tenant}[/]: {customers} customers, {workers} writers, seed {seed}"
    )
    ruleset = demo_rules.publish(loyalty, console, tenant)
    people = [
        Customer(loyalty, tenant, programme, run=run_id, n=n, seed=seed, again=again)
        for n in range(customers)
    ]
    sweeps = Sweeps()
    started = time.perf_counter()
    columns = (TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with (
        Progress(*columns, console=console) as progress,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):

        def act(name: str, story: Callable[[Customer], None]) -> None:
            task = progress.add_task(name, total=len(people))
            for future in as_completed([pool.submit(story, person) for person in people]):
                future.result()
                progress.advance(task)

        act("earning", Customer.earn)
        # Only earns move tiers up, and the demo runs no review: these are the final
        # tiers. Read now, while waiting for the return windows, and before act two's
        # refunds: on a tenant too new for its statistics, the tier measure's refund
        # lookup scans the tenant's orders once per refund of the tenant.
        held = list(pool.map(lambda person: loyalty.tier(tenant, person.id).tier, people))
        _wait_until(loyalty, [p.closing for p in people])
        sweeps.activated = loyalty.activate_pending()
        act("spending", Customer.spend)
        receivers = [person.id for person in people if person.n % 2]
        act("gifting", lambda person: person.gift(receivers))
        _wait_until(loyalty, [p.abandoned_until for p in people])
        sweeps.authorizations = loyalty.expire_authorizations()
        sweeps.expired = loyalty.expire(tenant, as_of=loyalty.now())
        sweeps.expiring = loyalty.expiring(tenant, within=WARNING_WINDOW, limit=customers)
        elapsed = time.perf_counter() - started
        balances = list(pool.map(lambda person: loyalty.balance(tenant, person.id), people))
    calls, facts = Counter[str](), Counter[str]()
    for person in people:
        calls.update(person.calls)
        facts.update(person.facts)
    sealed = loyalty.ledger.seal().sealed
    report = loyalty.ledger.verify(tenant=tenant)
    _what_happened(console, calls, elapsed=elapsed, sealed=sealed)
    _sweeps(console, sweeps, facts)
    _refunds(console, programme, facts)
    _accounts(loyalty, console, tenant, programme, balances)
    demo_rules.points_by_rule(console, ruleset.ruleset, people)
    demo_rules.tiers(console, ruleset.ruleset, held, facts)
    demo_rules.simulate(loyalty, console, tenant, ruleset, people)
    explained = demo_rules.explain(loyalty, console, tenant, people)
    render.verification(console, report)
    return report.ok and explained


def _wait_until(loyalty: Loyalty, moments: Sequence[datetime | None]) -> None:
    """Sleep until the latest of ``moments`` has passed (the sweeps act on what is due)."""
    latest = max((m for m in moments if m is not None), default=None)
    if latest is not None:
        time.sleep(max(0.0, (latest - loyalty.now()).total_seconds() + 0.05))


def _what_happened(console: Console, calls: Counter[str], *, elapsed: float, sealed: int) -> None:
    total = sum(calls.values()) + 4  # and the four sweeps
    rows = [(name, f"{calls[name]:,}") for name in CALLS if calls[name]]
    rows += [(name, f"{count:,}") for name, count in sorted(calls.items()) if name not in CALLS]
    rows += [
        ("loyalty calls, with the sweeps", f"{total:,}"),
        ("elapsed", f"{elapsed:.1f} s"),
        ("calls per second", f"{total / elapsed:,.0f}"),
        ("transactions sealed", f"{sealed:,}"),
    ]
    render.key_values(console, "what happened", rows)


def _sweeps(console: Console, sweeps: Sweeps, facts: Counter[str]) -> None:
    def report(sweep: SweepReport | None) -> str:
        sweep = sweep or SweepReport(0, 0, 0, 0)
        return f"{sweep.points:,} pts in {sweep.lots:,} lots of {sweep.customers:,} customers"

    expiring = sweeps.expiring
    soonest = min((e.first_expiry for e in expiring), default=None)
    rows = [
        ("purchases recorded inside their return window", f"{facts[FACTS[0]]:,}"),
        ("activate pending (every tenant)", report(sweeps.activated)),
        ("expire redemption authorizations", f"{sweeps.authorizations:,}"),
        ("expire points as of now", report(sweeps.expired)),
        (
            f"expiring within {WARNING_WINDOW.days} days",
            f"{sum(e.points for e in expiring):,} pts of {len(expiring):,} customers"
            + (f", first {soonest:%Y-%m-%d}" if soonest else ""),
        ),
    ]
    render.key_values(console, "sweeps", rows)


def _refunds(console: Console, programme: Programme, facts: Counter[str]) -> None:
    policy = programme.negative_balance.value
    rows = [(name, f"{facts[name]:,}") for name in FACTS[1:]]
    render.key_values(console, f"refunds, under {policy}", rows)


def _accounts(
    loyalty: Loyalty,
    console: Console,
    tenant: str,
    programme: Programme,
    balances: Sequence[PointsBalance],
) -> None:
    def posted(address: str, asset: str = programme.points_asset) -> int:
        try:
            return loyalty.ledger.balance(tenant, address, asset).posted
        except UnknownAccount:
            return 0  # never used in this run

    held = sum(b.held for b in balances)
    outstanding = sum(b.available + b.held + b.pending for b in balances)
    debtors = [b for b in balances if b.debt]
    credit = -posted(accounts.CREDIT_ISSUANCE, programme.credit_asset)
    exchange = accounts.exchange(PARTNER)
    miles = programme.partners[PARTNER].asset
    rows = [
        ("points issued, net of refunds", -posted(accounts.ISSUANCE)),
        ("points pending (return window open)", sum(b.pending for b in balances)),
        ("points redeemed, net of refunds", posted(accounts.REDEEMED)),
        ("points converted to store credit", posted(accounts.CONVERSION)),
        (f"points exchanged to {PARTNER}, net", posted(exchange)),
        ("points adjusted by operators, net", -posted(accounts.ADJUSTMENTS)),
        ("points expired", posted(accounts.EXPIRED)),
        ("points outstanding (liability)", outstanding),
        ("points on hold", held),
        ("points owed by customers (clawback debt)", sum(b.debt for b in debtors)),
        ("customers with debt", len(debtors)),
        (f"{miles} held by customers", -posted(exchange, miles)),
    ]
    table = [(name, f"{value:,}") for name, value in rows]
    table.append(("store credit issued", f"${credit // 100:,}.{credit % 100:02d}"))
    render.key_values(console, "programme accounts", table)
