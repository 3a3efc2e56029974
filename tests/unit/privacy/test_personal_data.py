"""Personal-data fields: what is accepted, and errors that name the field but never
repeat the value."""

from __future__ import annotations

from datetime import date

import pytest

from punchcard.domain.privacy.personal_data import (
    InvalidPersonalData,
    PersonalData,
    lookup_email,
    personal_data,
)


def test_a_full_record_round_trips_through_its_bytes() -> None:
    record = personal_data({
        "name": " Ada Lovelace ", "email": "Ada@Example.COM", "phone": "+44 20 7946 0958",
        "date_of_birth": "1915-12-10", "address": "1 Ockham St\nLondon",
        "attributes": {"preferred_store": "soho"},
    })  # fmt: skip
    assert record.name == "Ada Lovelace"
    assert record.email == "Ada@example.com"  # the domain is lower-cased, the mailbox kept
    assert record.date_of_birth == date(1915, 12, 10)
    assert PersonalData.from_bytes(record.to_bytes()) == record


def test_every_field_is_optional() -> None:
    assert personal_data({}) == PersonalData()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"email": "not-an-address"}, "email must look like name@example.com"),
        ({"email": "a@b"}, "email must look like name@example.com"),
        ({"email": "x" * 250 + "@example.com"}, "email must be at most 254 characters"),
        ({"name": ""}, "name must not be empty"),
        ({"name": "n" * 201}, "name must be at most 200 characters"),
        ({"name": 7}, "name must be a string"),
        ({"name": "a\x00b"}, "name must not contain control characters"),
        ({"phone": "call me"}, "phone must be digits"),
        ({"date_of_birth": "10/12/1990"}, "date_of_birth must be a date, YYYY-MM-DD"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth must be between 1900 and 2100"),
        ({"address": "a" * 501}, "address must be at most 500 characters"),
        ({"attributes": {"Bad Name": "x"}}, "attribute names are 1-40 of a-z"),
        ({"attributes": {f"k{i}": "v" for i in range(51)}}, "attributes holds at most 50"),
        ({"attributes": {"k": "v" * 501}}, "attributes.k must be at most 500 characters"),
        ({"ssn": "123"}, "unknown field(s): ssn"),
    ],
)
def test_bad_fields_are_named_precisely(document: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidPersonalData) as raised:
        personal_data(document)
    assert message in raised.value.message
    for value in document.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in raised.value.message  # never echo personal data


def test_lookups_ignore_case() -> None:
    assert lookup_email("Ada@Example.com") == lookup_email("ada@example.COM")
    with pytest.raises(InvalidPersonalData, match="email is required"):
        lookup_email(None)
