"""The business calendar: which days are working days, and deadline arithmetic over them.

Working days come from the `holidays` package for the policy's country (China: public
holidays and the make-up workdays 调休 that turn some weekends into working days), then
the policy's own extra holidays and workdays. Deadlines are computed from a moment
passed in (never the clock), in the policy's time zone; pendulum stays in this module.

Conventions (12345 hotline rule, DOMAIN.md): "N working days" counts from the day after
the start and ends at close of business on the N-th working day; "N working hours"
counts only business hours on working days; clock durations run 24x7.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from policies.durations import Duration, Offset

if TYPE_CHECKING:
    import pendulum

MAX_SCAN_DAYS = 3 * 366  # a working-day count that finds no working day in 3 years is a broken calendar


@dataclass(frozen=True, slots=True)
class DayKind:
    working: bool
    why: str  # "workday", "weekend", the holiday's name, "make-up workday (调休)", "company holiday"


@dataclass(frozen=True, slots=True)
class Span:
    """A computed deadline and how it was reached, for people who ask "why this date?"."""

    start: datetime
    due: datetime
    duration: Duration
    counted: tuple[tuple[date, str], ...] = field(default=())  # working days that counted
    skipped: tuple[tuple[date, str], ...] = field(default=())  # days passed over, with the reason

    @property
    def basis(self) -> str:
        return self.duration.basis

    def explain(self) -> str:
        start = _stamp(self.start)
        if not self.duration.working:
            return f"{self.duration} of clock time from {start}: due {_stamp(self.due)}"
        parts = [f"{self.duration} from {start}"]
        if self.duration.unit == "days":
            parts[0] += " (counting from the next day, due at close of business)"
        special = [f"{d.isoformat()} {why}" for d, why in self.counted if why != "workday"]
        if self.skipped:
            parts.append("skipped " + ", ".join(_runs(self.skipped)))
        if special:
            parts.append("counted " + ", ".join(special))
        parts.append(f"due {_stamp(self.due)}")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Hours:
    """A working day's business hours: one interval (`09:00-18:00`) or several, split by a
    lunch break (`09:00-12:00, 13:30-18:00`). Working time is counted only inside them."""

    intervals: tuple[tuple[time, time], ...] = ((time(9, 0), time(18, 0)),)

    def __post_init__(self) -> None:
        if not self.intervals:
            raise ValueError("business hours need at least one interval")
        previous = time(0, 0)
        for i, (opens, closes) in enumerate(self.intervals):
            if not opens < closes:
                raise ValueError(f"business hours must open before they close ({opens:%H:%M}-{closes:%H:%M})")
            if i and opens < previous:
                raise ValueError(f"business hours must be in order and not overlap ({self})")
            previous = closes

    @property
    def opens(self) -> time:
        return self.intervals[0][0]

    @property
    def closes(self) -> time:
        return self.intervals[-1][1]

    def __str__(self) -> str:
        return ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in self.intervals)


class BusinessCalendar:
    """Working days and business hours of one policy. Cheap to query: day kinds are cached."""

    def __init__(
        self,
        *,
        timezone: str = "Asia/Shanghai",
        country: str = "CN",
        subdivision: str | None = None,
        opens: time = time(9, 0),
        closes: time = time(18, 0),
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        hours: Hours | None = None,
    ) -> None:
        self.hours = hours or Hours(((opens, closes),))  # checks the order of what it is given
        _import_pendulum()
        self.tz = pendulum.timezone(timezone)
        self._zone = ZoneInfo(timezone)
        self.timezone = timezone
        # A working-days deadline falls due when the last interval closes.
        self.opens, self.closes = self.hours.opens, self.hours.closes
        import holidays  # here, not at the top: see _import_pendulum

        self._official = holidays.country_holidays(country, subdiv=subdivision)
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_workdays = frozenset(extra_workdays)
        self._kinds: dict[date, DayKind] = {}

    # -- days ---------------------------------------------------------------------
    def day_kind(self, day: date) -> DayKind:
        kind = self._kinds.get(day)
        if kind is None:
            kind = self._kinds[day] = self._classify(day)
        return kind

    def _classify(self, day: date) -> DayKind:
        if day in self._extra_holidays:
            return DayKind(False, "company holiday")
        if day in self._extra_workdays:
            return DayKind(True, "company workday")
        name = self._official.get(day)  # also loads the year, which fills weekend_workdays
        if name:
            return DayKind(False, str(name))
        if day.weekday() >= 5:
            if day in self._official.weekend_workdays:
                return DayKind(True, "make-up workday (调休)")
            return DayKind(False, "weekend")
        return DayKind(True, "workday")

    def is_working_day(self, day: date) -> bool:
        return self.day_kind(day).working

    # -- moments ------------------------------------------------------------------
    def local(self, moment: datetime) -> pendulum.DateTime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"a time zone is required, got naive {moment.isoformat()}")
        # The stdlib converts (C, ~1 µs); pendulum.instance(...).in_timezone(...) takes ~20 µs,
        # and a ladder converts a dozen times.
        wall = moment.astimezone(self._zone)
        return pendulum.DateTime(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second,
                                 wall.microsecond, tzinfo=self.tz, fold=wall.fold)

    def is_working_time(self, moment: datetime) -> bool:
        """In business hours (opening included, closing not) on a working day, local time."""
        local = self.local(moment)
        clock = local.time()
        return self.is_working_day(local.date()) and any(o <= clock < c for o, c in self.hours.intervals)

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself in business hours on a working day, otherwise the next opening."""
        local = self.local(moment)
        day, clock = _day(local), time(local.hour, local.minute, local.second, local.microsecond)
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for opens, closes in self.hours.intervals:
                    if clock < closes:
                        return moment if opens <= clock else self.plain(self._at(day, opens))
            day, clock = day + timedelta(days=1), time(0, 0)
        raise ValueError(f"no working time within {MAX_SCAN_DAYS} days of {local.date()}: check the calendar")

    def _later(self, moment: datetime, *, minutes: float = 0, seconds: float = 0) -> pendulum.DateTime:
        """`moment` moved by absolute time (what pendulum's add(minutes=...) does), at C speed."""
        offset = moment.utcoffset()
        assert offset is not None
        utc = datetime(moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
                       moment.microsecond, tzinfo=UTC) - offset  # a stdlib value: pendulum's operators are slow
        return self.local(utc + timedelta(minutes=minutes, seconds=seconds))

    @lru_cache(maxsize=4096)  # noqa: B019 - opening and closing times of the same few days, asked again and again
    def _at(self, day: date, clock: time) -> pendulum.DateTime:
        return pendulum.datetime(day.year, day.month, day.day, clock.hour, clock.minute, tz=self.tz)

    def plain(self, moment: datetime) -> datetime:
        """A stdlib datetime in the policy's zone: pendulum's own arithmetic stays in here."""
        return datetime(moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
                        moment.microsecond, tzinfo=self._zone, fold=moment.fold)

    def add(self, start: datetime, duration: Duration) -> Span:
        """The deadline `duration` after `start`, with the days it counted and skipped."""
        span = self._add(start, duration)
        return Span(self.plain(span.start), self.plain(span.due), duration, span.counted, span.skipped)

    def _add(self, start: datetime, duration: Duration) -> Span:
        local = self.local(start)
        if not duration.working:
            # Days are calendar days in local time (a DST day is still a day); minutes are absolute.
            by_days = duration.unit == "days"
            due = local.add(days=duration.amount) if by_days else self._later(local, minutes=duration.minutes)
            return Span(local, due, duration)
        if duration.unit == "days":
            return self._add_working_days(local, duration)
        return self._add_working_minutes(local, duration)

    def _add_working_days(self, local: pendulum.DateTime, duration: Duration) -> Span:
        counted: list[tuple[date, str]] = []
        skipped: list[tuple[date, str]] = []
        day = _day(local)
        for _ in range(MAX_SCAN_DAYS):
            day += timedelta(days=1)
            kind = self.day_kind(day)
            if kind.working:
                counted.append((day, kind.why))
                if len(counted) == duration.amount:
                    return Span(local, self._at(day, self.closes), duration, tuple(counted), tuple(skipped))
            else:
                skipped.append((day, kind.why))
        raise ValueError(f"no {duration} found within {MAX_SCAN_DAYS} days of {local.date()}: check the calendar")

    def _add_working_minutes(self, local: pendulum.DateTime, duration: Duration) -> Span:
        remaining = duration.minutes
        counted: list[tuple[date, str]] = []
        skipped: list[tuple[date, str]] = []
        day, cursor = _day(local), local
        for _ in range(MAX_SCAN_DAYS):
            kind = self.day_kind(day)
            if kind.working:
                for opens_at, closes_at in self.hours.intervals:  # a lunch break is not counted
                    opens, closes = self._at(day, opens_at), self._at(day, closes_at)
                    begin = max(cursor, opens)
                    available = max(0, _minutes(begin, closes))
                    if available > 0 and (not counted or counted[-1][0] != day):
                        counted.append((day, kind.why))
                    if remaining <= available:
                        return Span(local, self._later(begin, minutes=remaining), duration, tuple(counted),
                                    tuple(skipped))
                    remaining -= available
            else:
                skipped.append((day, kind.why))
            day += timedelta(days=1)
            cursor = self._at(day, time(0, 0))
        raise ValueError(f"no {duration} found within {MAX_SCAN_DAYS} days of {local.date()}: check the calendar")

    def subtract(self, end: datetime, duration: Duration) -> datetime:
        """The moment `duration` before `end` (working durations step back over working time)."""
        return self.plain(self._subtract(end, duration))

    def _subtract(self, end: datetime, duration: Duration) -> pendulum.DateTime:
        local = self.local(end)
        if not duration.working:
            if duration.unit == "days":
                return local.subtract(days=duration.amount)
            return self._later(local, minutes=-duration.minutes)
        if duration.unit == "days":
            day, found = _day(local), 0
            for _ in range(MAX_SCAN_DAYS):
                day -= timedelta(days=1)
                if self.is_working_day(day):
                    found += 1
                    if found == duration.amount:
                        return self._at(day, self.closes)
            raise ValueError(f"no {duration} found before {local.date()}: check the calendar")
        return self._back_working_minutes(local, duration.minutes)

    def _back_working_minutes(self, local: pendulum.DateTime, minutes: int) -> pendulum.DateTime:
        remaining, day, cursor = minutes, _day(local), local
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for opens_at, closes_at in reversed(self.hours.intervals):
                    opens, closes = self._at(day, opens_at), self._at(day, closes_at)
                    end = min(cursor, closes)
                    available = max(0, _minutes(opens, end))
                    if remaining <= available:
                        return self._later(end, minutes=-remaining)
                    remaining -= available
            day -= timedelta(days=1)
            cursor = self._at(day, time(23, 59))
        raise ValueError(f"no {minutes} working minutes found before {local.date()}: check the calendar")

    @lru_cache(maxsize=256)  # noqa: B019 - calendars live as long as their policy; a ladder asks once per rung
    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        a, b = self.local(start), self.local(end)
        total, day, last = 0, _day(a), _day(b)
        while day <= last:
            if self.is_working_day(day):
                for opens_at, closes_at in self.hours.intervals:
                    lo = max(a, self._at(day, opens_at))
                    hi = min(b, self._at(day, closes_at))
                    total += max(0, _minutes(lo, hi))
            day += timedelta(days=1)
        return total

    def shift(self, start: datetime, due: datetime, offset: Offset, basis: str) -> datetime:
        """Where a ladder step falls: `offset` from the deadline `due` of a stage begun at `start`."""
        return self.plain(self._shift(start, due, offset, basis))

    def _shift(self, start: datetime, due: datetime, offset: Offset, basis: str) -> datetime:
        due_local = self.local(due)
        if offset.sign == 0:
            return due_local
        if offset.duration is not None:
            return (
                self.add(due_local, offset.duration).due
                if offset.sign > 0
                else self.subtract(due_local, offset.duration)
            )
        assert offset.fraction is not None
        if basis == "working":
            length = self.working_minutes_between(start, due_local)
            step = Duration(max(1, round(length * offset.fraction)), "minutes", True)
            return self.add(due_local, step).due if offset.sign > 0 else self.subtract(due_local, step)
        seconds = datetime.__sub__(due_local, self.local(start)).total_seconds() * float(offset.fraction)
        return self._later(due_local, seconds=offset.sign * round(seconds))


