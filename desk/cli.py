"""The `desk` command line: one entry point, command groups in desk/commands/.

Starting fast is a feature: `desk --help` imports no command module, and `desk show N` imports
only the module that defines `show` (with the storage and policies it needs), never Prefect,
the web stack or the other commands' modules. So every command is listed in COMMANDS with where
it lives and the summary `desk --help` shows, and its module is imported only when the command
runs or shows its own help. tests/integration/test_cli_start.py keeps each summary equal to the
first paragraph of the command's docstring, checks that every command the modules register is
listed, and that `--help` and `show` import nothing they should not.

Adding a command is one line in COMMANDS. Import what is heavy (uvicorn, FastAPI, Prefect)
inside the command function, not at the top of its module: then `desk <command> --help` stays
quick too.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context
    from typer.models import CommandInfo


@dataclass(frozen=True)
class Lazy:
    """Where a command lives, as "module:attribute", and the first paragraph of its docstring.

    The attribute is a command function, a `typer.Typer` (a group of commands, `desk policy ...`),
    or `register`, a function that adds several commands to the app it is given (verbs, views)."""

    target: str
    summary: str


COMMANDS: dict[str, Lazy] = {
    "file": Lazy("desk.commands.intake:file",
                 "Register a complaint (受理). Whoever files it is its first responder until it is closed."),
    "up": Lazy("desk.commands.up:up",
               "Start (or reuse) the local Prefect server, bring the database up to date, serve the flows\n"
               "(one process per tier) and the HTTP API, and create the automations. Ctrl-C stops everything\n"
               "this command started."),
    "export": Lazy("desk.commands.export:export",
                   "Complaints for analysis: state, type, tier, times, first responder, handler, every event (name, "
                   "time,\nactor, arguments) and each stage deadline met or missed."),
    # desk/commands/verbs.py
    "classify": Lazy("desk.commands.verbs:register",
                     "Decide type, tier and responsibility; the policy's deadlines start counting."),
    "dispatch": Lazy("desk.commands.verbs:register",
                     "Emergency dispatch for an urgent property complaint (staff to the site now)."),
    "assign": Lazy("desk.commands.verbs:register",
                   "Make a handler responsible; the first responder stays accountable."),
    "hand-off": Lazy("desk.commands.verbs:register", "Hand the complaint to another handler."),
    "request-approval": Lazy("desk.commands.verbs:register",
                             "Ask a leader for authority beyond yours (如因权力限制可向领导请求授权批准)."),
    "approve": Lazy("desk.commands.verbs:register", "Grant an approval asked of you (within your authority)."),
    "decline": Lazy("desk.commands.verbs:register", "Decline an approval asked of you, saying why."),
    "findings": Lazy("desk.commands.verbs:register",
                     "Record the findings of the investigation (needed before resolving)."),
    "request-evidence": Lazy("desk.commands.verbs:register",
                             "Ask the respondent for evidence; the policy's evidence window starts."),
    "receive-evidence": Lazy("desk.commands.verbs:register",
                             "Record the respondent's evidence (chat records, call records, courier slips...)."),
    "resolve": Lazy("desk.commands.verbs:register",
                    "Record the resolution; compensation beyond your authority needs an approval first."),
    "feed-back": Lazy("desk.commands.verbs:register", "Tell the complainant the process, result and compensation."),
    "revisit": Lazy("desk.commands.verbs:register", "Record a callback (回访) and how satisfied the complainant is."),
    "reopen": Lazy("desk.commands.verbs:register", "Handle it again after an unsatisfied revisit (直到业主满意为止)."),
    "appeal": Lazy("desk.commands.verbs:register",
                   "Record the complainant's appeal (申诉) of a decision, within the policy's window."),
    "reject": Lazy("desk.commands.verbs:register", "Refuse a complaint, with the reason."),
    "withdraw": Lazy("desk.commands.verbs:register", "Record that the complainant withdrew (撤诉)."),
    "close": Lazy("desk.commands.verbs:register",
                  "Close after a satisfied revisit, a final decision, or exhausted callbacks."),
    "pause": Lazy("desk.commands.verbs:register", "Stop the clock while the complaint waits on someone else."),
    "resume": Lazy("desk.commands.verbs:register", "Run the clock again; the held deadlines move by the paused time."),
    "request-extension": Lazy("desk.commands.verbs:register",
                              "Ask for more time for a running stage (延期), before its deadline."),
    "approve-extension": Lazy("desk.commands.verbs:register",
                              "Grant an extension: the stage's deadline and ladder move to the new due time."),
    "decline-extension": Lazy("desk.commands.verbs:register", "Decline an extension, saying why."),
    "promise": Lazy("desk.commands.verbs:register",
                    "Record the reason and the exact time told to the complainant (说明原因和确切解决时间)."),
    "refer": Lazy("desk.commands.verbs:register",
                  "Ask a leader to take a hand now (引荐给上层领导); you stay accountable."),
    "answer-referral": Lazy("desk.commands.verbs:register", "Answer a referral made to you."),
    "progress": Lazy("desk.commands.verbs:register", "Record that the complainant was told how things stand."),
    # desk/commands/views.py
    "show": Lazy("desk.commands.views:register",
                 "A complaint's timeline: states, who, deadlines met or missed, escalations, hand-offs."),
    "list": Lazy("desk.commands.views:register", "Complaints, newest first; personal data masked."),
    "board": Lazy("desk.commands.views:register",
                  "Counts by tier and state, what is overdue, and how far escalations have climbed."),
    "tasks": Lazy("desk.commands.views:register",
                  "What waits on me: complaints I handle or own, callbacks due, approvals, referrals, extensions."),
    "sweep": Lazy("desk.commands.views:register",
                  "Fire every timer due now: escalations along the ladder, evidence windows, callbacks due."),
    "serve": Lazy("desk.commands.serve:serve",
                  "Serve the HTTP API at http://HOST:PORT/api/v1 (OpenAPI at /api/v1/openapi.json, docs at /docs)."),
    "walkthrough": Lazy("desk.cli:walkthrough",
                        "Replay seed cases on the shipped policies and print their timelines and deadlines."),
    # groups
    "policy": Lazy("desk.commands.policy:app", "Check, explain, apply and export policy files."),
    "states": Lazy("desk.commands.states:app", "Look at the complaint lifecycles."),
    "db": Lazy("desk.commands.db:app", "The desk's database."),
    "token": Lazy("desk.commands.token:app", "Personal API tokens: shown once, stored as a digest."),
    "outbox": Lazy("desk.commands.outbox:app",
                   "Notifications owed, retrying, given up (failed) or retried; retry one the desk gave up on."),
}


def walkthrough() -> None:
    """Replay seed cases on the shipped policies and print their timelines and deadlines."""
    from desk.walkthrough import run

    run()


class LazyGroup(TyperGroup):
    """Lists every command in COMMANDS by its summary; imports a command's module only to run it
    or show its own help. A name not in COMMANDS is looked for in every module that registers
    several commands, so that a command added there works even before it is listed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, lazy in COMMANDS.items():
            self.commands.setdefault(name, Summary(name=name, help=lazy.summary))

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name:
            for target in dict.fromkeys(lazy.target for lazy in COMMANDS.values() if lazy.target.endswith(":register")):
                if (command := load(cmd_name, target)) is not None:
                    self.commands[cmd_name] = command
                    break
        return command

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, Summary):
            loaded = load(name, COMMANDS[name].target)
            if loaded is None:  # listed in COMMANDS but no longer registered by its module
                ctx.fail(f"No such command {name!r}.")
            command = self.commands[name] = loaded
        return name, command, rest


