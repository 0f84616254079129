"""The benchmarks run as a user runs them (`python -m benchmarks...`), at toy sizes.

No figure is asserted here (performance is read from `make bench`, never from a timed test);
what is checked is that each benchmark completes, checks its own work (the floor replays the
desk's very writes; every due timer fires exactly once) and reports every key the JSON promises.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
FIGURES = {"transitions_per_s", "floor_per_s", "ratio", "ceiling_per_s", "ceiling_ratio", "of_ceiling", "p50_ms",
           "p99_ms", "peak_rss_mb"}
SWEEP_FIGURES = {"open", "due", "fire_s", "fired_per_s", "empty_sweep_ms", "peak_rss_mb"}
API_FIGURES = {"requests", "complete", "duration_s", "requests_per_s", "by_kind", "conflicts", "errors"}


def bench(tmp_path: Path, *args: str, timeout: int = 300) -> dict[str, Any]:
    env = {**os.environ, "DESK_BENCH_RESULTS": str(tmp_path / "results")}
    done = subprocess.run([sys.executable, "-m", *args, "--json"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    print(done.stderr[-3000:])
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    written = list((tmp_path / "results").glob("*.json"))
    assert len(written) == 1 and json.loads(written[0].read_text()) == result  # kept for comparison over time
    return result


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_lifecycle_measures_the_desk_against_a_floor_of_the_same_writes(tmp_path: Path, db: str) -> None:
    result = bench(tmp_path, "benchmarks.lifecycle", "--n", "15", "--db", db)
    figures = result["lifecycle"][db]
    assert figures.keys() >= FIGURES
    assert figures["transitions"] == 15 * 10  # filed, then nine steps to closed (a pause and a resume among them)
    assert figures["ratio"] > 0 and figures["p99_ms"] >= figures["p50_ms"] > 0
    assert figures["ceiling_ratio"] > 0 and figures["of_ceiling"] > 0
    assert {"cores", "python", "sqlite", "postgresql"} <= result["machine"].keys()


def test_sweep_fires_every_due_timer_once_among_the_open_ones(tmp_path: Path) -> None:
    result = bench(tmp_path, "benchmarks.sweep", "--open", "120,300", "--due", "40", "--db", "sqlite")
    runs = result["sweep"]["sqlite"]
    assert [(r["open"], r["due"], r["fired"]) for r in runs] == [(120, 40, 40), (300, 40, 40)]
    assert all(r.keys() >= SWEEP_FIGURES and r["empty_sweep_ms"] > 0 for r in runs)


def test_scale_out_shares_the_due_set_between_two_sweepers_without_double_firing(tmp_path: Path) -> None:
    result = bench(tmp_path, "benchmarks.scale_out", "--due", "300")
    figures = result["scale_out"]
    assert figures["double_fired"] == 0
    assert sum(figures["shares"]) == 300
    assert {"one_per_s", "two_per_s", "ratio"} <= figures.keys()


@pytest.mark.parametrize(("db", "workers"), [("sqlite", "1,2"), ("postgresql", "1")])
def test_api_serves_the_mix_over_http_and_in_process_without_errors(tmp_path: Path, db: str, workers: str) -> None:
    # 60 requests per configuration; two workers once (starting them is most of the time).
    result = bench(tmp_path, "benchmarks.api", "--requests", "60", "--clients", "3", "--seed", "14",
                   "--workers", workers, "--db", db)
    figures = result["api"][db]
    runs = ["in_process", *(f"workers_{n}" for n in workers.split(","))]
    for run in runs:
        assert figures[run].keys() >= API_FIGURES
        assert figures[run]["requests"] == 60 and figures[run]["complete"]
        assert figures[run]["errors"] == 0, figures[run]["error_samples"]
        assert figures[run]["by_kind"].keys() == {"intake", "verb", "show", "list", "tasks"}
        assert sum(kind["requests"] for kind in figures[run]["by_kind"].values()) == 60
    assert all(figures[f"ratio_{n}"] > 0 for n in workers.split(",")) and figures["target_ratio"] == 0.7


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_whatif_replays_every_complaint_of_the_window(tmp_path: Path, db: str) -> None:
    figures = bench(tmp_path, "benchmarks.whatif", "--n", "60", "--db", db)["whatif"][db]
    assert figures["complaints"] == 60 and figures["events"] > 60 * 3 and figures["days"] == 30
    assert figures["replay_s"] > 0 and figures["target_s"] == 60.0 and "meets_target" in figures
    assert figures["breaches_after"] >= figures["breaches_before"]  # the draft only shortens a deadline


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_console_serves_the_queue_the_complaint_page_and_the_board(tmp_path: Path, db: str) -> None:
    figures = bench(tmp_path, "benchmarks.console", "--n", "300", "--requests", "5", "--db", db)["console"][db]
    assert figures["complaints"] == 300 and 0 < figures["open"] < 300 and figures["overdue"] > 0
    assert figures["queue"]["person"] == "li-na" and figures["queue"]["complaints"] > 0
    for page in figures["pages"].values():
        assert page["requests"] == 5 and 0 < page["p50_ms"] <= page["p95_ms"] <= page["max_ms"]
    assert figures["target_p95_ms"] == 100.0 and "meets_target" in figures and figures["measured"]


def test_a_bad_option_is_one_clear_line(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "benchmarks.sweep", "--open", "ten"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "--open: expected whole numbers" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_make_bench_quick_merges_every_benchmark_into_one_json(tmp_path: Path) -> None:
    result = bench(tmp_path, "benchmarks", "--quick", timeout=600)
    assert set(result) == {"machine", "startup", "lifecycle", "sweep", "scale_out", "tiers", "api", "whatif",
                           "console"}
    assert all(result["lifecycle"][db].keys() >= FIGURES for db in ("sqlite", "postgresql"))
    assert all(run.keys() >= SWEEP_FIGURES for db in ("sqlite", "postgresql") for run in result["sweep"][db])
    assert result["scale_out"]["double_fired"] == 0
    assert all(result["tiers"][db]["fired_twice"] == 0 for db in ("sqlite", "postgresql"))
    assert all(result["api"][db]["workers_1"]["errors"] == 0 for db in ("sqlite", "postgresql"))
    assert all(result["console"][db]["pages"].keys() == {"queue", "complaint", "board"}
               for db in ("sqlite", "postgresql"))


@pytest.mark.slow
@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_tiers_fires_every_urgent_timer_and_drains_the_backlog_once(tmp_path: Path, db: str) -> None:
    # About 70 s each: the sweepers run on the production schedules, on the real clock.
    result = bench(tmp_path, "benchmarks.tiers", "--quick", "--db", db)
    figures = result["tiers"][db]
    assert figures["fired_twice"] == 0
    assert {"p99_ratio", "meets_target", "committed_p99_ratio", "every_s"} <= figures.keys()
    for run in (figures["without_backlog"], figures["with_backlog"]):
        urgent = run["urgent"]
        assert urgent["timers"] == urgent["fired"] == figures["urgent_timers"] and urgent["not_fired"] == 0
        for spread in (urgent["latency_s"], urgent["committed_latency_s"]):
            assert 0 <= spread["p50"] <= spread["p99"] <= spread["max"]
        assert run["fired_twice"] == 0
        assert run["sweeps"].keys() == {"urgent", "important", "general"}
        assert all(tier["sweeps"] >= 1 for tier in run["sweeps"].values())
    for tier in ("general", "important"):
        drained = figures["with_backlog"][tier]
        assert drained["timers"] == drained["fired"] == figures[tier] and drained["left"] == 0
        assert drained["drained_s"] > 0 and drained["fired_per_s"] > 0
    assert "general" not in figures["without_backlog"]
