"""The organisation directory: departments, people, their roles, who leads and who is on duty.

Managers edit `policies/org.yaml`; it is validated like a policy (every problem at once,
with its line) and synced into the database. Escalations and approvals resolve roles
such as `department_head` or `duty_manager` to people through it. Staff names only:
complainants are never listed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, model_validator

from policies.loader import load_yaml_model
from policies.schema import Name, Spec, Version

PERSON_ID = r"^[a-z][a-z0-9_.-]*$"
RELATIONS = ("first_responder", "handler", "department_head")  # roles that depend on the complaint
SHIPPED_ORG = Path(__file__).parent / "org.yaml"


def _listify(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _known(kind: str) -> AfterValidator:
    def check(value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get(kind)
        if known is not None and value not in known:
            raise ValueError(f"'{value}' is not one of the {kind} in this file")
        return value

    return AfterValidator(check)


PersonId = Annotated[str, Field(pattern=PERSON_ID, description="a login-like id: li-na, wu.qiang")]
PersonRef = Annotated[PersonId, _known("people")]
DepartmentRef = Annotated[Name, _known("departments")]


class DepartmentSpec(Spec):
    name: str = Field(min_length=1)
    head: PersonRef | None = None


INTEGRATION = "integration"  # the role of accounts that are systems, not people (a hotline, a shop platform)


class PersonSpec(Spec):
    name: str = Field(min_length=1)
    department: DepartmentRef | None = None
    roles: Annotated[list[Name], BeforeValidator(_listify), Field(min_length=1)]
    active: bool = True
    # For an integration account: the person who receives what it files and owns it until
    # closed (首诉负责制 needs a person; a hotline platform cannot be held accountable).
    first_responder: PersonRef | None = None

    @model_validator(mode="after")
    def _integration_names_its_receiver(self) -> PersonSpec:
        if INTEGRATION in self.roles and self.first_responder is None:
            raise ValueError("an integration account needs first_responder: the person who owns what it files")
        if INTEGRATION not in self.roles and self.first_responder is not None:
            raise ValueError("first_responder is only for integration accounts (roles: [integration])")
        return self


class OrgPermissions(Spec):
    manage_tokens: Annotated[list[Name], BeforeValidator(_listify)] = Field(
        default_factory=lambda: ["general_manager"], description="who may create and revoke other people's API tokens")
    operate: Annotated[list[Name], BeforeValidator(_listify)] = Field(
        default_factory=lambda: ["general_manager", "duty_manager"],
        description="who may act on the desk's machinery: send a notification the desk gave up on again")
    manage_policies: Annotated[list[Name], BeforeValidator(_listify)] = Field(
        default_factory=lambda: ["general_manager"],
        description="who may open the policy workbench: read the policies in force, draft, check and replay")
    publish_policy: Annotated[list[Name], BeforeValidator(_listify)] = Field(
        default_factory=lambda: ["general_manager"],
        description="who may publish a draft as the policy in force (a new version, on record)")


class OrgFile(Spec):
    version: Version
    departments: dict[Name, DepartmentSpec] = Field(min_length=1)
    people: dict[PersonId, PersonSpec] = Field(min_length=1)
    on_duty: Annotated[list[PersonRef], BeforeValidator(_listify)] = Field(default_factory=list)
    permissions: OrgPermissions = Field(default_factory=OrgPermissions)

    def people_with(self, role: str) -> list[str]:
        return [pid for pid, p in self.people.items() if role in p.roles and p.active]

    def is_integration(self, person: str) -> bool:
        spec = self.people.get(person)
        return spec is not None and INTEGRATION in spec.roles


def _context(data: dict[Any, Any]) -> dict[str, object]:
    people, departments = data.get("people"), data.get("departments")
    return {
        "people": [str(p) for p in people] if isinstance(people, dict) else None,
        "departments": [str(d) for d in departments] if isinstance(departments, dict) else None,
    }


def load_org(path: str | Path = SHIPPED_ORG) -> OrgFile:
    """Loads and validates the directory; raises PolicyError listing every problem."""
    return load_yaml_model(path, OrgFile, _context)
