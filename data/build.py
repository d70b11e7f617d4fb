"""Regenerate Vigie's vendored reference data from the shared open-data folder.

For maintainers only: the product reads the files this script writes into ``data/`` and never
the shared folder. Run from the repository root::

    .venv/bin/python data/build.py [--shared ../shared/data]

Output is deterministic (sorted rows, gzip with a zero timestamp) so a rebuild from the same
sources leaves ``git diff`` empty. ``data/SOURCES.md`` documents every file; keep it in step.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared data folder")
    args = parser.parse_args(argv)
    shared: Path = args.shared
    if not (shared / "README.md").is_file():
        parser.error(f"{shared} does not look like the shared data folder")
    build_rome(shared)
    build_geo(shared)
    build_tension(shared)
    build_bmo(shared)
    build_jobseeker_extras(shared)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
