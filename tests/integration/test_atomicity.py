"""A crash in the middle of a multi-leg write leaves nothing half done."""

from __future__ import annotations

import psycopg
import pytest

from punchcard import Ledger, Posting
from punchcard.domain import errors
from punchcard.domain.commands import Post

CONVERT = [
    Posting("customer:a:points", "program:conversion", "PTS", 500),
    Posting("program:credit", "customer:a:credit", "USD", 500),
]


def test_a_backend_killed_before_commit_leaves_no_trace(
    ledger: Ledger, tenant: str, database_url: str
) -> None:
    ledger.post(tenant, [Posting("program:issuance", "customer:a:points", "PTS", 500)],
                idempotency_key="fund")  # fmt: skip
    with ledger.unit_of_work() as uow:
        uow.journal.post(Post(tenant=tenant, postings=CONVERT, idempotency_key="convert"))
        # Every leg is written; the server dies before COMMIT.
        pid = uow.connection.info.backend_pid
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(errors.TransientError):
            uow.commit()
    assert ledger.balance(tenant, "customer:a:points", "PTS").posted == 500
    with pytest.raises(errors.UnknownAccount):
        ledger.balance(tenant, "customer:a:credit", "USD")
    # The key was never claimed, so the retry is the first attempt, not a replay.
    retry = ledger.post(tenant, CONVERT, idempotency_key="convert")
    assert not retry.replayed
    assert ledger.balance(tenant, "customer:a:credit", "USD").posted == 500
    assert ledger.verify(tenant=tenant).ok
