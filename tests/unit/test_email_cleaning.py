"""Email cleaning: HTML read without running it, history and signatures cut, bounded cost."""

from __future__ import annotations

import re

import pytest

from agents.emails.cleaning import (
    MAX_TEXT_CHARS,
    clean_email,
    clean_subject,
    html_to_text,
    strip_invisible,
)

TAG = re.compile(r"<[a-zA-Z/!]")


def text_of(body: str, body_format: str = "text", subject: str = "") -> str:
    return clean_email(subject, body, body_format).text


def test_html_becomes_text_without_scripts_styles_or_head() -> None:
    body = (
        "<html><head><title>Titre secret</title><style>p{color:red}</style></head><body>"
        "<script>document.write('piege')</script><p>Je n&#39;ai pas re&ccedil;u mon "
        "allocation.</p><noscript>active JS</noscript><p>Merci &amp; bonne journ&eacute;e</p>"
        "<iframe src='http://x.invalid'>cadre</iframe></body></html>"
    )
    cleaned = clean_email("", body, "html")
    assert cleaned.html
    assert "Je n'ai pas reçu mon allocation." in cleaned.text
    for hidden in ("Titre secret", "color", "piege", "active JS", "cadre", "<", ">"):
        assert hidden not in cleaned.text


def test_html_quoted_history_is_dropped() -> None:
    body = (
        "<div>Voici ma réponse.</div>"
        "<div class='gmail_quote'>Le lun., X a écrit :<blockquote>Ancien message</blockquote>"
        "</div><blockquote type='cite'>Encore plus ancien</blockquote>"
    )
    cleaned = clean_email("", body, "html")
    assert cleaned.text == "Voici ma réponse."
    assert cleaned.quoted_removed


def test_outlook_history_stops_the_reading() -> None:
    body = "<p>Nouveau texte</p><hr><div id='divRplyFwdMsg'>De : X</div><p>Vieux texte</p>"
    assert text_of(body, "html") == "Nouveau texte"


def test_html_is_sniffed_when_the_format_says_text() -> None:
    assert text_of("<html><body><p>Bonjour</p><p>Question sur ma formation</p></body></html>") == (
        "Question sur ma formation"
    )


@pytest.mark.parametrize(
    "history",
    [
        "Le lundi 5 janvier 2026 à 10:12, Camille Martin a écrit :\n> Bonjour\n> Ancien",
        "Le lun. 5 janv. 2026 à 10:12, Camille Martin <c.martin@exemple.fr> a\nécrit :\nAncien",
        "-----Original Message-----\nFrom: X\nAncien",
        "----- Message d'origine -----\nAncien",
        "De : Conseiller\nEnvoyé : lundi 5 janvier\nObjet : RE\nAncien",
        "________________________________\nDe : X\nAncien",
        "On Mon, Jan 5, 2026 at 10:12 AM X wrote:\nAncien",
    ],
)
def test_quoted_history_is_cut(history: str) -> None:
    cleaned = clean_email("", f"Ma question sur l'actualisation.\n\n{history}", "text")
    assert cleaned.text == "Ma question sur l'actualisation."
    assert cleaned.quoted_removed


def test_quoted_lines_are_dropped_even_between_answers() -> None:
    body = "> question de la conseillère\nMa réponse est oui.\n> autre citation\nEt voilà."
    assert text_of(body) == "Ma réponse est oui.\nEt voilà."


@pytest.mark.parametrize(
    "closing",
    ["Cordialement,", "Bien cordialement", "--", "-- ", "Bien à vous,", "Merci d'avance.",
     "Envoyé de mon iPhone", "Veuillez agréer, Madame, Monsieur, mes salutations distinguées."],
)  # fmt: skip
def test_signature_is_cut(closing: str) -> None:
    body = f"Je joins mon attestation.\n{closing}\nCamille Martin\n06 39 98 12 34\n12 rue des Lilas"
    cleaned = clean_email("", body, "text")
    assert cleaned.text == "Je joins mon attestation."
    assert cleaned.signature_removed


def test_greeting_naming_someone_is_dropped_but_a_one_line_email_is_kept() -> None:
    assert text_of("Bonjour Mme Durand,\nJe déménage.") == "Je déménage."
    assert text_of("Madame, Monsieur,\n\nJe déménage.") == "Je déménage."
    assert text_of("Bonjour, je déménage le mois prochain.") == (
        "Bonjour, je déménage le mois prochain."
    )
    assert text_of("Bonjour") == "Bonjour"


def test_invisible_and_control_characters_are_removed() -> None:
    # Zero-width characters would hide a trigger word from the rules; a right-to-left override
    # would make an adviser tool show something else than what the rules read.
    assert strip_invisible("sui\u200bci\u200dde\u202e\x00\x07 ok\u00a0!") == "suicide ok !"
    assert strip_invisible("e\u0301") == "é"  # NFC: one code point, as the rules expect
    assert "\r" not in strip_invisible("ligne\r\nsuivante")


def test_subject_prefixes_are_removed() -> None:
    assert clean_subject("RE: TR: Fwd:  Attestation employeur") == "Attestation employeur"
    assert clean_subject("Réf : dossier") == "dossier"


@pytest.mark.parametrize("body", ["", None, "   \n\n  ", "<html></html>", "<<<>>><p<"])
def test_empty_or_degenerate_bodies_never_leave_markup(body: str | None) -> None:
    cleaned = clean_email(None, body, "html" if body and "<" in body else "text")
    assert not TAG.search(cleaned.text)
    assert not cleaned.truncated


def test_a_10_mb_body_is_cut_early_and_flagged() -> None:
    body = "Je n'ai pas reçu mon allocation ce mois-ci. " * 250_000  # ~11 MB
    cleaned = clean_email("Paiement", body, "text")
    assert cleaned.truncated
    assert 0 < len(cleaned.text) <= MAX_TEXT_CHARS
    assert cleaned.text.startswith("Je n'ai pas reçu mon allocation")


@pytest.mark.parametrize(
    "markup",
    [
        "<p>Aide</p><script>var a = '<p>' + " + "x" * 5_000_000,  # script never closed
        "<a>" * 3_000_000,  # millions of tags
        "<blockquote>" * 100_000 + "x",  # deep nesting, never closed
        '<a href="' + "x" * 5_000_000,  # attribute never closed
    ],
)
def test_hostile_html_is_bounded_and_never_raises(markup: str) -> None:
    text, _ = html_to_text(markup[:60_000])
    assert len(text) <= 60_000
    cleaned = clean_email("", markup, "html")
    assert cleaned.truncated
    assert "script" not in cleaned.text and not TAG.search(cleaned.text)
