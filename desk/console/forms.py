"""Forms derived from the verb table's bodies: each field of a verb's pydantic body becomes an
input (a choice list for a Literal, a text area for free text, one line per item for a list),
and a refused form names the field next to which its message is shown."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)
LONG_TEXT = 200  # beyond this many characters a field is a text area


@dataclass(frozen=True)
class Field:
    name: str
    kind: Literal["text", "textarea", "select", "number", "lines", "datetime"]
    required: bool
    choices: tuple[str, ...] = ()
    help: str | None = None


def fields_of(model: type[BaseModel]) -> list[Field]:
    found = []
    for name, info in model.model_fields.items():
        annotation = _unwrap(info.annotation)
        max_length = next((getattr(m, "max_length", None) for m in info.metadata
                           if getattr(m, "max_length", None)), None)
        kind: Any = "text"
        choices: tuple[str, ...] = ()
        if typing.get_origin(annotation) is Literal:
            kind, choices = "select", tuple(str(c) for c in typing.get_args(annotation))
        elif typing.get_origin(annotation) is list:
            kind = "lines"
        elif annotation in (int, Decimal, float):
            kind = "number"
        elif getattr(annotation, "__name__", "") in ("datetime", "AwareDatetime"):
            kind = "datetime"
        elif max_length is not None and max_length > LONG_TEXT:
            kind = "textarea"
        found.append(Field(name, kind, info.is_required(), choices, info.description))
    return found


def _unwrap(annotation: Any) -> Any:
    """`X | None` is X (an empty input means None)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return inner[0] if len(inner) == 1 else annotation
    return annotation


def read(model: type[Model], form: dict[str, str], zone: ZoneInfo | None = None,
         ) -> tuple[Model | None, dict[str, str]]:
    """The body, or the message of each field that is wrong. An empty input is "not given"; a
    date and time without a zone (a browser's datetime-local) is in the policy's `zone`."""
    values: dict[str, Any] = {}
    for spec in fields_of(model):
        raw = (form.get(spec.name) or "").strip()
        if not raw:
            continue
        if spec.kind == "lines":
            values[spec.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif spec.kind == "datetime" and zone is not None:
            values[spec.name] = _in_zone(raw, zone)
        else:
            values[spec.name] = raw
    try:
        return model.model_validate(values), {}
    except ValidationError as refused:
        return None, problems_of(refused)


def _in_zone(raw: str, zone: ZoneInfo) -> str:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw  # pydantic names the field and what it expects
    return (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).isoformat()


def problems_of(refused: ValidationError) -> dict[str, str]:
    """Each field's first message, without pydantic's echo of the input (it may be hostile)."""
    found: dict[str, str] = {}
    for error in refused.errors(include_url=False, include_input=False):
        where = str(error["loc"][0]) if error["loc"] else "form"
        found.setdefault(where, error["msg"])
    return found
