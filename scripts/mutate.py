"""`make mutate`: mutation testing with mutmut, then the score per package and the survivors.

    python scripts/mutate.py [--children N] [--show] [--no-run] [--sample N] [MUTANT_GLOB ...]

Runs `mutmut run` (configured in pyproject.toml's [tool.mutmut]; results are kept in mutants/,
so a second run only tries what changed or was never tried), then reads `mutmut results` and
prints, for states/, policies/ and desk/, how many mutants the tests killed. A mutant counts as
killed when a test failed (or it hung past its time limit); as surviving when every test passed
or no test reached it. Mutants judged equivalent (no behaviour anyone could notice changes:
tests/mutation/equivalent.txt, one name and the reason per line) are listed apart and left out
of the second score. --show prints each survivor's diff; --no-run only reports.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = [sys.executable, "-m", "mutmut"]
EQUIVALENT = ROOT / "tests" / "mutation" / "equivalent.txt"
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
SURVIVED = {"survived", "no tests", "suspicious"}
PACKAGES = ("states", "policies", "desk")
TARGET = 0.85  # issue 11: states/ and policies/


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    parser.add_argument("--no-run", action="store_true", help="report the results kept in mutants/")
    parser.add_argument("--sample", type=int, help="try this many untried mutants, drawn at random")
    parser.add_argument("--seed", type=int, default=0, help="the draw of --sample")
    parser.add_argument("mutants", nargs="*", help="only these mutants (globs), e.g. 'states.rules.*'")
    args = parser.parse_args()
    os.chdir(ROOT)
    chosen = list(args.mutants)
    if args.sample:
        untried = sorted(name for name, status in _results().items() if status == "not checked")
        if not untried:
            print("mutate: no untried mutants in mutants/ (run once without --sample to generate them)",
                  file=sys.stderr)
            return 1
        chosen = random.Random(args.seed).sample(untried, min(args.sample, len(untried)))
    if not args.no_run:
        ran = subprocess.run([*MUTMUT, "run", "--max-children", str(args.children), *chosen], check=False)
        if ran.returncode != 0:
            print(f"mutate: mutmut run exited {ran.returncode}", file=sys.stderr)
            return ran.returncode
    statuses = _results()
    if not statuses:
        print("mutate: no results in mutants/ yet: run without --no-run", file=sys.stderr)
        return 1
    equivalent = _equivalent()
    report, survivors = _report(statuses, equivalent)
    (ROOT / "mutants" / "score.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    if args.show:
        for name in survivors:
            print(subprocess.run([*MUTMUT, "show", name], capture_output=True, text=True, check=False).stdout)
    return 0


def _results() -> dict[str, str]:
    """Every mutant's status as mutmut reports it ('name: status' per line)."""
    if not (ROOT / "mutants").is_dir():
        return {}
    listed = subprocess.run([*MUTMUT, "results", "--all", "true"], capture_output=True, text=True, check=True)
    statuses = {}
    for line in listed.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep:
            statuses[name] = status
    return statuses


def _equivalent() -> dict[str, str]:
    if not EQUIVALENT.exists():
        return {}
    judged = {}
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        name, _, why = line.partition("#")
        if name.strip():
            judged[name.strip()] = why.strip()
    return judged


def _report(statuses: dict[str, str], equivalent: dict[str, str]) -> tuple[dict[str, object], list[str]]:
    by_package: dict[str, Counter[str]] = defaultdict(Counter)
    survivors_by_function: dict[str, list[str]] = defaultdict(list)
    unknown = Counter(s for s in statuses.values() if s not in KILLED | SURVIVED)
    for name, status in statuses.items():
        package = name.split(".", 1)[0]
        counts = by_package[package]
        if status in KILLED:
            counts["killed"] += 1
        elif status in SURVIVED:
            counts["equivalent" if name in equivalent else "survived"] += 1
            if name not in equivalent:
                survivors_by_function[name.rsplit("__mutmut_", 1)[0]].append(name)
        else:
            counts["not run"] += 1
    print("\nsurviving mutants, by function (`mutmut show NAME` for the diff):")
    for function, names in sorted(survivors_by_function.items()):
        numbers = ", ".join(name.rsplit("__mutmut_", 1)[1] for name in names)
        print(f"  {function}: {len(names)} ({numbers})")
    if equivalent:
        print("\njudged equivalent (tests/mutation/equivalent.txt):")
        for name, why in sorted(equivalent.items()):
            print(f"  {name} [{statuses.get(name, 'no longer generated')}]: {why}")
    print("\nmutation score (killed / tried; second figure leaves out the mutants judged equivalent):")
    scores: dict[str, object] = {}
    for package in PACKAGES:
        c = by_package.get(package, Counter())
        tried = c["killed"] + c["survived"] + c["equivalent"]
        if not tried:
            continue
        raw, net = c["killed"] / tried, c["killed"] / max(1, tried - c["equivalent"])
        target = f" (target {TARGET:.0%}: {'met' if net >= TARGET else 'NOT met'})" if package != "desk" else ""
        print(f"  {package + '/':10} {c['killed']:5} of {tried:5} killed: {raw:6.1%}; {net:6.1%} without "
              f"{c['equivalent']} equivalent{target}" + (f"; {c['not run']} not run yet" if c["not run"] else ""))
        scores[package] = {**c, "score": round(raw, 4), "score_without_equivalent": round(net, 4)}
    if unknown:
        print(f"  not run or interrupted: {dict(unknown)}")
    survivors = sorted(name for names in survivors_by_function.values() for name in names)
    return {"scores": scores, "survivors": survivors, "equivalent": equivalent}, survivors


if __name__ == "__main__":
    sys.exit(main())
