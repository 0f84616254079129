"""Hostile policy files by shape: what `desk policy check` gets when a file is not a slip of a
value but the wrong kind of thing altogether. Escalation ladders out of order; YAML aliases that
contain themselves or expand a few lines into billions of values; names that exist nowhere, in
every place a policy names a state, trigger, stage, tier or family; files far too long, too
deep, or with one enormous value; random bytes, control characters, several documents.

Each ends in problems located as `file:line: ...` (or, when the file is in fact valid, in a
success), never in a traceback, and quickly. Each test prints how many inputs it tried and how
many tracebacks it met (run with -s to see them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from desk.cli import app
from desk.commands.policy import _summary
from policies import PolicyError, load_policy
from policies.loader import MAX_DEPTH, MAX_POLICY_BYTES, MAX_TEXT, MAX_VALUES, TOO_DEEP
from policies.policy import SHIPPED
from states import Family, Tier, states_of, triggers_of
from tests.unit.test_hostile_policies import key_paths

pytestmark = pytest.mark.unit
FAMILIES = ("property", "enterprise")
SHIPPED_TEXT = {f: (SHIPPED / f"{f}.yaml").read_text(encoding="utf-8") for f in FAMILIES}
SHIPPED_DOC = {f: yaml.safe_load(SHIPPED_TEXT[f]) for f in FAMILIES}
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+): ")
QUICK = 5.0  # seconds: a hostile file is answered about as fast as a normal one, not after a minute of expansion
# Every name a policy may legitimately use, so that a generated name is surely unknown.
KNOWN_NAMES = (
    {s for f in Family for s in states_of(f)} | {t for f in Family for t in triggers_of(f)}
    | {s for doc in SHIPPED_DOC.values() for s in doc["stages"]} | {t.value for t in Tier} | set(FAMILIES)
)
IDENTIFIERS = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(lambda name: name not in KNOWN_NAMES)
FAST = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@dataclass
class Tally:
    """Runs `desk policy check`'s per-file work on one input and keeps count for the summary."""

    name: str
    tried: int = 0
    tracebacks: int = 0
    refused: int = 0
    accepted: int = 0
    slowest: float = 0.0

    def check(self, path: Path) -> PolicyError | None:
        """The PolicyError `desk policy check` would print (None when the file is valid); fails on
        a traceback, an unlocated problem or a slow answer."""
        self.tried += 1
        started = time.perf_counter()
        try:
            _summary(path)
        except PolicyError as error:
            self.refused += 1
            assert error.problems, "refused without saying why"
            for problem in error.problems:
                where = LOCATED.match(str(problem))
                assert where and where["file"] == str(path), f"not located as file:line: {problem}"
                assert len(str(problem)) < 10 * MAX_TEXT, f"a problem line of {len(str(problem)):,} characters"
            return error
        except Exception:
            self.tracebacks += 1
            raise
        else:
            self.accepted += 1
            return None
        finally:
            elapsed = time.perf_counter() - started
            self.slowest = max(self.slowest, elapsed)
            assert elapsed < QUICK, f"{elapsed:.1f} s to answer"

    def refusal(self, path: Path) -> PolicyError:
        error = self.check(path)
        assert error is not None, f"accepted:\n{path.read_text(encoding='utf-8')[:2000]}"
        return error

    def report(self) -> None:
        print(f"\n{self.name}: {self.tried} inputs tried, {self.tracebacks} tracebacks; {self.refused} refused with "
              f"located problems, {self.accepted} valid; slowest {self.slowest:.2f} s")


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    counts = Tally(request.node.name)
    yield counts
    counts.report()


def _copy(document: Any) -> Any:
    return yaml.safe_load(yaml.safe_dump(document))


def _write(path: Path, document: Any) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True, width=10**6), encoding="utf-8")
    return path


