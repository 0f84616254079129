"""The verbs that move a complaint: `desk classify TS-2026-000123 --type ... --as ...` and friends."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from desk.commands.common import AS_HELP, actor, moment, now, open_desk, reports_errors
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
    def pause(number: Number,
              reason: Annotated[str, typer.Option(help="what it waits for: awaiting_complainant, awaiting_utility, "
                                                       "awaiting_courier, ... (the policy's pause.reasons)")],
              note: Annotated[str | None, typer.Option(help="details, e.g. the utility's job number")] = None,
              as_: As = None, if_version: IfVersion = None) -> None:
        """Stop the clock while the complaint waits on someone else."""
        _done(open_desk().pause(number, actor=actor(as_), now=now(), reason=reason, note=note,
                                expected_version=if_version))

    @app.command()
    @reports_errors
    def resume(number: Number, note: Annotated[str | None, typer.Option()] = None,
               as_: As = None, if_version: IfVersion = None) -> None:
        """Run the clock again; the held deadlines move by the paused time."""
        _done(open_desk().resume(number, actor=actor(as_), now=now(), note=note, expected_version=if_version))

    @app.command("request-extension")
    @reports_errors
    def request_extension(number: Number, stage: Annotated[str, typer.Option(help="e.g. resolve")],
                          reason: Annotated[str, typer.Option()],
                          new_due: Annotated[str, typer.Option("--new-due", help="ISO 8601 with offset, e.g. "
                                                                                 "2026-12-18T18:00+08:00")],
                          as_: As = None, if_version: IfVersion = None) -> None:
        """Ask for more time for a running stage (延期), before its deadline."""
        due = moment(new_due, "--new-due")
        assert due is not None  # the option is required
        _done(open_desk().request_extension(number, actor=actor(as_), now=now(), stage=stage, reason=reason,
                                            new_due=due, expected_version=if_version))

    @app.command("approve-extension")
    @reports_errors
    def approve_extension(number: Number, extension: Annotated[int, typer.Option(help="extension number")],
                          note: Annotated[str | None, typer.Option()] = None,
                          as_: As = None, if_version: IfVersion = None) -> None:
        """Grant an extension: the stage's deadline and ladder move to the new due time."""
        _done(open_desk().approve_extension(number, actor=actor(as_), now=now(), extension=extension, note=note,
                                            expected_version=if_version))

    @app.command("decline-extension")
    @reports_errors
    def decline_extension(number: Number, extension: Annotated[int, typer.Option()],
                          note: Annotated[str, typer.Option()], as_: As = None, if_version: IfVersion = None) -> None:
        """Decline an extension, saying why."""
        _done(open_desk().decline_extension(number, actor=actor(as_), now=now(), extension=extension, note=note,
                                            expected_version=if_version))

    @app.command()
    @reports_errors
    def promise(number: Number, reason: Annotated[str, typer.Option(help="why it cannot be solved at once")],
                promised_for: Annotated[str, typer.Option("--for", help="the time told to the complainant, ISO 8601 "
                                                                        "with offset")],
                as_: As = None, if_version: IfVersion = None) -> None:
        """Record the reason and the exact time told to the complainant (说明原因和确切解决时间)."""
        when = moment(promised_for, "--for")
        assert when is not None  # the option is required
        _done(open_desk().promise(number, actor=actor(as_), now=now(), reason=reason, promised_for=when,
                                  expected_version=if_version))

    @app.command()
    @reports_errors
    def refer(number: Number, to: Annotated[str, typer.Option(help="a person id, or a role: department_head, "
                                                                   "general_manager, ...")],
              reason: Annotated[str, typer.Option(help="what the leader is asked to decide or do")],
              as_: As = None, if_version: IfVersion = None) -> None:
        """Ask a leader to take a hand now (引荐给上层领导); you stay accountable."""
        _done(open_desk().refer(number, actor=actor(as_), now=now(), to=to, reason=reason, expected_version=if_version))

    @app.command("answer-referral")
    @reports_errors
    def answer_referral(number: Number, referral: Annotated[int, typer.Option(help="referral number")],
                        answer: Annotated[str, typer.Option()], as_: As = None, if_version: IfVersion = None) -> None:
        """Answer a referral made to you."""
        _done(open_desk().answer_referral(number, actor=actor(as_), now=now(), referral=referral, answer=answer,
                                          expected_version=if_version))

    @app.command()
    @reports_errors
    def progress(number: Number, channel: Annotated[str, typer.Option(help="phone, sms, email, in_person, app")],
                 text: Annotated[str, typer.Option(help="what the complainant was told")],
                 as_: As = None, if_version: IfVersion = None) -> None:
        """Record that the complainant was told how things stand."""
        _done(open_desk().report_progress(number, actor=actor(as_), now=now(), channel=channel, text=text,
                                          expected_version=if_version))

    @app.command()
    @reports_errors
    def close(number: Number, final_decision: Annotated[str | None, typer.Option(
                  help="when the complainant stays unsatisfied: the final decision")] = None,
              as_: As = None, if_version: IfVersion = None) -> None:
        """Close after a satisfied revisit, a final decision, or exhausted callbacks."""
        _done(open_desk().close(number, actor=actor(as_), now=now(), final_decision=final_decision,
                                expected_version=if_version))
