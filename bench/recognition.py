"""Plate recognition accuracy and speed over labelled photos, against the reference pipeline.

``--data DIR`` is a directory in the shared layout: ``NAME.jpg`` + ``NAME.txt`` holding
``file, x, y, w, h, PLATE`` (tab-separated; ``us_photos``, ``eu_photos``), or OpenALPR's crop
layout ``groundtruth.csv`` (``file, state, PLATE``) + ``images/`` (``us_crops``: OCR alone, no
detector). The reference is what the model READMEs measured: detector box → crop without
margin → ``cct_xs_v2_global`` → the box with the best detector × OCR confidence, no
post-processing. Both are timed on decoded images, alternating image by image (ABAB, the
order swapped every image and round, ``_rounds.interleave``); ``ratio`` is the median over
rounds of ours / reference median ms per round.

``--video`` instead assembles a 1080p video from the photos (each plate drives across the
frame once) and measures sustained frames per second and reads per vehicle pass.

Last line: one JSON object (``n, accuracy_strict, accuracy_folded, detection_recall,
median_ms, p95_ms, baseline_accuracy_folded, baseline_median_ms, ratio, ratio_min,
ratio_max`` …).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from _common import emit, percentile
from _rounds import alternate, interleave
from trustlpr.recognize import Box, Recognizer, load_image
from trustlpr.recognize.detector import YoloDetector
from trustlpr.recognize.models import ModelFiles, models_dir
from trustlpr.recognize.ocr import PlateOCR
from trustlpr.recognize.tracker import read_passes
from trustlpr.recognize.video import VideoFile


@dataclass
class Sample:
    name: str
    image: np.ndarray
    plates: list[str]
    boxes: list[Box]


def load_samples(data: Path, limit: int | None) -> tuple[list[Sample], bool, float]:
    """The labelled samples, whether they are crops (OCR alone), and median decode ms."""
    samples: list[Sample] = []
    decode: list[float] = []
    crops = (data / "groundtruth.csv").is_file()
    if crops:
        with (data / "groundtruth.csv").open(newline="") as handle:
            rows = [(r[0], r[2]) for r in csv.reader(handle) if len(r) >= 3]
        items = [(data / "images" / name, [plate], []) for name, plate in rows]
    else:
        items = []
        for label in sorted(data.glob("*.txt")):
            plates, boxes = [], []
            for line in label.read_text().splitlines():
                parts = line.split("\t")
                if len(parts) == 6:
                    x, y, w, h = (float(v) for v in parts[1:5])
                    boxes.append(Box(x, y, x + w, y + h, 1.0))
                    plates.append(parts[5].strip().upper())
            if plates:
                items.append((label.with_suffix(".jpg"), plates, boxes))
    for path, plates, boxes in items[:limit]:
        start = time.perf_counter()
        image = load_image(path)
        decode.append((time.perf_counter() - start) * 1000)
        samples.append(Sample(path.name, image, plates, boxes))
    return samples, crops, statistics.median(decode)


class Reference:
    """Detector box → bare crop → cct_xs_v2_global; best detector × OCR confidence."""

    def __init__(self, files: ModelFiles, threads: int | None = None) -> None:
        self.detector = YoloDetector(files.path("detector"), threads=threads)
        self.ocr = PlateOCR(files.path("ocr"), files.path("ocr_config"), threads=threads)

    def read(self, image: np.ndarray, crop_only: bool) -> str | None:
        if crop_only:
            h, w = image.shape[:2]
            boxes = [Box(0, 0, w, h, 1.0)]
        else:
            boxes = self.detector.detect(image)
        if not boxes:
            return None
        crops = [image[int(b.y1) : int(b.y2), int(b.x1) : int(b.x2)] for b in boxes]
        batch = self.ocr.read(crops).chars
        alphabet, pad = self.ocr.config.alphabet, self.ocr.config.pad_char
        best: tuple[float, str] | None = None
        for box, chars in zip(boxes, batch, strict=True):
            text = "".join(alphabet[i] for i in chars.argmax(1)).replace(pad, "")
            score = box.score * float(np.prod(chars.max(1)))
            if text and (best is None or score > best[0]):
                best = (score, text)
        return best[1] if best else None


def fold(plate: str | None) -> str | None:
    return plate.replace("O", "0") if plate else plate


def ours(recognizer: Recognizer, sample: Sample, crop_only: bool) -> tuple[str | None, list[Box]]:
    if crop_only:
        read = recognizer.read_plate(sample.image)
        return (read.plate if read else None), []
    result = recognizer.recognize(sample.image)
    return (result.best.plate if result.best else None), [r.box for r in result.reads]


def run(args: argparse.Namespace) -> dict[str, object]:
    samples, crop_only, decode_ms = load_samples(args.data, args.limit)
    files = ModelFiles(models_dir(args.models))
    recognizer = Recognizer(files, second_opinion=not args.no_second_opinion, threads=args.threads)
    reference = Reference(files, args.threads)
    got: dict[str, str | None] = {}
    ref: dict[str, str | None] = {}
    seen: dict[str, list[Box]] = {}

    def mine(sample: Sample) -> None:
        got[sample.name], seen[sample.name] = ours(recognizer, sample, crop_only)

    def theirs(sample: Sample) -> None:
        ref[sample.name] = reference.read(sample.image, crop_only)

    times = interleave(samples, {"ours": mine, "reference": theirs}, args.rounds, warmup=2)
    strict = folded = found = labelled = ref_folded = 0
    misses: list[str] = []
    for sample in samples:
        truth = {fold(p) for p in sample.plates}
        strict += got[sample.name] in sample.plates
        folded += fold(got[sample.name]) in truth
        ref_folded += fold(ref[sample.name]) in truth
        if fold(got[sample.name]) not in truth:
            misses.append(f"{sample.name}: {sample.plates[0]} read {got[sample.name]}")
        for box in sample.boxes:
            labelled += 1
            found += any(b.iou(box) > 0.3 for b in seen[sample.name])
    n = len(samples)
    ratio = times.rounds("ours", "reference", statistics.median).ratio()
    all_ours, all_ref = times.all("ours"), times.all("reference")
    if args.show_misses:
        print("\n".join(misses), file=sys.stderr)
    return {
        "data": args.data.name,
        "mode": "ocr-only" if crop_only else "detector+ocr",
        "n": n,
        "accuracy_strict": round(strict / n, 4),
        "accuracy_folded": round(folded / n, 4),
        "detection_recall": round(found / labelled, 4) if labelled else None,
        "median_ms": round(statistics.median(all_ours), 2),
        "p95_ms": round(percentile(all_ours, 0.95), 2),
        "baseline_accuracy_folded": round(ref_folded / n, 4),
        "baseline_median_ms": round(statistics.median(all_ref), 2),
        "baseline_p95_ms": round(percentile(all_ref, 0.95), 2),
        "decode_median_ms": round(decode_ms, 2),
        **ratio,
        "threads": args.threads or 1,
    }


# -- video ------------------------------------------------------------------------------------


def write_video(path: Path, samples: list[Sample], seconds: float, fps: int = 25) -> list[str]:
    """A 1080p video: each photo drives across the frame in 1.6 s, 0.8 s of road between;
    returns the plates of the passes in order."""
    width, height = 1920, 1080
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    road = np.full((height, width, 3), 96, np.uint8)
    passes: list[str] = []
    frames, total = 0, int(seconds * fps)
    for sample in samples:
        if frames + 60 > total:
            break
        image = cv2.cvtColor(sample.image, cv2.COLOR_RGB2BGR)
        scale = min(0.7 * height / image.shape[0], 0.6 * width / image.shape[1])
        scaled = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        sh, sw = scaled.shape[:2]
        top = (height - sh) // 2
        for k in range(40):
            frame = road.copy()
            left = round((width - sw) * k / 39)
            frame[top : top + sh, left : left + sw] = scaled
            writer.write(frame)
        for _ in range(20):
            writer.write(road)
        frames += 60
        passes.append(sample.plates[0])
    writer.release()
    return passes


def video_round(path: Path, recognizer: Recognizer, reference: Reference | None) -> dict[str, Any]:
    """One pass over the video at 10 fps: ours (tracker) or the reference (a read per frame)."""
    video = VideoFile(path, fps=10.0)
    start = time.perf_counter()
    frames = 0
    plates: list[str] = []
    if reference is None:
        for found in read_passes(recognizer.recognize, video.frames()):
            plates.append(found.plate)
        frames = video.sampled_count
    else:
        for frame in video.frames():
            frames += 1
            if read := reference.read(frame.image, False):
                plates.append(read)
    elapsed = time.perf_counter() - start
    return {
        "seconds": elapsed,
        "frames": frames,
        "plates": plates,
        "rate": video.native_fps / video.step,
    }


def run_video(args: argparse.Namespace) -> dict[str, object]:
    data = args.data or Path(__file__).resolve().parents[2] / "shared/data/plates/us_photos"
    samples, _, _ = load_samples(data, args.limit)
    files = ModelFiles(models_dir(args.models))
    recognizer = Recognizer(files, threads=args.threads)
    reference = Reference(files, args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "drive-1080p.mp4"
        truth = write_video(path, samples, args.seconds)
        duration = len(truth) * 60 / 25
        ours: list[dict[str, Any]] = []
        ref: list[dict[str, Any]] = []

        def mine(_k: int) -> float:
            ours.append(video_round(path, recognizer, None))
            return float(ours[-1]["frames"] / ours[-1]["seconds"])

        def theirs(_k: int) -> float:
            ref.append(video_round(path, recognizer, reference))
            return float(ref[-1]["frames"] / ref[-1]["seconds"])

        rounds = alternate(mine, theirs, args.rounds)
    fps, ref_fps = rounds.ours, rounds.baseline
    plates = ours[0]["plates"]
    right = sum(fold(p) == fold(t) for p, t in zip(plates, truth, strict=False))
    return {
        "mode": "video",
        "resolution": "1920x1080",
        "video_seconds": duration,
        "passes": len(truth),
        "sampled_fps": ours[0]["rate"],
        "fps": round(statistics.median(fps), 2),
        "realtime_factor": round(statistics.median(fps) / ours[0]["rate"], 2),
        "reads": len(plates),
        "reads_per_pass": round(len(plates) / len(truth), 3),
        "passes_read_right": right,
        "baseline_fps": round(statistics.median(ref_fps), 2),
        "baseline_reads_per_pass": round(len(ref[0]["plates"]) / len(truth), 2),
        **rounds.ratio(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="labelled directory (shared layout)")
    parser.add_argument("--models", type=Path, help="models directory (default: configured)")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds (ABAB)")
    parser.add_argument("--limit", type=int, help="only the first N samples")
    parser.add_argument("--threads", type=int, help="onnxruntime threads per model (default 1)")
    parser.add_argument("--no-second-opinion", action="store_true")
    parser.add_argument("--show-misses", action="store_true", help="list misreads on stderr")
    parser.add_argument("--video", action="store_true", help="fps and reads per pass instead")
    parser.add_argument("--seconds", type=float, default=20.0, help="--video: its length")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()
    if args.data is None and not args.video:
        parser.error("--data DIR is required (e.g. ../shared/data/plates/us_photos)")
    emit(run_video(args) if args.video else run(args), args.json)


if __name__ == "__main__":
    main()
