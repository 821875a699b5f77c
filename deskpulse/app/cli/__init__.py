"""The `deskpulse` command line: one module per group of commands; `main` builds the app."""
