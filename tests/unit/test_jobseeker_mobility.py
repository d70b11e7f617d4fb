"""Mobility hints by real distance (commune centroids), and the area proxy without them."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from agents.jobseekers.alerts import _mobility_text
from agents.jobseekers.hints import MAX_OPTIONS, distance_km, mobility_options
from agents.jobseekers.logic import JobSeekersHandler
from sinks.outputs import Outputs
from streams.referential import FILES, OPTIONAL_FILES, Referential, load_referential
from streams.settings import PROJECT_ROOT
from tests.unit.test_jobseeker_diagnostics import StubView, profile, source

DATA_DIR = PROJECT_ROOT / "data"
# Real cells of the 2021 tension table: A1416 has class 1 in bassin 8436 (Ardèche Centre, home
# of Privas) and class 4 with 1,359 offers in 8432 (Drôme Ardèche Centre, around Valence, in
# the Drôme: another département).
PRIVAS, VALENCE = "07186", "26362"
ROME, HOME, HOME_DEP, NEXT_DOOR = "A1416", "8436", "07", "8432"


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(DATA_DIR)


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Referential:
    """The referential of a data folder without the coordinates file."""
    folder = tmp_path_factory.mktemp("data")
    for name in FILES.values():
        shutil.copy(DATA_DIR / name, folder / name)
    return Referential(folder)


def test_coordinates_file_is_vendored_documented_and_matches_the_communes(
    ref: Referential,
) -> None:
    name = OPTIONAL_FILES["coordinates"]
    assert name in (DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    assert lines[0] == "code_insee,latitude,longitude"
    assert lines[1:] == sorted(lines[1:])
    with gzip.open(DATA_DIR / FILES["communes"], "rt", encoding="utf-8") as fh:
        communes = [line.split(",", 1)[0] for line in fh.read().splitlines()[1:]]
    located = sum(ref.commune_coordinates(code) is not None for code in communes)
    assert located / len(communes) > 0.995
    assert {line.split(",", 1)[0] for line in lines[1:]} <= set(communes)


def test_known_distances_between_communes(ref: Referential) -> None:
    privas, valence = ref.commune_coordinates(PRIVAS), ref.commune_coordinates(VALENCE)
    assert privas is not None and valence is not None
    # Town hall to town hall it is 32 km as the crow flies; centroid to centroid a little more.
    assert 30 < distance_km(privas, valence) < 37
    paris, marseille = ref.commune_coordinates("75056"), ref.commune_coordinates("13055")
    assert paris is not None and marseille is not None
    assert 650 < distance_km(paris, marseille) < 680  # about 660 km between the city centres
    assert distance_km(privas, privas) == 0.0


def test_bassin_centroids_lie_among_their_communes(ref: Referential) -> None:
    centre = ref.bassin_centroid(HOME)
    assert centre is not None
    assert distance_km(centre, ref.commune_coordinates(PRIVAS)) < 25  # type: ignore[arg-type]
    assert ref.bassin_centroid("0104") is None  # BMO-only: no communes
    assert ref.bassin_centroid("nope") is None and ref.commune_coordinates("00000") is None


def test_a_bassin_of_a_neighbouring_departement_within_the_radius_is_proposed(
    ref: Referential, bare: Referential
) -> None:
    home = ref.tension(ROME, HOME)
    assert home is not None and home.tension_class == 1
    options = mobility_options(ref, ROME, HOME, HOME_DEP, 40, commune=PRIVAS)
    assert [o.market.bassin for o in options] == [NEXT_DOOR]
    (option,) = options
    assert ref.bassin_departement(NEXT_DOOR) == "26"
    assert option.distance_from == "commune"
    assert option.distance_km is not None and 30 < option.distance_km <= 40
    assert option.reach_km == option.distance_km
    assert option.market.tension_class >= 4 and option.market.offers >= 20
    # The area proxy never looks outside the Ardèche.
    assert mobility_options(bare, ROME, HOME, HOME_DEP, 40, commune=PRIVAS) == []


def test_nothing_is_proposed_beyond_the_radius(ref: Referential) -> None:
    assert mobility_options(ref, ROME, HOME, HOME_DEP, 30, commune=PRIVAS) == []
    wide = mobility_options(ref, ROME, HOME, HOME_DEP, 200, commune=PRIVAS)
    assert 0 < len(wide) <= MAX_OPTIONS
    assert all(o.distance_km is not None and o.distance_km <= 200 for o in wide)
    assert [o.distance_km for o in wide] == sorted(o.distance_km for o in wide)  # type: ignore[type-var]
    assert all(o.market.bassin != HOME for o in wide)
    assert mobility_options(ref, ROME, HOME, HOME_DEP, None, commune=PRIVAS) == []


def test_without_a_located_commune_distance_starts_at_the_bassin_centre(ref: Referential) -> None:
    options = mobility_options(ref, ROME, HOME, HOME_DEP, 40)
    assert [o.distance_from for o in options] == ["bassin"]
    unknown = mobility_options(ref, ROME, HOME, HOME_DEP, 40, commune="00000")
    assert [o.distance_from for o in unknown] == ["bassin"]
    # The commune's bassin stands in for a missing one.
    from_commune = mobility_options(ref, ROME, None, HOME_DEP, 40, commune=PRIVAS)
    assert [o.market.bassin for o in from_commune] == [NEXT_DOOR]


def test_without_coordinates_the_departement_proxy_remains(bare: Referential) -> None:
    assert bare.commune_coordinates(PRIVAS) is None and bare.bassin_centroid(HOME) is None
    # A1101 in 9315 (Vaucluse, 3,567 km², proxy reach 34 km): the other Vaucluse bassins.
    far = mobility_options(bare, "A1101", "9315", "84", 50, commune="84007")
    assert far and all(o.distance_km is None and o.distance_from is None for o in far)
    assert all(bare.bassin_departement(o.market.bassin) == "84" for o in far)
    assert all(30 < o.reach_km < 40 for o in far)
    assert mobility_options(bare, "A1101", "9315", "84", 20) == []
    # Privas to Valence is not in the Ardèche: the proxy cannot propose it.
    assert mobility_options(bare, ROME, HOME, HOME_DEP, 200, commune=PRIVAS) == []


def test_the_diagnostic_carries_the_distance_in_json_and_french(ref: Referential) -> None:
    h = JobSeekersHandler(StubView(), None, ref)
    record = profile(
        ref,
        rome_code=ROME,
        rome_label=ref.rome_label(ROME),
        departement=HOME_DEP,
        bassin=HOME,
        commune_code=PRIVAS,
        mobility_radius_km=40,
    )
    out = Outputs()
    h.handle("JobSeekerProfileUpdated", record, source(1), out)
    fields = out.states[0].fields
    (hint,) = json.loads(fields["mobility"])
    assert hint["bassin"] == NEXT_DOOR and hint["distance_from"] == "commune"
    assert 30 < hint["distance_km"] <= 40 and hint["reach_km"] == hint["distance_km"]
    assert {"bassin_name", "reach_km", "rome", "tension", "offers_2021"} <= hint.keys()
    option = h.diagnose(record, None).mobility[0]
    text = _mobility_text(ref, option, HOME_DEP)
    assert "(Drôme)" in text and "à vol d'oiseau de la commune de résidence" in text
    assert f"environ {round(option.distance_km)} km" in text  # type: ignore[arg-type]


def test_the_proxy_json_says_no_distance(bare: Referential) -> None:
    h = JobSeekersHandler(StubView(), None, bare)
    record = profile(
        bare, rome_code="A1101", departement="84", bassin="9315", mobility_radius_km=50
    )
    out = Outputs()
    h.handle("JobSeekerProfileUpdated", record, source(2), out)
    hints = json.loads(out.states[0].fields["mobility"])
    assert hints and all(x["distance_km"] is None and 30 < x["reach_km"] < 40 for x in hints)
    text = _mobility_text(bare, h.diagnose(record, None).mobility[0], "84")
    assert "zone du département" in text


@pytest.mark.parametrize("radius", [0, 10, 30, 75, 200])
@pytest.mark.parametrize("commune", [PRIVAS, VALENCE, "75056", "97411", "2A004"])
def test_the_vectorised_search_finds_exactly_the_bassins_a_full_scan_finds(
    ref: Referential, commune: str, radius: int
) -> None:
    """The arrays' pass keeps the same bassins, at the same distances, as one haversine each."""
    from agents.jobseekers.hints import _CENTRES

    origin = ref.commune_coordinates(commune)
    if origin is None:
        pytest.skip(f"commune {commune} is not located in the referential")
    scan = [
        (b, distance_km(origin, centre))
        for b in ref.bassins()
        if (centre := ref.bassin_centroid(b)) is not None and distance_km(origin, centre) <= radius
    ]
    assert _CENTRES.within(ref, origin, radius) == scan
