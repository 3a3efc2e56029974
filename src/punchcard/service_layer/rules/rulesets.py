"""Governing rulesets: drafts, submission, a second person's approval, activation.

A draft can change as often as its author likes. Submitting it freezes it for
review (optionally with a time to take effect); a *different* person approves it,
which publishes it for good, or it is withdrawn back to a draft. The active
version is the published one whose ``activate_at`` is the latest that has passed,
so exactly one is active at any moment once the first is published.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

from punchcard.adapters.postgres.rules import RulesStore
from punchcard.domain.errors import MakerCheckerViolation, RulesetNotDraft
from punchcard.domain.loyalty import commands
from punchcard.domain.rules.document import Ruleset
from punchcard.domain.rules.evaluation import CompiledRuleset
from punchcard.domain.rules.versions import RulesetStatus, RulesetVersion

if TYPE_CHECKING:
    from punchcard.service_layer.loyalty.facade import Loyalty


class CompiledCache:
    """Published versions never change, so each is compiled once per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_version: dict[tuple[str, int], CompiledRuleset] = {}

    def get(self, store: RulesStore, tenant: str, version: int) -> CompiledRuleset:
        found = self._by_version.get((tenant, version))
        if found is None:
            found = CompiledRuleset.of(store.get(tenant, version).ruleset, version)
            with self._lock:
                self._by_version[(tenant, version)] = found
        return found


def create_draft(loyalty: Loyalty, tenant: str, ruleset: Ruleset, *, by: str) -> RulesetVersion:
    commands.actor(by, "created_by")
    CompiledRuleset.of(ruleset)
    with loyalty.work() as w:
        w.programme(tenant)
        version = w.rules.create(tenant, ruleset, by, w.now)
        w.commit()
        return w.rules.get(tenant, version)


def update_draft(loyalty: Loyalty, tenant: str, version: int, ruleset: Ruleset) -> RulesetVersion:
    CompiledRuleset.of(ruleset)
    with loyalty.work() as w:
        if not w.rules.update_draft(tenant, version, ruleset):
            _refuse(w.rules.get(tenant, version), "changed")
        w.commit()
        return w.rules.get(tenant, version)


def submit(
    loyalty: Loyalty,
    tenant: str,
    version: int,
    *,
    by: str,
    activate_at: datetime | None = None,
) -> RulesetVersion:
    """Ask for approval; ``activate_at`` schedules when it takes effect once approved."""
    commands.actor(by, "submitted_by")
    with loyalty.work() as w:
        params = {"by": by, "at": w.now, "activate_at": activate_at}
        if not w.rules.transition("submit_ruleset", tenant, version, **params):
            _refuse(w.rules.get(tenant, version), "submitted")
        w.commit()
        return w.rules.get(tenant, version)


def withdraw(loyalty: Loyalty, tenant: str, version: int) -> RulesetVersion:
    """Send a submitted version back to draft (a reviewer's "not like this")."""
    with loyalty.work() as w:
        if not w.rules.transition("withdraw_ruleset", tenant, version):
            current = w.rules.get(tenant, version)
            raise RulesetNotDraft(f"ruleset {version} is {current.status.value}, not submitted")
        w.commit()
        return w.rules.get(tenant, version)


def approve(loyalty: Loyalty, tenant: str, version: int, *, by: str) -> RulesetVersion:
    """Publish a submitted version. The approver must not be who submitted it."""
    commands.actor(by, "approved_by")
    with loyalty.work() as w:
        current = w.rules.get(tenant, version)
        if current.status is not RulesetStatus.SUBMITTED:
            raise RulesetNotDraft(
                f"ruleset {version} is {current.status.value}; only a submitted version "
                "can be approved"
            )
        if current.submitted_by == by:
            raise MakerCheckerViolation(
                f"{by} submitted ruleset {version} and cannot also approve it"
            )
        w.rules.transition("approve_ruleset", tenant, version, by=by, at=w.now)
        w.commit()
        return w.rules.get(tenant, version)


def _refuse(current: RulesetVersion, verb: str) -> None:
    raise RulesetNotDraft(
        f"ruleset {current.version} is {current.status.value}; only a draft can be {verb}"
    )
