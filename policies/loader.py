"""Reading manager-edited YAML files: every problem at once, each with its file, line and key path.

YAML is composed first to learn the line of every key (and to catch duplicate keys,
which plain YAML loading silently overwrites), then validated by a pydantic model in one
pass. A manager sees `policies/property.yaml:41: tiers.urgent.deadlines.resolve: ...`.
Composing also refuses, at their line, what would otherwise crash or hang the loader: aliases
that contain themselves, alias bombs, very deep nesting, enormous values (limits below).
Policy files and the organisation directory (org.py) are read the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from policies.problems import PolicyError, PolicyProblem, quoted
from policies.schema import PolicyFile
from states import Family

KeyPath = tuple[str | int, ...]
Model = TypeVar("Model", bound=BaseModel)
Context = Callable[[dict[Any, Any]], dict[str, object]]

MAX_POLICY_BYTES = 1_000_000  # a policy is a page or two; a megabyte is a mistake or an attack
# Limits on what a file may make the loader build. The shipped policies hold about 330 values,
# nest 6 levels deep and have no text longer than 60 characters; past these limits a file is
# a mistake or an attack, and without them it is a crash (RecursionError, memory) not a message.
MAX_DEPTH = 32  # the YAML composer, pydantic and our key walk recurse once per level
MAX_VALUES = 100_000  # counted with aliases expanded: a "billion laughs" is a few lines of anchors
MAX_TEXT = 1_000  # characters in a key or value; also bounds every message that quotes one
TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep; a policy needs fewer than ten"


def load_policy_file(path: str | Path) -> PolicyFile:
    return load_yaml_model(path, PolicyFile, _context)


def parse_policy(text: str, source: str = "<policy>") -> PolicyFile:
    return parse_yaml_model(text, source, PolicyFile, _context)


def load_yaml_model(path: str | Path, model: type[Model], context: Context) -> Model:
    """Reads and validates one file; raises PolicyError with every problem found."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_POLICY_BYTES:  # line 1: the whole file is the problem, and `file:line` is what editors open
            raise _single(path, 1, f"the file is {size:,} bytes; a policy file is at most {MAX_POLICY_BYTES:,}")
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise _single(path, None, "no such file") from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _single(path, line, f"not UTF-8 text ({exc.reason} at byte {exc.start:,})") from None
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
        # isinstance first: a list or mapping in `family` is reported by the schema, not hashed here
        "family": Family(family) if isinstance(family, str) and family in {f.value for f in Family} else None,
        "stages": [str(s) for s in stages] if isinstance(stages, dict) else None,
    }


class _Refused(Exception):
    """YAML that composes but must not be built: where it is and why."""

    def __init__(self, key: KeyPath, line: int, message: str) -> None:
        super().__init__(message)
        self.key, self.line, self.message = key, line, message


