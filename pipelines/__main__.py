"""``python -m pipelines`` runs the clac command line."""

from pipelines.cli import main

main()
