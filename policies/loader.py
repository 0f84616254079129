"""Reading manager-edited YAML files: every problem at once, each with its file, line and key path.

YAML is composed first to learn the line of every key (and to catch duplicate keys,
which plain YAML loading silently overwrites), then validated by a pydantic model in one
pass. A manager sees `policies/property.yaml:41: tiers.urgent.deadlines.resolve: ...`.
Policy files and the organisation directory (org.py) are read the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from policies.problems import PolicyError, PolicyProblem
from policies.schema import PolicyFile
from states import Family

KeyPath = tuple[str | int, ...]
Model = TypeVar("Model", bound=BaseModel)
Context = Callable[[dict[Any, Any]], dict[str, object]]

MAX_POLICY_BYTES = 1_000_000  # a policy is a page or two; a megabyte is a mistake or an attack


def load_policy_file(path: str | Path) -> PolicyFile:
    return load_yaml_model(path, PolicyFile, _context)


def parse_policy(text: str, source: str = "<policy>") -> PolicyFile:
    return parse_yaml_model(text, source, PolicyFile, _context)


def load_yaml_model(path: str | Path, model: type[Model], context: Context) -> Model:
    """Reads and validates one file; raises PolicyError with every problem found."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_POLICY_BYTES:
            raise _single(path, None, f"the file is {size:,} bytes; a policy file is at most {MAX_POLICY_BYTES:,}")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _single(path, None, "no such file") from None
    except UnicodeDecodeError as exc:
        raise _single(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except IsADirectoryError:
        raise _single(path, None, "is a directory, not a policy file") from None
    return parse_yaml_model(text, str(path), model, context)


def parse_yaml_model(text: str, source: str, model: type[Model], context: Context) -> Model:
    lines, duplicates, data = _read_yaml(text, source)
    problems = [PolicyProblem(source, line, _dotted(key), message) for key, line, message in duplicates]
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        message = f"the file must be a mapping of keys, this is {kind}"
        raise PolicyError([*problems, PolicyProblem(source, 1, "", message)])
    try:
        parsed = model.model_validate(data, context=context(data))
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            key = tuple(part for part in error["loc"] if part != "[key]")
            key += tuple((error.get("ctx") or {}).get("path", ()))
            problems.append(PolicyProblem(source, _line_of(lines, key), _dotted(key), _message(error)))
        raise PolicyError(problems) from None
    if problems:
        raise PolicyError(problems)
    return parsed


def _context(data: dict[Any, Any]) -> dict[str, object]:
    """What name checks compare against, read from the raw file so one pass finds everything."""
    family = data.get("family")
    stages = data.get("stages")
    return {
        "family": Family(family) if family in {f.value for f in Family} else None,
        "stages": [str(s) for s in stages] if isinstance(stages, dict) else None,
    }


def _read_yaml(text: str, source: str) -> tuple[dict[KeyPath, int], list[tuple[KeyPath, int, str]], Any]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyError([PolicyProblem(source, line, "", f"not valid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise PolicyError([PolicyProblem(source, None, "", f"not valid YAML: {exc}")]) from None
    lines: dict[KeyPath, int] = {}
    duplicates: list[tuple[KeyPath, int, str]] = []
    if root is not None:
        _walk(root, (), lines, duplicates)
    return lines, duplicates, data


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int],
          duplicates: list[tuple[KeyPath, int, str]]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                message = f"duplicate key (first at line {seen[key]}); YAML would keep only the last"
                duplicates.append(((*path, key), line, message))
            seen.setdefault(key, line)
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, duplicates)


def _line_of(lines: dict[KeyPath, int], key: KeyPath) -> int | None:
    """The line of the deepest part of `key` that exists in the file (a missing key points at its parent)."""
    for end in range(len(key), -1, -1):
        line = lines.get(tuple(key[:end]))
        if line is not None:
            return line
    return None


def _dotted(key: KeyPath) -> str:
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: Any) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (a typo? the schema does not know it)"
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    given = error.get("input")
    if kind not in ("value_error",) and not isinstance(given, dict | list) and given is not None:
        message += f" (got {given!r})"
    return str(message)


def _single(path: Path, line: int | None, message: str) -> PolicyError:
    return PolicyError([PolicyProblem(str(path), line, "", message)])
