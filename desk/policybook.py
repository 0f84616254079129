"""The policies in force and every version a complaint was classified under.

The current files are read from the policy folder when the desk opens; each version is
stored in the database when first seen, so a complaint keeps the rules it started with
after a manager's edit. Stored versions are read inside the caller's unit of work.

Parsing a policy file takes longer than the rest of opening the desk (the YAML is composed
with every key's line, and validating the calendar imports every country's holidays), so
what a parse produced is kept in `cache` (DESK_HOME/cache) and reused when a file's text is
the same, byte for byte, and so is the code that parses it: see ParsedPolicies.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import pydantic
import pydantic_core
import yaml

import policies
import states
from desk.errors import BadInput, NotFound
from desk.store.engine import Engine
from desk.store.policy_versions import store_text, stored_text
from desk.store.uow import UnitOfWork
from policies import Policy, PolicyFile, parse_policy
from policies.org import OrgFile, load_org
from states import Complaint, Family


class PolicyBook:
    def __init__(self, folder: Path, cache: Path | None = None) -> None:
        self.folder = folder
        self._parsed = ParsedPolicies(cache)
        self._versions: dict[tuple[str, str], Policy] = {}
        self._current: dict[str, Policy] = {}

    def load(self, engine: Engine, now: datetime) -> None:
        """Reads the current files and stores their versions (refusing an edit without a new version)."""
        with UnitOfWork(engine) as uow:
            for family in Family:
                path = self.folder / f"{family.value}.yaml"
                text = path.read_text(encoding="utf-8")
                policy = Policy(self._parsed.parse(text, str(path)), str(path))
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
        return self.version(complaint.family, complaint.policy_version, uow)

    def version(self, family: Family | str, version: str, uow: UnitOfWork) -> Policy:
        """A version of the family's policy as it was stored when first seen."""
        seen = self._versions.get((family, version))  # a Family finds its text's entry: no Family() call
        if seen is not None:
            return seen
        key = (Family(family).value, version)
        if key not in self._versions:
            text = stored_text(uow.connection, *key)
            if text is None:
                raise NotFound(f"{key[0]} policy version {key[1]} is not stored")
            parsed = self._parsed.parse(text, f"stored {key[0]} policy {key[1]}")
            self._versions[key] = Policy(parsed, f"stored:{key[1]}")
        return self._versions[key]

    def org(self) -> OrgFile:
        return load_org(self.folder / "org.yaml")


class ParsedPolicies:
    """Policy files parsed before, by the SHA-256 of their text and of what parses them.

    A hit is what `parse_policy` would return for the same text now: the key covers the text
    and the code that turns it into a PolicyFile (every module of policies/ and states/, the
    versions of pydantic, PyYAML and holidays), so an edited file, an upgraded desk or library
    misses and is parsed (and validated) again. Only files that parsed without a problem are
    kept; a file with problems is parsed each time, so its problems are always reported.

    Entries are pickles in `folder`, written whole or not at all (a temporary file renamed),
    so processes opening the desk at once can share them. They are read with an unpickler that
    builds only the classes of policies/ and states/ and a few value types (see _Unpickler):
    a planted file cannot run code; like the database beside it, whoever can write DESK_HOME
    can change what the desk believes. Anything wrong with an entry means a miss.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def parse(self, text: str, source: str) -> PolicyFile:
        if self.folder is None:
            return parse_policy(text, source)
        entry = self.folder / f"policy-{self.key(text)}.pickle"
        try:
            with entry.open("rb") as file:
                found = _Unpickler(file).load()
            if isinstance(found, PolicyFile):
                return found
        except Exception:  # missing, torn or foreign: a miss, so the text is parsed again
            pass
        parsed = parse_policy(text, source)
        self._keep(entry, parsed)
        return parsed

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(_parser_fingerprint() + text.encode("utf-8")).hexdigest()

    def _keep(self, entry: Path, parsed: PolicyFile) -> None:
        try:
            entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".policy-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as file:
                    pickle.dump(parsed, file, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, entry)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass  # a read-only or full DESK_HOME: the next command parses again


@functools.cache
def _parser_fingerprint() -> bytes:
    """What a parse depends on besides the text: the sources of policies/ and states/, and the
    versions of the libraries that read and validate the file."""
    digest = hashlib.sha256()
    for package in (policies, states):
        root = Path(package.__file__ or "").parent
        for module in sorted(root.rglob("*.py")):
            digest.update(str(module.relative_to(root)).encode() + b"\0" + module.read_bytes() + b"\0")
    # holidays' version from its metadata: importing the package would load every country's calendar.
    for version in (pydantic.VERSION, pydantic_core.__version__, yaml.__version__, metadata.version("holidays")):
        digest.update(version.encode() + b"\0")
    return digest.digest()


class _Unpickler(pickle.Unpickler):
    """Builds what a PolicyFile is made of and nothing else: its models and enums (policies/,
    states/) and the value types they hold. Any other global refuses the whole entry."""

    VALUES: ClassVar[frozenset[tuple[str, str]]] = frozenset({
        ("decimal", "Decimal"), ("fractions", "Fraction"), ("datetime", "date"), ("datetime", "time"),
        ("datetime", "datetime"), ("datetime", "timedelta")})

    def find_class(self, module: str, name: str) -> Any:
        found = super().find_class(module, name) if (
            module.split(".")[0] in {"policies", "states"} or (module, name) in self.VALUES) else None
        if not isinstance(found, type):
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a parsed policy")
        return found