def _import_pendulum() -> None:
    """pendulum (and holidays) are imported when the first calendar is made, not with this module,
    so a command that computes no deadline (`desk show`) does without them (~10 ms each). Every
    use of pendulum here is in a calendar's methods: the name is bound by the time one runs."""
    global pendulum
    import pendulum


def _day(moment: datetime) -> date:
    """The stdlib date of a moment: pendulum's own Date arithmetic is ~10x slower in day loops."""
    return date(moment.year, moment.month, moment.day)


def _minutes(start: datetime, end: datetime) -> int:
    """Whole minutes from start to end, by the stdlib (pendulum's `-` builds an Interval)."""
    return int(datetime.__sub__(end, start).total_seconds() // 60)


def _runs(days: tuple[tuple[date, str], ...]) -> list[str]:
    """Consecutive days as one range: `2026-10-01..10-07 (National Day, weekend, Day off ...)`."""
    runs: list[list[tuple[date, str]]] = []
    for day, why in days:
        if runs and runs[-1][-1][0] + timedelta(days=1) == day:
            runs[-1].append((day, why))
        else:
            runs.append([(day, why)])
    text = []
    for run in runs:
        first, last = run[0][0], run[-1][0]
        reasons = ", ".join(dict.fromkeys(why for _, why in run))
        span = first.isoformat() if first == last else f"{first.isoformat()}..{last.strftime('%m-%d')}"
        text.append(f"{span} ({reasons})")
    return text


def _stamp(moment: datetime) -> str:
    """`Mon 2026-10-12 18:00 +08:00`: weekday first, because people check deadlines by weekday."""
    offset = moment.strftime("%z")
    return f"{moment.strftime('%a %Y-%m-%d %H:%M')} {offset[:3]}:{offset[3:]}"
