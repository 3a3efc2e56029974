"""A tenant's loyalty programme: what points are worth, how they expire, what they buy.

Every rate is a pair of integers (``points`` points are worth ``value`` minor
units), so no arithmetic on points or money ever touches a float. Every division
rounds down (floor): what a redemption or conversion grants (the programme keeps
the fraction), what a purchase earns (likewise), and what a refund takes back
(there the customer keeps the fraction; see ``refunds.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from punchcard.domain import validation
from punchcard.domain.errors import InvalidProgramme, InvalidRequest
from punchcard.domain.loyalty.expiry import SETTINGS_DOCUMENT, ExpiryRule, RoundTo, setting
from punchcard.domain.loyalty.risk import VelocityRules

NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_RATE_TERM = 10**12
MAX_PENDING_DAYS = 365


class LotKind(StrEnum):
    EARNED = "earned"
    BONUS = "bonus"
    ENGAGEMENT = "engagement"
    TRANSFERRED = "transferred"
    ADJUSTED = "adjusted"
    REFUNDED_REDEMPTION = "refunded_redemption"


class NegativeBalancePolicy(StrEnum):
    """What a refund does when the customer has already spent the points it takes back."""

    ALLOW_NEGATIVE = "allow_negative"
    """The points balance goes negative; later credits repay it before anything else."""
    CLAWBACK_FROM_FUTURE = "clawback_from_future"
    """The balance stops at zero; the rest is a debt kept apart and settled from later credits."""
    WRITE_OFF = "write_off"
    """Take what is there; the rest is posted to the programme's write-off (expense) account."""


@dataclass(frozen=True, slots=True)
class Rate:
    """``points`` points are worth ``value`` minor units (of money, credit or a partner asset)."""

    __pydantic_config__: ClassVar[dict[str, object]] = SETTINGS_DOCUMENT

    points: int
    value: int

    def __post_init__(self) -> None:
        for name in ("points", "value"):
            term = getattr(self, name)
            if isinstance(term, bool) or not isinstance(term, int) or not 0 < term <= MAX_RATE_TERM:
                raise InvalidProgramme(f"a rate's {name} must be an integer from 1 to 10^12")

    def value_of(self, points: int) -> int:
        """The value of ``points``, rounded down."""
        return points * self.value // self.points

    def points_for(self, value: int) -> int:
        """Points that ``value`` minor units earn, rounded down."""
        return value * self.points // self.value


@dataclass(frozen=True, slots=True)
class RedemptionOption:
    __pydantic_config__: ClassVar[dict[str, object]] = SETTINGS_DOCUMENT

    rate: Rate
    minimum: int = 1
    """Fewest points one redemption may use."""

    def __post_init__(self) -> None:
        with as_setting("redemption minimum"):
            validation.amount(self.minimum, what="redemption minimum")


@dataclass(frozen=True, slots=True)
class PartnerExchange:
    """Points leave for a partner's asset at ``out`` (``out.points`` of ours buy
    ``out.value`` of theirs) and, when ``back`` is set, return at ``back``
    (``back.points`` of theirs buy ``back.value`` of ours)."""

    __pydantic_config__: ClassVar[dict[str, object]] = SETTINGS_DOCUMENT

    asset: str
    precision: int = 0
    out: Rate = field(default_factory=lambda: Rate(1, 1))
    back: Rate | None = None

    def __post_init__(self) -> None:
        with as_setting("partner"):
            validation.asset_code(self.asset)
            validation.precision(self.precision)


