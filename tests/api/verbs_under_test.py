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
}
