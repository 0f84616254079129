"""Command groups of the `desk` CLI, one module each."""
