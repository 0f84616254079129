"""Prefect flows: thin wrappers that call desk use-cases and report what they did.

Flows see complaint numbers, tiers, types and person ids, never complainants' names,
phones or words (DESIGN.md: Prefect sees IDs, not people).
"""
