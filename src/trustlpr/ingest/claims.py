"""Whom a read may speak for: one set of rules, and their messages, for every way in.

Camera ingest (``IngestService``) knows the sender from its key; a file fed to ``trustlpr
ingest`` has no key, so each line names its camera and is held to the same rules: the camera
must be registered and enabled, and a read may not claim another agency than its camera's.
The operator may let reads of unregistered cameras in (``--allow-unregistered-cameras``, for
history from cameras no longer installed); those must still belong to the node's own agency.
"""

from __future__ import annotations

from dataclasses import replace

from ..cameras import CameraRegistry
from ..core.errors import NotFoundError
from ..core.identity import Camera
from ..core.reads import Read
from .parsing import no_position


def other_agency(camera_id: str, agency_id: str, claimed: str) -> str:
    """The refusal of a read that claims another agency than its camera's."""
    return f"camera {camera_id!r} belongs to agency {agency_id!r}, not {claimed[:64]!r}"


def disabled(camera_id: str) -> str:
    """The refusal of a read from a disabled camera."""
    return f"camera {camera_id!r} is disabled"


def unregistered(camera_id: str) -> str:
    """The refusal of a file read whose camera this node does not know."""
    return (
        f"camera {camera_id[:64]!r} is not registered on this node (register it with "
        "`trustlpr camera add`, or pass --allow-unregistered-cameras)"
    )


class FileClaims:
    """Checks the reads of a file against the camera registry, line by line.

    ``check`` returns the read as the node stores it (the camera's agency filled in, a fixed
    camera's reads at its registered place, as camera ingest does) or the reason it is
    refused (a mobile camera's read at ``0, 0``, no GPS fix, among them). Lookups are cached
    per camera id for the length of one file.
    """

    def __init__(
        self, cameras: CameraRegistry, owner_agency: str, *, allow_unregistered: bool = False
    ) -> None:
        self._cameras = cameras
        self._owner = owner_agency
        self._allow_unregistered = allow_unregistered
        self._known: dict[str, Camera | None] = {}

    def _camera(self, camera_id: str) -> Camera | None:
        if camera_id not in self._known:
            try:
                self._known[camera_id] = self._cameras.get(camera_id).camera
            except NotFoundError:
                self._known[camera_id] = None
        return self._known[camera_id]

    def check(self, read: Read) -> Read | str:
        camera = self._camera(read.camera_id)
        if camera is None:
            if not self._allow_unregistered:
                return unregistered(read.camera_id)
            if read.agency_id and read.agency_id != self._owner:
                return (
                    f"agency_id {read.agency_id[:64]!r} is not this node's agency "
                    f"{self._owner!r}; an unregistered camera's reads must be the node's own"
                )
            return read if read.agency_id else replace(read, agency_id=self._owner)
        if not camera.enabled:
            return disabled(camera.id)
        if read.agency_id and read.agency_id != camera.agency_id:
            return other_agency(camera.id, camera.agency_id, read.agency_id)
        if camera.mobile:
            if read.latitude == 0.0 and read.longitude == 0.0:
                return no_position(camera, "lat").message
            return replace(read, agency_id=camera.agency_id)
        return replace(
            read,
            agency_id=camera.agency_id,
            latitude=camera.latitude,
            longitude=camera.longitude,
        )
