"""Alert channels: the Notifier protocol, the registry, and the built-in channel types.

    from notifiers import build_all
    channels = build_all(settings)          # {"mail": EmailNotifier, ...}
    receipt = channels["mail"].send(alert)  # or raises errors.DeliveryError

Importing this package registers the built-ins (console, jsonl, email, webhook, apprise);
an add-on registers the same way, with ``@notifiers.base.register("name")``.
"""

from notifiers import apprise_urls, console, jsonl, mail, webhook  # noqa: F401  (registration)
from notifiers.base import REGISTRY, Notifier, build, build_all, register

__all__ = ["REGISTRY", "Notifier", "build", "build_all", "register"]
