"""Where the camera-site agent is: a GPS receiver's NMEA 0183 fixes, or a pole's fixed place.

A mobile unit's reads must carry the position they were taken at (the node refuses a mobile
camera's read without one). ``NmeaReceiver`` reads sentences from a serial/USB receiver
(pyserial) or from a file or pipe of sentences (``gpsd``'s raw output, a recorded drive),
checks each one's checksum (a sentence without one, or with a wrong one, is counted and
ignored), and keeps the latest fix from GGA (quality above 0) and RMC (status ``A``; it adds
speed and course). A no-fix sentence (GGA quality 0, RMC status ``V``) clears the fix: the
receiver itself says the position is unknown now.

``fix_for`` gives a read its position only while the fix is fresh — received within
``max_age`` seconds of both the read's moment and now. Otherwise it answers None and the agent
refuses the read (logged, counted): a read is never sent with a stale position, which would
put the vehicle where the patrol car was a while ago.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Protocol

import pynmea2

from ..core.errors import ConfigError, InputError

log = logging.getLogger("trustlpr.recognize.gps")

KNOTS_TO_KMH = 1.852
MAX_AGE = 5.0
"""Seconds a fix stays usable by default (receivers send one a second)."""


@dataclass(frozen=True)
class Fix:
    """A position and when this agent received it; speed (km/h) and course (degrees) from
    RMC when the receiver gave them."""

    latitude: float
    longitude: float
    at: datetime
    speed: float | None = None
    direction: float | None = None

    def fields(self) -> dict[str, float]:
        """The fix as the native ingest API's read fields."""
        out = {"lat": round(self.latitude, 7), "lon": round(self.longitude, 7)}
        if self.speed is not None:
            out["speed"] = round(self.speed, 2)
        if self.direction is not None:
            out["direction"] = round(self.direction, 2)
        return out


class PositionSource(Protocol):
    """What the agent asks for each read's position."""

    def fix_for(self, observed: datetime) -> Fix | None:
        """The position of a read taken at ``observed``, or None (no fresh fix)."""
        ...

    def close(self) -> None: ...


class FixedPosition:
    """A pole camera's place, given with ``--position LAT,LON``: every read is taken there."""

    def __init__(self, latitude: float, longitude: float) -> None:
        self.latitude = latitude
        self.longitude = longitude

    @classmethod
    def parse(cls, text: str) -> FixedPosition:
        """``LAT,LON`` in decimal degrees; ``InputError`` naming what is wrong."""
        parts = text.split(",")
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError:
            raise InputError(
                f"--position {text[:40]!r} is not LAT,LON in decimal degrees", field="position"
            ) from None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise InputError(
                f"--position {text[:40]!r} is outside -90..90, -180..180", field="position"
            )
        return cls(lat, lon)

    def fix_for(self, observed: datetime) -> Fix | None:
        return Fix(self.latitude, self.longitude, observed)

    def close(self) -> None:
        pass


