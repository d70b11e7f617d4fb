"""Masking of personal data: phones, e-mails, NIR, IBAN, addresses; useful facts are kept."""

from __future__ import annotations

import re

import pytest

from agents.emails.features import prepare_email
from agents.emails.masking import mask, mask_counting, mask_many
from streams.simulator import SimEvent, simulate


@pytest.mark.parametrize(
    "phone",
    ["06 39 98 12 34", "0639981234", "06.39.98.12.34", "06-39-98-12-34", "+33 6 39 98 12 34",
     "+33639981234", "+33 (0)6 39 98 12 34", "0033 6 39 98 12 34", "01 99 00 12 34",
     "+44 20 7946 0958"],
)  # fmt: skip
def test_phone_numbers_are_masked(phone: str) -> None:
    assert mask(f"Rappelez-moi au {phone} svp") == "Rappelez-moi au <TEL> svp"


@pytest.mark.parametrize(
    "address",
    ["camille.martin@exemple.fr", "C.Martin+pe@mail.exemple.co.uk", "camille @ exemple.fr",
     "camille [at] exemple.fr"],
)  # fmt: skip
def test_email_addresses_are_masked(address: str) -> None:
    assert mask(f"Mon adresse : {address}.") == "Mon adresse : <EMAIL>."


@pytest.mark.parametrize(
    "nir",
    ["1 84 12 76 451 089 46", "184127645108946", "2 91 03 2A 012 345 67", "1.84.12.76.451.089",
     "1841276451089"],
)  # fmt: skip
def test_social_security_numbers_are_masked(nir: str) -> None:
    assert mask(f"NIR : {nir}") == "NIR : <NIR>"


@pytest.mark.parametrize(
    "iban",
    ["FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189",
     "fr76 3000 6000 0112 3456 7890 189", "DE89 3704 0044 0532 0130 00"],
)  # fmt: skip
def test_ibans_are_masked(iban: str) -> None:
    assert mask(f"Mon RIB : {iban}") == "Mon RIB : <IBAN>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("J'habite 12 bis rue des Lilas", "J'habite <ADRESSE>"),
        ("3, avenue du Général de Gaulle", "<ADRESSE>"),
        ("75011 Paris", "<ADRESSE>"),
        ("74300 Arâches-la-Frasse", "<ADRESSE>"),
        ("07500 Guilherand-Granges Cedex 9", "<ADRESSE>"),
        ("BP 42", "<ADRESSE>"),
    ],
)
def test_postal_addresses_are_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    "kept",
    ["rendez-vous le 12/03/2026 à 14h30", "un trop-perçu de 12000 euros", "offre 190HCYJ",
     "appelez le 3114 ou le 3949", "j'ai travaillé 120 heures", "le 1er février 2026"],
)  # fmt: skip
def test_dates_amounts_and_service_numbers_are_kept(kept: str) -> None:
    assert mask(kept) == kept


def test_counting_says_what_was_masked() -> None:
    text, counts = mask_counting("06 39 98 12 34, a@exemple.fr, 1 84 12 76 451 089 46, 75011 Paris")
    assert text == "<TEL>, <EMAIL>, <NIR>, <ADRESSE>"
    assert counts == {"<TEL>": 1, "<EMAIL>": 1, "<NIR>": 1, "<ADRESSE>": 1}


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def test_every_personal_datum_the_simulator_writes_is_masked() -> None:
    emails: list[SimEvent] = [e for e in simulate(23, 12_000) if e.record_name == "EmailReceived"]
    with_data = [e for e in emails if e.truth["personal_data"]]
    assert {k for e in with_data for k in e.truth["personal_data"]} == {
        "phone", "email", "address", "nir", "iban"
    }  # fmt: skip
    phone = re.compile(r"(?:\+33 |0)6 39 98 \d\d \d\d")
    nir = re.compile(r"[12](?: \d{2}){3} \d{3} \d{3} \d{2}")
    iban = re.compile(r"FR\d\d(?: [0-9]{4}){5} [0-9]{3}")
    for e in with_data:
        raw = e.record["body"]
        norm = prepare_email(e.record["subject"], raw, e.record["body_format"]).norm
        digits = _digits(norm)
        for found in phone.findall(raw) + nir.findall(raw) + iban.findall(raw):
            assert _digits(found)[-8:] not in digits, (e.record["email_id"], found)
        assert "@exemple.fr" not in norm
        assert not re.search(r"\d+ (?:rue|avenue|boulevard|chemin|impasse|place|allee) ", norm)


