"""The agent's GPS: real NMEA 0183 sentences (published examples, valid checksums) give fixes;
a bad or missing checksum changes nothing; a no-fix sentence clears the fix; a fix older than
the limit gives no position, so the agent refuses the read instead of sending it stale. The
receiver reads a file, a named pipe and a serial device (a pty, through pyserial)."""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from trustlpr.core.errors import ConfigError, InputError
from trustlpr.recognize.agent import AgentConfig, CameraAgent
from trustlpr.recognize.gps import FixedPosition, NmeaReceiver, open_receiver
from trustlpr.recognize.sender import Forwarder, NodeClient
from trustlpr.recognize.spool import Spool
from trustlpr.recognize.tracker import PlatePass
from trustlpr.recognize.types import Box

# published examples: a GGA/RMC pair west of Dublin, a u-blox receiver's pair in Oregon, and a
# u-blox receiver before its first fix (its no-fix sentences)
DUBLIN_GGA = "$GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,*76"
DUBLIN_RMC = "$GPRMC,092750.000,A,5321.6802,N,00630.3372,W,0.02,31.66,280511,,,A*43"
OREGON_RMC = "$GNRMC,001031.00,A,4404.13993,N,12118.86023,W,0.146,,100117,,,A*7B"
OREGON_GGA = "$GNGGA,001043.00,4404.14036,N,12118.85961,W,1,12,0.98,1113.0,M,-21.3,M,,*47"
NO_FIX_RMC = "$GPRMC,,V,,,,,,,,,,N*53"
NO_FIX_GGA = "$GPGGA,,,,,,0,00,99.99,,,,,,*48"
SATELLITES = "$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74"

START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def _receiver(clock: FakeClock, max_age: float = 5.0) -> NmeaReceiver:
    return NmeaReceiver(max_age=max_age, now=clock)


def test_gga_and_rmc_give_the_fix_with_speed_and_course() -> None:
    clock = FakeClock(START)
    gps = _receiver(clock)
    gps.feed(DUBLIN_RMC)
    fix = gps.fix_for(START)
    assert fix is not None
    assert (round(fix.latitude, 6), round(fix.longitude, 6)) == (53.361337, -6.50562)
    assert fix.speed == pytest.approx(0.02 * 1.852) and fix.direction == 31.66
    gps.feed(DUBLIN_GGA)  # the same epoch's GGA keeps RMC's speed and course
    assert gps.fix_for(START) == fix
    gps.feed(OREGON_GGA)  # a GGA alone: position, no speed (the RMC is of another place)
    clock.advance(seconds=6)
    gps.feed(OREGON_GGA)
    later = gps.fix_for(clock())
    assert later is not None and later.speed is None
    assert (round(later.latitude, 5), round(later.longitude, 5)) == (44.06901, -121.31433)
    assert later.fields() == {"lat": 44.069006, "lon": -121.3143268}
    gps.feed(OREGON_RMC)  # RMC without a course: speed only
    rmc = gps.fix_for(clock())
    assert rmc is not None and rmc.direction is None and rmc.speed == pytest.approx(0.270392)
    assert gps.stats["fix"] == 5


