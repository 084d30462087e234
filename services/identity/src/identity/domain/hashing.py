"""Running the deliberately slow password hashes off the event loop.

One argon2id check takes about 100 ms of CPU (see bench/login_latency.py). On the event loop it
would stall every other request of the process for that long; in a worker thread (argon2-cffi
releases the GIL) requests overlap and use both cores.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def off_loop(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    return await asyncio.to_thread(function, *args, **kwargs)
