"""Encryption at rest and keyed phone-number hashes for personal data (L12).

A value is encrypted with Fernet (AES-128-CBC with an HMAC-SHA256 tag, so a changed value or a
wrong key is detected) under the newest configured key and stored as ``enc1:<key id>:<token>``.
Every configured key still decrypts what it wrote, which is what lets keys rotate: add a new key
in front, re-encrypt (``carers-line data rotate-key``), then drop the old one.

Phone numbers are looked up through an HMAC-SHA256 of the number in E.164 form under a separate
key, so finding a carer's earlier contacts never needs the number in clear.

The keys are configured once per process, where the store is opened
(``store.database.make_engine(url, keys=...)``), from the settings.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken

from handlers.phones import normalised_number

PREFIX = "enc1"


class CryptoError(RuntimeError):
    """Encryption keys are missing or wrong, or a stored value cannot be read."""


@dataclass(frozen=True)
class DataKeys:
    """The keys from the settings: Fernet keys (newest first) and the phone-hash secret."""

    encryption: tuple[str, ...] = field(repr=False)
    phone_hash: str = field(repr=False)


def key_id(key: str) -> str:
    """A short, non-secret name for a key, stored with each value it encrypts."""
    return hashlib.sha256(b"carers-line key id:" + key.encode("ascii")).hexdigest()[:8]


class Keyring:
    """Encrypts under the newest key, decrypts under any configured key, hashes phones."""

    def __init__(self, keys: DataKeys) -> None:
        if not keys.encryption:
            raise CryptoError("DATA_ENCRYPTION_KEYS: at least one key is needed")
        try:
            self._fernets = {key_id(key): Fernet(key) for key in keys.encryption}
        except ValueError:
            raise CryptoError("DATA_ENCRYPTION_KEYS: a key is not a Fernet key") from None
        self.current_id = key_id(keys.encryption[0])
        self.key_ids = tuple(self._fernets)
        self._current = self._fernets[self.current_id]
        self._hash_key = keys.phone_hash.encode("utf-8")

    def encrypt(self, plain: str) -> str:
        """The stored form of ``plain``, under the newest key."""
        token = self._current.encrypt(plain.encode("utf-8")).decode("ascii")
        return f"{PREFIX}:{self.current_id}:{token}"

    def decrypt(self, stored: str) -> str:
        """The plain text of a stored value; a clear error if no configured key can open it."""
        prefix, _, rest = stored.partition(":")
        found_id, _, token = rest.partition(":")
        if prefix != PREFIX or not token:
            raise CryptoError(
                "a stored value is not encrypted: the database has not been migrated "
                "(run `carers-line db upgrade`)"
            )
        fernet = self._fernets.get(found_id)
        if fernet is None:
            raise CryptoError(
                f"a stored value was encrypted with key {found_id}, which is not in "
                "DATA_ENCRYPTION_KEYS: add that key back (after the newest) and run "
                "`carers-line data rotate-key` before dropping it"
            )
        try:
            return fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise CryptoError(
                f"a stored value failed its integrity check under key {found_id}: the key "
                "is wrong or the value was changed in the database"
            ) from None

    def is_current(self, stored: str) -> bool:
        """True when ``stored`` is already encrypted under the newest key."""
        return stored.startswith(f"{PREFIX}:{self.current_id}:")

    def phone_hash(self, number: str | None) -> str | None:
        """HMAC-SHA256 of the number in E.164 form, or None when it is not a phone number."""
        normalised = normalised_number(number) if number else None
        if normalised is None:
            return None
        return self.digest(normalised)

    def digest(self, text: str) -> str:
        """HMAC-SHA256 of ``text`` under the hash key: matches without keeping ``text``."""
        return hmac.new(self._hash_key, text.encode("utf-8"), hashlib.sha256).hexdigest()


_configured: list[Keyring] = []


def configure(keys: DataKeys) -> Keyring:
    """Use these keys for the rest of the process (the store's open function calls this)."""
    keyring = Keyring(keys)
    _configured[:] = [keyring]
    return keyring


def keyring() -> Keyring:
    """The process's keyring; refuses loudly when the store was opened without keys."""
    if not _configured:
        raise CryptoError(
            "encryption keys are not configured: open the database with "
            "make_engine(url, keys=...) (DATA_ENCRYPTION_KEYS, PHONE_HASH_KEY)"
        )
    return _configured[0]


def phone_hash(number: str | None) -> str | None:
    """The keyed hash of a phone number under the process's keys (None for no number)."""
    return keyring().phone_hash(number)
