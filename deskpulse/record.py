"""`deskpulse record`: turn a real account's responses into scrubbed fixtures.

A recording transport sits under the real connector during a bounded sync and writes every
request/response pair in the fixture format (`{"request", "status", "headers", "body"}`, one
file each, numbered in order). Before anything touches the disk it is scrubbed: auth and
cookie headers are dropped, the token is replaced wherever it appears, email addresses and
people's names are replaced by stable placeholders, and message text is replaced by its
length. `deskpulse simulate --replay DIR` serves the files back, so a user's bug becomes a
test case without their customers' data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

DROP_HEADERS = {"authorization", "cookie", "set-cookie", "x-zendesk-api-key",
                "x-request-id", "x-zendesk-request-id", "cf-ray",
                # the stored body is decoded JSON: these no longer describe it
                "content-encoding", "content-length", "transfer-encoding"}
TEXT_FIELDS = {"body", "html_body", "plain_body", "description", "subject", "raw_subject",
               "comment", "remark", "body_text", "feedback", "signature", "details", "notes",
               "title", "note", "job_title"}
NAME_FIELDS = {"name", "first_name", "last_name", "alias"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


class Scrubber:
    """Replaces secrets and personal data consistently (the same email → the same stand-in)."""

    def __init__(self, secrets: list[str]):
        self.secrets = [s for s in secrets if s]
        self._emails: dict[str, str] = {}
        self._names: dict[str, str] = {}

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, "***")
        return EMAIL.sub(lambda m: self._email(m.group(0)), value)

    def _email(self, address: str) -> str:
        return self._emails.setdefault(address, f"person{len(self._emails) + 1}@example.invalid")

    def _name(self, name: str) -> str:
        return self._names.setdefault(name, f"Person {len(self._names) + 1}")

    def value(self, value: Any, key: str | None = None) -> Any:
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

    def headers(self, headers: httpx.Headers) -> dict[str, str]:
        return {k: self.text(v) for k, v in headers.items() if k.lower() not in DROP_HEADERS}


class RecordingTransport(httpx.BaseTransport):
    """Passes requests to `inner` and writes each scrubbed exchange under `folder`."""

    def __init__(self, inner: httpx.BaseTransport, folder: Path, scrubber: Scrubber):
        self.inner, self.folder, self.scrubber = inner, folder, scrubber
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)

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
        (self.folder / name).write_text(json.dumps(record, indent=1, ensure_ascii=False),
                                        encoding="utf-8")
        return response

    def close(self) -> None:
        self.inner.close()