def _line(path: Path, number: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[number - 1]


PLACES = [(f, place) for f in FAMILIES for place in key_paths(SHIPPED_DOC[f])]


def _put(document: Any, place: tuple[Any, ...], value: Any) -> Any:
    parent = document
    for key in place[:-1]:
        parent = parent[key]
    parent[place[-1]] = value
    return document


def _dotted(place: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in place).lstrip(".")


# -- escalation ladders that go back in time -------------------------------------------------

@st.composite
def climbing_ladders(draw: st.DrawFn) -> list[tuple[tuple[int, int], str]]:
    """A valid ladder as (order key, offset text), earliest first. Within one side of the deadline
    all offsets are of one kind (percentages before, durations after): the rule compares only like
    with like, so any reordering of such a ladder is wrong somewhere."""
    before = draw(st.lists(st.integers(1, 99), unique=True, max_size=4))
    at = draw(st.booleans())
    after = draw(st.lists(st.integers(1, 300), unique=True, max_size=4))
    assume(len(before) + at + len(after) >= 2)
    steps = [((-1, -p), f"-{p}%") for p in sorted(before, reverse=True)]
    steps += [((0, 0), "0")] if at else []
    for hours in sorted(after):  # the same length written in hours or minutes: compared by length, not text
        steps.append(((1, hours), draw(st.sampled_from([f"+{hours} hours", f"+{hours * 60} minutes"]))))
    return steps


def _first_step_out_of_order(keys: list[tuple[int, int]]) -> int:
    return next(i for i in range(1, len(keys)) if keys[i] <= keys[i - 1])


@settings(max_examples=40, **FAST)
@given(family=st.sampled_from(FAMILIES), where=st.sampled_from([None, *(t.value for t in Tier)]),
       ladder=climbing_ladders(), data=st.data())
def _ladder_examples(tally: Tally, folder: Path, family: str, where: str | None,
                     ladder: list[tuple[tuple[int, int], str]], data: st.DataObject) -> None:
    if data.draw(st.booleans(), label="repeat a level"):
        i = data.draw(st.integers(0, len(ladder) - 1), label="repeated")
        j = data.draw(st.integers(i + 1, len(ladder)), label="again at")
        disordered = [*ladder[:j], ladder[i], *ladder[j:]]
    else:
        disordered = data.draw(st.permutations(ladder), label="order")
        assume(disordered != ladder)
    place = ("escalation",) if where is None else ("tiers", where, "escalation")

    def steps(rungs: list[tuple[tuple[int, int], str]]) -> list[dict[str, Any]]:
        return [{"at": text, "notify": ["handler"], "action": f"level_{n}"} for n, (_, text) in enumerate(rungs, 1)]

    path = _write(folder / f"{family}.yaml", _put(_copy(SHIPPED_DOC[family]), place, steps(disordered)))
    error = tally.refusal(path)
    bad = _first_step_out_of_order([key for key, _ in disordered])
    (problem,) = [p for p in error.problems if p.key.startswith(_dotted(place))]
    assert problem.key == f"{_dotted(place)}[{bad}].at"
    assert f"level {bad + 1} at '" in problem.message and f"does not come after level {bad}" in problem.message
    assert problem.line is not None and _line(path, problem.line).strip().startswith("at:")
    # ordering the ladder by time is the whole fix
    assert tally.check(_write(path, _put(_copy(SHIPPED_DOC[family]), place, steps(ladder)))) is None


def test_ladders_out_of_order_or_repeating_are_refused_at_the_first_step_that_goes_back(
        tmp_path: Path, tally: Tally) -> None:
    _ladder_examples(tally, tmp_path)


# -- YAML aliases: cycles and bombs --------------------------------------------------------

@st.composite
def self_containing(draw: st.DrawFn) -> Any:
    """A value that contains itself, one to four containers down: PyYAML builds it happily."""
    kinds = draw(st.lists(st.sampled_from(["list", "dict"]), min_size=1, max_size=4))
    filler = st.one_of(st.none(), st.integers(), st.text(max_size=5))
    containers: list[Any] = [[] if kind == "list" else {} for kind in kinds]
    for outer, inner in zip(containers, [*containers[1:], containers[0]], strict=True):
        siblings = draw(st.lists(filler, max_size=2))
        if isinstance(outer, list):
            outer.extend([*siblings, inner])
        else:
            outer.update({f"k{i}": v for i, v in enumerate(siblings)})
            outer[draw(st.sampled_from(["k", "from", "until", "escalation"]))] = inner
    return containers[0]


@settings(max_examples=50, **FAST)
@given(where=st.sampled_from(PLACES), value=self_containing())
def _cycle_examples(tally: Tally, folder: Path, where: tuple[str, tuple[Any, ...]], value: Any) -> None:
    family, place = where
    path = _write(folder / f"{family}.yaml", _put(_copy(SHIPPED_DOC[family]), place, value))
    error = tally.refusal(path)
    (problem,) = error.problems  # nothing after it is built: a half-built cycle would only mislead
    assert "cannot contain itself" in problem.message
    assert problem.key.startswith(_dotted(place))
    assert problem.line is not None and "*id" in _line(path, problem.line)  # the alias that closes the loop


def test_aliases_that_contain_themselves_are_refused_at_the_alias(tmp_path: Path, tally: Tally) -> None:
    _cycle_examples(tally, tmp_path)


def test_a_recursive_alias_written_by_hand_names_its_anchor(tmp_path: Path, tally: Tally) -> None:
    text = SHIPPED_TEXT["property"].replace("extra_holidays: []", "extra_holidays: &days [2026-10-08, *days]")
    path = tmp_path / "property.yaml"
    path.write_text(text, encoding="utf-8")
    (problem,) = tally.refusal(path).problems
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "&days" in t)
    assert str(problem) == (f"{path}:{line}: calendar.extra_holidays[1]: *days is inside the value it names "
                            f"(&days at line {line}): a value cannot contain itself")


