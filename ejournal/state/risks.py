"""``/risks``: early warning for the class teacher and the administration — students likely
to get a «2» or to be left unattested this period, with reasons, and a templated message to
their parents [004 §2.7, §5.14], [002 §7.4], [004 §4.4.4]. The forecast services decide who
sees whom (own class, or the school)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TypedDict

import reflex as rx

from ejournal.domain import forecast
from ejournal.domain.errors import DomainError
from ejournal.domain.numbers import int_or_none
from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires, run_service


class RiskItem(TypedDict):
    subject: str
    kind: str  # «риск «2»» or «риск неаттестации»
    probability: str  # «вероятность «2» — 45 %», "" for non-attestation
    reasons: str
    link: str


class StudentRisk(TypedDict):
    student_id: int
    period_id: int
    name: str
    class_name: str
    items: list[RiskItem]
    template: str  # the message to the parents, editable before sending


def _student_rows(entries: list[Any]) -> list[StudentRisk]:
    by_student: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for e in entries:
        by_student[(e.student_id, e.period_id)].append(e)
    rows: list[StudentRisk] = []
    for (sid, pid), found in by_student.items():
        first = found[0]
        rows.append(
            {
                "student_id": sid,
                "period_id": pid,
                "name": first.student_name,
                "class_name": first.class_name,
                "items": [
                    {
                        "subject": e.subject_name,
                        "kind": "риск неаттестации" if e.kind == "unattested" else "риск «2»",
                        "probability": (
                            f"вероятность «2» — {round(100 * e.probability_2)} %"
                            if e.kind == "two"
                            else ""
                        ),
                        "reasons": "; ".join(e.reasons),
                        "link": e.link,
                    }
                    for e in found
                ],
                "template": forecast.risk_message_text(
                    first.student_name, first.period_name, found
                ),
            }
        )
    return sorted(rows, key=lambda r: (r["class_name"], r["name"]))


class RiskState(SessionState):
    """The risk list and the message to parents."""

    rows: list[StudentRisk] = []
    period_name: str = ""
    loaded: bool = False
    error: str = ""
    sent: list[int] = []  # students whose parents got the message in this visit

    @requires(Permission.DIARY_READ)
    async def load(self) -> Any:
        """The current period's risks for the actor's class (or the school)."""
        self.loaded = False
        try:
            entries = await run_service(forecast.risk_list, actor=self._actor())
        except DomainError as e:
            self.error, self.rows = e.message, []
            return None
        self.error = ""
        self.rows = _student_rows(entries)
        self.period_name = entries[0].period_name if entries else ""
        self.loaded = True
        return None

    @requires(Permission.DIARY_READ)
    async def send(self, form: dict[str, Any]) -> Any:
        """Send the (edited) message to the student's parents; audited in the service."""
        sid = int_or_none(form.get("student_id"))
        pid = int_or_none(form.get("period_id"))
        body = str(form.get("body") or "").strip()
        if sid is None or pid is None:
            return rx.toast.error("Ученик не найден: обновите страницу.")
        if not body:
            return rx.toast.error("Напишите текст сообщения.")
        try:
            sent = await run_service(
                forecast.message_parents_about_risk,
                actor=self._actor(),
                student_id=sid,
                period_id=pid,
                body=body,
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        self.sent = [*self.sent, sid]
        return rx.toast.success("Сообщение отправлено: " + ", ".join(sent.recipients) + ".")
