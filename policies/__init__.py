"""WHAT MANAGERS DECIDE: policy files, their schema, the business calendar and deadline math.

Pure except for reading the YAML files; every computation takes its moment as an argument.
"""

from policies.calendar import BusinessCalendar, DayKind, Span
from policies.durations import Duration, Offset, parse_duration, parse_offset
from policies.loader import load_policy_file, parse_policy
from policies.money import authority_for, compensation, limit_of
from policies.policy import LadderStep, Policy, StageDeadline, load_policy, shipped_policy
from policies.problems import PolicyError, PolicyProblem
from policies.schema import PolicyFile, json_schema

__all__ = [
    "BusinessCalendar",
    "DayKind",
    "Duration",
    "LadderStep",
    "Offset",
    "Policy",
    "PolicyError",
    "PolicyFile",
    "PolicyProblem",
    "Span",
    "StageDeadline",
    "authority_for",
    "compensation",
    "json_schema",
    "limit_of",
    "load_policy",
    "load_policy_file",
    "parse_duration",
    "parse_offset",
    "parse_policy",
    "shipped_policy",
]
