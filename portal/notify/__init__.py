"""Messages through an outbox table: queued as a kind and its parameters with the change that
causes them, rendered and sent by a worker through one channel per transport."""
from portal.notify.render import render

__all__ = ["render"]
