"""Database side of sealing and verification: what the chain covers, and the checks
that recompute every projection from the journal."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from punchcard.adapters.postgres.queries import query
from punchcard.adapters.postgres.types import Connection
from punchcard.domain.canonical import GENESIS, SealedEntry, SealedHold, SealedTransaction


@dataclass(frozen=True, slots=True)
class SealRow:
    seq: int
    transaction_id: int
    xid: str
    hash: bytes


@dataclass(frozen=True, slots=True)
class Material:
    xid: str
    transaction: SealedTransaction


class IntegrityStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def tenants(self) -> list[str]:
        return [t for (t,) in self._conn.execute(query("tenant_ids"))]

    # -- sealing

    def try_lock_chain(self, tenant: str) -> bool:
        row = self._conn.execute(query("try_seal_lock"), {"tenant": tenant}).fetchone()
        return bool(row and row[0])

    def head(self, tenant: str) -> SealRow:
        row = self._conn.execute(query("seal_head"), {"tenant": tenant}).fetchone()
        if row is None:
            return SealRow(0, 0, "0", GENESIS)
        return SealRow(row[0], row[2], row[1], bytes(row[3]))

    def candidates(self, tenant: str, after: SealRow, limit: int) -> list[tuple[int, str]]:
        rows = self._conn.execute(
            query("seal_candidates"),
            {"tenant": tenant, "after_xid": after.xid, "after_id": after.transaction_id,
             "limit": limit},
        ).fetchall()  # fmt: skip
        return [(id, xid) for id, xid in rows]

    def insert_seals(self, tenant: str, seals: Sequence[SealRow]) -> None:
        self._conn.execute(
            query("insert_seals"),
            {
                "tenant": tenant,
                "seq": [s.seq for s in seals],
                "transaction_id": [s.transaction_id for s in seals],
                "xid": [s.xid for s in seals],
                "hash": [s.hash for s in seals],
            },
        )

    def material(self, tenant: str, ids: Sequence[int]) -> dict[int, Material]:
        """The sealed content of each transaction, read from the rows as they are now."""
        params = {"tenant": tenant, "ids": list(ids)}
        entries: dict[int, list[SealedEntry]] = {}
        for txn, *fields in self._conn.execute(query("material_entries"), params):
            entries.setdefault(txn, []).append(SealedEntry(*fields))
        holds = {
            txn: SealedHold(*fields)
            for txn, *fields in self._conn.execute(query("material_holds"), params)
        }
        found: dict[int, Material] = {}
        for row in self._conn.execute(query("material_transactions"), params):
            id, kind, key, request_hash, effective_at, recorded_at, metadata, hold_id, rev, xid = (
                row
            )
            found[id] = Material(
                xid,
                SealedTransaction(
                    tenant, id, kind, key, bytes(request_hash), effective_at, recorded_at,
                    metadata, hold_id, rev, tuple(entries.get(id, ())), holds.get(id),
                ),
            )  # fmt: skip
        return found

    # -- verification

    def seals(self, tenant: str, page_size: int = 2000) -> Iterator[list[SealRow]]:
        after = 0
        while True:
            rows = self._conn.execute(
                query("seals_page"), {"tenant": tenant, "after": after, "limit": page_size}
            ).fetchall()
            if not rows:
                return
            page = [SealRow(seq, txn, xid, bytes(h)) for seq, txn, xid, h in rows]
            yield page
            after = page[-1].seq

    def unsealed_behind(self, tenant: str, head: SealRow) -> list[int]:
        params = {"tenant": tenant, "xid": head.xid, "id": head.transaction_id}
        return [id for (id,) in self._conn.execute(query("unsealed_behind_head"), params)]

    def unsealed_count(self, tenant: str) -> int:
        row = self._conn.execute(query("unsealed_count"), {"tenant": tenant}).fetchone()
        return int(row[0]) if row else 0

    def unbalanced_transactions(self, tenant: str) -> list[tuple[int, str, int]]:
        rows = self._conn.execute(query("unbalanced_transactions"), {"tenant": tenant})
        return [(txn, asset, total) for txn, asset, total in rows]

    def asset_totals(self, tenant: str) -> list[tuple[str, int]]:
        return [(a, t) for a, t in self._conn.execute(query("asset_totals"), {"tenant": tenant})]

    def balance_drift(self, tenant: str) -> list[tuple[str, str, list[int], list[int]]]:
        rows = self._conn.execute(query("balance_drift"), {"tenant": tenant})
        return [(address, asset, expected, stored) for address, asset, expected, stored in rows]

    def structural_problems(self, tenant: str) -> list[str]:
        return [p for (p,) in self._conn.execute(query("structural_problems"), {"tenant": tenant})]

    # -- loyalty

    def has_programme(self, tenant: str) -> bool:
        row = self._conn.execute(query("has_programme"), {"tenant": tenant}).fetchone()
        return bool(row and row[0])

    def problems(self, check: str, tenant: str) -> list[str]:
        """Lines of one of the loyalty checks in ``integrity_loyalty.sql``."""
        return [p for (p,) in self._conn.execute(query(check), {"tenant": tenant})]
