"""Hostile Twilio webhooks: every voice route answers TwiML, texts answer TwiML, forgeries 403.

Requests are signed as Twilio signs them (``tests.ivr.driver.Twilio``), so the hostile values
reach the code behind the signature check; the same requests unsigned, or signed with another
token, are refused before anything is read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from ivr.views import BadRequestError
from tests.fuzz import hostile, routes
from tests.fuzz.conftest import FUZZ, no_errors_logged
from tests.ivr.driver import BASE_URL, Twilio

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")


def answered_twiml(response) -> ET.Element:
    """The response must be a 200 TwiML document whose root is <Response>."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response"
    return root


def signed_url(path: str, query: dict[str, str]) -> str:
    return f"{BASE_URL}{path}" + (f"?{urlencode(query)}" if query else "")


@FUZZ
@given(
    path=st.sampled_from((*routes.VOICE, *routes.VOICE_QUIET)),
    query=hostile.step_query(),
    form=hostile.twilio_form(),
)
def test_voice_routes_always_answer_twiml(twilio, path, query, form):
    # L-never-5xx: Twilio must always get a document it can play (design card, "Twilio").
    with no_errors_logged(BadRequestError, messages=("Twilio used the fallback URL",)):
        response = twilio.post(signed_url(path, query), form)
    answered_twiml(response)


@FUZZ
@given(form=hostile.sms_form())
def test_text_messages_always_answer_messages(twilio, form):
    with no_errors_logged():
        response = twilio.post(f"{BASE_URL}/sms/incoming", form)
    root = answered_twiml(response)
    assert all(child.tag == "Message" for child in root)


@FUZZ
@given(
    path=st.sampled_from((*routes.VOICE, *routes.VOICE_QUIET, *routes.SMS)),
    body=hostile.raw_form_body(),
)
def test_invalid_utf8_in_a_signed_form_still_gets_twiml(twilio, path, body):
    # Sign what the app will read: the body decoded as werkzeug decodes it.
    environ = EnvironBuilder(
        method="POST", data=body, content_type="application/x-www-form-urlencoded"
    ).get_environ()
    params = Request(environ).form
    url = f"{BASE_URL}{path}?n=1"
    signature = twilio.validator.compute_signature(url, params)
    response = twilio.client.post(
        f"{path}?n=1",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    answered_twiml(response)


@FUZZ
@given(
    path=st.sampled_from((*routes.VOICE, *routes.VOICE_QUIET, *routes.SMS)),
    form=hostile.twilio_form(),
    signature=st.one_of(st.none(), hostile.header_text(), st.just("wrong-token")),
)
def test_unsigned_or_forged_requests_are_refused(app, twilio, path, form, signature):
    if signature == "wrong-token":
        forger = Twilio(app.test_client(), token="f" * 32)
        response = forger.post(f"{BASE_URL}{path}?n=1", form)
    else:
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        response = twilio.client.post(f"{path}?n=1", data=form, headers=headers)
    assert response.status_code == 403
