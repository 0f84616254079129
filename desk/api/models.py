"""Request and response bodies of the API that are not read models of the desk (desk.views)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from desk.intake import INTAKE_CHANNELS, LIMITS


def _printable(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("contains control characters")
    return value


Clean = Annotated[str, Field(min_length=1), AfterValidator(_printable)]


class IntakeBody(BaseModel):
    """The registration form (《顾客投诉登记表》): who, when, where, people involved, what happened,
    how to reach them and what they ask for; a shop's complaint adds its trade facts."""

    model_config = ConfigDict(extra="forbid")

    family: Literal["property", "enterprise"]
    channel: Literal[INTAKE_CHANNELS] = "phone"  # type: ignore[valid-type]
    received_at: AwareDatetime | None = Field(None, description="when the desk received it; default: now")
    name: Clean = Field(max_length=LIMITS["name"], description="who complains")
    phone: Clean | None = Field(None, max_length=LIMITS["phone"])
    email: Clean | None = Field(None, max_length=LIMITS["email"])
    address: Clean | None = Field(None, max_length=LIMITS["address"])
    description: Clean = Field(max_length=LIMITS["description"], description="what happened, in their words")
    request: Clean | None = Field(None, max_length=LIMITS["request"], description="what they ask for")
    occurred_at: AwareDatetime | None = Field(None, description="when it happened")
    location: Clean | None = Field(None, max_length=LIMITS["location"], description="where it happened")
    people_involved: Clean | None = Field(None, max_length=LIMITS["people_involved"])
    order_no: Clean | None = Field(None, max_length=LIMITS["order_no"])
    shop: Clean | None = Field(None, max_length=LIMITS["shop"])
    trade_success_at: AwareDatetime | None = None
    source: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.-]*$",
                               description="the system the reference belongs to (staff only: an integration "
                                           "files under its own account)")
    external_id: Clean | None = Field(None, max_length=LIMITS["external_id"],
                                      description="the caller's own reference (a 12345 工单号, a call id): "
                                                  "filed once per source")


    def contact(self) -> dict[str, Any]:
        """Who complains and what they say: the complainants row (kept in the database only)."""
        return {k: getattr(self, k) for k in CONTACT}

    def details(self) -> dict[str, Any]:
        """The rest of the registration form, as given."""
        return {k: getattr(self, k) for k in DETAILS if getattr(self, k) is not None}


CONTACT = ("name", "phone", "email", "address", "description", "request")
DETAILS = ("occurred_at", "location", "people_involved", "order_no", "shop", "trade_success_at")


class BatchFiled(BaseModel):
    filed: int = Field(description="complaints filed by this request")
    replayed: int = Field(description="rows whose key or reference had already filed a complaint")
    numbers: list[str] = Field(description="the number of each row, in the order sent")


class VerbDone(BaseModel):
    number: str
    status: str
    version: int
    event: str
    source: str | None
    dest: str
    actor: str
    at: datetime


class PolicySummary(BaseModel):
    family: str
    version: str
    timezone: str
    types: dict[str, dict[str, Any]]
    spec: dict[str, Any] = Field(description="the policy in force, as its file says it")


class PolicyProblemOut(BaseModel):
    line: int | None
    field: str
    message: str


class PolicyChecked(BaseModel):
    ok: bool
    family: str | None = None
    version: str | None = None
    problems: list[PolicyProblemOut]
