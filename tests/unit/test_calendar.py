"""The business calendar around China's 2026 holidays and make-up workdays (调休)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from policies import BusinessCalendar, parse_duration, parse_offset
from policies.calendar import Hours
from policies.schema import _hours
from tests.support import at

pytestmark = pytest.mark.unit

CAL = BusinessCalendar(timezone="Asia/Shanghai", opens=time(9), closes=time(18))


@pytest.mark.parametrize(
    "day",
    ["2026-01-04", "2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10"],
)
def test_make_up_weekend_days_are_working_days(day: str) -> None:
    kind = CAL.day_kind(date.fromisoformat(day))
    assert kind.working and "调休" in kind.why


@pytest.mark.parametrize("day", [f"2026-10-0{d}" for d in range(1, 8)] + ["2026-02-17", "2026-01-01"])
def test_holidays_are_not_working_days(day: str) -> None:
    assert not CAL.is_working_day(date.fromisoformat(day))


def test_ordinary_weekend_is_not_a_working_day() -> None:
    assert CAL.day_kind(date(2026, 11, 21)).why == "weekend"  # a Saturday without 调休


def test_four_working_days_from_sept_30_skip_national_day_and_count_saturday_oct_10() -> None:
    span = CAL.add(at("2026-09-30 15:00"), parse_duration("4 working days"))
    assert span.due == at("2026-10-12 18:00")
    assert [d.isoformat() for d, _ in span.counted] == ["2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12"]
    skipped = {d.isoformat() for d, _ in span.skipped}
    assert {f"2026-10-0{d}" for d in range(1, 8)} <= skipped
    assert "2026-10-11" in skipped  # the Sunday after the make-up Saturday
    explanation = span.explain()
    assert "2026-10-10 make-up workday (调休)" in explanation
    assert "skipped 2026-10-01..10-07 (National Day, weekend, National Day (observed)" in explanation
    assert explanation.endswith("due Mon 2026-10-12 18:00 +08:00")


def test_thirteen_working_days_cross_into_2027() -> None:
    span = CAL.add(at("2026-12-20 10:00"), parse_duration("13 working days"))
    # 12-21..12-31 gives 9 working days; 2027-01-01 is New Year's Day; then 01-04..01-07.
    assert span.due == at("2027-01-07 18:00")
    assert (date(2027, 1, 1), "New Year's Day") in span.skipped


def test_working_hours_stop_at_closing_and_resume_on_the_next_working_day() -> None:
    # Wednesday 17:30 before the National Day break: 30 minutes today, 90 on Thursday 10-08.
    span = CAL.add(at("2026-09-30 17:30"), parse_duration("2 working hours"))
    assert span.due == at("2026-10-08 10:30")


def test_working_hours_started_on_a_holiday_begin_at_the_next_opening() -> None:
    span = CAL.add(at("2026-10-03 11:00"), parse_duration("2 working hours"))
    assert span.due == at("2026-10-08 11:00")


def test_clock_durations_ignore_holidays_and_nights() -> None:
    assert CAL.add(at("2026-10-02 23:50"), parse_duration("15 minutes")).due == at("2026-10-03 00:05")
    assert CAL.add(at("2026-10-01 08:00"), parse_duration("24 hours")).due == at("2026-10-02 08:00")


def test_company_holidays_and_workdays_override_the_national_calendar() -> None:
    cal = BusinessCalendar(extra_holidays=[date(2026, 12, 31)], extra_workdays=[date(2026, 11, 21)])
    assert not cal.is_working_day(date(2026, 12, 31))
    assert cal.day_kind(date(2026, 11, 21)).why == "company workday"
    # Friday 11-20 → the next working day is the company Saturday 11-21.
    assert cal.add(at("2026-11-20 10:00"), parse_duration("1 working day")).due == at("2026-11-21 18:00")


def test_deadlines_are_given_in_the_policy_zone_whatever_zone_the_start_has() -> None:
    start = datetime(2026, 9, 30, 7, 0, tzinfo=ZoneInfo("UTC"))  # 15:00 in Shanghai
    due = CAL.add(start, parse_duration("4 working days")).due
    assert due == at("2026-10-12 18:00") and due.utcoffset() is not None
    assert due.tzinfo == ZoneInfo("Asia/Shanghai")


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        CAL.add(datetime(2026, 9, 30, 15, 0), parse_duration("1 hour"))


def test_working_time_steps_back_for_reminders() -> None:
    due = at("2026-10-08 10:30")
    assert CAL.subtract(due, parse_duration("2 working hours")) == at("2026-09-30 17:30")
    assert CAL.subtract(at("2026-10-12 18:00"), parse_duration("1 working day")) == at("2026-10-10 18:00")


def test_a_deadline_that_ends_at_closing_time_is_due_that_evening_not_next_morning() -> None:
    # Two working hours from Wed 16:00 end exactly as the office closes: due 18:00 that Wednesday.
    assert CAL.add(at("2026-11-25 16:00"), parse_duration("2 working hours")).due == at("2026-11-25 18:00")
    assert CAL.add(at("2026-11-25 09:00"), parse_duration("9 working hours")).due == at("2026-11-25 18:00")
    # A working day's deadline: close of business, the same evening.
    assert CAL.add(at("2026-11-24 10:00"), parse_duration("1 working day")).due == at("2026-11-25 18:00")


def test_a_reminder_that_steps_back_to_opening_time_is_that_morning_not_the_evening_before() -> None:
    # Two working hours before Thu 11:00 is Thu 09:00, as the office opens, not Wed 18:00.
    assert CAL.subtract(at("2026-11-26 11:00"), parse_duration("2 working hours")) == at("2026-11-26 09:00")
    assert CAL.subtract(at("2026-11-26 18:00"), parse_duration("9 working hours")) == at("2026-11-26 09:00")


def test_working_minutes_between_counts_only_business_hours() -> None:
    assert CAL.working_minutes_between(at("2026-09-30 15:00"), at("2026-10-08 12:00")) == 3 * 60 + 3 * 60


def test_clock_days_keep_local_wall_time_across_a_dst_change() -> None:
    cal = BusinessCalendar(timezone="America/New_York", country="US")
    start = datetime(2026, 3, 7, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    due = cal.add(start, parse_duration("1 day")).due
    assert (due.hour, due.day) == (12, 8)  # 23 hours of real time, one calendar day


def test_the_explanation_people_read_names_every_skipped_and_special_day() -> None:
    """What `desk policy explain` and `desk show` print, word for word: a manager checks it against
    the State Council's holiday notice."""
    holiday = ("2026-10-01..10-07 (National Day, weekend, National Day (observed), Day off (substituted from "
               "09/20/2026), Day off (substituted from 10/10/2026))")
    days = CAL.add(at("2026-09-30 15:00"), parse_duration("4 working days"))
    assert days.explain() == (
        "4 working days from Wed 2026-09-30 15:00 +08:00 (counting from the next day, due at close of business); "
        f"skipped {holiday}, 2026-10-11 (weekend); counted 2026-10-10 make-up workday (调休); "
        "due Mon 2026-10-12 18:00 +08:00")
    hours = CAL.add(at("2026-09-30 17:00"), parse_duration("2 working hours"))  # one before, one after the holiday
    assert [d.isoformat() for d, _ in hours.counted] == ["2026-09-30", "2026-10-08"]
    assert [d.isoformat() for d, _ in hours.skipped] == [f"2026-10-0{n}" for n in range(1, 8)]
    assert hours.explain() == (f"2 working hours from Wed 2026-09-30 17:00 +08:00; skipped {holiday}; "
                               "due Thu 2026-10-08 10:00 +08:00")
    clock = CAL.add(at("2026-11-25 18:30"), parse_duration("2 hours"))
    assert clock.explain() == "2 hours of clock time from Wed 2026-11-25 18:30 +08:00: due Wed 2026-11-25 20:30 +08:00"


