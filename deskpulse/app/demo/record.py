"""`deskpulse record`: turn a real account's responses into scrubbed fixtures.

A recording transport sits under the real connector during a bounded sync and writes every
request/response pair in the fixture format (`{"request", "status", "headers", "body"}`, one
file each, numbered in order). Before anything touches the disk it is scrubbed: auth and
cookie headers are dropped, the token is replaced wherever it appears, email addresses, IP
addresses and people's names are replaced by stable placeholders, locations and user agents
are removed, and message text is replaced by its length. Files and folder are owner-only.
`deskpulse simulate --replay DIR` serves the files back, so a user's bug becomes a test case
without their customers' data.
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import httpx

from deskpulse.app.private import private_folder, write_private

DROP_HEADERS = {"authorization", "cookie", "set-cookie", "x-zendesk-api-key",
                "x-request-id", "x-zendesk-request-id", "cf-ray",
                # the stored body is decoded JSON: these no longer describe it
                "content-encoding", "content-length", "transfer-encoding"}
TEXT_FIELDS = {"body", "html_body", "plain_body", "description", "subject", "raw_subject",
               "comment", "remark", "body_text", "feedback", "signature", "details", "notes",
               "title", "note", "job_title"}
NAME_FIELDS = {"name", "first_name", "last_name", "alias"}
# where a person was: Zendesk audit metadata.system.location/latitude/longitude, Intercom
# contacts' location {country, region, city, …}; every leaf below these keys goes
LOCATION_FIELDS = {"location", "latitude", "longitude", "city", "region", "country",
                   "country_code", "continent_code", "postal_code"}
# what they used: Zendesk metadata.system.client, Intercom contacts' browser and os fields
AGENT_FIELDS = {"client", "user_agent", "useragent", "browser", "browser_version",
                "browser_language", "os", "android_device", "android_os_version",
                "ios_device", "ios_os_version"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")
IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")


class Scrubber:
    """Replaces secrets and personal data consistently (the same email → the same stand-in)."""

    def __init__(self, secrets: list[str]):
        self.secrets = [s for s in secrets if s]
        self._emails: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._ips: dict[str, int] = {}

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, "***")
        value = EMAIL.sub(lambda m: self._email(m.group(0)), value)
        return IPV6.sub(self._ip, IPV4.sub(self._ip, value))

    def _ip(self, match: re.Match[str]) -> str:
        """An IP address becomes one of the documentation ranges (RFC 5737, RFC 3849), the
        same stand-in each time; text that only looks like one (a time) stays."""
        found = match.group(0)
        try:
            address = ipaddress.ip_address(found)
        except ValueError:
            return found
        n = self._ips.setdefault(found, len(self._ips) + 1)
        return f"192.0.2.{n % 254 + 1}" if address.version == 4 else f"2001:db8::{n:x}"

    def _email(self, address: str) -> str:
        return self._emails.setdefault(address, f"person{len(self._emails) + 1}@example.invalid")

    def _name(self, name: str) -> str:
        return self._names.setdefault(name, f"Person {len(self._names) + 1}")

    def value(self, value: Any, key: str | None = None) -> Any:
        if key in LOCATION_FIELDS or key in AGENT_FIELDS:
            return self._removed(value, "location" if key in LOCATION_FIELDS else
                                 "user agent")
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if not isinstance(value, str):
            return value
        if key in TEXT_FIELDS:
            return f"[{len(value)} characters removed]"
        if key in NAME_FIELDS:
            return self._name(value)
        return self.text(value)

    def _removed(self, value: Any, what: str) -> Any:
        """Every leaf of a location or user-agent value gone, its shape kept (an object
        stays an object with the same keys, so the connector still reads the page)."""
        if isinstance(value, dict):
            return {k: v if k == "type" else self._removed(v, what) for k, v in value.items()}
        if isinstance(value, list):
            return [self._removed(v, what) for v in value]
        return f"[{what} removed]" if isinstance(value, str) and value else \
            None if isinstance(value, int | float) and not isinstance(value, bool) else value

    def headers(self, headers: httpx.Headers) -> dict[str, str]:
        return {k: self.text(v) for k, v in headers.items() if k.lower() not in DROP_HEADERS}


class RecordingTransport(httpx.BaseTransport):
    """Passes requests to `inner` and writes each scrubbed exchange under `folder`."""

    def __init__(self, inner: httpx.BaseTransport, folder: Path, scrubber: Scrubber):
        self.inner, self.folder, self.scrubber = inner, folder, scrubber
        self.count = 0
        private_folder(folder)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.count += 1
        try:
            body: Any = json.loads(response.content)
        except ValueError:
            body = {"unparsed_text_removed_chars": len(response.content)}
        sent = json.loads(request.content) if request.content else None
        record = {
            "request": {"method": request.method, "path": request.url.path,
                        "query": self.scrubber.text(request.url.query.decode()),
                        "json": self.scrubber.value(sent)},
            "status": response.status_code,
            "headers": self.scrubber.headers(response.headers),
            "body": self.scrubber.value(body),
        }
        name = f"{self.count:05d}-{request.url.path.strip('/').replace('/', '_')}.json"
        write_private(self.folder / name, json.dumps(record, indent=1, ensure_ascii=False))
        return response

    def close(self) -> None:
        self.inner.close()
