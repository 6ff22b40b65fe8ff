"""Post-processing over synthetic slot probabilities: beam, formats, ranking, blending."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trustlpr import assets
from trustlpr.core.errors import ConfigError
from trustlpr.recognize.candidates import beam, blend, char_confidences, load_formats, rank
from trustlpr.recognize.ocr import OcrConfig

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
CONFIG = OcrConfig(ALPHABET, "_", 10, 64, 128)
FORMATS = load_formats(assets.MODELS_DIR / "openalpr" / "us.patterns")


def probs(*slots: dict[str, float]) -> np.ndarray:
    """Slot distributions: the given symbols' probabilities, the rest spread thin."""
    out = np.full((10, len(ALPHABET)), 1e-6, np.float32)
    for i in range(10):
        spec = slots[i] if i < len(slots) else {"_": 1.0}
        for symbol, p in spec.items():
            out[i, ALPHABET.index(symbol)] = p
    return out / out.sum(axis=1, keepdims=True)


def plate(text: str, **doubt: dict[str, float]) -> np.ndarray:
    slots = [{ch: 1.0} for ch in text]
    for index, spec in doubt.items():
        slots[int(index[1:])] = spec
    return probs(*slots)


def test_beam_orders_strings_by_probability() -> None:
    chars = plate("ABC123", s2={"C": 0.6, "G": 0.4})
    found = dict(beam(chars, CONFIG))
    assert list(found)[:2] == ["ABC123", "ABG123"]
    assert found["ABC123"] == pytest.approx(np.log(0.6), abs=1e-3)


def test_padding_ends_the_string_and_shorter_readings_compete() -> None:
    chars = probs(*[{ch: 1.0} for ch in "3127K"], {"_": 0.55, "B": 0.45})
    ranked = [c.plate for c in rank(chars, CONFIG, None, None)]
    assert ranked[:2] == ["3127K", "3127KB"]


def test_us_formats_rank_a_reading_a_state_issues_first() -> None:
    # "ABC1234" fits many states; "A8C1234" fits none: equal OCR weight, format decides
    chars = plate("ABC1234", s1={"B": 0.45, "8": 0.55})
    us = rank(chars, CONFIG, FORMATS, "United States")
    assert us[0].plate == "ABC1234" and "PA" in us[0].formats
    assert us[1].plate == "A8C1234" and us[1].formats == ()
    abroad = rank(chars, CONFIG, FORMATS, "Germany")  # formats are for US plates only
    assert abroad[0].plate == "A8C1234"


def test_candidates_confidences_are_string_probabilities() -> None:
    chars = plate("7ABC123", s3={"C": 0.9, "G": 0.1})
    top = rank(chars, CONFIG, FORMATS, None)
    assert top[0].confidence == pytest.approx(0.9, abs=1e-3)
    assert sum(c.confidence for c in top) <= 1.0 + 1e-6
    assert char_confidences(chars, CONFIG)[3] == pytest.approx(0.9, abs=1e-3)


def test_blend_averages_the_slots_both_models_have() -> None:
    a, b = plate("AB1"), plate("AB7")[:9]
    mixed = blend(a, b, 0.5)
    assert mixed.shape == a.shape
    assert mixed[2, ALPHABET.index("1")] == pytest.approx(0.5, abs=1e-3)
    assert np.allclose(mixed[9], a[9])


def test_bad_pattern_files_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "x.patterns"
    bad.write_text("ct\t@@%##\n")
    with pytest.raises(ConfigError, match=r"symbol"):
        load_formats(bad)
    bad.write_text("ct @@@ ###\n")
    with pytest.raises(ConfigError, match="line 1"):
        load_formats(bad)
    assert FORMATS.states("1ABC234")[:1] == ("CA",)
    assert FORMATS.states("ABCDEFGH") == ()
