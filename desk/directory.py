"""Who is who: roles resolved to people for one complaint, and what a person may do."""

from __future__ import annotations

from decimal import Decimal

from desk.errors import NotPermitted
from policies import Policy, limit_of
from policies.org import OrgFile
from states import Complaint

SYSTEM = "desk"  # the actor of timer-driven moves: escalations, evidence windows
STAFF = "staff"  # in permissions: everyone in the directory but integration accounts
SOURCE = "source"  # in permissions: the integration account that filed this complaint


class Directory:
    def __init__(self, org: OrgFile) -> None:
        self.org = org

    def require(self, person: str) -> None:
        if person == SYSTEM:
            raise NotPermitted(f"'{SYSTEM}' is the desk itself: act as a person (--as ID or DESK_USER)")
        found = self.org.people.get(person)
        if found is None or not found.active:
            raise NotPermitted(f"unknown person '{person}': not in the organisation directory (policies/org.yaml)")

    def head_of(self, department: str | None) -> str | None:
        spec = self.org.departments.get(department or "")
        return spec.head if spec else None

    def roles_of(self, person: str, complaint: Complaint | None = None, source: str | None = None) -> set[str]:
        """A person's roles, `staff` unless they are an integration account, plus what they are to
        this complaint (first responder, handler, head, or `source`: the integration that filed it)."""
        spec = self.org.people.get(person)
        roles = set(spec.roles) if spec else set()
        if complaint is not None:
            # Toward one complaint, `handler` is what the person is to it, not a job title: a
            # handler of other complaints does not see this complainant unmasked. (A department
            # head stays one everywhere: the authority ladder ranks heads, not relations.)
            roles.discard("handler")
        if spec is not None and not self.org.is_integration(person):
            roles.add(STAFF)
        if source is not None and person == source:
            roles.add(SOURCE)
        if complaint is not None:
            if person == complaint.first_responder:
                roles.add("first_responder")
            if person == complaint.handler:
                roles.add("handler")
            if person == self.head_of(self._department(complaint)):
                roles.add("department_head")
        return roles

    def people_for(self, roles: list[str] | tuple[str, ...], complaint: Complaint) -> list[str]:
        """The people behind notify roles (or person ids), in order, each once. Duty managers: those on duty."""
        people: list[str] = []
        for role in roles:
            if role == "first_responder":
                found = [complaint.first_responder]
            elif role == "handler":
                found = [complaint.handler]
            elif role == "department_head":
                head = self.head_of(self._department(complaint))
                found = [head] if head else []
            elif role in self.org.people:  # a person named for themselves (a referral's leader)
                found = [role]
            else:
                found = self.org.people_with(role)
                on_duty = [p for p in found if p in self.org.on_duty]
                found = on_duty or found
            people.extend(p for p in found if p not in people)
        return people

    def _department(self, complaint: Complaint) -> str | None:
        """The complaint's department, or before assignment the handler's own (their leader hears)."""
        if complaint.department:
            return complaint.department
        handler = self.org.people.get(complaint.handler)
        return handler.department if handler else None

    def check(self, policy: Policy, complaint: Complaint | None, action: str, person: str,
              source: str | None = None) -> None:
        """Refuses, naming the rule, when the policy's permissions leave this person out. Where the
        policy sets no rule, anyone on the staff may; an integration account only what a rule grants."""
        self.require(person)
        allowed, key = policy.rule_for(action)
        what = f"{action} {complaint.number}" if complaint is not None else f"{action} {policy.family} complaints"
        if allowed is None:
            if self.org.is_integration(person):
                raise NotPermitted(f"{person} may not {what}: the {policy.family} policy {policy.version} has no "
                                   f"{key} rule, and integration accounts do only what a rule grants")
            return
        roles = self.roles_of(person, complaint, source)
        if not roles & set(allowed):
            raise NotPermitted(
                f"{person} may not {what}: the {policy.family} policy {policy.version} "
                f"({key}) allows {', '.join(allowed)}; {person} is {', '.join(sorted(roles)) or 'none'}"
            )

    def may(self, policy: Policy, complaint: Complaint | None, action: str, person: str,
            source: str | None = None) -> bool:
        try:
            self.check(policy, complaint, action, person, source)
        except NotPermitted:
            return False
        return True

    def may_list(self, policy: Policy, person: str) -> bool:
        """Whether a list of this family's complaints may be shown to `person` at all; an integration
        account's list is then limited to what it filed, so `source` counts as held."""
        self.require(person)
        allowed = policy.spec.permissions.get("read")
        integration = self.org.is_integration(person)
        if allowed is None:
            return not integration
        roles = self.roles_of(person) | ({SOURCE} if integration else set())
        return bool(roles & set(allowed))

    def holds(self, person: str, permission: str) -> bool:
        """Whether `person`'s roles are among those org.yaml `permissions.<permission>` names
        (manage_tokens, manage_policies, publish_policy, operate)."""
        return bool(self.roles_of(person) & set(getattr(self.org.permissions, permission)))

    def check_holds(self, person: str, permission: str, what: str) -> None:
        """Refuses, naming org.yaml's rule and whom it allows, unless `person` holds `permission`."""
        self.require(person)
        if not self.holds(person, permission):
            allowed = ", ".join(getattr(self.org.permissions, permission))
            raise NotPermitted(f"{person} may not {what}: policies/org.yaml permissions.{permission} allows {allowed}")

    def may_manage_tokens(self, person: str) -> bool:
        return self.holds(person, "manage_tokens")

    def may_manage_policies(self, person: str) -> bool:
        """The policy workbench: read, draft, check, replay."""
        return self.holds(person, "manage_policies")

    def may_publish_policies(self, person: str) -> bool:
        return self.holds(person, "publish_policy")

    def may_operate(self, person: str) -> bool:
        """The desk's machinery: retry a notice, the operations pages."""
        return self.holds(person, "operate")

    def require_staff(self, person: str, what: str) -> None:
        """Refuses an unknown person, and an integration account: operations pages are for staff."""
        self.require(person)
        if self.org.is_integration(person):
            raise NotPermitted(f"{person} may not {what}: integration accounts see only the complaints they filed")

    def receiver_for(self, person: str) -> str:
        """Who owns what `person` files: themselves, or for an integration account its named receiver."""
        spec = self.org.people.get(person)
        return spec.first_responder if spec is not None and spec.first_responder else person

    def authority_limit(self, policy: Policy, person: str) -> Decimal:
        """The largest amount this person may decide alone under the policy's authority ladder."""
        limits = [limit_of(policy.spec.authority, role) for role in self.roles_of(person)]
        return max(limits, default=Decimal(0))
