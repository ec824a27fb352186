"""Identity-document readers. Registers "simulated"; a "pcsc" driver comes later."""

from drivers.base import register
from drivers.reader.simulated import SimulatedReader

register("reader", "simulated", SimulatedReader)

__all__ = ["SimulatedReader"]
