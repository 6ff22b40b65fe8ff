"""The purge reaching the bus: every message of a destroyed day erased from both streams.

The day's key is already gone (so what JetStream keeps cannot be opened), but the law asks for
the data to be gone too, not just unreadable. Each message on the day's subjects
(``BusConfig.day_subject``) is deleted with JetStream's erase (the server overwrites the
message's bytes in its block file with random data before dropping it), in the batch stream
and in the dead-letter stream. Messages a crash left behind are still bounded by the streams'
``max_age``, which is the non-hit retention.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import date

import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from ..core.errors import BusUnavailableError
from .config import BusConfig

log = logging.getLogger(__name__)
TIMEOUT = 60.0


def erase_days(config: BusConfig, days: Iterable[date]) -> int:
    """Erases the messages of ``days`` from the node's streams; how many were erased.
    ``BusUnavailableError`` if NATS cannot be reached (the next purge tries again)."""
    wanted = sorted(set(days))
    if not wanted:
        return 0
    try:
        return asyncio.run(asyncio.wait_for(_erase(config, wanted), TIMEOUT))
    except (nats.errors.Error, OSError, TimeoutError) as exc:
        raise BusUnavailableError(
            f"the purge could not reach the bus: {type(exc).__name__}", retry_after=60.0
        ) from exc


async def _erase(config: BusConfig, days: list[date]) -> int:
    nc = await nats.connect(servers=list(config.servers), name="trustlpr-purge")
    try:
        js = nc.jetstream()
        erased = 0
        for day in days:
            key_id = f"nonhit:{day.isoformat()}"
            erased += await _erase_subject(js, config.stream, config.day_subject(key_id))
            erased += await _erase_subject(js, config.dead_stream, config.dead_day_subject(key_id))
        return erased
    finally:
        await nc.close()


async def _erase_subject(js: JetStreamContext, stream: str, subject: str) -> int:
    erased = 0
    seq = 1
    while True:
        try:
            msg = await js.get_msg(stream, seq=seq, subject=subject, next=True)
        except NotFoundError:  # no further message on the subject (or no such stream)
            return erased
        if msg.seq is None:
            return erased
        await js.delete_msg(stream, msg.seq)  # erase: overwritten, then removed
        erased += 1
        seq = msg.seq + 1
