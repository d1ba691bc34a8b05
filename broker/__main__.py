"""Run the command line with ``python -m broker``."""

from broker.cli import app

app()
