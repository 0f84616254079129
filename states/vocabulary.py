"""The words of the domain: families, tiers and the other closed sets a complaint uses.

Values are plain strings so that policy files, the database and the CLI can use them
as they are; the enums exist so that code cannot misspell them.
"""

from __future__ import annotations

from enum import StrEnum


class Family(StrEnum):
    """Complaint families: each has its own machine over the shared lifecycle."""

    PROPERTY = "property"  # 物业
    ENTERPRISE = "enterprise"  # 企业 / 电商平台


class Tier(StrEnum):
    """Priority tiers from seed 001: 紧急 / 重要 / 一般."""

    URGENT = "urgent"
    IMPORTANT = "important"
    GENERAL = "general"


class Responsibility(StrEnum):
    """Whose fault it is, decided at classification (seed 001, 物业 step 2-3)."""

    OWN = "own"  # the company's own service
    OWNER = "owner"  # the owner's / complainant's own doing (e.g. damage they caused)
    THIRD_PARTY = "third_party"  # a contractor, courier, utility, the respondent shop


class RevisitOutcome(StrEnum):
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    UNREACHABLE = "unreachable"


class RejectReason(StrEnum):
    """Why a complaint is not taken up (seeds 000, 003, 004)."""

    NOT_ACCEPTED = "not_accepted"  # not a matter the desk handles
    MALICIOUS = "malicious"  # 恶意投诉: extortion, reputation attacks
    OUTSIDE_FILING_WINDOW = "outside_filing_window"  # e.g. harassment later than 15 days after the trade


class ResolutionKind(StrEnum):
    """What was done about it (DOMAIN.md, state 'resolved')."""

    REPAIR = "repair"
    REFUND = "refund"
    EXCHANGE = "exchange"
    COMPENSATION = "compensation"
    APOLOGY = "apology"
    EXPLANATION = "explanation"  # also how a 盲目投诉 (nothing wrong) ends
    PENALTY = "penalty"  # platform ruling against the respondent (points deducted)


class Channel(StrEnum):
    """How the complainant is told (seed 001, 企业 step 6)."""

    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    IN_PERSON = "in_person"
    APP = "app"
    LETTER = "letter"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    DECLINED = "declined"
