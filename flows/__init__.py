"""Prefect flows: thin wrappers that call desk use-cases and report what they did (issue 4)."""