@settings(max_examples=40, **FAST)
@given(where=st.sampled_from(PLACES), levels=st.integers(2, 12), fan_out=st.integers(2, 12))
def _bomb_examples(tally: Tally, folder: Path, where: tuple[str, tuple[Any, ...]], levels: int, fan_out: int) -> None:
    family, place = where
    bomb: Any = "lol"
    for _ in range(levels):
        bomb = [bomb] * fan_out  # one list repeated: safe_dump writes it once with an anchor, then aliases
    path = _write(folder / f"{family}.yaml", _put(_copy(SHIPPED_DOC[family]), place, bomb))
    error = tally.check(path)
    if fan_out**levels > MAX_VALUES:
        assert error is not None
        (problem,) = error.problems
        assert f"more than {MAX_VALUES:,} values" in problem.message and problem.key.startswith(_dotted(place))


def test_alias_bombs_are_refused_before_they_expand(tmp_path: Path, tally: Tally) -> None:
    _bomb_examples(tally, tmp_path)


def test_aliases_that_share_a_ladder_are_fine(tmp_path: Path, tally: Tally) -> None:
    """Anchors have honest uses: one ladder written once and given to two tiers."""
    text = SHIPPED_TEXT["property"].replace("    escalation:                    # our choice",
                                            "    escalation: &ladder            # our choice", 1)
    text = text.replace("\n  general:", "\n    escalation: *ladder\n  general:", 1)  # the important tier's
    assert text.count("&ladder") == 1 and text.count("*ladder") == 1
    path = tmp_path / "property.yaml"
    path.write_text(text, encoding="utf-8")
    assert tally.check(path) is None
    tiers = load_policy(path).spec.tiers
    assert tiers.important.escalation == tiers.urgent.escalation and len(tiers.urgent.escalation or []) == 3


# -- names that exist nowhere, wherever a policy names something -------------------------------

def _name_places(family: str) -> list[tuple[str, tuple[Any, ...]]]:
    """(how, where) for every place the schema checks a name: a state, trigger, stage, tier or family."""
    doc = SHIPPED_DOC[family]
    places: list[tuple[str, tuple[Any, ...]]] = [("value", ("family",))]
    for stage, spec in doc["stages"].items():
        places += [("value", ("stages", stage, "from")), ("value", ("stages", stage, "on_expiry"))]
        until = spec["until"] if isinstance(spec["until"], list) else [spec["until"]]
        places += [("value", ("stages", stage, "until", i)) for i in range(len(until))]
    places += [("key", ("permissions",))]
    places += [("key", ("tiers", tier, "deadlines")) for tier in doc["tiers"]]
    places += [("key", ("types", key, "deadlines")) for key in doc["types"]]
    places += [("value", ("types", key, "tier")) for key in doc["types"]]
    return [(how, (family, *where)) for how, where in places]


