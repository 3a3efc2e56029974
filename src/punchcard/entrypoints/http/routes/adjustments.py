"""Routes of the adjustments area (being written)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
