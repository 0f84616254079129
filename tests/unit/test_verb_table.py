"""One table of verbs, three doors: every verb of desk.verbs is a CLI command and an API route
(with a body whose fields are exactly the use-case's arguments), and nothing else is."""

from __future__ import annotations

import inspect

from desk.cli import COMMANDS
from desk.service import Desk
from desk.verbs import VERBS
from states import MACHINES
from tests.api.verbs_under_test import VERB_BODIES

COMMON = {"self", "number", "actor", "now", "expected_version"}


def test_the_cli_has_a_command_for_every_verb_and_no_other_verb() -> None:
    cli_verbs = {name for name, lazy in COMMANDS.items() if lazy.target == "desk.commands.verbs:register"}
    assert cli_verbs == {verb.name for verb in VERBS}


def test_each_verb_body_is_exactly_its_use_case_arguments() -> None:
    for verb in VERBS:
        use_case = inspect.signature(getattr(Desk, verb.method))
        arguments = {name for name in use_case.parameters if name not in COMMON}
        body = {verb.rename.get(field, field) for field in verb.body.model_fields}
        assert body == arguments, verb.name
        # A body may default what the use-case requires (request-approval's action: resolve), never
        # require what the use-case does not.
        required = {verb.rename.get(f, f) for f, info in verb.body.model_fields.items() if info.is_required()}
        assert required <= {name for name in arguments if use_case.parameters[name].default is inspect.Parameter.empty}



def test_every_verb_fires_a_trigger_of_a_machine() -> None:
    triggers = {trigger for machine in MACHINES.values() for trigger in machine.events}
    assert {verb.trigger for verb in VERBS} <= triggers
    # ...and every trigger people fire has a verb. Not people's: receipt, the timers' own moves, a
    # manager's policy re-application. Not yet a verb: reclassify, whose deadlines must be planned
    # again from the new tier (the incremental timer planner of issue 15 does that).
    by_people = triggers - {"receive", "escalate", "reapply_policy", "evidence_deadline_passed", "reclassify"}
    assert by_people <= {verb.trigger for verb in VERBS}, by_people - {verb.trigger for verb in VERBS}


def test_the_api_tests_have_a_valid_body_for_every_verb() -> None:
    assert set(VERB_BODIES) == {verb.name for verb in VERBS}
    for verb in VERBS:
        trigger, body = VERB_BODIES[verb.name]
        assert trigger == verb.trigger
        verb.body.model_validate(body)