NAME_PLACES = [place for f in FAMILIES for place in _name_places(f)]


@settings(max_examples=80, **FAST)
@given(where=st.sampled_from(NAME_PLACES), name=IDENTIFIERS)
def _unknown_name_examples(tally: Tally, folder: Path, where: tuple[str, tuple[Any, ...]], name: str) -> None:
    how, (family, *place) = where
    document = _copy(SHIPPED_DOC[family])
    if place[0] == "stages" and place[-2] == "until":  # a single state written without brackets: make it a list
        until = document["stages"][place[1]]["until"]
        document["stages"][place[1]]["until"] = until if isinstance(until, list) else [until]
    if how == "key":
        parent = document
        for key in place:
            parent = parent.setdefault(key, {})
        parent[name] = next(iter(parent.values()), None) or "2 hours"
        expected = _dotted((*place, name))
    else:
        _put(document, tuple(place), name)
        expected = _dotted(tuple(place))
    path = _write(folder / f"{family}.yaml", document)
    error = tally.refusal(path)
    found = [p for p in error.problems if p.key == expected]
    assert found, f"nothing said about {expected}: {[str(p) for p in error.problems]}"
    assert f"'{name}'" in found[0].message
    assert found[0].line is not None and name in _line(path, found[0].line)


def test_unknown_states_triggers_stages_and_tiers_are_named_where_they_are_written(
        tmp_path: Path, tally: Tally) -> None:
    _unknown_name_examples(tally, tmp_path)


# -- huge, deep and long --------------------------------------------------------------------

