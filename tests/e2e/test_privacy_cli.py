"""``punchcard vault …`` run through the CLI against a database of the test's
own and a key file in a temporary folder: set, show, find, export, rotate, erase."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from punchcard.adapters.postgres.database import Database
from punchcard.service_layer.ledger import Ledger
from punchcard.service_layer.loyalty.facade import Loyalty
from tests.conftest import setup_programme
from tests.e2e.test_cli import punchcard


def test_the_life_of_a_record_from_the_command_line(
    fresh_database_url: str, tmp_path: Path
) -> None:
    database = Database(fresh_database_url, pool_size=2)
    try:
        loyalty = Loyalty(Ledger(database))
        tenant = setup_programme(loyalty)
        cid = loyalty.enroll(tenant, "shop-1").id
        loyalty.earn_purchase(tenant, cid, order_id="o-1", amount=10_000, currency="USD")
    finally:
        database.close()
    keys = tmp_path / "keys" / "keys.json"
    env = {"PUNCHCARD_KEY_FILE": str(keys)}

    def run(*args: str) -> tuple[int, str, str]:
        done = punchcard(fresh_database_url, "vault", *args, "--tenant", tenant, **env)
        return done.returncode, done.stdout, done.stderr

    record = tmp_path / "alan.json"
    record.write_text(json.dumps({"name": "Alan Turing", "email": "alan@example.org"}))
    code, out, err = run("set", "--customer", cid, "--file", str(record))
    assert code == 0, err
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    code, out, err = run("show", "--customer", cid)
    assert code == 0 and json.loads(out)["name"] == "Alan Turing", err
    assert run("find", "--email", "ALAN@example.org")[1].strip() == cid

    history = tmp_path / "history.csv"
    code, out, err = run("export", "--customer", cid, "--csv", str(history))
    assert code == 0, err
    assert json.loads(out)["personal_data"]["email"] == "alan@example.org"
    assert history.read_text().startswith("account,asset,transaction_id")

    code, out, err = run("rotate")
    assert code == 0 and "1 data key(s) re-wrapped" in out, err
    assert run("show", "--customer", cid)[0] == 0  # still readable under the new KEK

    code, out, err = run("erase", "--customer", cid, "--by", "dpo-dana")
    assert code == 0 and "by dpo-dana" in out, err
    code, out, err = run("show", "--customer", cid)
    assert code == 1 and err.startswith("error: personal_data_erased:"), err
    assert "Alan" not in err
    code, out, err = run("find", "--email", "alan@example.org")
    assert code == 1 and "unknown_customer" in err
    code, out, err = run("set", "--customer", cid, "--file", str(tmp_path / "missing.json"))
    assert code == 1 and err.count("\n") == 1 and "invalid_request" in err
    verify = punchcard(fresh_database_url, "verify", "--tenant", tenant, **env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