def test_working_hours_begun_after_closing_start_next_morning() -> None:
    late = CAL.add(at("2026-11-25 18:30"), parse_duration("1 working hour"))
    assert late.due == at("2026-11-26 10:00")
    assert [d.isoformat() for d, _ in late.counted] == ["2026-11-26"]  # Wednesday gave no working time


def test_a_round_the_clock_desk_counts_from_midnight() -> None:
    nonstop = BusinessCalendar(timezone="Asia/Shanghai", opens=time(0), closes=time(23, 59))
    assert nonstop.add(at("2026-11-25 23:30"), parse_duration("1 working hour")).due == at("2026-11-26 00:31")


def test_clock_and_working_day_steps_back_for_reminders() -> None:
    due = at("2026-10-12 18:00")
    assert CAL.subtract(due, parse_duration("2 hours")) == at("2026-10-12 16:00")
    assert CAL.subtract(due, parse_duration("1 day")) == at("2026-10-11 18:00")
    # Back over the make-up Saturday: 10-10, 10-09, 10-08, at their close of business.
    assert CAL.subtract(due, parse_duration("3 working days")) == at("2026-10-08 18:00")


@pytest.mark.parametrize(
    ("offset", "falls"),
    [("-2 working hours", "2026-12-10 16:00"), ("-1 working day", "2026-12-09 18:00"),
     ("-2 hours", "2026-12-10 16:00"), ("0", "2026-12-10 18:00"),
     ("-20%", "2026-12-08 10:48"),  # a fifth of 14 days of business hours, counted back
     ("+10%", "2026-12-14 12:36"),  # 756 working minutes on: Friday whole, Monday to 12:36
     ("+2 working days", "2026-12-14 18:00")],
)
def test_ladder_steps_around_a_working_day_deadline(offset: str, falls: str) -> None:
    """The 13-working-day deadline of a complaint received Mon 11-23 09:00 is Thu 12-10 18:00."""
    assert CAL.shift(at("2026-11-23 09:00"), at("2026-12-10 18:00"), parse_offset(offset), "working") == at(falls)