class _Checked(Composer, SafeConstructor):
    """safe_load with limits. PyYAML happily builds a list that contains itself (`a: &x [*x]`),
    expands nothing until something walks the result (billion laughs), recurses once per level
    of nesting, and runs tag constructors that raise plain ValueErrors (`2026-02-30`). Each of
    those was a traceback in `desk policy check`; here each is a located problem instead.
    Composing tracks the key path, so the problem names the key as well as the line."""

    if TYPE_CHECKING:  # provided by the parser the concrete loader is built on
        def peek_event(self) -> Any: ...

    def _start(self) -> None:
        self._path: list[str | int] = []
        self._open: list[tuple[str | None, int]] = []  # anchors (and lines) of the values being composed
        self._sizes: dict[int, int] = {}  # id(node) -> values it holds with aliases expanded

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if parent is not None and index is not None:  # index is None while composing a mapping's key
            # cut at 80: a key may be a thousand characters, and the problem names the whole path
            self._path.append(index if isinstance(index, int) else str(getattr(index, "value", index))[:80])
        try:
            return self._compose_checked(parent, index)
        finally:
            if parent is not None and index is not None:
                self._path.pop()

    def _compose_checked(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            for anchor, anchor_line in self._open:
                if anchor == event.anchor:
                    raise _Refused(tuple(self._path), line, f"*{anchor} is inside the value it names (&{anchor} at "
                                   f"line {anchor_line}): a value cannot contain itself")
            return self._composed(parent, index)
        if len(self._open) >= MAX_DEPTH:
            raise _Refused(tuple(self._path), line, TOO_DEEP)
        if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_TEXT:
            what = "key" if index is None and isinstance(parent, yaml.MappingNode) else "value"
            raise _Refused(tuple(self._path), line, f"a {what} of {len(event.value):,} characters; policy files allow "
                           f"at most {MAX_TEXT:,}")
        self._open.append((event.anchor, line))
        try:
            node = self._composed(parent, index)
        finally:
            self._open.pop()
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        size = 1 + sum(self._sizes[id(child)] for child in children)
        if size > MAX_VALUES:
            raise _Refused(tuple(self._path), line, f"holds more than {MAX_VALUES:,} values (each alias counted as "
                           "a copy of what it names); a policy holds a few hundred")
        self._sizes[id(node)] = size
        return node

    def _composed(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        node = super().compose_node(parent, index)
        assert node is not None, "the composer returns a node for every event it is asked about"
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # the file's tags choose which constructor runs (!!int, dates); any may raise
            kind = str(node.tag).rsplit(":", 1)[-1]
            why = f": {exc}" if type(exc) is ValueError else ""  # a KeyError's or AttributeError's text means nothing
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {quoted(node.value)} as {kind}{why}", node.start_mark
            ) from None


class _PureLoader(_Checked, Reader, Scanner, Parser, Resolver):
    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._start()


_LOADER: type[_PureLoader] | type[_FastLoader]
_BYTE_POSITIONS = False  # where a ReaderError says the bad character is: characters, or bytes of UTF-8
try:
    from yaml._yaml import CParser  # absent when PyYAML was built without libyaml

    class _FastLoader(_Checked, CParser, Resolver):
        """libyaml's parser under the same checks: a megabyte file in about a second, not ten."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._start()

    _LOADER, _BYTE_POSITIONS = _FastLoader, True
except ImportError:  # PyYAML built without libyaml: the same answers, only slower
    _LOADER = _PureLoader


def _read_yaml(text: str, source: str) -> tuple[dict[KeyPath, int], list[tuple[KeyPath, int, str]], Any]:
    loader = None
    try:
        loader = _LOADER(text)  # the reader refuses control characters already here
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except _Refused as refused:
        raise PolicyError([PolicyProblem(source, refused.line, _dotted(refused.key), refused.message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = exc.problem or str(exc)
        if _parser_says_too_deep(exc):  # the parser stopped first: the manager reads the composer's sentence
            raise PolicyError([PolicyProblem(source, line, "", TOO_DEEP)]) from None
        if exc.context:  # "while parsing a flow sequence", "expected a single document in the stream"
            seen = exc.context_mark.line + 1 if exc.context_mark else line
            message = f"{exc.context}{f' (line {seen})' if seen != line else ''}, {message}"
        raise PolicyError([PolicyProblem(source, line, "", f"not valid YAML: {message}")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids: say which and on what line
        before = text.encode("utf-8")[:exc.position] if _BYTE_POSITIONS else text[:exc.position].encode("utf-8")
        line = before.count(b"\n") + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        message = f"not valid YAML: the character {char} is not allowed in YAML text (a binary file?)"
        raise PolicyError([PolicyProblem(source, line, "", message)]) from None
    except yaml.YAMLError as exc:
        raise PolicyError([PolicyProblem(source, 1, "", f"not valid YAML: {exc}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[KeyPath, int] = {}
    duplicates: list[tuple[KeyPath, int, str]] = []
    if root is not None:
        _walk(root, (), lines, duplicates)
    return lines, duplicates, data


def _parser_says_too_deep(exc: yaml.MarkedYAMLError) -> bool:
    """libyaml (bundled with PyYAML 6.0.4 and later) stops at 1,000 levels before our composer
    sees a node: "while increasing flow level, exceeded maximum nesting depth". Its words are
    the only sign; tests feed it 1,500 and 2,500 levels (test_boundaries.py,
    test_hostile_policy_shapes.py), so a rewording shows up as a test that no longer reads TOO_DEEP."""
    return "nesting" in f"{exc.context} {exc.problem}".lower()


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
        message += f" (got {quoted(given)})"
    return str(message)


def _single(path: Path, line: int | None, message: str) -> PolicyError:
    return PolicyError([PolicyProblem(str(path), line, "", message)])
