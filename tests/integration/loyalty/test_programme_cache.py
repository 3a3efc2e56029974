"""The programme cache parses a tenant's settings once per version: a read that
names no version still sees a change at once, and parses only then."""

from __future__ import annotations

import dataclasses

import pytest

from punchcard.adapters.postgres.loyalty import programmes
from punchcard.domain.loyalty.documents import programme_from_json
from punchcard.domain.loyalty.programme import default_programme
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme


def test_a_programme_is_parsed_once_per_version(
    loyalty: Loyalty, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = setup_programme(loyalty)
    parsed: list[object] = []

    def counting(settings: object) -> object:
        parsed.append(settings)
        return programme_from_json(settings)  # type: ignore[arg-type]

    monkeypatch.setattr(programmes, "programme_from_json", counting)
    first = loyalty.programme(tenant)
    for _ in range(5):
        assert loyalty.programme(tenant) == first
    assert len(parsed) <= 1  # none if the cache had it from the set-up

    changed = dataclasses.replace(default_programme(), pending_days=first.pending_days + 3)
    loyalty.create_programme(tenant, changed)
    before = len(parsed)
    assert loyalty.programme(tenant).pending_days == first.pending_days + 3  # seen at once
    assert loyalty.programme(tenant).pending_days == first.pending_days + 3
    assert len(parsed) <= before + 1
