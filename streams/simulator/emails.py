"""French emails from job seekers to their advisers, composed from templates.

Deliberately modest: a handful of subjects and sentences per intent, with the noise real mail
has (missing accents, typos, SMS abbreviations, HTML bodies, quoted replies, "pas urgent" in an
ordinary mail) so a triage model cannot key on one word. Urgent sentences come in a direct and
an indirect form (:mod:`streams.simulator.dynamics` decides which). Every name is drawn from the
short fake lists below; epicene first names keep a signature from hinting at anyone's sex.
"""

from __future__ import annotations

import html
import random
from datetime import datetime, timedelta
from typing import Any, NamedTuple

FIRST_NAMES = (
    "Camille", "Dominique", "Claude", "Alex", "Sacha", "Lou", "Morgan", "Charlie",
    "Maxime", "Andrea", "Eden", "Noa", "Louison", "Ange", "Stéphane", "Yannick",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Durand", "Lefèvre", "Moreau", "Laurent", "Girard",
    "Roux", "Fontaine", "Chevalier", "Lambert", "Bonnet", "Mercier", "Blanc", "Garnier",
)  # fmt: skip
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip

SUBJECTS: dict[str, tuple[str, ...]] = {
    "rendez_vous": ("Rendez-vous", "Demande de rendez-vous", "Report de mon rendez-vous du {jour}",
                    "rdv", "Convocation du {jour}"),
    "actualisation": ("Actualisation", "Problème actualisation {mois}", "Erreur de déclaration",
                      "actualisation mensuelle"),
    "paiement": ("Paiement allocation", "Versement {mois}", "Allocation non reçue", "Trop perçu",
                 "Question sur mon indemnisation"),
    "documents": ("Documents", "Envoi de pièces justificatives", "Attestation employeur",
                  "Pièces demandées", "Justificatifs"),
    "formation": ("Formation", "Demande de financement formation", "Entrée en formation",
                  "Question formation {metier}"),
    "offre_candidature": ("Candidature offre {ref}", "Offre {ref}", "Candidature",
                          "Recherche de poste {metier}"),
    "changement_situation": ("Changement de situation", "Reprise d'emploi", "Déménagement",
                             "Information"),
    "reclamation": ("Réclamation", "Contestation", "Toujours sans réponse", "Mécontentement"),
    "radiation": ("Radiation", "Courrier de radiation", "Contestation radiation", "Réinscription"),
    "autre": ("Question", "Demande d'information", "Bonjour", "", "Espace personnel"),
}  # fmt: skip