@pytest.mark.parametrize(
    "bad",
    [
        DUBLIN_GGA[:-2] + "77",  # wrong checksum
        DUBLIN_GGA.replace("5321.6802", "5421.6802"),  # a changed digit, checksum as before
        DUBLIN_GGA.partition("*")[0],  # no checksum at all
    ],
)
def test_a_sentence_with_a_bad_or_missing_checksum_changes_nothing(
    bad: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    gps = _receiver(clock)
    with caplog.at_level(logging.WARNING, "trustlpr.recognize.gps"):
        gps.feed(bad)
    assert gps.fix_for(START) is None and gps.stats["bad_checksum"] == 1
    assert "bad_checksum" in caplog.text
    gps.feed(OREGON_GGA)
    gps.feed(bad)  # nor does it move a fix that is there
    fix = gps.fix_for(START)
    assert fix is not None and round(fix.latitude, 3) == 44.069


def test_garbage_and_other_sentences_are_ignored() -> None:
    gps = _receiver(FakeClock(START))
    for line in ["", "hello", "$GPXYZ,1,2*00", SATELLITES, "\x00\xff"]:
        gps.feed(line)
    assert gps.fix_for(START) is None
    assert gps.stats["other"] == 1 and gps.stats["fix"] == 0


@pytest.mark.parametrize("no_fix", [NO_FIX_RMC, NO_FIX_GGA])
def test_a_no_fix_sentence_clears_the_fix(no_fix: str, caplog: pytest.LogCaptureFixture) -> None:
    gps = _receiver(FakeClock(START))
    gps.feed(no_fix)
    assert gps.fix_for(START) is None  # before any fix
    gps.feed(DUBLIN_RMC)
    assert gps.fix_for(START) is not None
    with caplog.at_level(logging.WARNING, "trustlpr.recognize.gps"):
        gps.feed(no_fix)
    assert gps.fix_for(START) is None and gps.stats["no_fix"] == 2
    assert "lost its fix" in caplog.text


def test_a_stale_fix_gives_no_position() -> None:
    clock = FakeClock(START)
    gps = _receiver(clock, max_age=5.0)
    gps.feed(DUBLIN_GGA)
    assert gps.fix_for(START + timedelta(seconds=5)) is not None
    assert gps.fix_for(START - timedelta(seconds=6)) is None  # a read from before the fix
    clock.advance(seconds=5.5)
    assert gps.fix_for(START) is None  # the receiver went quiet: the fix is too old now
    with pytest.raises(InputError, match="above 0"):
        NmeaReceiver(max_age=0)


def test_a_fixed_position_is_parsed_and_checked() -> None:
    pole = FixedPosition.parse("41.31,-72.93")
    fix = pole.fix_for(START)
    assert fix is not None and fix.fields() == {"lat": 41.31, "lon": -72.93}
    for bad in ["41.31", "41.31;-72.93", "north,west", "91,0", "0,181", "nan,0"]:
        with pytest.raises(InputError, match="--position"):
            FixedPosition.parse(bad)


def _wait_for_fix(gps: NmeaReceiver) -> None:
    deadline = time.monotonic() + 10
    while gps.fix_for(datetime.now(UTC)) is None:
        assert time.monotonic() < deadline, f"no fix read: {gps.stats}"
        time.sleep(0.02)


def test_the_receiver_reads_a_file_a_pipe_and_a_serial_device(tmp_path: Path) -> None:
    recorded = tmp_path / "drive.nmea"
    recorded.write_text(f"{SATELLITES}\r\n{DUBLIN_GGA}\r\n{DUBLIN_RMC}\r\n")
    gps = open_receiver(str(recorded))
    _wait_for_fix(gps)
    gps.close()

    pipe = tmp_path / "gps.fifo"
    os.mkfifo(pipe)
    gps = open_receiver(str(pipe))
    with pipe.open("w") as writer:
        writer.write(f"{NO_FIX_GGA}\r\n{OREGON_GGA}\r\n")
    _wait_for_fix(gps)
    gps.close()

    controller, device = os.openpty()  # a pty is a character device, as /dev/ttyUSB0 is
    try:
        gps = open_receiver(os.ttyname(device), baud=9600)
        os.write(controller, f"{OREGON_RMC}\r\n".encode())
        _wait_for_fix(gps)
        fix = gps.fix_for(datetime.now(UTC))
        assert fix is not None and fix.speed is not None
        gps.close()
    finally:
        os.close(controller)
        os.close(device)

    with pytest.raises(ConfigError, match="--gps"):
        open_receiver(str(tmp_path / "no-such-device"))


def _plate_pass(plate: str, at: datetime) -> PlatePass:
    return PlatePass(plate, 0.9, (), None, Box(0, 0, 10, 5, 0.9), 0, at, 0.0, 0.1, 3)


def test_the_agent_sends_reads_with_the_fix_and_refuses_them_without_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    gps = _receiver(clock)
    spool = Spool(tmp_path / "spool.sqlite")
    client = NodeClient("http://127.0.0.1:9", "cam_x")  # never reached: nothing is run
    agent = CameraAgent(
        None,  # type: ignore[arg-type]  # no recognition: the passes are given
        spool,
        Forwarder(spool, client),
        AgentConfig("car3"),
        position=gps,
    )
    try:
        with caplog.at_level(logging.WARNING, "trustlpr.recognize.agent"):
            agent._pass(_plate_pass("AB1234", START))  # no fix yet
        assert agent.report.no_fix == 1 and "no GPS fix" in caplog.text
        gps.feed(DUBLIN_RMC)
        agent._pass(_plate_pass("CD5678", START))
        clock.advance(seconds=30)  # the receiver went quiet
        agent._pass(_plate_pass("EF9012", clock()))
        gps.feed(NO_FIX_GGA)
        agent._pass(_plate_pass("GH3456", clock()))
        [sent] = spool.peek(10)
        assert sent.body["plate"] == "CD5678"
        assert (sent.body["lat"], sent.body["lon"]) == (53.3613367, -6.50562)
        assert sent.body["direction"] == 31.66 and sent.body["speed"] == pytest.approx(0.04)
        assert (agent.report.reads, agent.report.no_fix) == (1, 3)
    finally:
        spool.close()
        client.close()
