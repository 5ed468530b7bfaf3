"""Building a large bank's report makes hundreds of thousands of small tuples, dicts
and sets (rows, edges, adjacency), none of them in reference cycles. Python's cyclic
garbage collector would walk every live object many times while they are made (about
a quarter of the network measures' time on the bench's largest bank), to find nothing.
So a build runs with the collector paused; reference counting still frees everything
as usual, and the collector runs again afterwards as before.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the ``with`` block (if it was running;
    another thread's pause that ends first may turn it on again, which only costs
    time)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
