"""Helpers for the data-protection tests: raw column values read past the column types, and
keys that are put back after a test changes them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from store.crypto import DataKeys, Keyring, configure
from store.key_rotation import encrypted_columns
from store.models import Base
from tests.conftest import DEVELOPMENT_KEYS

NEW_KEY = "bmV3LWtleS1uZXctay1uZXcta2V5LW5ldy1rZXktbmU="
OTHER_HASH_KEY = "another-phone-hash-key-for-rotation-tests"


def raw_values(db) -> dict[tuple[str, str], list[str]]:
    """Every non-empty stored value of every encrypted column, as the database holds it."""
    found: dict[tuple[str, str], list[str]] = {}
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for column in encrypted_columns(table):
                values = connection.execute(
                    text(f'SELECT "{column.name}" FROM "{table.name}"')
                ).scalars()
                found[(table.name, column.name)] = [value for value in values if value]
    return found


@pytest.fixture
def use_keys() -> Iterator[Callable[[DataKeys], Keyring]]:
    """``use_keys(DataKeys(...))`` for the rest of the test; the development keys come back."""
    yield configure
    configure(DEVELOPMENT_KEYS)


@pytest.fixture
def rotated_keys() -> DataKeys:
    """A new key in front of the development key, as step 1 of a rotation."""
    return DataKeys((NEW_KEY, *DEVELOPMENT_KEYS.encryption), DEVELOPMENT_KEYS.phone_hash)
