"""`python -m flows` runs the propmine CLI."""

from flows.cli import main

main()
