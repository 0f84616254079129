"""`desk up --demo`: a stream of realistic complaints from the seed scenarios, on demo time.

First one complaint that nobody triages (its deadline passes within a minute); then every
few seconds one complaint is filed, classified and assigned; half of them are handled a
step per tick until closed, the other half are left alone, so the sweeps have real
deadlines to escalate. Complainants are invented (`业主 张先生`, 139 numbers).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from desk.config import Settings
from desk.errors import DeskError
from desk.service import Desk
from policies.demo import write_demo_policies
from states import ComplaintError


@dataclass(frozen=True)
class Scenario:
    family: str
    type: str
    agent: str
    handler: str
    description: str
    dispatch: bool = False


# Even ticks are handled step by step until closed; odd ticks are left alone. The left-alone
# ones are urgent, so that their deadlines (hours, hence minutes here) pass while you watch.
SCENARIOS = (
    Scenario("enterprise", "late_shipping", "xiao-yu", "he-jun", "付款后72小时未发货 (seed 001)"),
    Scenario("property", "lift_entrapment", "zhou-tao", "wu-gang", "5号楼2单元电梯困人 (seed 001)", dispatch=True),
    Scenario("property", "cleaning_late", "li-na", "zhang-li", "楼道清洁不及时 (seed 001)"),
    Scenario("enterprise", "health_safety", "xiao-yu", "gao-fei", "食品变质, 孩子过敏 (seed 001)"),
    Scenario("enterprise", "product_quality", "xiao-yu", "lin-xue", "洗衣机漏水, 商家拒绝退换 (seed 001)"),
    Scenario("property", "burst_pipe", "li-na", "wu-gang", "12楼水管爆裂 (seed 001)", dispatch=True),
)
STEPS = ("findings", "resolve", "feed_back", "revisit", "close")


class DemoFeed:
    every_s = 20.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-feed", daemon=True)
        self._handled: dict[str, tuple[Scenario, int]] = {}  # number -> (scenario, next step)

    @staticmethod
    def policy_dir() -> Path:
        return write_demo_policies(Settings.from_env().home / "demo-policies")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        desk = Desk.open(self.settings)
        try:  # first, one complaint nobody picks up: its triage deadline passes in half a minute
            desk.file(actor="li-na", now=datetime.now(UTC), family="property",
                      complainant={"name": "业主孙女士", "phone": "13900009999",
                                   "description": "电话没人回 (seed 003)"})
        except (DeskError, ComplaintError) as error:
            print(f"demo: {error}")
        for tick in itertools.count():
            if self._stop.is_set():
                break
            try:
                self._advance(desk)
                self._file(desk, SCENARIOS[tick % len(SCENARIOS)], handled=tick % 2 == 0, tick=tick)
            except (DeskError, ComplaintError) as error:
                print(f"demo: {error}")  # a refused step is part of the story, not a crash
            self._stop.wait(self.every_s)
        desk.engine.dispose()

    def _file(self, desk: Desk, s: Scenario, *, handled: bool, tick: int) -> None:
        now = datetime.now(UTC)
        person = {"name": f"业主{'张王李赵刘陈'[tick % 6]}先生", "phone": f"139{tick:08d}",
                  "description": s.description}
        number = desk.file(actor=s.agent, now=now, family=s.family, complainant=person).number
        if s.dispatch:
            desk.dispatch(number, actor=s.agent, now=now, crew="maintenance on duty")
        desk.classify(number, actor=s.agent, now=now, type=s.type,
                      responsibility="own" if s.family == "property" else "third_party")
        desk.assign(number, actor=s.agent, now=now, handler=s.handler)
        if handled:
            self._handled[number] = (s, 0)

    def _advance(self, desk: Desk) -> None:
        now = datetime.now(UTC)
        for number, (s, step) in list(self._handled.items()):
            name = STEPS[step]
            if name == "findings":
                desk.record_findings(number, actor=s.handler, now=now, findings="verified with the complainant")
            elif name == "resolve":
                desk.resolve(number, actor=s.handler, now=now, resolution="repair", detail="done and checked")
            elif name == "feed_back":
                desk.feed_back(number, actor=s.agent, now=now, channel="phone")
            elif name == "revisit":
                callback = "gao-fei" if s.family == "enterprise" else s.agent
                desk.record_revisit(number, actor=callback, now=now, outcome="satisfied")
            else:
                desk.close(number, actor=s.agent, now=now)
            if step + 1 < len(STEPS):
                self._handled[number] = (s, step + 1)
            else:
                del self._handled[number]
