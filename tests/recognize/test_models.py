"""Model files come from configuration and are checked against their pins before use."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trustlpr import assets
from trustlpr.core.errors import ConfigError
from trustlpr.recognize import ModelFiles, Recognizer, models_dir
from trustlpr.recognize.models import FILES


def test_models_dir_precedence(tmp_path: Path, models: Path) -> None:
    env = {"TRUSTLPR_MODELS_DIR": str(models)}
    assert models_dir(tmp_path, env=env) == tmp_path  # --models first
    assert models_dir(None, env=env, shared_dir=tmp_path) == models
    assert models_dir(None, env={}, shared_dir=models.parent) == models
    assert models_dir(None, env={}) == assets.MODELS_DIR  # the packaged copy last
    with pytest.raises(ConfigError, match="TRUSTLPR_MODELS_DIR"):
        models_dir(None, env={"TRUSTLPR_MODELS_DIR": str(tmp_path / "nowhere")})


def _copy(models: Path, target: Path) -> Path:
    for relative in FILES.values():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(models / relative, target / relative)
    return target


def test_a_missing_model_file_is_named(tmp_path: Path, models: Path) -> None:
    root = _copy(models, tmp_path)
    (root / FILES["ocr"]).unlink()
    with pytest.raises(ConfigError, match=r"cct_xs_v2_global\.onnx is missing"):
        Recognizer(ModelFiles(root))


def test_an_altered_model_file_is_refused_before_use(tmp_path: Path, models: Path) -> None:
    root = _copy(models, tmp_path)
    detector = root / FILES["detector"]
    data = bytearray(detector.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one weight
    detector.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match=r"yolo-v9-t-416.*not the pinned"):
        Recognizer(ModelFiles(root))
    (root / FILES["patterns"]).write_text("base\t@@@###\n")
    with pytest.raises(ConfigError, match=r"us\.patterns.*not the pinned"):
        ModelFiles(root).path("patterns")


def test_the_packaged_models_load_and_read(us_photos: list) -> None:
    recognizer = Recognizer.open(None)  # nothing configured: the copy in the package
    assert recognizer.files.root == assets.MODELS_DIR
    from trustlpr.recognize import load_image

    sample = us_photos[0]
    result = recognizer.recognize(load_image(sample.path))
    assert result.best is not None and result.best.box.iou(sample.box) > 0.5
