"""Voicemail audio, fetched from Twilio with the account's credentials and streamed to staff.

Staff never see Twilio's recording address: the console asks Twilio for the recording by its id
(the URL is built here from the account id and the recording id, never taken from stored
data) and passes the audio through its own signed-in route.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx

TWILIO_API = "https://api.twilio.com/2010-04-01"
_RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
CHUNK_BYTES = 64 * 1024


class RecordingUnavailableError(RuntimeError):
    """Twilio could not give us the recording (deleted, or Twilio unreachable)."""


@dataclass
class Audio:
    """An open stream of audio: its type, length if known, and the bytes."""

    content_type: str
    length: int | None
    chunks: Iterator[bytes]


class RecordingSource(Protocol):
    """Opens a recording's audio by Twilio recording id."""

    def open(self, recording_sid: str) -> Audio:
        """The audio, or ``RecordingUnavailableError``."""
        ...


class TwilioRecordings:
    """Recordings from Twilio's REST API, as MP3, with HTTP basic auth."""

    def __init__(
        self, account_sid: str, auth_token: str, client: httpx.Client | None = None
    ) -> None:
        self._account_sid = account_sid
        self._auth = (account_sid, auth_token)
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(30.0, connect=5.0), follow_redirects=True
        )

    def url(self, recording_sid: str) -> str:
        """The recording's MP3 address at Twilio."""
        if not _RECORDING_SID.fullmatch(recording_sid):
            raise RecordingUnavailableError("not a Twilio recording id")
        return f"{TWILIO_API}/Accounts/{self._account_sid}/Recordings/{recording_sid}.mp3"

    def open(self, recording_sid: str) -> Audio:
        """Start downloading; the caller streams ``chunks`` (closed when exhausted)."""
        request = self._client.build_request("GET", self.url(recording_sid))
        try:
            response = self._client.send(request, auth=self._auth, stream=True)
        except httpx.HTTPError as error:
            raise RecordingUnavailableError(type(error).__name__) from None
        if response.status_code != 200:
            response.close()
            raise RecordingUnavailableError(f"Twilio answered {response.status_code}")
        length = response.headers.get("content-length")

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_bytes(CHUNK_BYTES)
            finally:
                response.close()

        return Audio(
            content_type=response.headers.get("content-type", "audio/mpeg"),
            length=int(length) if length and length.isdigit() else None,
            chunks=chunks(),
        )
