"""The one place where a failing command becomes its message and exit code.

`DeskpulseGroup` is the Typer group of the `deskpulse` app: it accepts `--debug` anywhere on
the command line (or DESKPULSE_DEBUG=1), runs the command, and turns any exception into
`error: …` / `  fix: …` on stderr with the exit code of `app.cli.failures` — the traceback
only with --debug. Commands therefore raise (`Failure`, ConfigError, StoreUnusable, …)
instead of printing and exiting themselves.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from rich.text import Text
from typer._click.exceptions import (  # Typer's own click
    ClickException,
    NoArgsIsHelpError,
    UsageError,
)
from typer.core import TyperGroup
from typer.exceptions import TyperException

from deskpulse.app.cli.failures import RUN_FAILED, USAGE, Failure, explain

DEBUG_FLAG = "--debug"
DEBUG_ENV = "DESKPULSE_DEBUG"
_err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


def show(failure: Failure, console: Console = _err) -> None:
    """Print a failure as its one or two lines (never as markup: it may quote vendor text)."""
    first, *rest = failure.lines()
    console.print(Text("error:", style="red") + Text(first.removeprefix("error:")),
                  soft_wrap=True, highlight=False)
    for line in rest:
        console.print(Text(line), soft_wrap=True, highlight=False)


class DeskpulseGroup(TyperGroup):
    """The app's group: global --debug, and every failure shown as cause + fix."""

    debug = False

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        """Click's own usage errors (an unknown option, a missing value, a value out of
        range) end like deskpulse's: `error: …` / `  fix: …`, exit 2, no usage block."""
        argv = list(sys.argv[1:] if args is None else args)
        self.debug = DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")
        argv = [arg for arg in argv if arg != DEBUG_FLAG]
        if extra.get("standalone_mode", True) is False:
            return super().main(argv, *rest, **extra)
        try:
            code = super().main(argv, *rest, **{**extra, "standalone_mode": False})
        except NoArgsIsHelpError as exc:  # a bare `deskpulse`: the help, as before
            exc.show()
            sys.exit(USAGE)
        except UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "deskpulse"
            show(Failure(exc.format_message(), f"see `{where} --help`", USAGE))
            sys.exit(USAGE)
        except ClickException as exc:
            show(Failure(exc.format_message(), code=exc.exit_code))
            sys.exit(exc.exit_code)
        except typer.Abort:
            show(Failure("interrupted", code=RUN_FAILED))
            sys.exit(RUN_FAILED)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except Exception as exc:
            failure = explain(exc) or Failure(
                f"unexpected {type(exc).__name__}: {exc}",
                "run it again with --debug and report the traceback", RUN_FAILED)
            if self.debug:
                traceback.print_exc()
            show(failure)
            raise typer.Exit(failure.code) from None
