"""`python -m deskpulse` runs the command line, like the `deskpulse` script."""

from deskpulse.cli import main

main()