# Names and the identifiers of the labelling guide ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Cordialement,\nKarim Benali", "Cordialement,\n<NOM>"),
        ("BENALI Karim, identifiant 4821937K", "<NOM>, identifiant <ID_FT>"),
        ("merci\nfatoumata diallo", "merci\n<NOM>"),
        ("JE SUIS JEAN-LUC MARTIN ET JE VEUX MON ARGENT", "JE SUIS <NOM> ET JE VEUX MON ARGENT"),
        ("Le 03/10/2024, Sophie MARCHAND a écrit :", "Le 03/10/2024, <NOM> a écrit :"),
        ("Mon fils Lucas Da Silva est malade.", "Mon fils <NOM> est malade."),
        ("née le 12/03/1988, numéro allocataire CAF 2345678",
         "née le <DATE_NAISSANCE>, numéro allocataire CAF <CAF>"),
        # the last line, in one casing, even above an identifier or beside a phone
        ("c urgent\nnadira ould-benhamza 07 00 00 00 41", "c urgent\n<NOM> <TEL>"),
        ("COMMENT JE FAIS ??\nTHARMALINGAM KOVINTHAN\nID 9154207N",
         "COMMENT JE FAIS ??\n<NOM>\nID <ID_FT>"),
        # a title before a surname in capitals and a first name; fields written apart
        ("Objet : curatelle de M. KAYA Emre", "Objet : curatelle de M. <NOM>"),
        ("Mes coordonnées :\nNom : NDIAYE\nPrénom : Awa\n",
         "Mes coordonnées :\nNom : <NOM>\nPrénom : <NOM>\n"),
        ("-----Message d'origine-----\nDe : LE CORRE Julien\nEnvoyé : lundi",
         "-----Message d'origine-----\nDe : <NOM>\nEnvoyé : lundi"),
        # an overseas NIR (3-digit département, 2-digit commune), a relative's name, a table
        ("Sécurité sociale : 1 65 03 972 09 118 40", "Sécurité sociale : <NIR>"),
        ("ma femme nour el houda benali a accouché", "ma femme <NOM> a accouché"),
        ("My husband Kwame Owusu-Boateng is ill", "My husband <NOM> is ill"),
        ("nom;prénom;date_naissance\nLE GOFF;Maëlys;03/04/2005\n",
         "nom;prénom;date_naissance\n<NOM>;<NOM>;<DATE_NAISSANCE>\n"),
        # an address abroad, the street before its number
        ("My new address will be Rua das Flores 45, 1200-195 Lisboa.",
         "My new address will be <ADRESSE> Lisboa."),
        # the sender of a quoted message
        ("Voici.\n\n-----Message d'origine-----\nDe : Virginie Castelnaudary <v@example.org>",
         "Voici.\n\n-----Message d'origine-----\nDe : <NOM> <<EMAIL>>"),
    ],
)  # fmt: skip
def test_full_names_and_guide_identifiers_are_masked(text: str, kept: str) -> None:
    assert mask(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour Madame Lefèvre, merci pour votre appel.",  # courtesy form + surname: kept
        "Je passerai à l'agence France Travail de Lyon Part-Dieu jeudi.",  # agency and city
        "Merci Karim, à jeudi.",  # a lone first name
        "Mon RIB et ma carte Vitale sont joints.",
        "Offre 190HCYJ, réclamation n° 2024-77812.",  # reference numbers
        "Je vous remercie.\nmerci infiniment",  # a last line of French words
        "De : Service Relations Usagers",  # a service sends the quoted message
        "Nom : Vérifié",  # a field alone, and not a name's
        "ma fille Chaïma est malade depuis mardi.",  # a lone first name after a relative
        "rendez-vous | salle | heure\nlundi | B12 | 10h",  # a table with no personal column
        "Bonjour Madame Lefèvre,\nmerci.",
        "Je passe par la Via Domitia en 2024.",
    ],
)
def test_what_the_guide_does_not_count_as_personal_data_is_kept(text: str) -> None:
    assert mask(text) == text


def test_mask_many_parses_a_batch_once_and_agrees_with_mask() -> None:
    texts = ["Cordialement,\nKarim Benali", "rien à masquer", "", "Le 3/10, Ana DOS SANTOS a écrit"]
    assert [m for m, _ in mask_many(texts)] == [mask(t) for t in texts]


def test_the_french_pipeline_multiplies_on_numpy_and_parses_as_with_blis() -> None:
    """The loaded pipeline runs on NumPy's BLAS (thinc's BLIS kernel is generic here, about
    3 times slower) and finds the same entities, lemmas and tags as a stock load."""
    import spacy
    from thinc.api import NumpyOps
    from threadpoolctl import threadpool_info

    from agents.emails import language

    nlp = language.pipeline()
    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(n == 1 for n in blas)
    for _name, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None:
            assert all(
                isinstance(node.ops, NumpyOps) and not node.ops.use_blis for node in model.walk()
            )
    stock = spacy.load(language.MODEL_PACKAGE, exclude=list(language.EXCLUDED))
    text = (
        "Bonjour Madame Lefèvre, je m'appelle Karim Benali et j'habite à Aubenas. "
        "Mon entretien chez Leroy Merlin est reporté : pouvez-vous me rappeler ?"
    )

    def parse(n: object) -> list[tuple[str, str, str, str]]:
        d = n(text)  # type: ignore[operator]
        return [(t.text, t.lemma_, t.pos_, t.ent_type_) for t in d]

    assert parse(nlp) == parse(stock)
