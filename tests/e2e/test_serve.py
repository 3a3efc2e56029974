"""``punchcard serve`` for real: a subprocess listening on a loopback port, driven
over HTTP. The demo banner gives a working admin key; SIGTERM stops it cleanly;
and a server killed in the middle of a batch import loses nothing and doubles
nothing when the client sends its batches again to a restarted server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import httpx
import psycopg
from bench.harness import children

from punchcard.adapters.postgres.database import Database
from punchcard.domain.loyalty.programme import default_programme
from punchcard.service_layer.access import Keys
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.e2e.test_cli import COMMAND


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(
        self, process: subprocess.Popen[str], port: int, banner: list[str], log: IO[str]
    ) -> None:
        self.process, self.port, self.banner, self._log = process, port, banner, log

    def logs(self) -> list[str]:
        self._log.seek(0)
        return self._log.read().splitlines()

    def call(
        self, method: str, path: str, token: str | None = None, body: object = None,
        headers: dict[str, str] | None = None, timeout: float = 60,
    ) -> tuple[int, Any]:  # fmt: skip
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **(headers or {}),
                     **({"Authorization": f"Bearer {token}"} if token else {})},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@contextmanager
def serving(url: str, *args: str, port: int | None = None) -> Iterator[Server]:
    """A server until the block ends (then SIGTERM, unless the test killed it). Its
    stderr (the JSON log) goes to a file, so a chatty server never blocks on a pipe."""
    chosen = port or _free_port()
    environment = os.environ | {"PUNCHCARD_DATABASE_URL": url}
    with (
        tempfile.TemporaryFile("w+") as log,
        subprocess.Popen(
            [*COMMAND, "serve", "--port", str(chosen), "--no-sweeps", *args], env=environment,
            stdout=subprocess.PIPE, stderr=log, text=True,
        ) as process,
    ):  # fmt: skip
        banner: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            banner.append(line.rstrip("\n"))
            if "Ctrl-C stops" in line:
                break
        else:
            log.seek(0)
            raise AssertionError(f"the server never started: {banner} {log.read()}")
        server = Server(process, chosen, banner, log)
        try:
            yield server
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.wait(60)


def test_serve_demo_prints_a_working_key_and_stops_on_sigterm(fresh_database_url: str) -> None:
    with serving(fresh_database_url, "--demo") as server:
        token = next(line for line in server.banner if "admin key" in line).split()[-1]
        assert token.startswith("pc_key_")
        assert f"http://127.0.0.1:{server.port}/docs" in "\n".join(server.banner)
        assert server.call("GET", "/healthz") == (200, {"status": "ok"})
        status, created = server.call("POST", "/v1/customers", token, {"external_ref": "bob"})
        assert status == 201, created
        purchase = {"type": "purchase", "customer_id": created["id"], "order_id": "o-1",
                    "amount": 60_000, "currency": "USD",
                    "items": [{"sku": "milk", "amount": 20_000, "category": "groceries"},
                              {"sku": "fuel", "amount": 40_000, "category": "gas"}]}  # fmt: skip
        status, earned = server.call("POST", "/v1/events", token, purchase)
        assert status == 200, earned
        assert earned["breakdown"]["ruleset_version"] == 1  # the seed, published
        assert earned["points"] > 600  # groceries and gas earn more than the base rate
        status, redeemed = server.call(
            "POST", f"/v1/customers/{created['id']}/redemptions", token,
            {"option": "product", "points": 500}, headers={"Idempotency-Key": "r-1"},
        )  # fmt: skip
        assert status == 200, redeemed  # the demo's points are spendable at once
        status, refused = server.call("GET", "/v1/customers/" + created["id"], "pc_key_nope")
        assert (status, refused["code"]) == (401, "unauthenticated")
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(60) == 0
        assert server.process.stdout is not None
        assert "stopped" in server.process.stdout.read()
        logs = server.logs()
    records = [json.loads(line) for line in logs if line.startswith("{")]
    assert records, logs
    assert all(token not in line and "bob" not in line for line in logs)  # no secrets, no refs
    assert any(r.get("request_id") for r in records), records[:5]

    with serving(fresh_database_url, "--demo") as again:  # the tenant is kept, a new key made
        second = next(line for line in again.banner if "admin key" in line).split()[-1]
        assert second != token
        assert again.call("GET", "/v1/programme", second)[0] == 200


def test_a_server_killed_during_batches_loses_and_doubles_nothing(fresh_database_url: str) -> None:
    database = Database(fresh_database_url, pool_size=2)
    try:
        loyalty = Loyalty(Ledger(database))
        loyalty.create_programme("shop", default_programme())
        customers = [loyalty.enroll("shop", f"c-{n}").id for n in range(20)]
        _, token = Keys(database).create("shop", name="importer", roles_=["ingest"],
                                         created_by="tests", rate_limit=10_000)  # fmt: skip
        batches = [
            [{"type": "purchase", "customer_id": customers[(b * 200 + n) % 20],
              "order_id": f"o-{b}-{n}", "amount": 1_000 + n, "currency": "USD"}
             for n in range(200)]
            for b in range(8)
        ]  # fmt: skip
        port = _free_port()
        answers: list[int] = []
        with serving(fresh_database_url, port=port) as server:
            assert server.call("POST", "/v1/events:batch", token, {"events": batches[0]})[0] == 200

            def send_the_rest() -> None:
                for batch in batches[1:]:
                    try:
                        answers.append(server.call("POST", "/v1/events:batch", token,
                                                   {"events": batch})[0])  # fmt: skip
                    except OSError:
                        return  # the server is gone

            sender = threading.Thread(target=send_the_rest)
            sender.start()
            deadline = time.monotonic() + 60
            while _earns(fresh_database_url) <= 200 and time.monotonic() < deadline:
                time.sleep(0.01)  # until the second batch is being applied
            server.process.send_signal(signal.SIGKILL)
            sender.join(60)
        applied = _earns(fresh_database_url)
        assert 200 < applied < 1_600, applied  # killed half way

        with serving(fresh_database_url, port=port) as server:  # the client sends it all again
            statuses: dict[str, int] = {}
            for batch in batches:
                status, body = server.call("POST", "/v1/events:batch", token, {"events": batch})
                assert status == 200, body
                for result in body["results"]:
                    statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        assert statuses.get("error", 0) == 0, statuses
        assert statuses["replayed"] >= applied and statuses["ok"] + statuses["replayed"] == 1_600
        assert _earns(fresh_database_url) == 1_600
        points = sum(loyalty.balance("shop", c).pending for c in customers)
        assert points == sum((1_000 + n) // 100 for _ in range(8) for n in range(200))
        assert loyalty.ledger.verify(tenant="shop").ok
    finally:
        database.close()


def _earns(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM punchcard.transactions WHERE metadata->>'operation' = 'earn'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_serve_with_processes_answers_and_stops_them_all(
    fresh_database_url: str,
) -> None:
    """``--processes 2``: two API processes run under the parent, the port answers,
    and SIGTERM stops the parent and both children."""
    with serving(fresh_database_url, "--demo", "--processes", "2") as server:
        assert "(2 processes)" in server.banner[0]
        token = next(line for line in server.banner if "admin key" in line).split()[-1]
        children = _children_of(server.process.pid)
        deadline = time.monotonic() + 60
        while len(children) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            children = _children_of(server.process.pid)
        for n in range(40):
            status, created = server.call("POST", "/v1/customers", token,
                                          {"external_ref": f"p-{n}"})  # fmt: skip
            assert status == 201, created
        assert len(children) == 2
        _console_session_holds(server.port, token)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(60) == 0
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or _zombie(pid), f"child {pid} still runs"


def _console_session_holds(port: int, token: str) -> None:
    """A console session made by one process is good in the others: each request
    on a connection of its own, so the kernel hands them to both."""
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:
        form = client.get("/console/sign-in")
        marker = 'name="csrf" value="'
        start = form.text.index(marker) + len(marker)
        csrf = form.text[start : form.text.index('"', start)]
        signed = client.post("/console/sign-in", data={"api_key": token, "csrf": csrf})
        assert signed.status_code in (200, 303), signed.text[:300]
        for _ in range(20):
            page = client.get("/console/", follow_redirects=False)
            assert page.status_code == 200, (page.status_code, page.headers.get("location"))


def _children_of(pid: int) -> list[int]:
    """The API processes uvicorn's supervisor started (not its resource tracker)."""
    return [child for child in children(pid) if "multiprocessing.spawn" in _cmdline(child)]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
