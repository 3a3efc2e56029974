"""Random operation sequences against an in-memory model of the ledger.

After every step each account's balances equal the model's and every asset sums
to zero; at the end `verify` recomputes everything from the journal and the seal
chain. The model predicts which operations must fail, and with what error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from punchcard import AccountPolicy, Ledger, Posting
from punchcard.domain import errors
from tests.conftest import FakeClock, setup_tenant

pytestmark = pytest.mark.slow

CUSTOMERS = ["customer:a:points", "customer:b:points", "customer:c:points"]
DEBT = "customer:d:debt"  # bounded, may go negative
SYSTEM = ["program:issuance", "program:redeemed"]
ACCOUNTS = [*CUSTOMERS, DEBT, *SYSTEM]
CHECKED = set(CUSTOMERS)  # bounded and may not go negative


@dataclass
class Model:
    posted: dict[str, int] = field(default_factory=dict)
    pending_debits: dict[str, int] = field(default_factory=dict)
    pending_credits: dict[str, int] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)

    def available(self, account: str) -> int:
        return self.posted.get(account, 0) - self.pending_debits.get(account, 0)

    def refuses(self, moves: list[tuple[str, int]]) -> bool:
        """Would these (account, change of available) take a checked account below zero?"""
        net: dict[str, int] = {}
        for account, change in moves:
            net[account] = net.get(account, 0) + change
        return any(a in CHECKED and self.available(a) + c < 0 for a, c in net.items() if c < 0)

    def post(self, postings: list[Posting]) -> None:
        for p in postings:
            self.posted[p.source] = self.posted.get(p.source, 0) - p.amount
            self.posted[p.destination] = self.posted.get(p.destination, 0) + p.amount
            self.created |= {p.source, p.destination}

    def reserve(self, p: Posting, sign: int) -> None:
        self.pending_debits[p.source] = self.pending_debits.get(p.source, 0) + sign * p.amount
        self.pending_credits[p.destination] = (
            self.pending_credits.get(p.destination, 0) + sign * p.amount
        )
        self.created |= {p.source, p.destination}


@dataclass
class HoldRef:
    id: int
    posting: Posting
    expires_at: object


@dataclass
class TxnRef:
    id: int
    postings: dict[int, Posting]
    reversed: dict[int, int] = field(default_factory=dict)


accounts = st.sampled_from(ACCOUNTS)
amounts = st.integers(min_value=1, max_value=300)


class LedgerMachine(RuleBasedStateMachine):
    ledger: Ledger
    clock: FakeClock

    holds = Bundle("holds")
    txns = Bundle("txns")
    used_keys = Bundle("used_keys")

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.n = 0
        self.replayable: list[tuple[str, list[Posting], int]] = []
        self.open_holds: dict[int, HoldRef] = {}

    def key(self) -> str:
        self.n += 1
        return f"op-{self.n}"

    @initialize()
    def tenant_with_a_debt_account(self) -> None:
        self.tenant = setup_tenant(self.ledger, prefix="m")
        self.ledger.set_account_policy(
            self.tenant, "customer:*:debt", AccountPolicy.customer_may_go_negative()
        )

    # -- writes

    @rule(
        target=txns, moves=st.lists(st.tuples(accounts, accounts, amounts), min_size=1, max_size=3)
    )
    def post(self, moves: list[tuple[str, str, int]]) -> object:
        postings = [Posting(s, d, "PTS", a) for s, d, a in moves if s != d]
        if not postings:
            return TxnRef(0, {})
        refused = self.model.refuses(
            [(p.source, -p.amount) for p in postings]
            + [(p.destination, p.amount) for p in postings]
        )
        key = self.key()
        if refused:
            with pytest.raises(errors.InsufficientFunds):
                self.ledger.post(self.tenant, postings, idempotency_key=key)
            return TxnRef(0, {})
        result = self.ledger.post(self.tenant, postings, idempotency_key=key)
        assert not result.replayed
        self.model.post(postings)
        self.replayable.append((key, postings, result.transaction.id))
        return TxnRef(result.transaction.id, dict(enumerate(postings)))

    @rule()
    def replay_and_conflict(self) -> None:
        if not self.replayable:
            return
        key, postings, txn_id = self.replayable[self.n % len(self.replayable)]
        again = self.ledger.post(self.tenant, postings, idempotency_key=key)
        assert again.replayed and again.transaction.id == txn_id
        changed = [Posting(p.source, p.destination, p.asset, p.amount + 1) for p in postings]
        with pytest.raises(errors.IdempotencyConflict):
            self.ledger.post(self.tenant, changed, idempotency_key=key)

    @rule(
        target=holds,
        source=accounts,
        destination=accounts,
        amount=amounts,
        minutes=st.none() | st.integers(1, 120),
    )
    def hold(self, source: str, destination: str, amount: int, minutes: int | None) -> object:
        if source == destination:
            return HoldRef(0, Posting(source, "x:y", "PTS", 1), None)
        posting = Posting(source, destination, "PTS", amount)
        timeout = None if minutes is None else timedelta(minutes=minutes)
        if self.model.refuses([(source, -amount)]):
            with pytest.raises(errors.InsufficientFunds):
                self.ledger.hold(self.tenant, posting, idempotency_key=self.key(), timeout=timeout)
            return HoldRef(0, posting, None)
        result = self.ledger.hold(self.tenant, posting, idempotency_key=self.key(), timeout=timeout)
        self.model.reserve(posting, +1)
        ref = HoldRef(result.hold.id, posting, result.hold.expires_at)
        self.open_holds[ref.id] = ref
        return ref

    @rule(target=txns, hold=consumes(holds), part=st.none() | st.integers(1, 100))
    def capture(self, hold: HoldRef, part: int | None) -> object:
        if not hold.id:
            return TxnRef(0, {})
        amount = None if part is None else max(1, hold.posting.amount * part // 100)
        expired = hold.expires_at is not None and hold.expires_at <= self.clock.now  # type: ignore[operator]
        if self._resolved(hold):
            with pytest.raises(errors.HoldAlreadyResolved):
                self.ledger.capture(self.tenant, hold.id, amount=amount, idempotency_key=self.key())
            return TxnRef(0, {})
        if expired:
            with pytest.raises(errors.HoldExpired):
                self.ledger.capture(self.tenant, hold.id, amount=amount, idempotency_key=self.key())
            self.ledger.void(self.tenant, hold.id, idempotency_key=self.key())
            self._release(hold)
            return TxnRef(0, {})
        result = self.ledger.capture(
            self.tenant, hold.id, amount=amount, idempotency_key=self.key()
        )
        self._release(hold)
        captured = Posting(
            hold.posting.source, hold.posting.destination, "PTS", amount or hold.posting.amount
        )
        self.model.post([captured])
        return TxnRef(result.transaction.id, {0: captured})

    @rule(hold=consumes(holds))
    def void(self, hold: HoldRef) -> None:
        if not hold.id:
            return
        if self._resolved(hold):
            with pytest.raises(errors.HoldAlreadyResolved):
                self.ledger.void(self.tenant, hold.id, idempotency_key=self.key())
            return
        self.ledger.void(self.tenant, hold.id, idempotency_key=self.key())
        self._release(hold)

    @rule(txn=txns, part=st.none() | st.integers(1, 100))
    def reverse(self, txn: TxnRef, part: int | None) -> None:
        if not txn.id:
            return
        remaining = {i: p.amount - txn.reversed.get(i, 0) for i, p in txn.postings.items()}
        key = self.key()
        if part is not None and len(txn.postings) > 1:
            with pytest.raises(errors.InvalidReversal):
                self.ledger.reverse(self.tenant, txn.id, amount=1, idempotency_key=key)
            return
        if part is not None:
            [(index, left)] = remaining.items()
            amount = max(1, txn.postings[index].amount * part // 100)
            if amount > left:
                with pytest.raises(errors.ReversalExceedsOriginal):
                    self.ledger.reverse(self.tenant, txn.id, amount=amount, idempotency_key=key)
                return
            remaining = {index: amount}
        undo = [
            Posting(p.destination, p.source, "PTS", remaining[i])
            for i, p in txn.postings.items()
            if remaining[i] > 0
        ]
        if not undo:
            with pytest.raises(errors.ReversalExceedsOriginal):
                self.ledger.reverse(self.tenant, txn.id, idempotency_key=key)
            return
        moves = [(p.source, -p.amount) for p in undo] + [(p.destination, p.amount) for p in undo]
        amount_arg = None if part is None else remaining[next(iter(remaining))]
        if self.model.refuses(moves):
            with pytest.raises(errors.InsufficientFunds):
                self.ledger.reverse(self.tenant, txn.id, amount=amount_arg, idempotency_key=key)
            return
        self.ledger.reverse(self.tenant, txn.id, amount=amount_arg, idempotency_key=key)
        self.model.post(undo)
        for i, left in remaining.items():
            txn.reversed[i] = txn.reversed.get(i, 0) + left

    @rule(minutes=st.integers(1, 90))
    def time_passes_and_holds_expire(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        due = [h for h in self.open_holds.values() if h.expires_at is not None
               and h.expires_at <= self.clock.now]  # type: ignore[operator]  # fmt: skip
        self.ledger.expire_holds(limit=10_000)
        for hold in due:
            self._release(hold)

    def _resolved(self, hold: HoldRef) -> bool:
        return hold.id not in self.open_holds

    def _release(self, hold: HoldRef) -> None:
        del self.open_holds[hold.id]
        self.model.reserve(hold.posting, -1)

    # -- invariants

    @invariant()
    def balances_equal_the_model(self) -> None:
        if not hasattr(self, "tenant"):
            return
        total = pending_out = pending_in = 0
        for account in sorted(self.model.created):
            balance = self.ledger.balance(self.tenant, account, "PTS")
            assert balance.posted == self.model.posted.get(account, 0), account
            assert balance.pending_debits == self.model.pending_debits.get(account, 0), account
            assert balance.pending_credits == self.model.pending_credits.get(account, 0), account
            if account in CHECKED:
                assert balance.available >= 0, account
            total += balance.posted
            pending_out += balance.pending_debits
            pending_in += balance.pending_credits
        assert total == 0
        assert pending_out == pending_in

    def teardown(self) -> None:
        if hasattr(self, "tenant"):
            self.ledger.seal()
            report = self.ledger.verify(tenant=self.tenant)
            assert report.ok, report.problems


def test_the_ledger_behaves_like_its_model(clocked_ledger: Ledger, clock: FakeClock) -> None:
    class Machine(LedgerMachine):
        pass

    Machine.ledger = clocked_ledger
    Machine.clock = clock
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=int(os.environ.get("PUNCHCARD_MODEL_EXAMPLES", "40")),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
