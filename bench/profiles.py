"""The two sizes of `make bench`: quick (the default, minutes) and long (the issue's)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    seconds: float
    """Each pgbench and engine run of items 1-2."""
    http_seconds: float
    """Each arrival rate of item 3."""
    saturation_rate: float
    """The offered rate of the saturation run: more than the server can do."""
    contention_seconds: float
    batch_events: int
    """Events of item 5, through the batch route and through the import each."""
    import_small: int
    """The smaller import of item 8, to compare the import's memory with."""
    load_customers: int
    load_postings: int
    read_samples: int
    rule_orders: int
    rule_rounds: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


QUICK = Profile(
    name="quick", seconds=3, http_seconds=5, saturation_rate=3_000, contention_seconds=5,
    batch_events=2_000, import_small=500, load_customers=50_000, load_postings=500_000,
    read_samples=1_000, rule_orders=2_000, rule_rounds=3,
)  # fmt: skip
LONG = Profile(
    name="long", seconds=10, http_seconds=20, saturation_rate=4_000, contention_seconds=15,
    batch_events=1_000_000, import_small=100_000, load_customers=1_000_000,
    load_postings=20_000_000, read_samples=5_000, rule_orders=2_000, rule_rounds=5,
)  # fmt: skip
FULL_LOAD = (LONG.load_customers, LONG.load_postings)
FULL_BATCH = LONG.batch_events
PROFILES = {p.name: p for p in (QUICK, LONG)}
