"""Every packaged third-party file matches its pinned SHA-256 and travels with its licence."""

from __future__ import annotations

from pathlib import Path

from trustlpr import assets

ROOT = Path(__file__).resolve().parents[2]
OWN = {"__init__.py", assets.SUMS_FILE}


def _packaged() -> set[str]:
    return {
        p.relative_to(assets.ROOT).as_posix()
        for p in assets.ROOT.rglob("*")
        if p.is_file() and p.name not in OWN and "__pycache__" not in p.parts
    }


def test_every_packaged_file_is_pinned_and_matches_its_pin() -> None:
    pins = assets.pinned()
    assert _packaged() == set(pins), "SHA256SUMS must list exactly the packaged files"
    wrong = [
        name for name, digest in pins.items() if assets.sha256_of(assets.ROOT / name) != digest
    ]
    assert wrong == []


def test_every_packaged_folder_has_its_licence_and_origin_note() -> None:
    for folder in {(assets.ROOT / name).parent for name in _packaged()}:
        names = {p.name for p in folder.iterdir()}
        assert any(n.startswith("LICENSE") for n in names), f"{folder} has no licence file"
        assert "README.md" in names, f"{folder} has no origin note"


def test_third_party_md_lists_every_packaged_file() -> None:
    text = (ROOT / "THIRD_PARTY.md").read_text(encoding="utf-8")
    missing = [name for name in sorted(_packaged()) if f"`{name}`" not in text]
    assert missing == []


def test_the_project_has_the_agpl_licence_text() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in licence and "Version 3" in licence
    assert len(licence) > 30_000  # the full text, not a pointer to it
    assert licence == (assets.ROOT / "models" / "openalpr" / "LICENSE.AGPL-3.0").read_text()


def test_the_packaged_models_are_the_shared_ones(shared_dir: Path) -> None:
    for name in assets.pinned():
        if name.startswith("models/") and name.endswith((".onnx", ".patterns", ".xml")):
            shared = shared_dir / name
            assert assets.sha256_of(shared) == assets.pinned()[name], name


def test_without_a_shared_dir_the_demo_places_its_cameras_from_the_packaged_copy(
    tmp_path: Path, shared_dir: Path
) -> None:
    from trustlpr.settings import Settings
    from trustlpr.sim.sites import load_sites

    alone = Settings.load(tmp_path, env={})
    assert alone.data_root() == assets.ROOT
    sites, state = load_sites(alone.data_root(), "New Haven")  # what `trustlpr demo` uses
    assert state == "CT" and len(sites) > 50
    configured = Settings.load(tmp_path, env={"TRUSTLPR_SHARED_DIR": str(shared_dir)})
    assert configured.data_root() == shared_dir  # configuration still overrides
    assert load_sites(configured.data_root(), "New Haven")[0] == sites
