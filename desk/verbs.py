"""The one table of verbs: each desk verb's name as people type it, the use-case it calls, and
its arguments as a typed body. The API derives `POST /complaints/{number}/{verb}` and its
OpenAPI schema from this table; a test holds the CLI's commands to the same names, so a new
verb appears in every door together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from states import Channel, RejectReason, Responsibility, RevisitOutcome, Tier

if TYPE_CHECKING:
    from desk.service import Desk, Outcome

PersonId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.-]*$",
                                description="a person id from policies/org.yaml")]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1, max_length=5_000)]
Short = Annotated[str, Field(min_length=1, max_length=200)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2, description="yuan")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Classify(Body):
    """Decide type, tier and responsibility; the policy's deadlines start counting."""

    type: Name = Field(description="a complaint type of the family's policy")
    tier: Literal[tuple(t.value for t in Tier)] | None = None  # type: ignore[valid-type]
    responsibility: Literal[tuple(r.value for r in Responsibility)] = "own"  # type: ignore[valid-type]


class Dispatch(Body):
    """Emergency dispatch for an urgent property complaint (staff to the site now)."""

    crew: Short


class Assign(Body):
    """Make a handler responsible; the first responder stays accountable."""

    handler: PersonId
    department: Name | None = None


class HandOff(Body):
    """Hand the complaint to another handler; a hand-back counts as a bounce."""

    to: PersonId
    reason: Text
    department: Name | None = None


class RequestApproval(Body):
    """Ask a leader for authority beyond yours (如因权力限制可向领导请求授权批准)."""

    approver: PersonId
    action: Name = "resolve"
    amount: Money | None = None
    cosigner: PersonId | None = None


class Approve(Body):
    """Grant an approval asked of you (within your authority)."""

    approval: int = Field(ge=1, le=1_000_000)
    note: Text | None = None


class Decline(Body):
    """Decline an approval asked of you, saying why."""

    approval: int = Field(ge=1, le=1_000_000)
    note: Text


class Findings(Body):
    """Record the findings of the investigation (needed before resolving)."""

    text: Text


class RequestEvidence(Body):
    """Ask the respondent for evidence; the policy's evidence window starts."""

    respondent: Short


class ReceiveEvidence(Body):
    """Record the respondent's evidence (chat records, call records, courier slips...)."""

    items: list[Short] = Field(min_length=1, max_length=100)


class Resolve(Body):
    """Record the resolution; compensation beyond your authority needs an approval first."""

    resolution: Name = Field(description="repair, refund, exchange, ...")
    detail: Text
    compensation: Money | None = None
    price: Money | None = Field(None, description="the policy computes the compensation from it")


class FeedBack(Body):
    """Tell the complainant the process, result and compensation."""

    channel: Literal[tuple(c.value for c in Channel)]  # type: ignore[valid-type]


class Revisit(Body):
    """Record a callback (回访) and how satisfied the complainant is."""

    outcome: Literal[tuple(o.value for o in RevisitOutcome)]  # type: ignore[valid-type]
    note: Text | None = None


class Reason(Body):
    reason: Text


class Reopen(Reason):
    """Handle it again after an unsatisfied revisit (直到业主满意为止)."""


class Appeal(Reason):
    """Record the complainant's appeal (申诉) of a decision, within the policy's window."""


class Withdraw(Reason):
    """Record that the complainant withdrew (撤诉)."""


class Reject(Body):
    """Refuse a complaint, with the reason."""

    reason: Literal[tuple(r.value for r in RejectReason)]  # type: ignore[valid-type]
    note: Text


class Close(Body):
    """Close after a satisfied revisit, a final decision, or exhausted callbacks."""

    final_decision: Text | None = None


class Pause(Body):
    """Stop the clock while the complaint waits on someone else (the policy's pause reasons)."""

    reason: Name = Field(description="awaiting_complainant, awaiting_utility, awaiting_courier, ... (pause.reasons)")
    note: Text | None = None


class Resume(Body):
    """Run the clock again; the held deadlines move by the paused time."""

    note: Text | None = None


