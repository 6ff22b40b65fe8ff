"""The admin socket: how a command reaches the service that holds a data directory.

One process at a time holds the audit log's writer lock; while ``trustlpr serve`` holds it,
a command that changes something cannot open the node itself. The service therefore listens
on ``<data_dir>/admin.sock`` too, a Unix socket with mode 0600 in the 0700 data directory:
only the operating-system account that owns the data directory can connect, which is the
account that could open the directory itself when the service is stopped. So the socket
trusts its callers exactly as far as direct file access would — changes are still signed
(an API token, or a user id and console password), and unsigned set-up changes are allowed
as they are in-process — and no more. The HTTP API (``POST /api/v1/admin/{action}``) runs the
same actions but only for a bearer token: it may face a network.

Socket addresses are limited to 107 bytes on Linux; a deeper data directory is reached through
``/proc/self/fd/<fd of the directory>/admin.sock``, which names the same file.
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ..audit.log import writer_running
from ..audit.service import AUDIT_DIR
from ..core import errors
from ..core.errors import (
    AuthError,
    ConfigError,
    InputError,
    OverloadedError,
    PolicyDenied,
    TrustLPRError,
)
from .actions import Credential, Result

__all__ = ["SOCKET_FILE", "AdminClient", "bind_socket", "service_running", "socket_path"]

SOCKET_FILE = "admin.sock"
_MAX_ADDRESS = 100  # bytes; sun_path holds 108 with its NUL
TIMEOUT = httpx.Timeout(30.0, read=900.0)  # a bulk import hashes one key per camera


def socket_path(data_dir: Path) -> Path:
    return data_dir / SOCKET_FILE


def service_running(data_dir: Path) -> bool:
    """Whether a process (``trustlpr serve``) holds the node's audit log for writing."""
    return writer_running(data_dir / AUDIT_DIR)


@contextmanager
def _address(path: Path) -> Iterator[str]:
    """An address for ``path`` that fits ``sun_path`` (see the module docstring)."""
    if len(os.fsencode(path)) <= _MAX_ADDRESS:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def bind_socket(data_dir: Path) -> socket.socket:
    """The service's listening admin socket at ``<data_dir>/admin.sock``, mode 0600 before
    it has its name (bound under a temporary name, then renamed over a stale one)."""
    final = socket_path(data_dir)
    staging = data_dir / f".admin-{os.getpid()}.sock"
    staging.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _address(staging) as address:
            sock.bind(address)
        os.chmod(staging, 0o600)
        os.replace(staging, final)
        sock.listen(64)
    except OSError as exc:
        sock.close()
        staging.unlink(missing_ok=True)
        raise ConfigError(f"cannot open the admin socket {final}: {exc.strerror}") from exc
    return sock


def _authorization(credential: Credential) -> dict[str, str]:
    if credential.token:
        return {"Authorization": f"Bearer {credential.token}"}
    if credential.user is not None:
        pair = f"{credential.user}:{credential.password or ''}".encode()
        return {"Authorization": f"Basic {base64.b64encode(pair).decode('ascii')}"}
    return {}


class AdminClient:
    """Runs actions in the service holding ``data_dir``, over its admin socket."""

    def __init__(self, data_dir: Path) -> None:
        self.path = socket_path(data_dir)

    def call(self, action: str, args: dict[str, object], credential: Credential) -> Result:
        """The action's result, or the service's refusal raised as the same error class the
        action raises in-process (so exit codes do not depend on the path)."""
        if not self.path.exists():
            raise ConfigError(
                f"a service holds {self.path.parent} but offers no admin socket "
                f"({SOCKET_FILE}); stop it, or upgrade it to this version"
            )
        with _address(self.path) as address:
            transport = httpx.HTTPTransport(uds=address)
            with httpx.Client(
                transport=transport, base_url="http://trustlpr-admin", timeout=TIMEOUT
            ) as client:
                try:
                    response = client.post(
                        f"/api/v1/admin/{action}", json=args, headers=_authorization(credential)
                    )
                except httpx.TransportError as exc:
                    raise ConfigError(
                        f"the service holding {self.path.parent} did not answer on its admin "
                        f"socket: {exc}"
                    ) from exc
        if response.status_code >= 400:
            raise error_of(response)
        result: Result = response.json()
        return result


def _subclasses(root: type[TrustLPRError]) -> Iterator[type[TrustLPRError]]:
    for cls in root.__subclasses__():
        yield cls
        yield from _subclasses(cls)


_BY_NAME = {
    cls.__name__: cls for cls in _subclasses(TrustLPRError) if cls.__module__ == errors.__name__
}
_BY_STATUS: dict[int, type[TrustLPRError]] = {
    401: AuthError,
    403: errors.ForbiddenError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    413: errors.TooLargeError,
    422: InputError,
}


def error_of(response: httpx.Response) -> TrustLPRError:
    """The ``TrustLPRError`` an error answer (``web.deps.error_response``) stands for."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or f"the service answered {response.status_code}")
    cls = _BY_NAME.get(str(body.get("error"))) or _BY_STATUS.get(response.status_code)
    cls = cls or TrustLPRError
    error = cls.__new__(cls)
    TrustLPRError.__init__(error, detail)
    if isinstance(error, InputError):
        error.reason, error.field, error.line = detail, body.get("field"), body.get("line")
    if isinstance(error, PolicyDenied):
        error.reasons = [str(r) for r in body.get("reasons") or []]
    if isinstance(error, OverloadedError):
        error.retry_after = float(response.headers.get("retry-after", "1"))
    return error