SENTENCES: dict[str, tuple[str, ...]] = {
    "rendez_vous": (
        "J'ai bien reçu la convocation pour le rendez-vous du {jour} à {heure} mais je ne pourrai "
        "pas être présent, est-il possible de le décaler ?",
        "Je souhaiterais prendre rendez-vous avec vous pour faire le point sur ma recherche "
        "d'emploi dans le métier de {metier}.",
        "Je n'ai pas pu venir au rendez-vous de ce matin, mon bus n'est pas passé. Pouvez-vous "
        "m'en proposer un autre ?",
        "Pouvez-vous me confirmer l'heure de mon prochain rendez-vous à l'agence {de_ville} ?",
        "Est-ce que le rendez-vous du {jour} peut se faire par téléphone ? Je travaille ce "
        "jour-là en intérim.",
    ),
    "actualisation": (
        "Je n'ai pas réussi à faire mon actualisation ce mois-ci, le site me met une erreur à la "
        "dernière étape.",
        "J'ai fait une erreur dans ma déclaration de {mois} : j'ai oublié de déclarer mes heures "
        "travaillées. Comment corriger ?",
        "Je voulais savoir si mon actualisation de {mois} a bien été prise en compte, je n'ai pas "
        "reçu de confirmation.",
        "J'ai travaillé {heures} heures en {mois}, dois-je les déclarer même si je n'ai pas "
        "encore ma fiche de paie ?",
    ),
    "paiement": (
        "Je n'ai toujours pas reçu mon allocation du mois de {mois}. Pouvez-vous me dire où en "
        "est mon dossier ?",
        "Le montant versé ce mois-ci est plus bas que d'habitude ({montant} €), je ne comprends "
        "pas pourquoi.",
        "J'ai reçu un courrier m'indiquant un trop-perçu de {montant} €. Pouvez-vous m'expliquer "
        "d'où il vient ?",
        "Pouvez-vous me dire à quelle date sera versée l'ARE ce mois-ci ?",
    ),
    "documents": (
        "Vous trouverez ci-joint l'attestation employeur demandée pour compléter mon dossier.",
        "Je vous envoie mes justificatifs comme convenu lors de notre dernier entretien.",
        "On me demande une attestation employeur mais mon ancien employeur ne répond plus. Que "
        "dois-je faire ?",
        "Pouvez-vous m'envoyer une attestation d'inscription ? J'en ai besoin pour un dossier.",
    ),
    "formation": (
        "Je suis intéressé par une formation dans le métier de {metier}. Est-ce que France "
        "Travail peut la financer ?",
        "J'ai trouvé une formation qui commence le {jour}, il me faut un accord de financement. "
        "Où en est ma demande ?",
        "Ma formation a bien commencé, je vous envoie l'attestation d'entrée en stage.",
        "Je voudrais savoir si je garde mon allocation pendant la formation.",
    ),
    "offre_candidature": (
        "J'ai vu l'offre {ref} pour un poste de {metier} à {ville}. Pouvez-vous transmettre ma "
        "candidature ?",
        "J'ai postulé à l'offre {ref} il y a deux semaines et je n'ai aucune réponse de "
        "l'employeur.",
        "Je voudrais savoir si l'offre {ref} est toujours d'actualité.",
        "Avez-vous des offres de {metier} autour de {ville} ? Je suis disponible immédiatement.",
    ),
    "changement_situation": (
        "Je vous informe que j'ai retrouvé un emploi en CDD à partir du {jour}.",
        "Je déménage le mois prochain, à quelle agence dois-je être rattaché ?",
        "Je commence une mission d'intérim lundi, dois-je vous prévenir ou le déclarer seulement "
        "à l'actualisation ?",
        "Mon contrat s'arrête le {jour}, je voudrais savoir quelles démarches faire.",
    ),
    "reclamation": (
        "Je conteste la décision reçue par courrier le {jour}. Je n'ai jamais été informé de ce "
        "rendez-vous.",
        "Cela fait trois semaines que j'attends une réponse à mon précédent message. Je suis très "
        "mécontent.",
        "Je souhaite faire une réclamation concernant le calcul de mes droits.",
        "Personne ne répond au téléphone et mes messages restent sans réponse.",
    ),
    "radiation": (
        "J'ai reçu un courrier m'annonçant ma radiation pour absence à un rendez-vous. Je n'ai "
        "jamais reçu de convocation.",
        "Je ne comprends pas pourquoi je suis radié, j'ai pourtant fait mon actualisation.",
        "Comment puis-je me réinscrire après ma radiation ?",
    ),
    "autre": (
        "Je voulais simplement vous remercier pour votre aide lors du dernier rendez-vous.",
        "Je n'arrive plus à me connecter à mon espace personnel.",
        "Est-ce que l'agence {de_ville} est ouverte le samedi matin ?",
        "Pouvez-vous me rappeler quand vous aurez un moment ?",
    ),
}

URGENT_SENTENCES: dict[tuple[str, bool], tuple[str, ...]] = {
    ("sans_ressources", False): (
        "Je n'ai plus aucune ressource depuis {semaines} semaines et je ne peux plus payer mon "
        "loyer.",
        "Sans ce versement je n'ai plus rien pour nourrir ma famille ce mois-ci.",
        "Mon compte est à découvert et la banque refuse tout paiement, je n'ai plus aucun revenu.",
    ),
    ("sans_ressources", True): (
        "Le propriétaire est encore passé ce matin et le frigo est vide.",
        "J'ai dû emprunter à une voisine pour faire les courses cette semaine, je ne sais pas "
        "combien de temps ça va tenir.",
        "On m'a coupé l'électricité hier.",
    ),
    ("detresse", False): (
        "Je suis à bout, je ne sais plus quoi faire et j'ai besoin d'aide rapidement.",
        "Je suis complètement désemparé, j'ai besoin de parler à quelqu'un au plus vite.",
    ),
    ("detresse", True): (
        "Je ne dors plus depuis des semaines et je ne vois pas comment m'en sortir.",
        "Honnêtement je n'ai plus la force de continuer comme ça.",
    ),
    ("rdv_48h", False): (
        "Mon rendez-vous est demain à {heure} et je n'ai toujours pas de réponse, c'est urgent.",
        "L'entretien d'embauche est après-demain matin, il me faut l'attestation avant.",
    ),
    ("rdv_48h", True): (
        "C'est pour demain {heure} et je n'ai toujours rien reçu.",
        "L'employeur m'attend après-demain, je ne sais pas comment faire sans ce document.",
    ),
    ("echeance_demain", False): (
        "Je dois rendre le dossier avant demain midi, sinon je perds ma place.",
        "La date limite est demain, il me faut absolument votre accord aujourd'hui.",
    ),
    ("echeance_demain", True): (
        "L'organisme m'a dit que passé demain ce serait trop tard.",
        "Ils ferment les inscriptions demain soir.",
    ),
}
OFFER_REF_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # offers are cited by FT-style ids ("190HCYJ")
NOT_URGENT = "Ce n'est pas urgent, répondez-moi quand vous pourrez."
NOT_URGENT_P = 0.05

