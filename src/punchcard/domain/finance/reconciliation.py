"""Reconciliation: an external file of orders against the orders the ledger earned on.

Each order id in the file is matched with the ledger's order of the same id:
``matched`` when the amounts agree, ``amount_mismatch`` when they do not,
``missing_in_ledger`` when the ledger never saw it; ledger orders of the period
that the file does not list are ``missing_in_file``. An order id the file lists
twice is reported as ``duplicate_in_file`` (its first line is the one matched).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from punchcard.domain.errors import InvalidRequest

REQUIRED = ("order_id", "amount")
MAX_ROWS = 1_000_000


class Outcome(StrEnum):
    MATCHED = "matched"
    AMOUNT_MISMATCH = "amount_mismatch"
    MISSING_IN_LEDGER = "missing_in_ledger"
    MISSING_IN_FILE = "missing_in_file"
    DUPLICATE_IN_FILE = "duplicate_in_file"


@dataclass(frozen=True, slots=True)
class Line:
    order_id: str
    outcome: Outcome
    file_amount: int | None
    ledger_amount: int | None
    points: int | None = None
    file_line: int | None = None


@dataclass
class Reconciliation:
    lines: list[Line] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.outcome is outcome)

    @property
    def clean(self) -> bool:
        return all(line.outcome is Outcome.MATCHED for line in self.lines)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["order_id", "outcome", "file_amount", "ledger_amount", "points",
                         "file_line"])  # fmt: skip
        for line in self.lines:
            writer.writerow([line.order_id, line.outcome.value, line.file_amount,
                             line.ledger_amount, line.points, line.file_line])  # fmt: skip
        return out.getvalue()


def read_orders(text: str) -> list[tuple[int, str, int]]:
    """(line number, order id, amount in minor units) from CSV with a header that has
    at least ``order_id`` and ``amount``; an unreadable line is an InvalidRequest
    naming it."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _rows(reader)
    except csv.Error as exc:  # a NUL byte, an over-long field: the file, not us
        line = max(reader.line_num, 1)
        raise InvalidRequest(f"line {line}: the orders file is not CSV: {exc}") from None


def _rows(reader: csv.DictReader[str]) -> list[tuple[int, str, int]]:
    missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
    if missing:
        raise InvalidRequest(f"the orders file needs the columns {', '.join(missing)}")
    rows = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise InvalidRequest(f"an orders file has at most {MAX_ROWS:,} lines")
        order_id = (row.get("order_id") or "").strip()
        raw = (row.get("amount") or "").strip()
        if not order_id:
            raise InvalidRequest(f"line {number}: order_id is empty")
        if not order_id.isprintable():
            raise InvalidRequest(f"line {number}: order_id has control characters")
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise InvalidRequest(
                f"line {number}: amount {raw!r} must be a whole number of minor units"
            )
        rows.append((number, order_id, int(raw)))
    return rows


def reconcile(
    file_rows: Iterable[tuple[int, str, int]],
    ledger_orders: dict[str, tuple[int, int]],
) -> Reconciliation:
    """``ledger_orders``: order id -> (amount, points) for the period reconciled."""
    report = Reconciliation()
    seen: set[str] = set()
    for number, order_id, amount in file_rows:
        if order_id in seen:
            report.lines.append(Line(order_id, Outcome.DUPLICATE_IN_FILE, amount, None,
                                     file_line=number))  # fmt: skip
            continue
        seen.add(order_id)
        found = ledger_orders.get(order_id)
        if found is None:
            report.lines.append(Line(order_id, Outcome.MISSING_IN_LEDGER, amount, None,
                                     file_line=number))  # fmt: skip
            continue
        ledger_amount, points = found
        outcome = Outcome.MATCHED if ledger_amount == amount else Outcome.AMOUNT_MISMATCH
        report.lines.append(Line(order_id, outcome, amount, ledger_amount, points, number))
    for order_id in sorted(set(ledger_orders) - seen):
        ledger_amount, points = ledger_orders[order_id]
        report.lines.append(Line(order_id, Outcome.MISSING_IN_FILE, None, ledger_amount, points))
    return report
