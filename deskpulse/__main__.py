"""`python -m deskpulse` runs the command line, like the `deskpulse` script."""

from deskpulse.app.cli.main import main

main()
