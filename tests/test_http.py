"""The shared HTTP engine: retries, Retry-After, pacing, classified secret-free errors."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime

import httpx
import pytest

from deskpulse.connectors import PageInvalid, SourceConfigError, TransientError
from deskpulse.connectors.engine.http import MAX_ATTEMPTS, Http
from deskpulse.connectors.engine.pacing import budget_delay, retry_after
from deskpulse.connectors.errors import redact
from tests.fakedesk import FakeDesk, fixture, raising

TOKEN = "tok-SECRET-4242"
NOW = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
PATH = "/api/v2/incremental/tickets/cursor.json"


def ok(body=None, **headers) -> httpx.Response:
    return httpx.Response(200, json=body or {"tickets": []}, headers=headers)


@pytest.fixture
def desk():
    fake = FakeDesk()
    yield fake
    fake.assert_consumed()


def engine(desk: FakeDesk, slept: list[float], **kwargs) -> Http:
    return Http(source="acme", vendor="zendesk", base_url="https://acme.zendesk.com",
                auth=("ops@acme.example/token", TOKEN), transport=desk.transport(),
                sleep=slept.append, clock=lambda: NOW, rng=random.Random(1), **kwargs)


def test_429_waits_exactly_as_retry_after_seconds_says(desk):
    desk.add("GET", PATH, fixture("zendesk/errors/rate_limited"), ok())
    slept: list[float] = []
    http = engine(desk, slept)
    body, _ = http.get_json(PATH, {"start_time": 1})
    assert body == {"tickets": []}
    assert slept[0] == 7.0
    assert http.requests == 2


def test_503_retry_after_as_an_http_date_is_relative_to_the_clock(desk):
    desk.add("GET", PATH, fixture("zendesk/errors/unavailable"), ok())
    slept: list[float] = []
    engine(desk, slept).get_json(PATH)
    assert slept == [30.0]  # Mon, 02 Mar 2026 09:00:30 GMT, and the clock says 09:00:00


def test_5xx_timeouts_and_resets_are_retried_with_growing_jittered_backoff(desk):
    desk.add("GET", PATH, httpx.Response(500), raising(httpx.ReadTimeout("slow")),
             raising(httpx.ConnectError("reset")), httpx.Response(502), ok())
    slept: list[float] = []
    http = engine(desk, slept)
    http.get_json(PATH)
    assert http.requests == 5
    assert len(slept) == 4
    assert all(0 <= wait <= min(60, 2 ** n) for n, wait in enumerate(slept, start=1))


def test_retries_end_with_a_clean_transient_error(desk):
    desk.add("GET", PATH, *[httpx.Response(503) for _ in range(MAX_ATTEMPTS)])
    with pytest.raises(TransientError) as info:
        engine(desk, []).get_json(PATH, {"start_time": 5})
    message = str(info.value)
    assert message.startswith("zendesk source 'acme': GET " + PATH + "?start_time=…")
    assert "503" in message and TOKEN not in message


def test_401_stops_the_source_and_says_what_to_check_without_the_token(desk, caplog):
    desk.add("GET", PATH, fixture("zendesk/errors/unauthorized"))
    with caplog.at_level(logging.DEBUG), pytest.raises(SourceConfigError) as info:
        engine(desk, []).get_json(PATH)
    message = str(info.value)
    assert "acme" in message and PATH in message and "401" in message
    assert "check the token" in message
    assert TOKEN not in message and TOKEN not in caplog.text
    assert "Couldn't authenticate" not in message  # never a response body
    assert len(desk.log) == 1  # not retried


def test_a_truncated_body_is_retried_then_reported_as_page_invalid(desk):
    cut = httpx.Response(200, content=b'{"tickets": [{"id": 1, "subj')
    desk.add("GET", PATH, *[cut for _ in range(MAX_ATTEMPTS)])
    with pytest.raises(PageInvalid, match="not complete JSON"):
        engine(desk, []).get_json(PATH)
    assert len(desk.log) == MAX_ATTEMPTS


def test_a_truncated_body_once_is_just_retried(desk):
    desk.add("GET", PATH, httpx.Response(200, content=b"<html>gateway"), ok())
    assert engine(desk, []).get_json(PATH)[0] == {"tickets": []}


def test_pacing_slows_down_before_the_budget_runs_out(desk):
    low = {"x-rate-limit": "100", "x-rate-limit-remaining": "4", "ratelimit-reset": "20"}
    desk.add("GET", PATH, ok(**low), ok())
    slept: list[float] = []
    http = engine(desk, slept)
    http.get_json(PATH)
    assert slept == []
    http.get_json(PATH)
    # 4 left for 20 s, one kept in reserve: one every 20/3 s, no 429 needed
    assert slept == [pytest.approx(20 / 3)]


def test_client_side_cap_spaces_export_requests(desk):
    desk.add("GET", PATH, ok(), ok())
    slept: list[float] = []
    http = engine(desk, slept, caps={"export": 10})
    http.get_json(PATH, cap="export")
    http.get_json(PATH, cap="export")
    assert slept == [6.0]


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, 0.0),
    ({"x-rate-limit": "700", "x-rate-limit-remaining": "600"}, 0.0),
    # spent: wait for the reset, plus half a second for whole-second headers
    ({"ratelimit-limit": "10", "ratelimit-remaining": "0", "ratelimit-reset": "9"}, 9.5),
    ({"ratelimit-limit": "10", "ratelimit-remaining": "1", "ratelimit-reset": "9"}, 9.5),
    # Freshdesk, no reset header: the minute, over what is left less one kept in reserve
    ({"x-ratelimit-total": "100", "x-ratelimit-remaining": "5"}, 15.0),
    ({"x-ratelimit-limit": "167", "x-ratelimit-remaining": "3",
      "x-ratelimit-reset": str(int(NOW.timestamp()) + 8)}, 4.0),  # Intercom: unix reset
])
def test_budget_delay_reads_every_vendor_spelling(headers, expected):
    assert budget_delay(headers, NOW.timestamp()) == expected


def test_retry_after_parses_both_forms_and_ignores_garbage():
    now = NOW.timestamp()
    assert retry_after({"retry-after": "12"}, now) == 12.0
    assert retry_after({"retry-after": "Mon, 02 Mar 2026 09:01:00 GMT"}, now) == 60.0
    assert retry_after({"retry-after": "soon"}, now) is None
    assert retry_after({}, now) is None


def test_plain_http_is_refused_except_for_loopback():
    with pytest.raises(SourceConfigError, match="not https"):
        Http(source="acme", vendor="zendesk", base_url="http://acme.example.com")
    Http(source="acme", vendor="zendesk", base_url="http://127.0.0.1:8080").close()
    Http(source="acme", vendor="zendesk", base_url="http://localhost:8080").close()
    Http(source="acme", vendor="zendesk", base_url="http://proxy.internal",
         allow_insecure=True).close()


def test_redact_keeps_the_path_and_drops_values_and_userinfo():
    url = "https://user:pw@acme.zendesk.com/api/v2/x.json?cursor=abc&token=t0k"
    assert redact(url) == "/api/v2/x.json?cursor=…&token=…"


def test_a_retry_after_far_in_the_future_is_capped(desk):
    desk.add("GET", PATH, httpx.Response(429, headers={"retry-after": "Mon, 01 Mar 2027 "
                                                              "09:00:00 GMT"}), ok())
    slept: list[float] = []
    engine(desk, slept).get_json(PATH)
    assert slept == [900.0]


def test_requests_in_flight_count_against_what_is_left():
    headers = {"x-ratelimit-limit": "166", "x-ratelimit-remaining": "5",
               "x-ratelimit-reset": str(int(NOW.timestamp()) + 10)}
    assert budget_delay(headers, NOW.timestamp(), low_water=1.0) == 10 / 4
    assert budget_delay(headers, NOW.timestamp(), low_water=1.0, in_flight=3) == 10.0
    assert budget_delay(headers, NOW.timestamp(), low_water=1.0, in_flight=4) == 10.5


def test_a_reset_far_beyond_any_window_is_clock_skew_not_a_reason_to_wait_hours():
    skewed = {"x-ratelimit-limit": "166", "x-ratelimit-remaining": "100",
              "x-ratelimit-reset": str(int(NOW.timestamp()) + 86_400 * 90)}
    # even pacing falls back to a minute's window: 60 s over 99 requests, not 90 days
    assert budget_delay(skewed, NOW.timestamp(), low_water=1.0) == pytest.approx(60 / 99)


def test_without_a_reset_header_the_window_is_timed_from_when_the_budget_refilled():
    from deskpulse.connectors.engine.pacing import WindowWatch

    watch = WindowWatch(seconds=60)
    watch.see(40, now=1000.0)  # first sight: assume the window began now
    watch.see(30, now=1030.0)
    assert watch.reset_in(1030.0) == 30.0
    watch.see(59, now=1065.0)  # refilled: a new window began
    assert watch.reset_in(1070.0) == 55.0
    headers = {"x-ratelimit-total": "60", "x-ratelimit-remaining": "4"}
    # 3 usable requests (one kept in reserve) over the 55 s this window has left
    assert budget_delay(headers, 1070.0, reset_hint=watch.reset_in(1070.0)) == \
        pytest.approx(55 / 3)
