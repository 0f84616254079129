"""Shared fixtures: the shipped policies, loaded once."""

from __future__ import annotations

import pytest

from policies import Policy, shipped_policy


@pytest.fixture(scope="session")
def property_policy() -> Policy:
    return shipped_policy("property")


@pytest.fixture(scope="session")
def enterprise_policy() -> Policy:
    return shipped_policy("enterprise")
