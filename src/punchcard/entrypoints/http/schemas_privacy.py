"""Request and response bodies of the personal-data routes.

The body is read loosely here (strings, an object of strings) and validated by the
domain (``domain/privacy/personal_data.py``), whose errors name a field but never
repeat its value: an error answer or log line must not carry personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from punchcard.domain.privacy.personal_data import PersonalData, personal_data


class PersonalDataBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    date_of_birth: str | None = None
    """YYYY-MM-DD."""
    address: str | None = None
    attributes: dict[str, str] | None = None

    def record(self) -> PersonalData:
        return personal_data(self.model_dump(exclude_none=True))


class PersonalDataView(BaseModel):
    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    date_of_birth: date | None
    address: str | None
    attributes: dict[str, str]

    @classmethod
    def of(cls, customer_id: str, data: PersonalData) -> PersonalDataView:
        return cls(
            customer_id=customer_id, name=data.name, email=data.email, phone=data.phone,
            date_of_birth=data.date_of_birth, address=data.address,
            attributes=dict(data.attributes),
        )  # fmt: skip


class StoredView(BaseModel):
    customer_id: str
    stored: bool


class ErasureView(BaseModel):
    customer_id: str
    erased_at: datetime
    erased_by: str


class EmailLookup(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    email: str


Export = dict[str, Any]
