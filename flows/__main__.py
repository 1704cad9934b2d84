"""`python -m flows` runs the propmine CLI."""

from flows.cli import main

if __name__ == "__main__":  # Dask's spawned workers import __main__ again: they must not run the CLI
    main()