GREETINGS = ("Bonjour,", "Bonjour {conseiller},", "Madame, Monsieur,", "Bonjour Madame, Monsieur,",
             "Bjr,", "Bonsoir,")  # fmt: skip
CLOSINGS = ("Cordialement,", "Bien cordialement,", "Merci d'avance.", "Merci pour votre retour.",
            "Bonne journée.", "Dans l'attente de votre réponse,")  # fmt: skip
ADVISER_LINES = (
    "Je vous remercie de m'envoyer votre attestation employeur.",
    "Votre prochain rendez-vous est fixé au {jour} à {heure}.",
    "Pouvez-vous me préciser votre situation actuelle ?",
    "Je vous invite à consulter les offres que je vous ai transmises.",
)
ATTACHMENTS: tuple[tuple[str, str], ...] = (
    ("attestation_employeur.pdf", "application/pdf"),
    ("bulletin_salaire_{mois}.pdf", "application/pdf"),
    ("justificatif_domicile.jpg", "image/jpeg"),
    ("CV_2026.pdf", "application/pdf"),
    ("lettre_motivation.docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("contrat_travail.pdf", "application/pdf"),
    ("attestation_entree_formation.pdf", "application/pdf"),
    ("scan0001.png", "image/png"),
)  # fmt: skip
ATTACHMENT_P: dict[str, float] = {"documents": 0.8, "formation": 0.3, "offre_candidature": 0.3,
                                  "changement_situation": 0.2}  # fmt: skip
ATTACHMENT_DEFAULT_P = 0.03

HTML_P = 0.15
QUOTED_P = 0.15
NO_ACCENTS_P = 0.20
TYPO_P = 0.15
SMS_P = 0.08
SMS_REPLACEMENTS = (("s'il vous plaît", "svp"), ("rendez-vous", "rdv"), ("pourquoi", "pk"),
                    ("aujourd'hui", "auj"), ("beaucoup", "bcp"))  # fmt: skip
_NO_ACCENTS = str.maketrans({
    **dict(zip("àâäéèêëîïôöùûüçÀÂÉÈÊÎÔÙÛÇ", "aaaeeeeiioouuucAAEEEIOUUC", strict=True)),
    "œ": "oe",
})  # fmt: skip


class Email(NamedTuple):
    """A composed email and how it was written (for the ground truth)."""

    subject: str
    body: str
    body_format: str
    attachments: list[dict[str, Any]]
    in_reply_to: str | None
    style: dict[str, bool]


def person_name(key: int) -> str:
    """A fake "First Last" name chosen by ``key``."""
    return f"{FIRST_NAMES[key % len(FIRST_NAMES)]} {LAST_NAMES[(key // 16) % len(LAST_NAMES)]}"


def _french_day(when: datetime) -> str:
    return f"{DAYS[when.weekday()]} {when.day} {MONTHS[when.month - 1]}"


def _slots(rng: random.Random, when: datetime, occupation: str, town: str) -> dict[str, str]:
    later = when + timedelta(days=rng.randint(2, 15))
    previous_month = MONTHS[(when.month - 2) % 12]
    return {
        "jour": _french_day(later),
        "heure": f"{rng.choice((9, 10, 11, 14, 15, 16))}h{rng.choice(('00', '15', '30'))}",
        "mois": previous_month,
        "metier": occupation.lower(),
        "ville": town,
        "de_ville": f"d'{town}" if town[:1] in "AEIOUYÉÈÎ" else f"de {town}",
        "ref": f"{rng.randint(100, 999)}{''.join(rng.choices(OFFER_REF_LETTERS, k=4))}",
        "montant": f"{rng.randint(40, 900)}",
        "heures": str(rng.randint(8, 120)),
        "semaines": str(rng.randint(2, 8)),
    }


def _typos(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) < 4:
            continue
        j = rng.randrange(1, len(word) - 2)
        if rng.random() < 0.5:
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        else:
            words[i] = word[:j] + word[j + 1 :]
    return " ".join(words)


def _quote(rng: random.Random, when: datetime, adviser: str, slots: dict[str, str]) -> list[str]:
    # Advisers answer during office hours, some days before.
    day = (when - timedelta(days=rng.randint(1, 20))).replace(hour=9, minute=0, second=0)
    sent = day + timedelta(minutes=rng.randint(0, 8 * 60))
    line = rng.choice(ADVISER_LINES).format(**slots)
    header = f"Le {_french_day(sent)} {sent.year} à {sent:%H:%M}, {adviser} a écrit :"
    return [header, f"> Bonjour,\n> {line}\n> Cordialement,\n> {adviser}"]


def _html(paragraphs: list[str], quoted: list[str]) -> str:
    def text(value: str) -> str:
        return html.escape(value, quote=False).replace("\n", "<br>")

    body = "".join(f"<p>{text(p)}</p>" for p in paragraphs)
    if quoted:
        body += (
            f"<p>{text(quoted[0])}</p><blockquote>{text(quoted[1].replace('> ', ''))}</blockquote>"
        )
    return f"<html><body>{body}</body></html>"


def compose_email(
    rng: random.Random,
    *,
    intents: tuple[str, ...],
    urgency_reason: str | None,
    indirect: bool,
    when: datetime,
    occupation: str,
    town: str,
    sender: str,
    adviser: str,
) -> Email:
    """One email about ``intents`` (and the urgency, if any) from ``sender`` to ``adviser``."""
    slots = _slots(rng, when, occupation, town)
    subject = rng.choice(SUBJECTS[intents[0]]).format(**slots)
    sentences = [rng.choice(SENTENCES[intent]).format(**slots) for intent in intents]
    if urgency_reason is not None:
        urgent = rng.choice(URGENT_SENTENCES[(urgency_reason, indirect)]).format(**slots)
        sentences.insert(rng.randint(0, len(sentences)), urgent)
    elif rng.random() < NOT_URGENT_P:
        sentences.append(NOT_URGENT)
    greeting = rng.choice(GREETINGS).format(conseiller=adviser)
    signature = sender if rng.random() < 0.7 else sender.split(" ")[0]
    text = " ".join(sentences)
    style = {"no_accents": False, "typos": False, "sms": False, "html": False, "quoted": False}
    if rng.random() < SMS_P:
        for long, short in SMS_REPLACEMENTS:
            text = text.replace(long, short)
        style["sms"] = True
    if rng.random() < TYPO_P:
        text = _typos(rng, text)
        style["typos"] = True
    if rng.random() < NO_ACCENTS_P:
        text = text.translate(_NO_ACCENTS)
        style["no_accents"] = True
    paragraphs = [greeting, text, f"{rng.choice(CLOSINGS)}\n{signature}"]
    quoted: list[str] = []
    in_reply_to = None
    if rng.random() < QUOTED_P:
        quoted = _quote(rng, when, adviser, slots)
        in_reply_to = f"<{rng.getrandbits(48):012x}.conseiller@simulateur.invalid>"
        subject = f"RE: {subject}" if subject else "RE:"
        style["quoted"] = True
    if rng.random() < HTML_P:
        body, body_format = _html(paragraphs, quoted), "html"
        style["html"] = True
    else:
        body, body_format = "\n\n".join(paragraphs + quoted), "text"
    attachments: list[dict[str, Any]] = []
    if rng.random() < ATTACHMENT_P.get(intents[0], ATTACHMENT_DEFAULT_P):
        for _ in range(1 if rng.random() < 0.8 else 2):
            name, content_type = rng.choice(ATTACHMENTS)
            attachments.append({
                "filename": name.format(**slots),
                "content_type": content_type,
                "size_bytes": rng.randint(20_000, 2_500_000),
            })  # fmt: skip
    return Email(subject, body, body_format, attachments, in_reply_to, style)