class Summary(TyperCommand):
    """What `desk --help` lists for a command whose module is not imported."""


def load(name: str, target: str) -> Command | None:
    """The command `name` as typer builds it from `target` ("module:attribute"), importing its
    module now; None when a `register` target does not register that name."""
    module, _, attribute = target.partition(":")
    # __import__ rather than importlib.import_module: only the former is seen by `python -X importtime`
    found = getattr(__import__(module, fromlist=[attribute]), attribute)
    if isinstance(found, typer.Typer):
        group = typer.main.get_group(found)
        group.name = name
        return group
    single = typer.Typer()
    if attribute == "register":
        found(single)
        single.registered_commands = [info for info in single.registered_commands if _name(info) == name]
        if not single.registered_commands:
            return None
    else:
        single.command(name)(found)
    return typer.main.get_group(single).commands[name]


def _name(info: CommandInfo) -> str:
    return info.name or typer.main.get_command_name(info.callback.__name__ if info.callback else "")


app = typer.Typer(
    cls=LazyGroup,
    no_args_is_help=True,
    help="Complaint Desk: complaints under first-responsibility (首诉负责制).",
    pretty_exceptions_enable=False,
)


@app.callback()
def _desk() -> None:
    pass  # a callback makes `app` a group even though no command is registered on it: all are in COMMANDS


def main() -> None:
    # What `desk show` imports leaves some 90,000 objects for the collector and hardly any garbage,
    # yet at the default threshold (700) it runs 250 times meanwhile, re-walking the survivors: a
    # tenth of the command. Collecting every 50,000 allocations instead still bounds what cycles a
    # long-running command (`desk up`, `desk serve`) can leave uncollected to a few megabytes.
    gc.set_threshold(50_000, *gc.get_threshold()[1:])
    try:
        app()
    finally:
        # Leaving: the interpreter's last collections would walk every object the imports made
        # (a fifth of a second for `desk show`) to find no garbage. Frozen objects are left out of
        # them; memory goes back to the system all the same.
        gc.freeze()