def test_percentage_steps_on_short_and_clock_deadlines() -> None:
    # 1% of one working hour rounds to nothing: a step is at least a minute.
    assert CAL.shift(at("2026-11-25 10:00"), at("2026-11-25 11:00"), parse_offset("+1%"), "working") == at(
        "2026-11-25 11:01")
    # On the clock: a tenth of 24 hours is 2 h 24 min, either side, night or not.
    day = (at("2026-11-25 10:00"), at("2026-11-26 10:00"))
    assert CAL.shift(*day, parse_offset("+10%"), "clock") == at("2026-11-26 12:24")
    assert CAL.shift(*day, parse_offset("-10%"), "clock") == at("2026-11-26 07:36")


# -- split business hours (issue 15; Frappe Helpdesk #2212): a lunch break is not working time --
LUNCH = BusinessCalendar(timezone="Asia/Shanghai", hours=Hours(((time(9), time(12)), (time(13, 30), time(18)))))


def test_working_hours_stop_for_lunch_and_go_on_after_it() -> None:
    # Thu 2026-11-26: 2 working hours from 11:00 are 11:00-12:00 and 13:30-14:30.
    assert LUNCH.add(at("2026-11-26 11:00"), parse_duration("2 working hours")).due == at("2026-11-26 14:30")
    # Asked during lunch, the clock starts when the office opens again.
    assert LUNCH.add(at("2026-11-26 12:40"), parse_duration("30 working minutes")).due == at("2026-11-26 14:00")
    # A day of 7.5 working hours: 8 working hours from Thu 09:00 end Fri 09:30.
    assert LUNCH.add(at("2026-11-26 09:00"), parse_duration("8 working hours")).due == at("2026-11-27 09:30")


def test_stepping_back_and_counting_between_skip_the_lunch_break() -> None:
    assert LUNCH.subtract(at("2026-11-26 14:00"), parse_duration("1 working hour")) == at("2026-11-26 11:30")
    assert LUNCH.working_minutes_between(at("2026-11-26 11:00"), at("2026-11-26 14:30")) == 120
    assert not LUNCH.is_working_time(at("2026-11-26 12:15")) and LUNCH.is_working_time(at("2026-11-26 13:30"))


def test_working_days_fall_due_when_the_last_interval_closes() -> None:
    assert LUNCH.add(at("2026-11-26 10:00"), parse_duration("1 working day")).due == at("2026-11-27 18:00")


@pytest.mark.parametrize("text", ["09:00-12:00, 11:00-18:00", "13:30-18:00, 09:00-12:00", "09:00-12:00,", "9-18"])
def test_business_hours_that_overlap_go_backwards_or_do_not_parse_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="business hours"):
        _hours(text)


def test_split_business_hours_read_and_written_as_managers_write_them() -> None:
    hours = _hours("09:00-12:00, 13:30-18:00")
    assert str(hours) == "09:00-12:00, 13:30-18:00" and (hours.opens, hours.closes) == (time(9), time(18))


def test_the_next_working_moment_is_the_next_opening_outside_business_hours() -> None:
    assert LUNCH.next_working_moment(at("2026-11-26 10:00")) == at("2026-11-26 10:00")  # open: now
    assert LUNCH.next_working_moment(at("2026-11-26 12:10")) == at("2026-11-26 13:30")  # after lunch
    assert LUNCH.next_working_moment(at("2026-11-27 19:00")) == at("2026-11-30 09:00")  # Friday night: Monday
    assert CAL.next_working_moment(at("2026-09-30 18:00")) == at("2026-10-08 09:00")  # National Day skipped
    assert CAL.next_working_moment(at("2026-10-10 08:00")) == at("2026-10-10 09:00")  # a make-up Saturday
