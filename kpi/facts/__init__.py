"""A ticket's history -> its KPI facts: pure functions, no I/O, no clock."""
