"""A lifecycle verb on several guests at once, as it goes: who is done, who failed,
and the one report it makes when the last one answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..backend.ops import guests as ops


@dataclass
class Batch:
    verb: str  # the key's own verb (start for `s`, pause for `p`)
    expected: int
    skipped: list[str]
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chosen: dict[str, str] = field(default_factory=dict)  # guest name -> the verb done to it, where not `verb`

    @property
    def finished(self) -> bool:
        return len(self.done) + len(self.failed) >= self.expected

    @property
    def title(self) -> str:
        verbs = dict.fromkeys([self.verb, *self.chosen.values()]) if self.chosen else (self.verb,)
        return " / ".join(ops.VERBS[v].label for v in verbs)

    def summary(self) -> tuple[str, str]:
        """(message, severity) for a toast: what was done to whom, verb by verb."""
        parts = []
        by_verb: dict[str, list[str]] = {}
        for name in self.done:
            by_verb.setdefault(self.chosen.get(name, self.verb), []).append(name)
        for verb, names in by_verb.items():
            parts.append(f"{ops.VERBS[verb].past}: {', '.join(names)}")
        for name, error in self.failed:
            parts.append(f"{name}: {error}")
        parts.extend(self.notes)
        if self.skipped:
            parts.append(f"skipped: {'; '.join(self.skipped)}")
        severity = "error" if self.failed else "warning" if self.notes or (self.skipped and not self.done) else "information"
        return "\n".join(parts), severity
