"""Problems found in manager-edited files, each with its file, line and key path."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic_core import PydanticCustomError


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class PolicyError(Exception):
    """A policy file that cannot be used; `problems` lists every one found."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{count} in {problems[0].file}:\n" + "\n".join(f"  {p}" for p in problems))


def quoted(value: object, limit: int = 60) -> str:
    """A value as a message shows it: a file can hold a list of thousands (aliases make that
    easy), and one problem line should not print all of it."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f"{len(value):,} items" if isinstance(value, list | dict) else f"{len(str(value)):,} characters"
    return f"{text[:limit]}... ({size})"


def located(problem: tuple[tuple[int | str, ...], str]) -> PydanticCustomError:
    """An error deeper than the field that found it: the loader appends `path` to the field's key."""
    path, message = problem
    return PydanticCustomError("policy_rule", "{message}", {"message": message, "path": path})
