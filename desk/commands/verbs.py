"""The verbs that move a complaint: `desk classify TS-2026-000123 --type ... --as ...` and friends."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from desk.commands.common import AS_HELP, actor, now, open_desk, reports_errors
from desk.commands.output import fail
from desk.service import Outcome

Number = Annotated[str, typer.Argument(help="complaint number, e.g. TS-2026-000123")]
As = Annotated[str | None, typer.Option("--as", help=AS_HELP)]
IfVersion = Annotated[int | None, typer.Option("--if-version", help="refuse if someone changed it since this version")]


def _done(outcome: Outcome) -> None:
    e = outcome.event
    move = f"{e.source} → {e.dest}" if e.source != e.dest else f"stays {e.dest}"
    typer.echo(f"{outcome.number}: {e.name} ({move}), version {outcome.version}")


def _money(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail(f"{option}: '{text}' is not an amount in yuan")
    if not value.is_finite() or value < 0:
        fail(f"{option}: '{text}' must be zero or more")
    return value


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def classify(number: Number, type: Annotated[str, typer.Option(help="complaint type from the policy")],
                 tier: Annotated[str | None, typer.Option(help="urgent, important or general")] = None,
                 responsibility: Annotated[str, typer.Option(help="own, owner or third_party")] = "own",
                 as_: As = None, if_version: IfVersion = None) -> None:
        """Decide type, tier and responsibility; the policy's deadlines start counting."""
        _done(open_desk().classify(number, actor=actor(as_), now=now(), type=type, tier=tier,
                                   responsibility=responsibility, expected_version=if_version))

    @app.command()
    @reports_errors
    def dispatch(number: Number, crew: Annotated[str, typer.Option(help="who was sent to the site")],
                 as_: As = None, if_version: IfVersion = None) -> None:
        """Emergency dispatch for an urgent property complaint (staff to the site now)."""
        _done(open_desk().dispatch(number, actor=actor(as_), now=now(), crew=crew, expected_version=if_version))

    @app.command()
    @reports_errors
    def assign(number: Number, handler: Annotated[str, typer.Option(help="person id of the handler")],
               department: Annotated[str | None, typer.Option()] = None,
               as_: As = None, if_version: IfVersion = None) -> None:
        """Make a handler responsible; the first responder stays accountable."""
        _done(open_desk().assign(number, actor=actor(as_), now=now(), handler=handler, department=department,
                                 expected_version=if_version))

    @app.command("hand-off")
    @reports_errors
    def hand_off(number: Number, to: Annotated[str, typer.Option(help="person id")],
                 reason: Annotated[str, typer.Option(help="why (recorded; a hand-back counts as a bounce)")],
                 as_: As = None, if_version: IfVersion = None) -> None:
        """Hand the complaint to another handler."""
        _done(open_desk().hand_off(number, actor=actor(as_), now=now(), to=to, reason=reason,
                                   expected_version=if_version))

    @app.command("request-approval")
    @reports_errors
    def request_approval(number: Number, approver: Annotated[str, typer.Option()],
                         action: Annotated[str, typer.Option(help="e.g. resolve")] = "resolve",
                         amount: Annotated[str | None, typer.Option(help="yuan")] = None,
                         cosigner: Annotated[str | None, typer.Option(
                             help="the second leader, where the policy has amounts decided together (会同)")] = None,
                         as_: As = None, if_version: IfVersion = None) -> None:
        """Ask a leader for authority beyond yours (如因权力限制可向领导请求授权批准)."""
        _done(open_desk().request_approval(number, actor=actor(as_), now=now(), action=action, approver=approver,
                                           amount=_money(amount, "--amount"), cosigner=cosigner,
                                           expected_version=if_version))

    @app.command()
    @reports_errors
    def approve(number: Number, approval: Annotated[int, typer.Option(help="approval number")],
                note: Annotated[str | None, typer.Option()] = None, as_: As = None,
                if_version: IfVersion = None) -> None:
        """Grant an approval asked of you (within your authority)."""
        _done(open_desk().approve(number, actor=actor(as_), now=now(), approval=approval, note=note,
                                  expected_version=if_version))

    @app.command()
    @reports_errors
    def decline(number: Number, approval: Annotated[int, typer.Option()], note: Annotated[str, typer.Option()],
                as_: As = None, if_version: IfVersion = None) -> None:
        """Decline an approval asked of you, saying why."""
        _done(open_desk().decline_approval(number, actor=actor(as_), now=now(), approval=approval, note=note,
                                           expected_version=if_version))

    @app.command()
    @reports_errors
    def findings(number: Number, text: Annotated[str, typer.Option("--text", help="what was verified")],
                 as_: As = None, if_version: IfVersion = None) -> None:
        """Record the findings of the investigation (needed before resolving)."""
        _done(open_desk().record_findings(number, actor=actor(as_), now=now(), findings=text,
                                          expected_version=if_version))

    @app.command("request-evidence")
    @reports_errors
    def request_evidence(number: Number, respondent: Annotated[str, typer.Option()],
                         as_: As = None, if_version: IfVersion = None) -> None:
        """Ask the respondent for evidence; the policy's evidence window starts."""
        _done(open_desk().request_evidence(number, actor=actor(as_), now=now(), respondent=respondent,
                                           expected_version=if_version))

    @app.command("receive-evidence")
    @reports_errors
    def receive_evidence(number: Number, item: Annotated[list[str], typer.Option(help="repeat for each item")],
                         as_: As = None, if_version: IfVersion = None) -> None:
        """Record the respondent's evidence (chat records, call records, courier slips...)."""
        _done(open_desk().receive_evidence(number, actor=actor(as_), now=now(), items=item,
                                           expected_version=if_version))

    @app.command()
    @reports_errors
    def resolve(number: Number, resolution: Annotated[str, typer.Option(help="repair, refund, exchange, ...")],
                detail: Annotated[str, typer.Option(help="what was done")],
                compensation: Annotated[str | None, typer.Option(help="yuan")] = None,
                price: Annotated[str | None, typer.Option(help="yuan: the policy computes the compensation")] = None,
                as_: As = None, if_version: IfVersion = None) -> None:
        """Record the resolution; compensation beyond your authority needs an approval first."""
        _done(open_desk().resolve(number, actor=actor(as_), now=now(), resolution=resolution, detail=detail,
                                  compensation=_money(compensation, "--compensation"),
                                  price=_money(price, "--price"), expected_version=if_version))

    @app.command("feed-back")
    @reports_errors
    def feed_back(number: Number, channel: Annotated[str, typer.Option(help="phone, sms, email, in_person, app")],
                  as_: As = None, if_version: IfVersion = None) -> None:
        """Tell the complainant the process, result and compensation."""
        _done(open_desk().feed_back(number, actor=actor(as_), now=now(), channel=channel,
                                    expected_version=if_version))

    @app.command()
    @reports_errors
    def revisit(number: Number, outcome: Annotated[str, typer.Option(help="satisfied, unsatisfied or unreachable")],
                note: Annotated[str | None, typer.Option()] = None, as_: As = None,
                if_version: IfVersion = None) -> None:
        """Record a callback (回访) and how satisfied the complainant is."""
        _done(open_desk().record_revisit(number, actor=actor(as_), now=now(), outcome=outcome, note=note,
                                         expected_version=if_version))

    @app.command()
    @reports_errors
    def reopen(number: Number, reason: Annotated[str, typer.Option()], as_: As = None,
               if_version: IfVersion = None) -> None:
        """Handle it again after an unsatisfied revisit (直到业主满意为止)."""
        _done(open_desk().reopen(number, actor=actor(as_), now=now(), reason=reason, expected_version=if_version))

    @app.command()
    @reports_errors
    def appeal(number: Number, reason: Annotated[str, typer.Option()], as_: As = None,
               if_version: IfVersion = None) -> None:
        """Record the complainant's appeal (申诉) of a decision, within the policy's window."""
        _done(open_desk().appeal(number, actor=actor(as_), now=now(), reason=reason, expected_version=if_version))

    @app.command()
    @reports_errors
    def reject(number: Number,
               reason: Annotated[str, typer.Option(help="not_accepted, malicious, outside_filing_window")],
               note: Annotated[str, typer.Option(help="the explanation recorded for the complainant")],
               as_: As = None, if_version: IfVersion = None) -> None:
        """Refuse a complaint, with the reason."""
        _done(open_desk().reject(number, actor=actor(as_), now=now(), reason=reason, note=note,
                                 expected_version=if_version))

    @app.command()
    @reports_errors
    def withdraw(number: Number, reason: Annotated[str, typer.Option()], as_: As = None,
                 if_version: IfVersion = None) -> None:
        """Record that the complainant withdrew (撤诉)."""
        _done(open_desk().withdraw(number, actor=actor(as_), now=now(), reason=reason, expected_version=if_version))

    @app.command()
    @reports_errors
    def close(number: Number, final_decision: Annotated[str | None, typer.Option(
                  help="when the complainant stays unsatisfied: the final decision")] = None,
              as_: As = None, if_version: IfVersion = None) -> None:
        """Close after a satisfied revisit, a final decision, or exhausted callbacks."""
        _done(open_desk().close(number, actor=actor(as_), now=now(), final_decision=final_decision,
                                expected_version=if_version))
