"""The report ``punchcard verify`` prints: one line per check, per tenant."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    summary: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TenantReport:
    tenant: str
    checks: tuple[Check, ...]
    head_seq: int
    head_hash: str
    """The chain's latest hash: record it outside the database to detect a rewritten chain."""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass(frozen=True, slots=True)
class VerificationReport:
    tenants: tuple[TenantReport, ...]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tenants)

    @property
    def problems(self) -> list[str]:
        return [
            f"{t.tenant}: {c.name}: {p}" for t in self.tenants for c in t.checks for p in c.problems
        ]


@dataclass(frozen=True, slots=True)
class SealReport:
    sealed: int
    tenants: int
