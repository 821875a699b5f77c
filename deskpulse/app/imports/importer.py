"""`deskpulse import KIND FILE`: read a CSV, check every row, and write all of it or nothing.

A production file is fixed by a person and imported again, so every problem is reported at
once with its line and column (`line 7, column score: 11 is outside its scale 0-10`), and a
file with any problem writes nothing. Header names are matched without regard to case,
spaces or dashes (`Period Start` is `period_start`); extra columns are ignored and named.
Formats: docs/imports.md.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from deskpulse.app.imports.rows import MODELS, RowError, SurveyRow, columns, positive
from deskpulse.store import ImportResult, Rating, Store, import_ratings, import_rows, iso

KINDS = tuple(MODELS)


@dataclass(frozen=True)
class Problem:
    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class Parsed:
    kind: str
    rows: list[tuple[int, Any]] = field(default_factory=list)  # (line, row)
    problems: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # header cells that are not ours


def kind_name(text: str) -> str | None:
    """`agent-hours`, `Agent_Hours` → `agent_hours`; None when it is not a kind."""
    name = _column(text)
    return name if name in MODELS else None


def _column(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower()).rstrip("?")


def parse(kind: str, path: Path) -> Parsed:
    """Every valid row of the file and every problem in it (nothing is written here)."""
    parsed = Parsed(kind)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            _read(csv.reader(handle), parsed)
    except UnicodeDecodeError:
        parsed.problems.append(Problem(1, None, "the file is not UTF-8 text: save it as "
                                                "CSV UTF-8"))
    except csv.Error as exc:
        parsed.problems.append(Problem(1, None, f"not a readable CSV file ({exc})"))
    parsed.problems.extend(_file_checks(parsed))  # over the valid rows, to report all at once
    parsed.problems.sort(key=lambda p: p.line)
    return parsed


def _read(reader: Any, parsed: Parsed) -> None:
    required, optional = columns(parsed.kind)
    header = next(reader, None)
    if not header:
        parsed.problems.append(Problem(1, None, "the file is empty: the first line must "
                                                f"name the columns ({', '.join(required)})"))
        return
    names = [_column(cell) for cell in header]
    for name in sorted({n for n in names if names.count(n) > 1 and n}):
        parsed.problems.append(Problem(1, name, "the column appears twice in the header"))
    for name in required:
        if name not in names:
            parsed.problems.append(Problem(1, name, "missing column (required: "
                                                    f"{', '.join(required)})"))
    parsed.ignored = [cell for cell, name in zip(header, names, strict=True)
                      if name not in required + optional]
    if parsed.problems:
        return
    model = MODELS[parsed.kind]
    line_end = reader.line_num
    for cells in reader:
        line, line_end = line_end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(names):
            parsed.problems.append(Problem(line, None, f"{len(cells)} cells, but the header "
                                                       f"has {len(names)} columns"))
            continue
        values = {name: cell.strip() for name, cell in zip(names, cells, strict=False)
                  if cell.strip() and name in required + optional}
        try:
            parsed.rows.append((line, model.model_validate(values)))
        except ValidationError as exc:
            parsed.problems.extend(_problems(line, exc))


def _problems(line: int, exc: ValidationError) -> Iterable[Problem]:
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, RowError):
            yield Problem(line, cause.column, str(cause))
            continue
        column = str(error["loc"][0]) if error["loc"] else None
        if error["type"] in ("missing", "string_too_short"):
            yield Problem(line, column, "empty: a value is required")
        else:
            yield Problem(line, column, error["msg"].removeprefix("Value error, "))


def _file_checks(parsed: Parsed) -> list[Problem]:
    """What no single row shows: mixed currencies, overlapping periods, repeated keys."""
    problems: list[Problem] = []
    rows = parsed.rows
    if parsed.kind in ("costs", "revenue") and rows:
        problems += _mixed_currencies(rows)
        problems += _overlaps(rows, parsed.kind)
    seen: dict[Any, int] = {}
    for line, row in rows:
        key, column = _identity(parsed.kind, row)
        if key is None:
            continue
        if key in seen:
            problems.append(Problem(line, column, f"repeats line {seen[key]} "
                                                  f"(same {_KEY_WORDS[parsed.kind]})"))
        seen.setdefault(key, line)
    return problems


def _mixed_currencies(rows: list[tuple[int, Any]]) -> list[Problem]:
    first_line, first = rows[0]
    return [Problem(line, "currency", f"{row.currency} differs from {first.currency} on line "
                    f"{first_line}: amounts in different currencies cannot be summed; "
                    "convert them to one") for line, row in rows
            if row.currency != first.currency]


_KEY_WORDS = {"agent_hours": "agent_email and date", "accounts": "account_id",
              "surveys": "kind, responded_at, requester_email and ticket_id"}


def _identity(kind: str, row: Any) -> tuple[Any, str]:
    if kind == "agent_hours":
        return (row.agent_email, row.day), "date"
    if kind == "accounts":
        return row.account_id, "account_id"
    if kind == "surveys":
        return survey_id(row), "responded_at"
    return None, ""


def _overlaps(rows: list[tuple[int, Any]], kind: str) -> list[Problem]:
    problems = []
    ordered = sorted(rows, key=lambda r: (getattr(r[1], "category", ""), r[1].period_start))
    for (line_a, a), (line_b, b) in zip(ordered, ordered[1:], strict=False):
        same = getattr(a, "category", "") == getattr(b, "category", "")
        if same and b.period_start <= a.period_end:
            what = f"category {b.category}" if kind == "costs" else "revenue"
            problems.append(Problem(line_b, "period_start", (
                f"{b.period_start}..{b.period_end} overlaps {a.period_start}..{a.period_end} "
                f"on line {line_a} ({what}): a day's money can be counted once")))
    return problems


def survey_id(row: SurveyRow) -> str:
    """A stable rating id: the same answer imported again updates its row."""
    identity = "|".join((row.kind, iso(row.responded_at) or "", row.requester_email or "",
                         row.ticket_id or ""))
    return "import:" + hashlib.sha256(identity.encode()).hexdigest()[:20]


def store_rows(parsed: Parsed) -> list[dict[str, Any]]:
    """The validated rows as `ext_*` table rows (dates as ISO text)."""
    out = []
    for _line, row in parsed.rows:
        values = row.model_dump()
        out.append({k: v.isoformat() if hasattr(v, "isoformat") else v
                    for k, v in values.items()})
    return out


def ratings(parsed: Parsed) -> list[Rating]:
    result = []
    for _line, row in parsed.rows:
        assert isinstance(row, SurveyRow)
        low, high = row.scale
        result.append(Rating(id=survey_id(row), ticket_id=row.ticket_id, at=row.responded_at,
                             score=str(row.score), scale=f"{low}-{high}",
                             positive=positive(row), comment=row.comment, kind=row.kind))
    return result


def write(store: Store, parsed: Parsed, *, file_name: str, feed: str = "csv",
          source: str | None = None) -> ImportResult:
    """Write a file that parsed without problems (surveys: as ratings of `source`)."""
    if parsed.problems:
        msg = "a file with problems is never written"
        raise ValueError(msg)
    if parsed.kind == "surveys":
        if source is None:
            msg = "survey answers belong to a help-desk source"
            raise ValueError(msg)
        return import_ratings(store, source, file_name, ratings(parsed))
    return import_rows(store, parsed.kind, feed, file_name, store_rows(parsed))
