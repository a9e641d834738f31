"""fangsiang alerts: render ``Alert``s for Slack and deliver them (Slack or console).

``REGISTRY`` maps a notifier ``kind`` from config to its class; both classes share the contract
``deliver(alert) -> Delivery`` and ``deliver_file(channel, png_bytes, title, thread_ts=None) -> Delivery``
and never raise into the caller. The summary chart lives in ``alerts.chart`` (imported on demand, as it
pulls in matplotlib).
"""

from alerts.console import ConsoleNotifier
from alerts.privacy import mask_personal_data
from alerts.render import RenderedMessage, render
from alerts.slack import SlackNotifier
from alerts.types import Alert, Delivery

REGISTRY: dict[str, type] = {"slack": SlackNotifier, "console": ConsoleNotifier}

__all__ = ["REGISTRY", "Alert", "ConsoleNotifier", "Delivery", "RenderedMessage", "SlackNotifier",
           "mask_personal_data", "render"]