@dataclass(frozen=True, slots=True)
class Programme:
    __pydantic_config__: ClassVar[dict[str, object]] = SETTINGS_DOCUMENT

    name: str = "Loyalty programme"
    points_asset: str = "PTS"
    credit_asset: str = "USD"
    credit_precision: int = 2
    currency: str = "USD"
    """Purchases are accepted in this currency, in its minor unit."""
    timezone: str = "UTC"
    """Where 'end of month' and 'end of year' are, for expiry rounding."""
    point_value: Rate = field(default_factory=lambda: Rate(1, 1))
    """What a point is worth in the credit asset's minor unit; recorded on every lot."""
    earn_rate: Rate = field(default_factory=lambda: Rate(1, 100))
    """Points per minor unit of spend (until the rules engine decides): 1 point per $1."""
    engagement_points: Mapping[str, int] = field(default_factory=dict)
    expiry: Mapping[LotKind, ExpiryRule] = field(default_factory=dict)
    pending_days: int = 0
    """Purchase points stay pending (unspendable) this many days, to cover returns."""
    negative_balance: NegativeBalancePolicy = NegativeBalancePolicy.CLAWBACK_FROM_FUTURE
    conversion: Rate = field(default_factory=lambda: Rate(100, 100))
    """Points to store credit, in whole units of ``conversion.points`` only."""
    redemption_options: Mapping[str, RedemptionOption] = field(default_factory=dict)
    partners: Mapping[str, PartnerExchange] = field(default_factory=dict)
    risk: VelocityRules = field(default_factory=VelocityRules)
    """Velocity rules; all off by default (``VelocityRules.seed()`` has the article's)."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not 0 < len(self.name) <= 200:
            raise InvalidProgramme("the programme name must be 1-200 characters")
        with as_setting("programme"):
            for code in (self.points_asset, self.credit_asset, self.currency):
                validation.asset_code(code)
            validation.precision(self.credit_precision)
        if self.points_asset == self.credit_asset:
            raise InvalidProgramme("points and credit must be different assets")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidProgramme(f"unknown time zone {self.timezone!r}") from None
        pending = self.pending_days
        if isinstance(pending, bool) or not isinstance(pending, int):
            raise InvalidProgramme("pending_days must be an integer")
        if not 0 <= pending <= MAX_PENDING_DAYS:
            raise InvalidProgramme(f"pending_days must be from 0 to {MAX_PENDING_DAYS}")
        policy = setting(NegativeBalancePolicy, self.negative_balance, "negative_balance")
        object.__setattr__(self, "negative_balance", policy)
        self._freeze("engagement_points", _names(self.engagement_points, "engagement type"))
        for kind, points in self.engagement_points.items():
            with as_setting("engagement_points"):
                validation.amount(points, what=f"engagement_points[{kind}]")
        self._freeze("redemption_options", _names(self.redemption_options, "redemption option"))
        self._freeze("partners", _names(self.partners, "partner"))
        for partner in self.partners.values():
            if partner.asset in (self.points_asset, self.credit_asset):
                raise InvalidProgramme(f"partner asset {partner.asset} is already in use")
        expiry = {
            setting(LotKind, kind, "expiry lot kind"): rule for kind, rule in self.expiry.items()
        }
        self._freeze("expiry", {kind: expiry.get(kind, _DEFAULT_EXPIRY) for kind in LotKind})

    def _freeze(self, name: str, value: Mapping[Any, object]) -> None:
        object.__setattr__(self, name, dict(value))

    def expiry_rule(self, kind: LotKind) -> ExpiryRule:
        return self.expiry[kind]


_DEFAULT_EXPIRY = ExpiryRule.after(months=24)


@contextmanager
def as_setting(what: str) -> Iterator[None]:
    """A bad value inside the settings is a bad programme (400 invalid_programme)."""
    try:
        yield
    except InvalidRequest as exc:
        if isinstance(exc, InvalidProgramme):
            raise
        raise InvalidProgramme(f"{what}: {exc.message}") from None


def _names(mapping: Mapping[str, object], what: str) -> Mapping[str, object]:
    if not isinstance(mapping, Mapping):
        raise InvalidProgramme(f"{what}s must be a mapping of name to settings")
    for name in mapping:
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            raise InvalidProgramme(
                f"{what} name {name!r} must be 1-40 characters of a-z, 0-9 or '_', "
                "starting with a letter"
            )
    return mapping


def default_programme(name: str = "punchcard demo programme") -> Programme:
    """The programme of the seed article: 1 point per $1, engagement rewards, four
    redemption options, expiry of 24/12/6 months for earned/bonus/transferred points."""
    return Programme(
        name=name,
        engagement_points={
            "app_login": 5,
            "review_written": 50,
            "referral_completed": 1000,
            "social_share": 10,
        },
        expiry={
            LotKind.EARNED: ExpiryRule.after(months=24),
            LotKind.BONUS: ExpiryRule.after(months=12),
            LotKind.ENGAGEMENT: ExpiryRule.after(months=12),
            LotKind.TRANSFERRED: ExpiryRule.after(months=6),
            LotKind.ADJUSTED: ExpiryRule.after(months=24),
            LotKind.REFUNDED_REDEMPTION: ExpiryRule.after(months=12, round_to=RoundTo.END_OF_MONTH),
        },
        pending_days=14,
        redemption_options={
            "cashback": RedemptionOption(Rate(100, 100), minimum=2500),
            "gift_card": RedemptionOption(Rate(90, 100), minimum=1000),
            "product": RedemptionOption(Rate(80, 100), minimum=500),
            "donation": RedemptionOption(Rate(110, 100), minimum=1000),
        },
        partners={"skyways": PartnerExchange("MILES", out=Rate(2, 1), back=Rate(1, 1))},
    )
