"""Compensation formulas and authority by amount, from the shipped enterprise policy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from policies import Policy, limit_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("price", "owed"),
    [
        ("10", "1.00"),  # 5% is 0.50: at least 1 yuan
        ("20", "1.00"),  # exactly the floor
        ("99.90", "5.00"),  # 4.995 rounds half up to the fen
        ("300", "15.00"),
        ("600", "30.00"),  # exactly the cap
        ("1999", "30.00"),  # at most 30 yuan
    ],
)
def test_late_shipping_pays_5_percent_at_least_1_at_most_30(enterprise_policy: Policy, price: str, owed: str) -> None:
    assert enterprise_policy.compensation_for("late_shipping", price) == Decimal(owed)


def test_tmall_late_shipping_pays_30_percent_at_most_500(enterprise_policy: Policy) -> None:
    assert enterprise_policy.compensation_for("late_shipping_tmall", 100) == Decimal("30.00")
    assert enterprise_policy.compensation_for("late_shipping_tmall", 5000) == Decimal("500.00")


def test_types_without_a_formula_owe_nothing_by_formula(enterprise_policy: Policy) -> None:
    assert enterprise_policy.compensation_for("product_quality", 2999) is None


def test_a_negative_price_is_refused(enterprise_policy: Policy) -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        enterprise_policy.compensation_for("late_shipping", -5)


@pytest.mark.parametrize(
    ("amount", "role", "with_"),
    [(30, "agent", None), (50, "handler", None), (300, "provincial_supervisor", "provincial_office_manager"),
     (500, "provincial_supervisor", "provincial_office_manager"), (501, "regional_director", None)],
)
def test_claims_go_to_the_level_the_amount_needs(
    enterprise_policy: Policy, amount: int, role: str, with_: str | None
) -> None:
    """Seed 001 三级投诉: 50-500 yuan is decided by the provincial supervisor with the office manager."""
    step = enterprise_policy.authority_for(amount)
    assert role in step.role and step.with_ == with_


def test_what_a_role_may_decide_alone(enterprise_policy: Policy, property_policy: Policy) -> None:
    assert limit_of(enterprise_policy.spec.authority, "agent") == Decimal(50)
    assert limit_of(enterprise_policy.spec.authority, "provincial_supervisor") == Decimal(0)  # only together
    assert limit_of(enterprise_policy.spec.authority, "regional_director") == Decimal("Infinity")
    assert limit_of(property_policy.spec.authority, "handler") == Decimal(50)