@settings(max_examples=6, **FAST)
@given(megabytes=st.floats(1.01, 8), filler=st.sampled_from(["comments", "one line", "types"]))
def _oversized_examples(tally: Tally, folder: Path, megabytes: float, filler: str) -> None:
    size = int(megabytes * MAX_POLICY_BYTES)
    text = SHIPPED_TEXT["property"]
    if filler == "comments":
        text += "# padding\n" * (size // 10)
    elif filler == "one line":
        text += "x: " + "y" * size + "\n"
    else:
        one = "  t{}:\n    name: {{zh: 类型, en: Type}}\n    tier: general\n    route_to: environment\n"
        text += "".join(one.format(i) for i in range(size // len(one)))
    path = folder / "property.yaml"
    path.write_text(text, encoding="utf-8")
    (problem,) = tally.refusal(path).problems
    assert str(problem) == (f"{path}:1: the file is {path.stat().st_size:,} bytes; "
                            f"a policy file is at most {MAX_POLICY_BYTES:,}")


def test_files_over_the_size_limit_are_refused_without_being_read(tmp_path: Path, tally: Tally) -> None:
    _oversized_examples(tally, tmp_path)


@settings(max_examples=3, **FAST)
@given(types=st.integers(1000, 3000), steps=st.integers(100, 1000))
def _long_valid_examples(tally: Tally, folder: Path, types: int, steps: int) -> None:
    document = _copy(SHIPPED_DOC["property"])
    for i in range(types):
        document["types"][f"type_{i}"] = {"name": {"zh": f"类型{i}", "en": f"Type {i}"}, "tier": "general",
                                          "route_to": "environment"}
    document["escalation"] = [{"at": f"+{i} minutes", "notify": "handler", "action": "reminder"}
                              for i in range(1, steps + 1)]
    path = _write(folder / "property.yaml", document)
    assume(path.stat().st_size <= MAX_POLICY_BYTES)
    assert tally.check(path) is None  # long is not wrong: thousands of types still load, and fast


def test_a_long_but_valid_policy_loads(tmp_path: Path, tally: Tally) -> None:
    _long_valid_examples(tally, tmp_path)


@settings(max_examples=40, **FAST)
@given(where=st.sampled_from(PLACES), depth=st.integers(1, 3000), kinds=st.lists(st.sampled_from("[{"), min_size=1))
# Both layers that may notice the depth, every run: our composer (33 to 999 levels) and, from
# 1,000 levels of `[[[`, libyaml's scanner, which reads ahead of the composer and stops first.
@example(where=PLACES[0], depth=40, kinds=["["])
@example(where=PLACES[-1], depth=2_500, kinds=["["])
def _deep_examples(tally: Tally, folder: Path, where: tuple[str, tuple[Any, ...]], depth: int,
                   kinds: list[str]) -> None:
    family, place = where
    opening = "".join(kinds[i % len(kinds)] for i in range(depth))
    closing = "".join("]" if c == "[" else "}" for c in reversed(opening))
    deep = "".join(f"{c}a: " if c == "{" else c for c in opening) + "x" + closing  # flow style: no indentation limit
    marker = "__deep_value__"
    path = _write(folder / f"{family}.yaml", _put(_copy(SHIPPED_DOC[family]), place, marker))
    text = path.read_text(encoding="utf-8")
    written_at = text[:text.index(marker)].count("\n") + 1
    path.write_text(text.replace(marker, deep, 1), encoding="utf-8")
    error = tally.check(path)  # located as file:line, no traceback, answered quickly
    if len(place) + depth > MAX_DEPTH:
        assert error is not None, f"{len(place) + depth} levels accepted"
        (problem,) = error.problems
        # One sentence for the manager whichever layer noticed, at the line the deep value is on.
        assert (problem.line, problem.message) == (written_at, TOO_DEEP), str(problem)


def test_deeply_nested_values_are_refused_not_recursed_into(tmp_path: Path, tally: Tally) -> None:
    _deep_examples(tally, tmp_path)


@settings(max_examples=40, **FAST)
@given(where=st.sampled_from(PLACES), length=st.integers(1, 60_000), as_key=st.booleans(),
       char=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]))
def _long_text_examples(tally: Tally, folder: Path, where: tuple[str, tuple[Any, ...]], length: int,
                        as_key: bool, char: str) -> None:
    family, place = where
    document = _copy(SHIPPED_DOC[family])
    text = char * length
    if as_key:
        parent = document
        for key in place[:-1]:
            parent = parent[key]
        if not isinstance(parent, dict):
            parent = document
        parent[text] = "x"
    else:
        _put(document, place, text)
    path = _write(folder / f"{family}.yaml", document)
    error = tally.check(path)
    if length > MAX_TEXT:
        assert error is not None
        assert any(f"of {length:,} characters; policy files allow at most {MAX_TEXT:,}" in p.message
                   for p in error.problems), [str(p)[:200] for p in error.problems]


def test_enormous_keys_and_values_are_refused_in_a_short_message(tmp_path: Path, tally: Tally) -> None:
    _long_text_examples(tally, tmp_path)


# -- not YAML text at all, or several documents ---------------------------------------------

@settings(max_examples=60, **FAST)
@given(content=st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.tuples(st.integers(0, len(SHIPPED_TEXT["property"])), st.binary(min_size=1, max_size=20)).map(
        lambda cut: SHIPPED_TEXT["property"].encode("utf-8")[:cut[0]] + cut[1]
        + SHIPPED_TEXT["property"].encode("utf-8")[cut[0]:]),
))
def _byte_examples(tally: Tally, folder: Path, content: bytes) -> None:
    path = folder / "property.yaml"
    path.write_bytes(content)
    tally.check(path)  # random bytes may even be valid YAML (a scalar, a mapping): answered either way


