"""Limits: requests per key (token bucket), request size, page size."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

#: Largest request body accepted, in bytes (a transaction is at most 64 KiB; its JSON
#: envelope in hex twice that).
MAX_BODY = 256 * 1024
DEFAULT_PAGE = 100
MAX_PAGE = 1_000


@dataclass
class RateLimiter:
    """``rate`` requests per second per key, bursts up to ``burst`` (thread-safe)."""

    rate: float = 200.0
    burst: float = 400.0
    _buckets: dict[bytes, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: bytes, now: float | None = None) -> float:
        """0 if the request may go ahead, else the seconds to wait before retrying."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
