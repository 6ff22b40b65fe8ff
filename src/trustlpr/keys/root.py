"""The root secret: it wraps the per-day secrets, so it never encrypts reads itself.

It lives in ``<data_dir>/root.key`` (mode 0600, created by ``trustlpr init``) or comes from
``TRUSTLPR_ROOT_KEY`` (32 bytes as base64 or hex). Placeholder and low-entropy values are
refused: a guessable root key would unwrap every retained day.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from ..core.errors import ConfigError

ROOT_KEY_FILE = "root.key"
ROOT_KEY_ENV = "TRUSTLPR_ROOT_KEY"
_KEY_BYTES = 32


def _decode(text: str, source: str) -> bytes:
    text = text.strip()
    raw: bytes | None = None
    if len(text) == 2 * _KEY_BYTES:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != _KEY_BYTES:
        raise ConfigError(f"{source} must hold {_KEY_BYTES} bytes as base64 or hex")
    if len(set(raw)) < 16:
        raise ConfigError(f"{source} looks like a placeholder (few distinct bytes); refusing it")
    return raw


def create_root_key(data_dir: Path) -> Path:
    """Writes a fresh random root key with mode 0600; refuses to overwrite an existing one."""
    path = data_dir / ROOT_KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigError(f"{path} already exists; refusing to replace a root key") from exc
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path


def load_root_key(data_dir: Path, env: Mapping[str, str] | None = None) -> bytes:
    """The root key from the environment, else from the data directory (checking its mode)."""
    env = os.environ if env is None else env
    if env.get(ROOT_KEY_ENV):
        return _decode(env[ROOT_KEY_ENV], ROOT_KEY_ENV)
    path = data_dir / ROOT_KEY_FILE
    if not path.is_file():
        raise ConfigError(f"no root key at {path}; run `trustlpr init` or set {ROOT_KEY_ENV}")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(f"{path} has mode {mode:o}; it must be 0600 (chmod 600 {path})")
    return _decode(path.read_text(encoding="ascii", errors="replace"), str(path))
