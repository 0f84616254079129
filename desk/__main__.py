"""`python -m desk` runs the same CLI as the `desk` script."""

from desk.cli import main

main()
