"""Events contracts consumes. None yet: at this stage contracts only produces events.

Handlers go here as ``@handlers.on(Model, name="<stable-name>")`` when a flow needs one.
"""

from __future__ import annotations

from portal_chassis.consumers import EventHandlers

handlers = EventHandlers()
