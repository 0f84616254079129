"""A valid body for every verb of the API, with the trigger it asks: the authorisation matrix and
the CLI parity test use it. A verb added to desk.verbs without a body here fails them both."""

from __future__ import annotations

from typing import Any

VERB_BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "classify": ("classify", {"type": "cleaning_late"}),
    "dispatch": ("dispatch", {"crew": "maintenance on duty"}),
    "assign": ("assign", {"handler": "zhang-li"}),
    "hand-off": ("hand_off", {"to": "he-ping", "reason": "needs the head"}),
    "request-approval": ("request_approval", {"approver": "ma-jing", "amount": "100"}),
    "approve": ("approve", {"approval": 1}),
    "decline": ("decline_approval", {"approval": 1, "note": "no"}),
    "findings": ("record_findings", {"text": "checked"}),
    "request-evidence": ("request_evidence", {"respondent": "shop"}),
    "receive-evidence": ("receive_evidence", {"items": ["chat record"]}),
    "resolve": ("resolve", {"resolution": "repair", "detail": "fixed"}),
    "feed-back": ("feed_back", {"channel": "sms"}),
    "revisit": ("record_revisit", {"outcome": "satisfied"}),
    "reopen": ("reopen", {"reason": "still broken"}),
    "appeal": ("appeal", {"reason": "unfair"}),
    "reject": ("reject", {"reason": "malicious", "note": "extortion"}),
    "withdraw": ("withdraw", {"reason": "changed mind"}),
    "close": ("close", {}),
    "pause": ("pause", {"reason": "awaiting_utility"}),
    "resume": ("resume", {}),
    "request-extension": ("request_extension", {"stage": "resolve", "reason": "waiting for parts",
                                                "new_due": "2030-01-01T18:00:00+08:00"}),
    "approve-extension": ("approve_extension", {"extension": 1}),
    "decline-extension": ("decline_extension", {"extension": 1, "note": "not needed"}),
    "promise": ("promise", {"reason": "parts on order", "promised_for": "2030-01-01T10:00:00+08:00"}),
    "refer": ("refer", {"to": "ma-jing", "reason": "compensation beyond my authority"}),
    "answer-referral": ("answer_referral", {"referral": 1, "answer": "approved"}),
    "progress": ("report_progress", {"channel": "sms", "text": "parts arrive on Monday"}),
}