def test_random_bytes_binary_and_control_characters_are_located(tmp_path: Path, tally: Tally) -> None:
    _byte_examples(tally, tmp_path)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"", 1, "must be a mapping of keys, this is empty"),
        (b"# only a comment\n", 1, "must be a mapping of keys, this is empty"),
        (b"version: '1'\nfamily: \xff\xfe\n", 2, "not UTF-8 text"),
        (b"version: '1'\n\x00\n", 2, "character U+0000 is not allowed"),
        (b"version: '1'\nfamily: prop\x1berty\n", 2, "character U+001B is not allowed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", 1, "not UTF-8 text"),
    ],
)
def test_files_that_are_not_text_say_on_which_line(
        tmp_path: Path, tally: Tally, content: bytes, line: int, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(content)
    (problem,) = tally.refusal(path).problems
    assert problem.line == line and message in problem.message


@settings(max_examples=20, **FAST)
@given(others=st.lists(st.one_of(st.just(""), st.just(SHIPPED_TEXT["property"]),
                                 st.dictionaries(IDENTIFIERS, st.integers(), max_size=3).map(yaml.safe_dump)),
                       min_size=1, max_size=3))
def _stream_examples(tally: Tally, folder: Path, others: list[str]) -> None:
    path = folder / "property.yaml"
    path.write_text("\n---\n".join([SHIPPED_TEXT["property"], *others]), encoding="utf-8")
    (problem,) = tally.refusal(path).problems
    assert "expected a single document in the stream" in problem.message
    assert _line(path, problem.line or 0).startswith("---")  # the start of the second document


def test_a_stream_of_several_documents_is_refused_at_the_second(tmp_path: Path, tally: Tally) -> None:
    _stream_examples(tally, tmp_path)
    # document markers around a single document are fine
    path = tmp_path / "marked.yaml"
    path.write_text("---\n" + SHIPPED_TEXT["property"] + "...\n", encoding="utf-8")
    assert tally.check(path) is None


# -- through the CLI ---------------------------------------------------------------------------

HOSTILE_FILES = st.one_of(
    st.binary(max_size=500),
    st.builds(lambda depth: "version: " + "[" * depth + "]" * depth + "\n", st.integers(MAX_DEPTH, 2000)),
    st.builds(lambda anchor: SHIPPED_TEXT["property"].replace("extra_workdays: []",
                                                              f"extra_workdays: &{anchor} [*{anchor}]"), IDENTIFIERS),
    st.builds(lambda fan: "a: &a [" + ",".join(["lol"] * fan) + "]\n"
              + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * fan) + "]\n"
                        for i in range(8)), st.integers(5, 12)),
    st.builds(lambda name: SHIPPED_TEXT["enterprise"].replace("on_expiry: evidence_deadline_passed",
                                                              f"on_expiry: {name}"), IDENTIFIERS),
    st.builds(lambda text: SHIPPED_TEXT["property"] + "\n---\n" + text, st.text(max_size=50)),
    st.just(SHIPPED_TEXT["property"].replace("timezone: Asia/Shanghai", "timezone: " + "Asia/" * 100)),
    st.just(SHIPPED_TEXT["property"].replace("extra_holidays: []", "extra_holidays: [2026-02-30]")),
    st.just(SHIPPED_TEXT["property"].replace("country: CN", "country: XX")),
    st.builds(lambda tag: SHIPPED_TEXT["property"].replace("timezone: Asia/Shanghai", f"timezone: '[/{tag}]'"),
              IDENTIFIERS),  # rich markup in a quoted value must be printed, not obeyed
).map(lambda content: content if isinstance(content, bytes) else content.encode("utf-8"))


@settings(max_examples=8, **FAST)
@given(files=st.lists(HOSTILE_FILES, min_size=1, max_size=6))
def _cli_examples(tally: Tally, folder: Path, files: list[bytes]) -> None:
    paths = []
    for i, content in enumerate(files):
        paths.append(folder / f"hostile_{i}.yaml")
        paths[-1].write_bytes(content)
    shipped = SHIPPED / "property.yaml"
    tally.tried += len(files)
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["policy", "check", *map(str, paths), str(shipped)],
                                env={"COLUMNS": "200", "NO_COLOR": "1"})
    tally.slowest = max(tally.slowest, time.perf_counter() - started)
    assert tally.slowest < QUICK * len(paths)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        tally.tracebacks += 1
        raise result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    problems = [line for line in result.output.splitlines() if line.startswith("✗ ")]
    for problem in problems:
        where = LOCATED.match(problem[2:])
        assert where and where["file"] in map(str, paths), f"not located: {problem[:300]}"
    refused = {match["file"] for p in problems if (match := LOCATED.match(p[2:]))}
    assert refused == set(map(str, paths)), result.output  # none of these is a policy: every one is refused
    tally.refused += len(refused)
    assert f"✓ {shipped}: property policy" in result.output  # a good file among bad ones is still passed


def test_desk_policy_check_answers_hostile_files_with_located_problems_and_exit_1(
        tmp_path: Path, tally: Tally) -> None:
    _cli_examples(tally, tmp_path)
    assert tally.refused > 0
