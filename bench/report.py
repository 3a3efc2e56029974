"""The one table `make bench` prints, and the same figures as JSON.

A figure is one measured number. If the issue sets a target for it, the figure
carries the target and which way is better; its ratio is always ``value /
target`` (above 1 is good for a floor, below 1 for a ceiling), and a missed
target prints as ``MISSED``, never hidden.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Better = Literal["higher", "lower"]


@dataclass(frozen=True, slots=True)
class Figure:
    item: str
    """Which numbered item of the issue: "1 baseline", "3 http", ..."""
    name: str
    value: float
    unit: str
    target: float | None = None
    better: Better = "higher"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.target is None or self.target == 0:
            return None
        return self.value / self.target

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.better == "higher" else self.value < self.target


@dataclass(slots=True)
class Report:
    profile: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)
        for figure in figures:
            print(f"  {figure.item:<12} {figure.name:<44} {_value(figure):>14}", flush=True)

    def table(self) -> str:
        head = f"{'item':<12} {'figure':<44} {'value':>14} {'target':>14} {'ratio':>7}  met?"
        lines = [head, "-" * len(head)]
        for f in self.figures:
            target = "" if f.target is None else ("≥ " if f.better == "higher" else "< ")
            target += "" if f.target is None else _number(f.target, f.unit)
            ratio = "" if f.ratio is None else f"{f.ratio:.2f}"
            met = {None: "", True: "met", False: "MISSED"}[f.met]
            row = f"{f.item:<12} {f.name:<44} {_value(f):>14} {target:>14} {ratio:>7}  {met}"
            lines.append(row)
            if f.note:
                lines.append(f"{'':<12}   ({f.note})")
        met_count = sum(f.met is True for f in self.figures)
        missed = sum(f.met is False for f in self.figures)
        lines.append(f"{met_count} targets met, {missed} missed")
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "profile": self.profile,
            "started_at": self.started_at,
            "finished_at": datetime.now(UTC).isoformat(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "figures": [asdict(f) | {"ratio": f.ratio, "met": f.met} for f in self.figures],
            "details": self.details,
        }
        path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def _value(f: Figure) -> str:
    return _number(f.value, f.unit)


def _number(value: float, unit: str) -> str:
    if unit in ("ms", "µs"):
        shown = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    elif unit in ("x", "share"):
        shown = f"{value:.3f}"
    elif unit == "%":
        shown = f"{value:.1f}"
    else:
        shown = f"{value:,.0f}"
    return f"{shown} {unit}"
