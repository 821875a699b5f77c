"""Connector errors, classified by what the runner does next.

    SourceError                 anything that ends reading a source; the message is safe to log
    ├── SourceConfigError       401/403, bad settings: stop this source until a human fixes it
    ├── TransientError          429, 5xx, timeouts, resets, truncated bodies: retried, then fatal
    ├── SkippableError          404 on a child of a deleted ticket: log it and go on
    └── PageInvalid             a page that still cannot be parsed after retries: fail the run,
                                leaving the committed cursor where it was

Every message names the source, the vendor, the method and redacted path, the status and what
to check. None carries a token, an Authorization header or a response body (bodies hold
customer data): see `redact`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx


class SourceError(Exception):
    """Reading a source failed; `str(error)` is safe to show and store."""

    status: int | None = None  # the HTTP status it stands for, when it came from a response


class SourceConfigError(SourceError):
    """Credentials or settings are wrong; retrying will not help."""


class TransientError(SourceError):
    """Worth retrying after a wait; `retry_after` is the vendor's wish in seconds, if any."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class SkippableError(SourceError):
    """One child object is gone (e.g. its ticket was deleted); the rest of the sync goes on."""


class PageInvalid(SourceError):
    """A response could not be parsed as the vendor documents it."""


# status → (error class, what to tell the operator)
STATUS_ACTIONS: dict[int, tuple[type[SourceError], str]] = {
    400: (PageInvalid, "the request was refused as malformed; report this as a deskpulse bug"),
    401: (SourceConfigError, "check the credentials"),  # per vendor: UNAUTHORIZED
    403: (SourceConfigError, "check that the token's user is an agent or admin with API access"),
    404: (SkippableError, "the object no longer exists (deleted?)"),
    409: (TransientError, "the vendor reported a conflict; retrying"),
    422: (PageInvalid, "the vendor refused the parameters; check start_date and the cursor"),
    429: (TransientError, "rate limited; waiting as the vendor asks"),
    500: (TransientError, "vendor server error; retrying"),
    502: (TransientError, "vendor gateway error; retrying"),
    503: (TransientError, "vendor unavailable; retrying"),
    504: (TransientError, "vendor gateway timeout; retrying"),
}


# What a 401 means each vendor's credentials are (Freshdesk's API key needs no email).
UNAUTHORIZED = {
    "zendesk": "check the token and the agent email it belongs to (settings token, email)",
    "freshdesk": "check the API key (api_key; Freshdesk's key alone, no email is used)",
    "intercom": "check the access token (token) and that the app is installed on the workspace",
}
WRONG_URL = ("nothing at this address has answered yet, so the account URL is likely wrong: "
             "check subdomain / domain / region or base_url")


def redact(url: httpx.URL | str) -> str:
    """The path of a URL, without userinfo, host secrets or query values."""
    parts = urlsplit(str(url))
    if not parts.query:
        return parts.path or "/"
    names = [item.split("=", 1)[0] for item in parts.query.split("&") if item]
    return f"{parts.path}?{'&'.join(f'{name}=…' for name in names)}"


def describe(source: str, vendor: str, request: httpx.Request) -> str:
    return f"{vendor} source '{source}': {request.method} {redact(request.url)}"


def error_for_status(
    source: str, vendor: str, response: httpx.Response, retry_after: float | None,
    *, first: bool = False,
) -> SourceError:
    """The error a non-2xx response stands for, with a message fit for logs and sync_runs.
    `first`: no request to this host has succeeded yet, so a 404 is a wrong account URL
    (a collection the account must have), not one object deleted meanwhile."""
    status = response.status_code
    if status == 404 and first:
        message = (f"{describe(source, vendor, response.request)} at "
                   f"{response.request.url.host} → 404 Not Found. {WRONG_URL}.")
        error: SourceError = SourceConfigError(message)
        error.status = status
        return error
    kind, advice = STATUS_ACTIONS.get(
        status,
        (TransientError, "unexpected server error; retrying")
        if status >= 500
        else (PageInvalid, "unexpected response; report this as a deskpulse bug"),
    )
    if status == 401:
        advice = UNAUTHORIZED.get(vendor, advice)
    phrase = response.reason_phrase or httpx.codes.get_reason_phrase(status)
    message = f"{describe(source, vendor, response.request)} → {status} {phrase}. {advice}."
    error = TransientError(message, retry_after) if kind is TransientError else kind(message)
    error.status = status
    return error
