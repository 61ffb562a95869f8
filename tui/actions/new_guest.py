"""Making a new guest, for the new-guest form: what the host offers, the plan from the
answers (pure, no call) and the job that creates it."""

from __future__ import annotations

from collections.abc import Callable

from ..backend.ops import new_guest as ops
from ..backend.ops.new_guest import GuestAnswers, HostChoices, NewGuestPlan, Outcome, overcommit_warning, plan_guest
from ..calls import Then
from .owner import OwnedActions

__all__ = ["GuestAnswers", "HostChoices", "NewGuestActions", "NewGuestPlan", "Outcome", "overcommit_warning",
           "plan_guest"]


class NewGuestActions(OwnedActions):
    def read_host_choices(self, target, conn_id: str | None, then: Then) -> None:
        """`then(HostChoices, error)`."""
        self._ask(target, conn_id, ops.read_host_choices, then, "read host offers")

    def create_work(self, plan: NewGuestPlan, define_xml: Callable[[str], str] | None = None):
        """The job (conn, progress) that creates the guest of `plan`; it answers an Outcome."""
        return lambda conn, progress: ops.create(conn, plan, progress, define_xml)
