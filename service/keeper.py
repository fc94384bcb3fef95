"""The lease keeper: a thread that renews this process's leases (feeds being polled, alerts
being sent) every few seconds, on its own connection, while the work runs. When the process
dies the renewals stop and the leases expire: another worker takes the work over. At a clean
exit the feed leases are handed back at once."""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from errors import NewsbotError
from storage import Store
from storage.claims import RENEW_EVERY

log = logging.getLogger("newsbot.leases")


class LeaseKeeper:
    def __init__(self, database: str, every: float = RENEW_EVERY) -> None:
        self.database = database
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            with Store.open(self.database) as store:
                store.release_all_feeds()
        except NewsbotError as err:
            log.warning("feed leases not handed back (they expire by themselves): %s", err)

    def _run(self) -> None:
        store: Store | None = None
        while not self._stop.wait(self.every):
            try:
                store = store or Store.open(self.database)
                store.renew_leases()
            except NewsbotError as err:
                log.warning("leases not renewed, retrying: %s", err.render())
                if store is not None:
                    store.close()
                store = None
        if store is not None:
            store.close()
