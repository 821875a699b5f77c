"""Logging set-up: readable lines for people, one JSON object per line for log shippers.

Messages about a sync name the source and stream in their text; JSON lines also carry any
`extra` fields (source, stream, run) as keys. Secrets never reach a log record: errors are
built secret-free by the connectors and scrubbed again by the runner.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure(log_format: str = "text", level: int = logging.INFO) -> None:
    """Route deskpulse's loggers to stderr in the chosen format (replacing earlier set-up)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler"):  # their chatter only when debugging
        logging.getLogger(noisy).setLevel(level if level <= logging.DEBUG else logging.WARNING)


def without_run_summaries() -> None:
    """The CLI prints each run's own summary line (and its error): the runner's log line
    about the same run would say it twice. The daemon's `configure` sets fresh handlers,
    so its log keeps them."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(lambda record: not hasattr(record, "run_status"))
