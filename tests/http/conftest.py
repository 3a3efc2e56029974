"""HTTP tests: the real app over the shared test database, through Starlette's
TestClient (no network), with keys made for a fresh tenant per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from punchcard.adapters.crypto.keyfile import FileKeyProvider
from punchcard.entrypoints.http.app import create_app
from punchcard.service_layer.loyalty.facade import Loyalty
from punchcard.service_layer.privacy import Vault
from tests.conftest import setup_programme

ALL_ROLES = ("ingest", "operator", "approver", "auditor", "admin")


@pytest.fixture(scope="session")
def key_provider(tmp_path_factory: pytest.TempPathFactory) -> FileKeyProvider:
    """The vault's keys, in a key file of the session's own."""
    return FileKeyProvider(tmp_path_factory.mktemp("keys") / "keys.json")


@pytest.fixture(scope="session")
def client(loyalty: Loyalty, key_provider: FileKeyProvider) -> Iterator[TestClient]:
    app = create_app(loyalty, Vault(loyalty, key_provider))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


class Caller:
    """A tenant's API key, sending its bearer token on every request."""

    def __init__(self, client: TestClient, tenant: str, token: str, key_id: str) -> None:
        self.client, self.tenant, self.token, self.key_id = client, tenant, token, key_id

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: object = None, **kwargs: Any) -> Any:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.post(path, json=json, headers=headers, **kwargs)

    def put(self, path: str, json: object = None, **kwargs: Any) -> Any:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.put(path, json=json, headers=headers, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.delete(path, headers=headers, **kwargs)


KeyFactory = Callable[..., Caller]


@pytest.fixture
def api_tenant(loyalty: Loyalty) -> str:
    return setup_programme(loyalty)


@pytest.fixture
def key(client: TestClient, loyalty: Loyalty, api_tenant: str) -> KeyFactory:
    """key("operator", ...) -> a Caller of the test's tenant with those roles."""
    app_keys = client.app.state.services.keys  # type: ignore[attr-defined]

    def make(*roles: str, tenant: str | None = None, rate_limit: int = 1000) -> Caller:
        chosen = tenant or api_tenant
        made, token = app_keys.create(
            chosen, name="test key", roles_=roles or ALL_ROLES, created_by="tests",
            rate_limit=rate_limit,
        )  # fmt: skip
        return Caller(client, chosen, token, made.id)

    return make
