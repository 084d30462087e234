"""Event contracts of the energy portal.

Every event crossing a service boundary is an :class:`Envelope` whose ``data`` validates
against one :class:`EventData` subclass. Topic names follow one rule, see ``topics.py``.
"""

from portal_schemas.envelope import Envelope, EventData
from portal_schemas.registry import REGISTRY, EventSpec

__all__ = ["REGISTRY", "Envelope", "EventData", "EventSpec"]
