"""matching.places / gazindex: resolving place specs, aliases by rule, the cached index."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from errors import PlaceError
from matching import gazindex
from matching.normalize import fold
from matching.places import Gazetteer

ROOT = Path(__file__).resolve().parent.parent


RESOLVE = [
    ("bare-main-name", "Aleppo", 170063),
    ("bare-alt-name", "Palmyra", 163808),
    ("main-name-other", "Tadmur", 163808),
    ("arabic", "حلب", 170063),
    ("country-name", "Palmyra, Syria", 163808),
    ("country-code", "Palmyra, SY", 163808),
    ("us-admin1", "Palmyra, US-NY", 5130441),
    ("us-state-name", "Palmyra, Pennsylvania", 5204964),
    ("us-postal", "Palmyra, NJ", 5102378),
    ("geonames-id", "geonames:163808", 163808),
    ("geonames-id-spaces", " geonames: 170063 ", 170063),
    ("accents-case", "ḤALAB", 170063),
]


@pytest.mark.parametrize(("spec", "gid"), [r[1:] for r in RESOLVE], ids=[r[0] for r in RESOLVE])
def test_resolve(gazetteer: Gazetteer, spec: str, gid: int) -> None:
    assert gazetteer.resolve(spec).geonameid == gid


@pytest.mark.parametrize(
    "spec",
    ["Qxzzyville", "Palmyra, Atlantis", "Aleppo, US-NY", "geonames:999999999", "geonames:abc", ""],
    ids=["unknown", "bad-qualifier", "not-there", "no-such-id", "not-a-number", "empty"],
)
def test_resolve_errors(gazetteer: Gazetteer, spec: str) -> None:
    with pytest.raises(PlaceError):
        gazetteer.resolve(spec)


def folded_aliases(g: Gazetteer, spec: str) -> set[str]:
    return {fold(a) for a in g.aliases(g.resolve(spec), spec)}


ALIASES = [
    ("aleppo-halab", "Aleppo", "Halab", True),
    ("aleppo-haleb", "Aleppo", "Haleb", True),
    ("aleppo-alep", "Aleppo", "Alep", True),
    ("aleppo-arabic", "Aleppo", "حلب", True),
    ("aleppo-russian", "Aleppo", "Алеппо", True),
    ("aleppo-iata", "Aleppo", "ALP", False),
    ("aleppo-romanised-junk", "Aleppo", "hlb", False),
    ("aleppo-romanised-spaced", "Aleppo", "a lei po", False),
    ("aleppo-berea-other-town", "Aleppo", "Berea", False),
    ("aleppo-veroia-other-town", "Aleppo", "Veroia", False),
    ("aleppo-greek-veroia", "Aleppo", "Βέροια", False),
    ("aleppo-beroea-variant", "Aleppo", "Beroea", False),
    ("palmyra-written", "Palmyra", "Palmyra", True),
    ("palmyra-tadmor", "Palmyra", "Tadmor", True),
    ("palmyra-arabic", "Palmyra", "تدمر", True),
    ("palmyra-iata", "Palmyra", "PMS", False),
    ("palmyra-junk", "Palmyra", "tdmr", False),
    ("palmyra-colombian-city", "Palmyra", "Palmira", False),
    ("by-id-drops-shared-name", "geonames:163808", "Palmyra", False),
    ("by-id-keeps-main", "geonames:163808", "Tadmur", True),
]


@pytest.mark.parametrize(
    ("spec", "alias", "kept"), [a[1:] for a in ALIASES], ids=[a[0] for a in ALIASES]
)
def test_aliases_by_rule(gazetteer: Gazetteer, spec: str, alias: str, kept: bool) -> None:
    assert (fold(alias) in folded_aliases(gazetteer, spec)) is kept


def test_homonyms_and_evidence_helpers(gazetteer: Gazetteer) -> None:
    tadmur = gazetteer.resolve("Palmyra")
    states = {p.admin1 for p in gazetteer.homonyms("Palmyra", tadmur) if p.country_code == "US"}
    assert {"NY", "PA", "NJ"} <= states
    assert "Homs" in {p.name for p in gazetteer.top_of_region(tadmur)}
    ny = gazetteer.resolve("Palmyra, US-NY")
    assert "Rochester" in {p.name for p in gazetteer.nearby(ny)}
    assert "New Palmyra" not in gazetteer.longer_names("Aleppo")


def test_cache_file_is_built_once_and_reused(gazetteer: Gazetteer) -> None:
    path = gazindex.cache_path()
    assert path.exists() and path.parent == Path(os.environ["NEWSBOT_CACHE_DIR"])
    before = {p.name: p.stat().st_mtime_ns for p in path.parent.iterdir()}
    code = "from matching.places import Gazetteer; print(Gazetteer.load().resolve('Aleppo'))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    assert "170063" in out.stdout or "Aleppo" in out.stdout
    # reused, not rebuilt: the cache folder is as it was (no new file, none rewritten)
    assert {p.name: p.stat().st_mtime_ns for p in path.parent.iterdir()} == before


def test_unwritable_cache_dir_falls_back_to_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NEWSBOT_CACHE_DIR", str(blocker / "sub"))
    db = gazindex.open_index()
    assert db.execute("SELECT name FROM place WHERE gid=170063").fetchone() == ("Aleppo",)
    assert not (blocker / "sub").exists()
