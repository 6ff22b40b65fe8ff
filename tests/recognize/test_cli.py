"""``trustlpr recognize``: JSON lines, a table, and a batch that survives bad files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from trustlpr.cli import app

from .conftest import Labelled


def run(
    tmp_path: Path, *args: str, models: Path | None = None, columns: int = 40
) -> tuple[int, str, str]:
    env = {
        "COLUMNS": str(columns),
        "TRUSTLPR_SHARED_DIR": "",
        "TRUSTLPR_MODELS_DIR": str(models or ""),
    }
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "d"), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_a_batch_with_bad_files_reads_the_good_ones_and_names_each_bad_one(
    tmp_path: Path, us_photos: list[Labelled], models: Path
) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    good = us_photos[4]
    shutil.copyfile(good.path, batch / "a-good.jpg")
    data = good.path.read_bytes()
    (batch / "b-empty.jpg").write_bytes(b"")
    (batch / "c-truncated.jpg").write_bytes(data[: len(data) // 3])
    (batch / "d-notes.png").write_text("not a picture\n")
    Image.fromarray(np.full((200, 300, 3), 128, np.uint8)).save(batch / "e-road.png")
    (batch / "labels.txt").write_text("skipped: not an image or video\n")
    code, out, err = run(
        tmp_path, "recognize", str(batch), str(tmp_path / "gone.jpg"), models=models
    )
    assert code == 65
    lines = [json.loads(line) for line in out.splitlines()]
    by_file = {Path(line["file"]).name: line for line in lines}
    assert set(by_file) == {"a-good.jpg", "e-road.png"}
    read = by_file["a-good.jpg"]
    assert read["plate"].replace("O", "0") == good.plate.replace("O", "0")
    assert set(read) == {"file", "plate", "confidence", "box", "candidates", "region", "frame"}
    assert read["frame"] is None and len(read["box"]) == 4 and read["region"] == "United States"
    assert by_file["e-road.png"]["plate"] is None  # an image without a plate: a null line
    flat = " ".join(err.split())
    for name, why in [
        ("b-empty.jpg", "empty file"),
        ("c-truncated.jpg", "truncated"),
        ("d-notes.png", "not an image"),
        ("gone.jpg", "no such file"),
    ]:
        assert name in flat and why in flat, (name, flat)
    assert "skipped 1 file" in flat and "Traceback" not in flat


def test_the_table_format_and_the_packaged_models(
    tmp_path: Path, us_photos: list[Labelled]
) -> None:
    code, out, err = run(tmp_path, "recognize", "--format", "table", str(us_photos[0].path))
    assert code == 0, err
    assert us_photos[0].plate[:3] in out.replace("\n", "") or "plates" in out


def test_a_video_gives_pass_lines(tmp_path: Path, us_photos: list[Labelled], models: Path) -> None:
    from .videos import pass_video

    sample = next(s for s in us_photos if s.path.name == "car12.jpg")
    video = tmp_path / "drive.mp4"
    pass_video(video, [sample.path, sample.path], gap_frames=40)
    code, out, err = run(tmp_path, "recognize", "--fps", "10", str(video), models=models)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["plate"] for line in lines] == [sample.plate, sample.plate]
    assert all(isinstance(line["frame"], int) for line in lines)
    assert lines[0]["frame"] < 30 <= lines[1]["frame"]


def test_an_altered_models_directory_is_a_config_error(tmp_path: Path, models: Path) -> None:
    fake = tmp_path / "models"
    shutil.copytree(models, fake)
    (fake / "fast-plate-ocr" / "cct_xs_v2_global.onnx").chmod(0o644)
    with (fake / "fast-plate-ocr" / "cct_xs_v2_global.onnx").open("ab") as handle:
        handle.write(b"\x00")
    code, _, err = run(tmp_path, "recognize", "x.jpg", "--models", str(fake))
    assert code == 78 and "cct_xs_v2_global.onnx" in err and "pinned" in err
