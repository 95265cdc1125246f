"""AutoThrottle that counts ``304 Not Modified`` as a good answer.

Scrapy's ``AutoThrottle`` only ever shortens its delay after a ``200``: an error page or a
redirect is small and quick, and letting it shorten the delay would speed the crawl up just
when the server struggles. A ``304`` is different: it is the server saying "you already have
this", the normal answer to every conditional request of a ``sync``. Counting it as a failure
keeps the delay at ``AUTOTHROTTLE_START_DELAY`` for hundreds of tiny requests. Here a ``304``
adjusts the delay exactly as a ``200`` does; every other status keeps Scrapy's rule.
"""

from __future__ import annotations

from typing import Any

from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response

#: Statuses that may shorten the delay, like a 200.
GOOD_STATUSES = frozenset({200, 304})


class NotModifiedAutoThrottle(AutoThrottle):
    """``AutoThrottle`` for conditional crawls (see the module docstring)."""

    def _adjust_delay(self, slot: Any, latency: float, response: Response) -> None:
        if response.status in GOOD_STATUSES and response.status != 200:
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)
