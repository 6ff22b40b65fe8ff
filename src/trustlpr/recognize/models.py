"""Where the model files are, and that they are the pinned ones.

A models directory has the layout of the shared one: ``open-image-models/…onnx``,
``fast-plate-ocr/…``, ``openalpr/…``. It is chosen by, in order: an explicit directory
(``--models DIR``), ``TRUSTLPR_MODELS_DIR``, the shared directory's ``models/`` when one is
configured, and the copy packaged with TrustLPR. Every file is checked against the SHA-256
pinned in ``trustlpr/assets/SHA256SUMS`` before it is used: a missing or altered file is a
``ConfigError`` naming it, never a model that silently reads plates differently.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .. import assets
from ..core.errors import ConfigError

ENV_VAR = "TRUSTLPR_MODELS_DIR"

# name → path inside a models directory (and, under "models/", in SHA256SUMS)
FILES = {
    "detector": "open-image-models/yolo-v9-t-416-license-plates-end2end-dequant-fp32.onnx",
    "ocr": "fast-plate-ocr/cct_xs_v2_global.onnx",
    "ocr_config": "fast-plate-ocr/cct_xs_v2_global_plate_config.yaml",
    "ocr_second": "fast-plate-ocr/cct_xs_v1_global.onnx",
    "ocr_second_config": "fast-plate-ocr/cct_xs_v1_global_plate_config.yaml",
    "patterns": "openalpr/us.patterns",
    "cascade": "openalpr/us.xml",
}


def models_dir(
    explicit: Path | None = None,
    *,
    shared_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """The models directory configuration points at (see the module docstring)."""
    env = os.environ if env is None else env
    if explicit is not None:
        chosen, how = explicit, "--models"
    elif env.get(ENV_VAR):
        chosen, how = Path(env[ENV_VAR]), ENV_VAR
    elif shared_dir is not None:
        chosen, how = shared_dir / "models", "the shared directory"
    else:
        return assets.MODELS_DIR
    if not chosen.is_dir():
        raise ConfigError(f"models directory {chosen} (from {how}) does not exist")
    return chosen


class ModelFiles:
    """The model files of one directory, each verified once, when first asked for."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._checked: dict[str, Path] = {}

    def path(self, name: str) -> Path:
        """The verified file called ``name`` (a key of ``FILES``)."""
        found = self._checked.get(name)
        if found is None:
            relative = FILES.get(name)
            if relative is None:
                raise ConfigError(f"no model called {name!r}; known: {', '.join(FILES)}")
            found = assets.verify(self.root / relative, f"models/{relative}")
            self._checked[name] = found
        return found

    def __repr__(self) -> str:
        return f"ModelFiles({str(self.root)!r})"
