"""The one error tree of TrustLPR.

Every error the project raises on purpose is a ``TrustLPRError``. Faces translate them: the CLI
prints the message and exits with ``exit_code``; the web layer answers with ``http_status``.
Library errors are translated at the boundary (``raise StoreError(...) from exc``).

::

    TrustLPRError
    ├── ConfigError              configuration missing, invalid, or refused (e.g. a placeholder key)
    ├── InputError               input that cannot be accepted; names the field and line
    │   ├── PlateError           a plate that fails normalisation
    │   ├── FormatError          a file that is not of the expected format at all
    │   └── TooLargeError        a request body or upload over its size limit (413)
    ├── NotFoundError            a named thing (camera, user, entry, day) does not exist
    ├── ConflictError            the request clashes with current state (duplicate, decided)
    ├── AuthError                no or invalid credentials
    │   ├── ForbiddenError       valid credentials, but not allowed to do this
    │   └── SignatureRefused     a node's signed request or answer (RFC 9421) is refused
    ├── PolicyError              a policy file is invalid or fails schema validation
    ├── PolicyDenied             a request was judged and denied; carries the reasons
    ├── StoreError               the read store failed
    │   └── KeyDestroyedError    the keys of the asked-for day were destroyed (data expired)
    ├── AuditError               the audit log could not be written or read
    │   └── VerificationError    a proof, checkpoint, signature or log failed verification
    ├── PeerUnavailableError     another agency's node is down, slow, or answered nonsense
    └── OverloadedError          a bounded queue is full; retry later
        ├── RateLimitedError     one client (e.g. a camera) exceeded its rate limit (429)
        └── BusUnavailableError  the message bus (NATS JetStream) did not acknowledge in time
"""

from __future__ import annotations

from collections.abc import Sequence


class TrustLPRError(Exception):
    """Root of every error TrustLPR raises on purpose."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(TrustLPRError):
    """Raised when configuration is missing, invalid, or refused (e.g. a placeholder root key)."""

    exit_code = 78
    http_status = 500


class InputError(TrustLPRError):
    """Raised when input cannot be accepted. ``field`` and ``line`` say where, when known."""

    exit_code = 65
    http_status = 422

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        where = []
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.reason = message
        self.field = field
        self.line = line

    def at_line(self, line: int) -> InputError:
        """The same error, located at ``line`` of a file."""
        located = type(self).__new__(type(self))
        InputError.__init__(located, self.reason, field=self.field, line=line)
        return located


class PlateError(InputError):
    """Raised when a plate fails normalisation (empty, bad character, too short or long)."""


class FormatError(InputError):
    """Raised when a whole file is not of the expected format (e.g. required columns missing)."""


class TooLargeError(InputError):
    """Raised when a request body or an upload exceeds its size limit; nothing was read past it."""

    http_status = 413


class NotFoundError(TrustLPRError):
    """Raised when a named thing (camera, user, audit entry, day) does not exist."""

    exit_code = 66
    http_status = 404


class ConflictError(TrustLPRError):
    """Raised when a request clashes with current state (duplicate id, already decided)."""

    exit_code = 65
    http_status = 409


class AuthError(TrustLPRError):
    """Raised when credentials are missing or invalid."""

    exit_code = 77
    http_status = 401


class ForbiddenError(AuthError):
    """Raised when valid credentials are not allowed to do what was asked."""

    http_status = 403


class SignatureRefused(AuthError):
    """Raised when a message signed by another node (RFC 9421) is refused: unsigned, signed by
    an unpinned, removed or retired key, outside its window, with a replayed nonce, or with a
    body that does not match its digest. ``reason`` is the code (``replayed_nonce``...),
    ``peer`` the agency behind the key when it is known; neither holds personal data."""

    def __init__(self, message: str, *, reason: str, peer: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.peer = peer


class PolicyError(TrustLPRError):
    """Raised when a policy file is invalid, or its Cedar form fails schema validation."""

    exit_code = 78
    http_status = 500


class PolicyDenied(TrustLPRError):
    """Raised when a request was judged and denied; ``reasons`` says by which rules and why."""

    exit_code = 3
    http_status = 403

    def __init__(self, message: str, reasons: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reasons = list(reasons)


class StoreError(TrustLPRError):
    """Raised when the read store fails (I/O, corrupt partition, backend error)."""

    exit_code = 74
    http_status = 500


class KeyDestroyedError(StoreError):
    """Raised when the keys of a day were destroyed, so its data can no longer be read."""

    http_status = 410


class AuditError(TrustLPRError):
    """Raised when the audit log cannot be written or read."""

    exit_code = 74
    http_status = 500


class VerificationError(AuditError):
    """Raised when a proof, checkpoint, signature or the log itself fails verification."""

    exit_code = 2
    http_status = 422


class PeerUnavailableError(TrustLPRError):
    """Raised when another agency's node could not be reached, did not answer before its
    deadline, or answered with something that is not a document or answer at all."""

    exit_code = 69
    http_status = 502


class OverloadedError(TrustLPRError):
    """Raised when a bounded queue is full; ``retry_after`` is a hint in seconds."""

    exit_code = 75
    http_status = 503

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitedError(OverloadedError):
    """Raised when one client (e.g. a camera key) sends faster than its limit; others go on."""

    http_status = 429


class BusUnavailableError(OverloadedError):
    """Raised by an ingest front-end when the message bus (NATS JetStream) is unreachable or
    did not acknowledge a batch in time: nothing of it is accepted, the camera retries (503);
    also by the purge when it cannot reach the bus to erase a destroyed day."""


class WriterFencedError(BusUnavailableError):
    """Raised by ``serve --role writer`` when the process lost its node's writer lease (it
    expired while the process stalled or was cut off from NATS, or another writer holds it):
    it has committed nothing since, shut down, and exits 75 so its supervisor starts it
    again as a standby (bus.lease)."""