class RequestExtension(Body):
    """Ask for more time for a running stage (延期), before its deadline."""

    stage: Name = Field(description="the stage, e.g. resolve (the policy's extension.stages)")
    reason: Text
    new_due: AwareDatetime = Field(description="the new due time, with its offset")


class ApproveExtension(Body):
    """Grant an extension: the stage's deadline and ladder move to the new due time."""

    extension: int = Field(ge=1, le=1_000)
    note: Text | None = None


class DeclineExtension(Body):
    """Decline an extension, saying why; the deadline stands."""

    extension: int = Field(ge=1, le=1_000)
    note: Text


class Promise(Body):
    """Record the reason and the exact time told to the complainant (说明原因和确切解决时间)."""

    reason: Text
    promised_for: AwareDatetime = Field(description="the time promised, with its offset")


class Refer(Body):
    """Ask a leader to take a hand now (引荐给上层领导); you stay accountable."""

    to: PersonId = Field(description="a person id, or a role such as department_head or general_manager")
    reason: Text


class AnswerReferral(Body):
    """Answer a referral made to you (what you decided or did)."""

    referral: int = Field(ge=1, le=1_000)
    answer: Text


class Progress(Body):
    """Record that the complainant was told how things stand."""

    channel: Literal[tuple(c.value for c in Channel)]  # type: ignore[valid-type]
    text: Text


@dataclass(frozen=True)
class Verb:
    name: str  # as people type it: the CLI command and the URL segment
    method: str  # the use-case on Desk
    trigger: str  # the machine's trigger (what a refusal is recorded under)
    body: type[Body]
    rename: Mapping[str, str] = field(default_factory=dict)  # body field -> use-case argument

    @property
    def summary(self) -> str:
        return (self.body.__doc__ or self.name).strip().splitlines()[0]

    def call(self, desk: Desk, number: str, body: Body, *, actor: str, now: datetime,
             expected_version: int | None) -> Outcome:
        arguments = {self.rename.get(key, key): value for key, value in body.model_dump().items()}
        use_case = getattr(desk, self.method)
        outcome: Outcome = use_case(number, actor=actor, now=now, expected_version=expected_version, **arguments)
        return outcome


VERBS: tuple[Verb, ...] = (
    Verb("classify", "classify", "classify", Classify),
    Verb("dispatch", "dispatch", "dispatch", Dispatch),
    Verb("assign", "assign", "assign", Assign),
    Verb("hand-off", "hand_off", "hand_off", HandOff),
    Verb("request-approval", "request_approval", "request_approval", RequestApproval),
    Verb("approve", "approve", "approve", Approve),
    Verb("decline", "decline_approval", "decline_approval", Decline),
    Verb("findings", "record_findings", "record_findings", Findings, {"text": "findings"}),
    Verb("request-evidence", "request_evidence", "request_evidence", RequestEvidence),
    Verb("receive-evidence", "receive_evidence", "receive_evidence", ReceiveEvidence),
    Verb("resolve", "resolve", "resolve", Resolve),
    Verb("feed-back", "feed_back", "feed_back", FeedBack),
    Verb("revisit", "record_revisit", "record_revisit", Revisit),
    Verb("reopen", "reopen", "reopen", Reopen),
    Verb("appeal", "appeal", "appeal", Appeal),
    Verb("reject", "reject", "reject", Reject),
    Verb("withdraw", "withdraw", "withdraw", Withdraw),
    Verb("close", "close", "close", Close),
    Verb("pause", "pause", "pause", Pause),
    Verb("resume", "resume", "resume", Resume),
    Verb("request-extension", "request_extension", "request_extension", RequestExtension),
    Verb("approve-extension", "approve_extension", "approve_extension", ApproveExtension),
    Verb("decline-extension", "decline_extension", "decline_extension", DeclineExtension),
    Verb("promise", "promise", "promise", Promise),
    Verb("refer", "refer", "refer", Refer),
    Verb("answer-referral", "answer_referral", "answer_referral", AnswerReferral),
    Verb("progress", "report_progress", "report_progress", Progress),
)
BY_NAME = {verb.name: verb for verb in VERBS}
