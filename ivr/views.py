"""The phone line's routes: Twilio Voice webhooks and the SMS webhook, on one blueprint.

``blueprint(service, line, voicemails, spool)`` is registered by ``app.create_app`` when Twilio
is configured. Every route checks Twilio's signature first (403, nothing stored, if it is wrong
or missing) and never answers Twilio with a 5xx: any failure, the database being down included,
gives the fail-safe TwiML built at start-up (emergency numbers, then a message for a call back).

Voice routes (all POST):

``/ivr/voice``           a call comes in: ``Started``
``/ivr/step?n=N``        a ``<Gather>`` action: ``Keyed``, ``Said`` or ``NoInput``
``/ivr/confirm?n=N``     the answer to "Did you say ...?" after unsure speech recognition
``/ivr/recording?n=N``   a ``<Record>`` action: ``Recorded``
``/ivr/dial-result?n=N`` a ``<Dial>`` action: the next staff number, or ``TransferEnded``
``/ivr/screen``          what a staff member hears on answering ("press 1 to accept")
``/ivr/screen-result``   their key: 1 joins the caller, anything else declines
``/ivr/status``          the call's status callback: a finished call is ``HungUp``
``/ivr/transcription``   Twilio's transcript of a recorded message
``/ivr/recording-status`` a recording is ready (its final length and address)
``/ivr/failsafe-recording`` the fail-safe's ``<Record>`` action
``/ivr/fallback``        the number's fallback URL: the fail-safe

``/sms/incoming``        a text message: the same core as chat, answered with ``<Message>``

Idempotency: the call's step number ``N`` travels in each action URL, and the core is given
``step-N`` as the delivery id, so a retried webhook gets the very same TwiML and stores nothing
twice. Texts use the ``MessageSid``. The URL also carries how many silent turns came in a row
(``q``), so a line left open with no one on it is ended kindly after ``SILENT_TURNS``.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, Response, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from handlers.dialog import (
    Chose,
    ConversationKey,
    Event,
    HungUp,
    Keyed,
    NoInput,
    Reply,
    Said,
    Say,
    Started,
    printable,
)
from handlers.engine import ENDED_NODE
from handlers.ports import KeptRecording, Spool, Spooled, Voicemails
from handlers.service import DialogService, Handled
from ivr.inbound import (
    call_finished,
    confidence,
    dial_answered,
    gather_event,
    is_greeting,
    is_opt_out,
    kept_recording,
    kept_transcript,
    recorded,
    seconds,
    text_event,
    transfer_ended,
)
from ivr.render import Links, Position, TextRenderer, VoiceRenderer
from ivr.security import SignatureCheck
from knowledge.prompts import Prompt
from knowledge.text import normalise

log = logging.getLogger("carers_line.ivr")
TWIML = "text/xml"
MAX_STEP = 10_000
SILENT_TURNS = 6
"""Silent turns in a row (no key, no words, an empty recording) after which a call is ended."""
DEFAULT_DIAL_SECONDS = 25
MAX_ID_CHARACTERS = 64
"""Twilio's ids are 34 characters and phone numbers 16: a longer one is not Twilio's (and would
not fit the conversation's key; found by tests/fuzz)."""
_E164_UK = re.compile(r"\+44\d{9,10}")
_NUMBER = re.compile(r"[0-9]{1,9}")
"""A number in an action URL: ASCII digits only ("²".isdigit() is true, int("²") fails)."""
View = Callable[[], Response]


@dataclass(frozen=True)
class PhoneLine:
    """How this deployment's phone line is set up (built from Settings by ``app.py``)."""

    public_base_url: str
    auth_token: str | None
    voice: str = "Polly.Amy"
    language: str = "en-GB"
    confidence_threshold: float = 0.5


class BadRequestError(ValueError):
    """A webhook without a call id or a usable step number (never one Twilio sends us)."""


def blueprint(
    service: DialogService, line: PhoneLine, voicemails: Voicemails, spool: Spool
) -> Blueprint:
    """The ``ivr`` blueprint: voice routes under ``/ivr`` and ``/sms/incoming``."""
    return PhoneRoutes(service, line, voicemails, spool).blueprint


class PhoneRoutes:
    """The routes and what they share: the core, the renderers and the fail-safe stores."""

    def __init__(
        self, service: DialogService, line: PhoneLine, voicemails: Voicemails, spool: Spool
    ) -> None:
        self.service = service
        self.line = line
        self.voicemails = voicemails
        self.spool = spool
        prompts = service.knowledge.prompts
        self.voice = VoiceRenderer(Links(line.public_base_url), prompts, line.voice, line.language)
        self.texts = TextRenderer(prompts)
        self.signatures = SignatureCheck(line.auth_token, line.public_base_url)
        self.yes_words = frozenset({"1", "one", *prompts.get("option_yes").words})
        self.failsafe_consent = _wording_version(prompts.get("phone_failsafe_record"))
        self.answerphone_consent = _wording_version(prompts.get("answerphone_record"))
        self.blueprint = self._build()

    def _build(self) -> Blueprint:
        bp = Blueprint("ivr", __name__)
        bp.before_request(self._check_signature)
        bp.before_request(self._drop_control_characters)
        voice_routes: dict[str, View] = {
            "/ivr/voice": self.incoming_call,
            "/ivr/step": self.step,
            "/ivr/confirm": self.confirm,
            "/ivr/recording": self.recording,
            "/ivr/dial-result": self.dial_result,
            "/ivr/failsafe-recording": self.failsafe_recording,
            "/ivr/fallback": self.fallback,
        }
        for rule, view in voice_routes.items():
            guarded = self._never_fails(view, self._failsafe)
            bp.add_url_rule(rule, view_func=guarded, methods=["POST"])
        quiet_routes: dict[str, View] = {
            "/ivr/screen": self.screen,
            "/ivr/screen-result": self.screen_result,
            "/ivr/status": self.status,
            "/ivr/transcription": self.transcription,
            "/ivr/recording-status": self.recording_status,
        }
        for rule, view in quiet_routes.items():
            guarded = self._never_fails(view, self._empty)
            bp.add_url_rule(rule, view_func=guarded, methods=["POST"])
        bp.add_url_rule(
            "/sms/incoming",
            view_func=self._never_fails(self.text_message, self._text_failsafe),
            methods=["POST"],
        )
        return bp

    # -- guards ---------------------------------------------------------------------------

    def _check_signature(self) -> Response | None:
        try:
            if self.signatures.valid(request):
                return None
        except RequestEntityTooLarge:
            raise  # over MAX_CONTENT_LENGTH: 413, not a forgery
        except Exception:
            log.exception("Twilio signature check failed", extra={"route": request.path})
        return Response("Forbidden", status=403, mimetype="text/plain")

    def _drop_control_characters(self) -> None:
        """Twilio's parameters without control characters, once the signature is checked.

        The signature covers the raw values, so this comes after it. A NUL cannot be stored in
        PostgreSQL and most control characters cannot go back in TwiML (found by tests/fuzz).
        """
        if _unclean(request.form):
            request.form = _printable(request.form)
        if _unclean(request.args):
            request.args = _printable(request.args)

    def _never_fails(self, view: View, fallback: View) -> View:
        @wraps(view)
        def guarded() -> Response:
            try:
                return view()
            except Exception:
                log.exception("phone route failed: fail-safe given", extra={"route": request.path})
                return fallback()

        return guarded

    # -- voice ----------------------------------------------------------------------------

    def incoming_call(self) -> Response:
        """A call comes in: the greeting and the main menu (or, closed, the notice first)."""
        event = Started("voice", request.form.get("From") or None)
        return self._answer(self._call_key(), event, Position(0))

    def step(self) -> Response:
        """The caller pressed keys, spoke, or stayed silent."""
        at = self._position()
        event = gather_event(request.form)
        if isinstance(event, Said) and self._unsure(event):
            return _twiml(self.voice.confirm(event.text, at))
        return self._answer(self._call_key(), event, at)

    def confirm(self) -> Response:
        """After "Did you say ...?": yes acts on the words; anything else asks again."""
        at = self._position()
        heard = request.args.get("heard", "").strip()
        answer = gather_event(request.form)
        if heard and self._is_yes(answer):
            return self._answer(self._call_key(), Said(heard), at)
        if isinstance(answer, NoInput):
            return self._answer(self._call_key(), answer, at)
        again = Say(self.voice.text("phone_say_again"))
        return self._answer(self._call_key(), Chose("repeat"), at, lead=(again,))

    def recording(self) -> Response:
        """A voice message was recorded (an empty one falls through to ``/ivr/step``)."""
        at = self._position()
        message = recorded(request.form)
        key = self._call_key()
        if message is None:
            return self._answer(key, NoInput(), at)
        handled = self.service.handle_delivery(key, message, f"step-{at.step}")
        if handled.failed:
            now = self.service.clock.now()
            kept = kept_recording(request.form, now, self.answerphone_consent)
            if kept is not None:
                self._keep_message(kept)
                return _twiml(self.voice.failsafe_thanks)
        return self._reply(handled, Position(at.step + 1))

    def dial_result(self) -> Response:
        """A staff number answered, or not: try the next, else tell the core."""
        at = self._position()
        waiting = [n for n in request.args.get("then", "").split(",") if _E164_UK.fullmatch(n)]
        if waiting and not dial_answered(request.form):
            timeout = _bounded(request.args.get("wait"), DEFAULT_DIAL_SECONDS, 5, 60)
            return _twiml(self.voice.next_number(waiting, at, timeout))
        return self._answer(self._call_key(), transfer_ended(request.form), at, quiet=at.quiet)

    def screen(self) -> Response:
        """Played to the staff member who answered: press 1 to take the call."""
        return _twiml(self.voice.screening)

    def screen_result(self) -> Response:
        """1 joins the caller (an empty document ends the screening); anything else declines."""
        if request.form.get("Digits", "") == "1":
            return _twiml(self.voice.empty)
        return _twiml(self.voice.screening_declined)

    def status(self) -> Response:
        """A call that ends mid-conversation is ``HungUp``: the core keeps any callback promised.

        A call the dialog already finished (its goodbye, a transfer) has nothing to add, and one
        that never reached the dialog has no conversation to end.
        """
        key = self._call_key()
        if call_finished(request.form) and self._peek(key)[0] not in (None, ENDED_NODE):
            self.service.handle_delivery(key, HungUp(), "hung-up")
        return self._empty()

    def transcription(self) -> Response:
        """Twilio's transcript of a message: kept with its voicemail (or spooled)."""
        transcript = kept_transcript(request.form, self.service.clock.now())
        if transcript is not None:
            try:
                self.voicemails.add_transcript(transcript)
            except Exception:
                log.exception("transcript not saved: spooled", extra={"route": request.path})
                self._spool(transcript)
        return self._empty()

    def recording_status(self) -> Response:
        """A recording is complete: keep its final length and address."""
        params = request.form
        recording_sid = params.get("RecordingSid", "")
        status = params.get("RecordingStatus", "")
        if status == "completed" and recording_sid:
            self.voicemails.recording_completed(
                recording_sid, params.get("RecordingUrl") or None, seconds(params)
            )
        elif recording_sid:
            log.warning(
                "recording not available", extra={"recording": recording_sid, "status": status}
            )
        return self._empty()

    def failsafe_recording(self) -> Response:
        """The fail-safe's message: saved as a voicemail with a callback, or spooled."""
        kept = kept_recording(request.form, self.service.clock.now(), self.failsafe_consent)
        if kept is None:
            return _twiml(self.voice.failsafe_no_message)
        self._keep_message(kept)
        return _twiml(self.voice.failsafe_thanks)

    def fallback(self) -> Response:
        """Twilio could not use our answer (or reach us): the fail-safe."""
        log.error(
            "Twilio used the fallback URL",
            extra={"error_code": request.form.get("ErrorCode", ""), "route": request.path},
        )
        return self._failsafe()

    # -- text messages --------------------------------------------------------------------

    def text_message(self) -> Response:
        """A text: the same conversation as chat, numbered choices instead of buttons."""
        params = request.form
        sender = params.get("From", "").strip()
        message_sid = params.get("MessageSid") or params.get("SmsSid") or ""
        if (
            not sender
            or not message_sid
            or max(map(len, (sender, message_sid))) > MAX_ID_CHARACTERS
        ):
            log.warning("text without a usable sender or id ignored", extra={"route": request.path})
            return _twiml(self.texts.empty)
        key = ConversationKey("sms", sender)
        if is_opt_out(params):
            if self._peek(key)[0] not in (None, ENDED_NODE):
                self.service.handle_delivery(key, HungUp(), f"sms-{message_sid}")
            return _twiml(self.texts.empty)
        event = text_event(params)
        replies: list[Reply] = []
        if self._text_starts(key, message_sid):
            started = self.service.handle_delivery(
                key, Started("chat", sender), f"sms-{message_sid}-start"
            )
            if started.failed:
                return self._text_failsafe()
            replies.extend(started.replies)
            if is_greeting(event) or isinstance(event, NoInput):
                return _twiml(self.texts.replies(replies))
        handled = self.service.handle_delivery(key, event, f"sms-{message_sid}")
        if handled.failed:
            return self._text_failsafe()
        return _twiml(self.texts.replies([*replies, *handled.replies]))

    def _text_starts(self, key: ConversationKey, message_sid: str) -> bool:
        """True for a first text, or one after the last conversation ended (and for its retry)."""
        node, started = self._peek(key, f"sms-{message_sid}-start")
        return started or node in (None, ENDED_NODE)

    def _peek(self, key: ConversationKey, delivery: str | None = None) -> tuple[str | None, bool]:
        """Where a conversation is (None if it never began), and whether ``delivery`` was had.

        Texts and status callbacks carry no "call started" or "call over" of their own, so the
        adapter looks at the conversation's state (through the core's store port) to tell.
        """
        with self.service.store.transaction() as tx:
            replayed = delivery is not None and tx.replay(key, delivery) is not None
            stored = tx.load(key)
            return (stored.node if stored else None), replayed

    # -- shared ---------------------------------------------------------------------------

    def _answer(
        self,
        key: ConversationKey,
        event: Event,
        at: Position,
        lead: tuple[Reply, ...] = (),
        quiet: int = 0,
    ) -> Response:
        """Give the core this step's event; answer with its replies (or the fail-safe).

        Silence counts up (``quiet`` otherwise says how much to carry on); after
        ``SILENT_TURNS`` silent turns in a row the call ends kindly rather than going round
        forever on an open line, and the core hears that the caller has gone.
        """
        if isinstance(event, NoInput):
            quiet = at.quiet + 1
            if quiet >= SILENT_TURNS:
                self.service.handle_delivery(key, HungUp(), f"step-{at.step}")
                return _twiml(self.voice.silent_goodbye)
        handled = self.service.handle_delivery(key, event, f"step-{at.step}")
        return self._reply(handled, Position(at.step + 1, quiet), lead)

    def _reply(self, handled: Handled, at: Position, lead: tuple[Reply, ...] = ()) -> Response:
        if handled.failed:
            return self._failsafe()
        return _twiml(self.voice.replies((*lead, *handled.replies), at))

    def _unsure(self, said: Said) -> bool:
        """True when speech was heard with low confidence and should be checked first.

        Not for crisis words: those divert at once (a wrong guess costs a kind message, a missed
        one much more).
        """
        heard = confidence(request.form)
        if heard is None or heard >= self.line.confidence_threshold:
            return False
        return self.service.knowledge.crisis.detect(said.text) is None

    def _is_yes(self, event: Event) -> bool:
        if isinstance(event, Keyed):
            return event.digits == "1"
        return isinstance(event, Said) and normalise(event.text) in self.yes_words

    def _keep_message(self, kept: KeptRecording) -> None:
        """Save a fail-safe message now, or spool it for the clock when the database is down."""
        try:
            self.voicemails.keep_message(kept, self.service.due_by.callback(kept.received_at))
        except Exception:
            log.exception("message not saved: spooled", extra={"recording": kept.recording_sid})
            self._spool(kept)

    def _spool(self, item: Spooled) -> None:
        try:
            self.spool.append(item)
        except Exception:
            log.critical(
                "could not spool: the recording is only in the Twilio account",
                extra={"recording": item.recording_sid},
                exc_info=True,
            )

    def _call_key(self) -> ConversationKey:
        call_sid = request.form.get("CallSid", "").strip()
        if not call_sid or len(call_sid) > MAX_ID_CHARACTERS:
            raise BadRequestError("no usable CallSid")
        return ConversationKey("voice", call_sid)

    def _position(self) -> Position:
        step, quiet = request.args.get("n", ""), request.args.get("q", "0")
        if not _NUMBER.fullmatch(step) or not 1 <= int(step) <= MAX_STEP:
            raise BadRequestError(f"bad step {step[:10]!r}")
        if not _NUMBER.fullmatch(quiet):
            raise BadRequestError(f"bad silence count {quiet[:10]!r}")
        return Position(int(step), min(int(quiet), SILENT_TURNS))

    def _failsafe(self) -> Response:
        return _twiml(self.voice.failsafe)

    def _text_failsafe(self) -> Response:
        return _twiml(self.texts.failsafe)

    def _empty(self) -> Response:
        return _twiml(self.voice.empty)


def _wording_version(prompt: Prompt) -> str:
    """The consent wording version, as the core writes it: "<key>:<hash of the words>"."""
    digest = hashlib.sha256(f"{prompt.chat}\n{prompt.voice}".encode()).hexdigest()[:8]
    return f"{prompt.key}:{digest}"


def _unclean(values: MultiDict[str, str]) -> bool:
    """True when any name or value holds a character ``printable`` takes out (seldom)."""
    every = "".join(itertools.chain.from_iterable(values.items(multi=True)))
    return printable(every) != every


def _printable(values: MultiDict[str, str]) -> ImmutableMultiDict[str, str]:
    return ImmutableMultiDict(
        [(printable(name), printable(value)) for name, value in values.items(multi=True)]
    )


def _twiml(document: str) -> Response:
    return Response(document, status=200, mimetype=TWIML)


def _bounded(value: str | None, default: int, low: int, high: int) -> int:
    if value is None or not _NUMBER.fullmatch(value):
        return default
    return min(max(int(value), low), high)
