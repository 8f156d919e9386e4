"""What a sweep may still spend, when groups of invocations run at once.

The plan refuses a sweep whose committed invocations (the cold starts and the first warm
ones of every group) could cost more than the budget if each ran to the functions'
timeout. Sampling until clear then asks for more, a batch at a time; a batch is granted
only when what was spent, the worst case of the committed invocations not yet run, and
the worst case of every batch already granted and still running, with this one, stay
within the budget. So groups measured at once can never together spend past it.
"""

import threading


class Budget:
    def __init__(self, limit_usd: float | None, spent_usd: float, committed_worst_usd: float) -> None:
        self._limit = limit_usd
        self._spent = spent_usd
        #: The worst case of invocations committed or granted and not yet run.
        self._held = committed_worst_usd
        self._lock = threading.Lock()

    @property
    def spent(self) -> float:
        with self._lock:
            return self._spent

    def record(self, cost_usd: float) -> None:
        """What an invocation cost, from Lambda's report."""
        with self._lock:
            self._spent += cost_usd

    def grant(self, worst_usd: float) -> bool:
        """Whether a batch more, costing `worst_usd` at worst, fits; if so it is held."""
        with self._lock:
            if self._limit is not None and self._spent + self._held + worst_usd > self._limit:
                return False
            self._held += worst_usd
            return True

    def release(self, worst_usd: float) -> None:
        """Committed or granted invocations ran (their cost recorded): no longer held."""
        with self._lock:
            self._held = max(0.0, self._held - worst_usd)
