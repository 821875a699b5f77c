"""`deskpulse migrate`: copy a SQLite file into PostgreSQL (or another SQLite file) and prove
the copy gives the same rows and the same KPI figures.

`targets` says what --to names and shows it without its password; `copying` moves the rows;
`checks` compares counts, every kpi_* view and `deskpulse kpi`'s summary; `run` puts them in
one transaction on the target, so a copy that fails or differs leaves nothing behind.
"""

from deskpulse.app.migrate.run import MigrateError, MigrateResult, migrate

__all__ = ["MigrateError", "MigrateResult", "migrate"]
