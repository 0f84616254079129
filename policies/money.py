"""Money rules: compensation formulas and who may decide how much (authority by amount)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from policies.schema import AuthoritySpec, CompensationSpec

CENT = Decimal("0.01")


def compensation(formula: CompensationSpec, amount: Decimal | int | str) -> Decimal:
    """E.g. late shipping (seed 001): 5% of the price, at least 1 and at most 30 yuan."""
    base = Decimal(str(amount))
    if base < 0:
        raise ValueError(f"the {formula.of} cannot be negative ({base})")
    value = (base * formula.rate.numerator / formula.rate.denominator).quantize(CENT, ROUND_HALF_UP)
    if formula.min is not None:
        value = max(value, formula.min)
    if formula.max is not None:
        value = min(value, formula.max)
    return value.quantize(CENT)


def authority_for(ladder: list[AuthoritySpec], amount: Decimal | int | str) -> AuthoritySpec:
    """The lowest rung that may decide `amount` (三级投诉: 50-500 yuan → provincial supervisor)."""
    value = Decimal(str(amount))
    for step in ladder:
        if step.up_to is not None and value <= step.up_to:
            return step
        if step.above is not None and value > step.above:
            return step
    raise ValueError(f"no one in the authority ladder may decide {value} yuan: add an 'above' rung")


def limit_of(ladder: list[AuthoritySpec], role: str) -> Decimal:
    """The largest amount a role may decide alone (0 when the role is not on the ladder)."""
    best = Decimal(0)
    for step in ladder:
        if role in step.role and step.with_ is None:
            if step.above is not None:
                return Decimal("Infinity")
            if step.up_to is not None:
                best = max(best, step.up_to)
    return best
