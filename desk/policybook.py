"""The policies in force and every version a complaint was classified under.

The current files are read from the policy folder when the desk opens; each version is
stored in the database when first seen, so a complaint keeps the rules it started with
after a manager's edit. Stored versions are read inside the caller's unit of work.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from desk.errors import BadInput, NotFound
from desk.store.engine import Engine
from desk.store.policy_versions import store_text, stored_text
from desk.store.uow import UnitOfWork
from policies import Policy, parse_policy
from policies.org import OrgFile, load_org
from states import Complaint, Family


class PolicyBook:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._versions: dict[tuple[str, str], Policy] = {}
        self._current: dict[str, Policy] = {}

    def load(self, engine: Engine, now: datetime) -> None:
        """Reads the current files and stores their versions (refusing an edit without a new version)."""
        with UnitOfWork(engine) as uow:
            for family in Family:
                path = self.folder / f"{family.value}.yaml"
                text = path.read_text(encoding="utf-8")
                policy = Policy(parse_policy(text, str(path)), str(path))
                if store_text(uow.connection, family.value, policy.version, text, now) != text:
                    # Same version, different rules: complaints classified under it would silently
                    # change their deadlines. Refuse until the manager bumps `version`.
                    raise BadInput(
                        f"{path}: version {policy.version} is already stored with different content; "
                        "give the edited file a new 'version' so open complaints keep the rules they started with"
                    )
                self._current[family.value] = policy
                self._versions[(family.value, policy.version)] = policy
            uow.commit()

    def current(self, family: Family | str) -> Policy:
        return self._current[Family(family).value]

    def for_complaint(self, complaint: Complaint, uow: UnitOfWork) -> Policy:
        """The version it was classified under; the current one before classification."""
        if complaint.policy_version is None:
            return self.current(complaint.family)
        key = (complaint.family.value, complaint.policy_version)
        if key not in self._versions:
            text = stored_text(uow.connection, *key)
            if text is None:
                raise NotFound(f"{key[0]} policy version {key[1]} is not stored")
            self._versions[key] = Policy(parse_policy(text, f"stored {key[0]} policy {key[1]}"), f"stored:{key[1]}")
        return self._versions[key]

    def org(self) -> OrgFile:
        return load_org(self.folder / "org.yaml")
