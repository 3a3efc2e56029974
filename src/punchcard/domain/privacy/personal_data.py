"""A customer's personal data: the one record punchcard keeps that names a person.

It is validated here, with errors that name the field and never repeat its value
(the value is personal data; an error message may end up in a log), and it is
turned into the bytes the vault encrypts. Nothing here encrypts or does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from punchcard.domain.errors import Conflict, InvalidRequest, NotFound

MAX_TEXT = 200
MAX_ADDRESS = 500
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_VALUE = 500
FIELDS = ("name", "email", "phone", "date_of_birth", "address", "attributes")

_EMAIL_RE = re.compile(
    r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_PHONE_RE = re.compile(r"\+?[0-9][0-9 ()./-]{3,30}")
_ATTRIBUTE_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class InvalidPersonalData(InvalidRequest):
    """The personal data is not valid."""

    code = "invalid_personal_data"


class NoPersonalData(NotFound):
    """No personal data is stored for this customer."""

    code = "no_personal_data"


class PersonalDataErased(Conflict):
    """This customer's personal data was erased; it cannot be read or stored again."""

    code = "personal_data_erased"
    http_status = 410


class EmailInUse(Conflict):
    """Another customer of this programme already has this e-mail address."""

    code = "email_in_use"


@dataclass(frozen=True, slots=True)
class PersonalData:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    date_of_birth: date | None = None
    address: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """The plaintext the vault encrypts: canonical JSON, keys sorted."""
        document = asdict(self)
        if self.date_of_birth is not None:
            document["date_of_birth"] = self.date_of_birth.isoformat()
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, plaintext: bytes) -> PersonalData:
        return personal_data(json.loads(plaintext))


def personal_data(document: Mapping[str, Any]) -> PersonalData:
    """A validated record from a JSON-like mapping; an unknown or bad field is an error
    naming the field (never its value)."""
    if not isinstance(document, Mapping):
        raise InvalidPersonalData("personal data must be an object")
    unknown = sorted(set(document) - set(FIELDS))
    if unknown:
        raise InvalidPersonalData(f"unknown field(s): {', '.join(map(str, unknown))[:200]}")
    born = document.get("date_of_birth")
    return PersonalData(
        name=text(document.get("name"), "name", MAX_TEXT),
        email=email(document.get("email")),
        phone=phone(document.get("phone")),
        date_of_birth=date_of_birth(born),
        address=text(document.get("address"), "address", MAX_ADDRESS, multiline=True),
        attributes=attributes(document.get("attributes") or {}),
    )


def text(value: object, what: str, limit: int, *, multiline: bool = False) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidPersonalData(f"{what} must be a string")
    value = value.strip()
    if not value:
        raise InvalidPersonalData(f"{what} must not be empty (leave it out instead)")
    if len(value) > limit:
        raise InvalidPersonalData(f"{what} must be at most {limit} characters")
    check = value.replace("\n", "") if multiline else value
    if _CONTROL_RE.search(check):
        raise InvalidPersonalData(f"{what} must not contain control characters")
    return value


def email(value: object) -> str | None:
    """An address of the shape local@domain.tld, at most 254 characters; the domain is
    lower-cased (the local part is the mailbox owner's and kept as given)."""
    found = text(value, "email", 254)
    if found is None:
        return None
    if not _EMAIL_RE.fullmatch(found):
        raise InvalidPersonalData("email must look like name@example.com")
    local, _, domain = found.rpartition("@")
    return f"{local}@{domain.lower()}"


def lookup_email(value: object) -> str:
    """The form an address is looked up by: validated, then wholly lower-cased."""
    found = email(value)
    if found is None:
        raise InvalidPersonalData("email is required")
    return found.lower()


def phone(value: object) -> str | None:
    found = text(value, "phone", 32)
    if found is not None and not _PHONE_RE.fullmatch(found):
        raise InvalidPersonalData("phone must be digits, optionally with + ( ) . / - and spaces")
    return found


def date_of_birth(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidPersonalData("date_of_birth must be a date, YYYY-MM-DD")
    try:
        born = date.fromisoformat(value)
    except ValueError:
        raise InvalidPersonalData("date_of_birth must be a date, YYYY-MM-DD") from None
    if not 1900 <= born.year <= 2100:
        raise InvalidPersonalData("date_of_birth must be between 1900 and 2100")
    return born


def attributes(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidPersonalData("attributes must be an object of strings")
    if len(value) > MAX_ATTRIBUTES:
        raise InvalidPersonalData(f"attributes holds at most {MAX_ATTRIBUTES} entries")
    found: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not _ATTRIBUTE_RE.fullmatch(name):
            raise InvalidPersonalData(
                "attribute names are 1-40 of a-z, 0-9 and _, starting with a letter"
            )
        checked = text(item, f"attributes.{name}", MAX_ATTRIBUTE_VALUE)
        assert checked is not None or item is None
        if checked is None:
            raise InvalidPersonalData(f"attributes.{name} must be a string")
        found[name] = checked
    return found