class NmeaReceiver:
    """The latest fix of an NMEA 0183 stream; see the module docstring. ``feed`` takes one
    sentence; ``start`` reads ``lines`` on a thread until they end or ``close``."""

    def __init__(
        self,
        lines: Iterable[str] = (),
        *,
        max_age: float = MAX_AGE,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_close: Callable[[], None] | None = None,
    ) -> None:
        if not max_age > 0:
            raise InputError("the GPS fix age limit must be above 0 seconds", field="gps_max_age")
        self._lines = lines
        self._max_age = timedelta(seconds=max_age)
        self._now = now
        self._on_close = on_close
        self._lock = threading.Lock()
        self._fix: Fix | None = None
        self._thread: threading.Thread | None = None
        self.stats: Counter[str] = Counter()
        """Sentences seen: ``fix``, ``no_fix``, ``bad_checksum``, ``unparsed``, ``other``."""

    def feed(self, line: str) -> None:
        """One sentence: a fix updates the position, a no-fix clears it, a bad one is ignored."""
        line = line.strip()
        if not line:
            return
        try:
            msg = pynmea2.parse(line, check=True)  # check: a sentence must carry its checksum
        except pynmea2.ChecksumError:
            self._count("bad_checksum", line)
            return
        except pynmea2.ParseError:
            self._count("unparsed", line)
            return
        if isinstance(msg, pynmea2.GGA):
            self._gga(msg)
        elif isinstance(msg, pynmea2.RMC):
            self._rmc(msg)
        else:
            self.stats["other"] += 1  # GSV, GSA, VTG…: nothing the position needs

    def _gga(self, msg: pynmea2.GGA) -> None:
        if not msg.gps_qual or not msg.lat or not msg.lon:
            self._lost("GGA quality 0")
            return
        with self._lock:
            now = self._now()
            prev = self._fix  # GGA has no speed: keep the same epoch's RMC speed and course
            fix = Fix(msg.latitude, msg.longitude, now)
            if prev is not None and now - prev.at <= self._max_age:
                fix = replace(fix, speed=prev.speed, direction=prev.direction)
            self._set(fix)

    def _rmc(self, msg: pynmea2.RMC) -> None:
        if msg.status != "A" or not msg.lat or not msg.lon:
            self._lost("RMC status V")
            return
        speed = None if msg.spd_over_grnd is None else float(msg.spd_over_grnd) * KNOTS_TO_KMH
        course = None if msg.true_course is None else float(msg.true_course) % 360.0
        with self._lock:
            self._set(Fix(msg.latitude, msg.longitude, self._now(), speed, course))

    def _set(self, fix: Fix) -> None:
        if self._fix is None:
            log.info("GPS fix acquired")
        self._fix = fix
        self.stats["fix"] += 1

    def _lost(self, why: str) -> None:
        with self._lock:
            had, self._fix = self._fix, None
            self.stats["no_fix"] += 1
        if had is not None:
            log.warning("GPS receiver lost its fix (%s): reads are refused until it is back", why)

    def _count(self, what: str, line: str) -> None:
        self.stats[what] += 1
        if self.stats[what] in (1, 10, 100) or self.stats[what] % 1000 == 0:
            log.warning("GPS sentence ignored (%s, %d so far): %r", what, self.stats[what],
                        line[:82])  # fmt: skip

    def fix_for(self, observed: datetime) -> Fix | None:
        with self._lock:
            fix = self._fix
        if fix is None:
            return None
        if self._now() - fix.at > self._max_age or abs(observed - fix.at) > self._max_age:
            return None
        return fix

    def start(self) -> None:
        self._thread = threading.Thread(target=self._read, daemon=True, name="trustlpr-gps")
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._lines:
                self.feed(line)
        except (OSError, ValueError) as exc:  # a receiver unplugged, a closed file
            log.warning("GPS input ended: %s", exc)
        else:
            log.warning("GPS input ended: reads are refused once the last fix is stale")

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()


def open_receiver(path: str, *, baud: int = 4800, max_age: float = MAX_AGE) -> NmeaReceiver:
    """A started receiver reading ``path``: a serial device (``/dev/ttyUSB0``, at ``baud``) or
    a file or named pipe of sentences. ``ConfigError`` if it cannot be opened."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ConfigError(f"--gps {path}: {exc.strerror}") from None
    if stat.S_ISCHR(mode):
        import serial  # pyserial: only a device needs it

        try:
            port = serial.Serial(path, baudrate=baud, timeout=1.0)
        except serial.SerialException as exc:
            raise ConfigError(f"--gps {path}: {exc}") from None
        stop = threading.Event()  # the reading thread closes the port (pyserial is not
        # safe to close under a read in progress)
        receiver = NmeaReceiver(_serial_lines(port, stop), max_age=max_age, on_close=stop.set)
    else:
        if not os.access(path, os.R_OK):
            raise ConfigError(f"--gps {path}: not readable")
        opened: list[IO[str]] = []  # a pipe opens (on the thread) once a writer is there
        receiver = NmeaReceiver(
            _file_lines(path, opened),
            max_age=max_age,
            on_close=lambda: _close_all(opened),
        )
    receiver.start()
    return receiver


def _close_all(handles: list[IO[str]]) -> None:
    for handle in handles:
        handle.close()


def _file_lines(path: str, opened: list[IO[str]]) -> Iterator[str]:
    with Path(path).open(encoding="ascii", errors="replace") as handle:
        opened.append(handle)
        yield from handle


class _Port(Protocol):
    def readline(self) -> bytes: ...

    def close(self) -> None: ...


def _serial_lines(port: _Port, stop: threading.Event) -> Iterator[str]:
    try:
        while not stop.is_set():
            raw = port.readline()  # up to its timeout: b"" while the receiver is quiet
            if raw:
                yield raw.decode("ascii", errors="replace")
    finally:
        port.close()
