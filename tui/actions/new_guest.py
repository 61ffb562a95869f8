"""Making a new guest, for the new-guest form: what the host offers, the plan from the
answers (pure, no call) and the job that creates it."""

from __future__ import annotations

from collections.abc import Callable

from ..backend import commands
from ..backend.commands import CommandLine
from ..backend.ops import new_guest as ops
from ..backend.ops.new_guest import GuestAnswers, HostChoices, NewGuestPlan, Outcome, overcommit_warning, plan_guest
from ..calls import Then
from .owner import OwnedActions
from .recorder import Did

__all__ = ["GuestAnswers", "HostChoices", "NewGuestActions", "NewGuestPlan", "Outcome", "overcommit_warning",
           "plan_guest"]


class NewGuestActions(OwnedActions):
    def read_host_choices(self, target, conn_id: str | None, then: Then) -> None:
        """`then(HostChoices, error)`."""
        self._ask(target, conn_id, ops.read_host_choices, then, "read host offers")

    def create_commands(self, conn_id: str | None, plan: NewGuestPlan) -> list[CommandLine]:
        """virt-install with the plan's choices (and the volumes it makes first)."""
        return commands.virt_install(self.uri(conn_id), plan.spec, plan.volumes, plan.seed, plan.start)

    def create_work(self, plan: NewGuestPlan, define_xml: Callable[[str], str] | None = None,
                    conn_id: str | None = None):
        """The job (conn, progress) that creates the guest of `plan`; it answers an Outcome
        (`conn_id`: its host, for the action log)."""
        secrets = (plan.seed.password,) if plan.seed is not None and plan.seed.password else ()
        did = Did("guest", plan.spec.name, "create guest", tuple(self.create_commands(conn_id, plan)), secrets)
        return self.logged(conn_id, did, lambda conn, progress: ops.create(conn, plan, progress, define_xml))
