"""French reply drafts: one paragraph per intent, filled with the facts the email states.

A draft is a proposal for the adviser, never sent by Vigie: the adviser accepts, edits or
rejects it, and that verdict is feedback (``target_kind='draft'``, ``target_id`` = the email
id). Drafts contain only what is safe to store: the templates, dates and times the email
mentions (resolved, e.g. « jeudi 15 janvier à 14h00 »), kinds of documents (« attestation
employeur »), offer references. No name (the greeting is « Madame, Monsieur, »), no amount,
no address, nothing of the sender's words.

Only the intents in :data:`ANSWERABLE_INTENTS` have a template that can answer on its own
(general information, an acknowledgement); the others (complaint, deregistration, an
application) always need the adviser, whatever the model's confidence.

>>> draft = compose_draft(["documents"], documents=["attestation employeur"], attached=True)
>>> print(draft[:81])
Madame, Monsieur,
<BLANKLINE>
Nous avons bien reçu votre message et nous vous en remercions.
>>> "documents joints (attestation employeur)" in draft, draft.endswith("France Travail")
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence

ANSWERABLE_INTENTS = frozenset(
    {"rendez_vous", "actualisation", "paiement", "documents", "formation",
     "changement_situation", "autre"}
)  # fmt: skip

OPENING = "Madame, Monsieur,\n\nNous avons bien reçu votre message et nous vous en remercions."
CLOSING = "Cordialement,\nVotre conseiller France Travail"

URGENT_OPENING = (
    "Votre message a été signalé en priorité à votre conseiller, qui vous recontacte au plus vite."
)
URGENT_HELP: dict[str, str] = {
    "idees_noires": "Si vous avez des idées suicidaires, appelez le 3114, numéro national de "
    "prévention du suicide (gratuit, 24 h/24). En cas de danger immédiat, appelez le 112.",
    "violence": "En cas de danger immédiat, appelez le 17 ou le 112. Le 3919 (violences "
    "faites aux femmes) est gratuit et anonyme.",
    "logement": "Pour un hébergement d'urgence, le 115 répond gratuitement 24 h/24.",
    "ressources": "Le centre communal d'action sociale (CCAS) de votre commune peut vous "
    "proposer une aide d'urgence.",
}


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def _rendez_vous(dates: Sequence[str], **_: object) -> str:
    if dates:
        return (
            f"Concernant votre rendez-vous du {dates[0]} : vous pouvez le confirmer, le déplacer "
            "ou demander un entretien par téléphone ou en visio depuis votre espace personnel "
            "(rubrique « Mes rendez-vous »). Si aucun créneau ne vous convient, indiquez-nous "
            "vos disponibilités en réponse à ce message."
        )
    return (
        "Pour prendre, déplacer ou annuler un rendez-vous, rendez-vous dans votre espace "
        "personnel sur francetravail.fr (rubrique « Mes rendez-vous ») ; un entretien par "
        "téléphone ou en visio est possible. Vous pouvez aussi nous indiquer vos disponibilités "
        "en réponse à ce message."
    )


def _actualisation(**_: object) -> str:
    return (
        "Concernant votre actualisation : elle se fait chaque mois, du 28 au 15 du mois suivant, "
        "dans votre espace personnel ou l'application France Travail. Les heures travaillées se "
        "déclarent pour le mois où elles ont été effectuées, même sans bulletin de salaire. En "
        "cas d'erreur ou de difficulté sur le site, contactez le 3949 (service gratuit + prix "
        "d'un appel)."
    )


def _paiement(**_: object) -> str:
    return (
        "Concernant votre allocation : les paiements sont effectués chaque mois après votre "
        "actualisation. Le détail de vos paiements et de leur calcul est consultable dans votre "
        "espace personnel (rubrique « Mes paiements »). Si un paiement vous semble manquant ou "
        "inexact, votre conseiller vérifie votre dossier et revient vers vous."
    )


def _documents(documents: Sequence[str], attached: bool, **_: object) -> str:
    kinds = _join(list(documents))
    if attached:
        text = (
            f"Nous accusons réception des documents joints ({kinds}) ; ils sont ajoutés à votre "
            "dossier."
            if kinds
            else "Nous accusons réception des documents joints ; ils sont ajoutés à votre dossier."
        )
    elif kinds:
        text = f"Nous avons bien noté votre demande concernant : {kinds}."
    else:
        text = "Nous avons bien noté votre demande concernant vos documents."
    if "attestation d'inscription" in documents:
        text += (
            " Vous pouvez télécharger une attestation d'inscription à tout moment dans votre "
            "espace personnel (rubrique « Mes attestations »)."
        )
    return text


def _formation(dates: Sequence[str], **_: object) -> str:
    text = (
        "Concernant votre projet de formation : les formations et leurs financements possibles "
        "sont présentés sur francetravail.fr et sur moncompteformation.gouv.fr (CPF). Pendant "
        "une formation validée avec votre conseiller, votre allocation peut être maintenue."
    )
    if dates:
        text += f" Nous avons noté la date du {dates[0]}."
    return text


def _offre_candidature(offers: Sequence[str], **_: object) -> str:
    about = f"l'offre {_join(list(offers))}" if offers else "votre candidature"
    return (
        f"Concernant {about} : vous pouvez postuler directement depuis l'offre sur "
        "francetravail.fr, et votre conseiller peut appuyer votre candidature auprès de "
        "l'employeur."
    )


def _changement_situation(dates: Sequence[str], **_: object) -> str:
    text = (
        "Merci de nous avoir informés de ce changement de situation. Pensez à le déclarer lors "
        "de votre prochaine actualisation et à mettre à jour vos coordonnées dans votre espace "
        "personnel."
    )
    if dates:
        text += f" Nous avons noté la date du {dates[0]}."
    return text


def _reclamation(**_: object) -> str:
    return (
        "Nous sommes désolés de la gêne occasionnée. Votre réclamation est transmise et sera "
        "étudiée ; une réponse vous sera apportée dans les meilleurs délais. Si le désaccord "
        "persiste, vous pouvez saisir le médiateur de France Travail."
    )


def _radiation(**_: object) -> str:
    return (
        "Concernant votre radiation : vous pouvez contester la décision dans les deux mois qui "
        "suivent sa notification, et vous réinscrire à tout moment sur francetravail.fr. Votre "
        "conseiller examine votre situation."
    )


def _autre(**_: object) -> str:
    return (
        "Votre conseiller a bien pris connaissance de votre message. Pour un problème de "
        "connexion à votre espace personnel, utilisez « Mot de passe oublié » sur la page de "
        "connexion ou contactez le 3949."
    )


TEMPLATES = {
    "rendez_vous": _rendez_vous,
    "actualisation": _actualisation,
    "paiement": _paiement,
    "documents": _documents,
    "formation": _formation,
    "offre_candidature": _offre_candidature,
    "changement_situation": _changement_situation,
    "reclamation": _reclamation,
    "radiation": _radiation,
    "autre": _autre,
}


def compose_draft(
    intents: Sequence[str],
    *,
    dates: Sequence[str] = (),
    documents: Sequence[str] = (),
    offers: Sequence[str] = (),
    attached: bool = False,
    urgent_rules: Sequence[str] = (),
    urgent: bool = False,
) -> str:
    """The French draft for an email with ``intents`` (most probable first) and these facts."""
    paragraphs = [OPENING]
    if urgent or urgent_rules:
        help_lines = [URGENT_HELP[r] for r in urgent_rules if r in URGENT_HELP]
        paragraphs.append(" ".join([URGENT_OPENING, *help_lines]))
    for intent in intents:
        paragraphs.append(
            TEMPLATES[intent](dates=dates, documents=documents, offers=offers, attached=attached)
        )
    paragraphs.append(CLOSING)
    return "\n\n".join(paragraphs)
