"""French emails from job seekers to their advisers, composed from templates.

Deliberately modest: a handful of subjects and sentences per intent, with the noise real mail
has (missing accents, typos, SMS abbreviations, HTML bodies with styles, quoted replies,
signatures giving away a phone number or an address, a social-security number or an IBAN now
and then, "pas urgent" in an ordinary mail) so a triage model cannot key on one word and the
masking has something to find. Urgent sentences come in a direct and an indirect form
(:mod:`streams.simulator.dynamics` decides which), e.g. « Je n'ai plus aucune ressource » and
« on va nous mettre dehors ». Sentences marked :class:`Answerable` are answered by a standard
reply; the ground truth says whether a whole email is. Every name is drawn from the short fake
lists below; epicene first names keep a signature from hinting at anyone's sex.

The caller gives a generator of its own to each email (see ``generator._email``), so changing
these templates never shifts the draws of offers or job seekers in a run.
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


class Answerable(str):
    """A sentence a standard reply fully answers (general information, acknowledgement)."""

    __slots__ = ()


A = Answerable
# What a job seeker writes about each intent. Sentences wrapped in A(...) ask for general
# information or an acknowledgement: an email made only of those is "answerable without an
# adviser" in the ground truth; the others need someone to look at the person's file.
SENTENCES: dict[str, tuple[str, ...]] = {
    "rendez_vous": (
        "J'ai bien reçu la convocation pour le rendez-vous du {jour} à {heure} mais je ne pourrai "
        "pas être présent, est-il possible de le décaler ?",
        A(
            "Je souhaiterais prendre rendez-vous avec vous pour faire le point sur ma recherche "
            "d'emploi dans le métier de {metier}."
        ),
        "Je n'ai pas pu venir au rendez-vous de ce matin, mon bus n'est pas passé. Pouvez-vous "
        "m'en proposer un autre ?",
        "Pouvez-vous me confirmer l'heure de mon prochain rendez-vous à l'agence {de_ville} ?",
        "Est-ce que le rendez-vous du {jour} peut se faire par téléphone ? Je travaille ce "
        "jour-là en intérim.",
        A(
            "Comment faire pour prendre un rendez-vous avec mon conseiller ? Je ne trouve pas sur "
            "le site."
        ),
        "Je serai en déplacement le {jour}, pouvons-nous décaler notre entretien à la semaine "
        "suivante ?",
        A("Est-il possible d'avoir un entretien en visio plutôt qu'à l'agence ?"),
    ),
    "actualisation": (
        A(
            "Je n'ai pas réussi à faire mon actualisation ce mois-ci, le site me met une erreur à "
            "la dernière étape."
        ),
        A(
            "J'ai fait une erreur dans ma déclaration de {mois} : j'ai oublié de déclarer mes "
            "heures travaillées. Comment corriger ?"
        ),
        "Je voulais savoir si mon actualisation de {mois} a bien été prise en compte, je n'ai pas "
        "reçu de confirmation.",
        A(
            "J'ai travaillé {heures} heures en {mois}, dois-je les déclarer même si je n'ai pas "
            "encore ma fiche de paie ?"
        ),
        A("Jusqu'à quelle date puis-je m'actualiser ce mois-ci ?"),
        "J'ai oublié de m'actualiser le mois dernier, est-ce que ma situation est régularisée ?",
        A("Sur l'application je ne vois pas où déclarer ma situation mensuelle."),
    ),
    "paiement": (
        "Je n'ai toujours pas reçu mon allocation du mois de {mois}. Pouvez-vous me dire où en "
        "est mon dossier ?",
        "Le montant versé ce mois-ci est plus bas que d'habitude ({montant} €), je ne comprends "
        "pas pourquoi.",
        "J'ai reçu un courrier m'indiquant un trop-perçu de {montant} €. Pouvez-vous m'expliquer "
        "d'où il vient ?",
        A("Pouvez-vous me dire à quelle date sera versée l'ARE ce mois-ci ?"),
        A("Comment est calculé le montant de mon allocation journalière ?"),
        "Mon indemnisation a été recalculée et je touche {montant} € de moins, est-ce normal ?",
        A("À quelle date le paiement arrive-t-il sur le compte en général ?"),
    ),
    "documents": (
        A("Vous trouverez ci-joint l'attestation employeur demandée pour compléter mon dossier."),
        A("Je vous envoie mes justificatifs comme convenu lors de notre dernier entretien."),
        "On me demande une attestation employeur mais mon ancien employeur ne répond plus. Que "
        "dois-je faire ?",
        A("Pouvez-vous m'envoyer une attestation d'inscription ? J'en ai besoin pour un dossier."),
        A("Ci-joint mes bulletins de salaire des trois derniers mois."),
        A("Voici le justificatif de domicile que vous m'avez demandé."),
        "Il manque une pièce à mon dossier selon le courrier, mais je ne sais pas laquelle.",
    ),
    "formation": (
        "Je suis intéressé par une formation dans le métier de {metier}. Est-ce que France "
        "Travail peut la financer ?",
        "J'ai trouvé une formation qui commence le {jour}, il me faut un accord de financement. "
        "Où en est ma demande ?",
        A("Ma formation a bien commencé, je vous envoie l'attestation d'entrée en stage."),
        A("Je voudrais savoir si je garde mon allocation pendant la formation."),
        "J'aimerais me reconvertir, pouvez-vous m'aider à trouver une formation qualifiante ?",
        A("Comment utiliser mon CPF pour une formation ?"),
    ),
    "offre_candidature": (
        "J'ai vu l'offre {ref} pour un poste de {metier} à {ville}. Pouvez-vous transmettre ma "
        "candidature ?",
        "J'ai postulé à l'offre {ref} il y a deux semaines et je n'ai aucune réponse de "
        "l'employeur.",
        "Je voudrais savoir si l'offre {ref} est toujours d'actualité.",
        "Avez-vous des offres de {metier} autour de {ville} ? Je suis disponible immédiatement.",
        "Je vous joins mon CV mis à jour pour les offres de {metier}.",
        "L'employeur de l'offre {ref} me demande un permis que je n'ai pas, que me "
        "conseillez-vous ?",
    ),
    "changement_situation": (
        "Je vous informe que j'ai retrouvé un emploi en CDD à partir du {jour}.",
        A("Je déménage le mois prochain, à quelle agence dois-je être rattaché ?"),
        A(
            "Je commence une mission d'intérim lundi, dois-je vous prévenir ou le déclarer "
            "seulement à l'actualisation ?"
        ),
        "Mon contrat s'arrête le {jour}, je voudrais savoir quelles démarches faire.",
        A("J'ai changé de numéro de téléphone, comment le mettre à jour dans mon dossier ?"),
        "J'ai signé un CDI, je souhaite mettre fin à mon inscription.",
    ),
    "reclamation": (
        "Je conteste la décision reçue par courrier le {jour}. Je n'ai jamais été informé de ce "
        "rendez-vous.",
        "Cela fait trois semaines que j'attends une réponse à mon précédent message. Je suis très "
        "mécontent.",
        "Je souhaite faire une réclamation concernant le calcul de mes droits.",
        "Personne ne répond au téléphone et mes messages restent sans réponse.",
        "C'est la troisième fois que je vous envoie les mêmes papiers, c'est inadmissible.",
    ),
    "radiation": (
        "J'ai reçu un courrier m'annonçant ma radiation pour absence à un rendez-vous. Je n'ai "
        "jamais reçu de convocation.",
        "Je ne comprends pas pourquoi je suis radié, j'ai pourtant fait mon actualisation.",
        "Comment puis-je me réinscrire après ma radiation ?",
        "Je viens de voir que je ne suis plus inscrit comme demandeur d'emploi, que s'est-il "
        "passé ?",
    ),
    "autre": (
        A("Je voulais simplement vous remercier pour votre aide lors du dernier rendez-vous."),
        A("Je n'arrive plus à me connecter à mon espace personnel."),
        "Est-ce que l'agence {de_ville} est ouverte le samedi matin ?",
        "Pouvez-vous me rappeler quand vous aurez un moment ?",
        A("J'ai oublié mon mot de passe et je n'arrive pas à le réinitialiser."),
    ),
}
# A request about the person's own file: whatever else the email asks, the adviser must look.
FILE_REQUESTS = (
    "Pouvez-vous vérifier mon dossier, il me semble qu'il y a une erreur ?",
    "Pouvez-vous regarder ma situation personnellement ?",
    "Mon dossier n'est pas à jour depuis le mois dernier, pouvez-vous le corriger ?",
    "J'ai aussi besoin que vous me rappeliez pour mon cas particulier.",
    "Est-ce que vous pouvez me dire ce que vous voyez sur mon dossier ?",
)
FILE_REQUEST_P = 0.3
OPENERS = ("", "", "", "Je me permets de vous écrire car j'ai une question. ",
           "Je reviens vers vous au sujet de mon dossier. ", "Petite question : ")  # fmt: skip

URGENT_SENTENCES: dict[tuple[str, bool], tuple[str, ...]] = {
    ("sans_ressources", False): (
        "Je n'ai plus aucune ressource depuis {semaines} semaines et je ne peux plus payer mon "
        "loyer.",
        "Sans ce versement je n'ai plus rien pour nourrir ma famille ce mois-ci.",
        "Mon compte est à découvert et la banque refuse tout paiement, je n'ai plus aucun revenu.",
        "Nous allons être expulsés de notre logement à la fin du mois, je n'ai plus de revenus.",
        "Je n'ai plus d'argent pour manger depuis plusieurs jours.",
    ),
    ("sans_ressources", True): (
        "Le propriétaire est encore passé ce matin et le frigo est vide.",
        "J'ai dû emprunter à une voisine pour faire les courses cette semaine, je ne sais pas "
        "combien de temps ça va tenir.",
        "On m'a coupé l'électricité hier.",
        "Si rien ne bouge on va nous mettre dehors.",
        "Les enfants mangent à la cantine mais le soir on se débrouille avec les restos du cœur.",
    ),
    ("detresse", False): (
        "Je suis à bout et j'ai besoin d'aide rapidement.",
        "Je suis complètement désemparé, j'ai besoin de parler à quelqu'un au plus vite.",
        "J'ai des idées noires en ce moment, je ne vois plus d'issue.",
        "Mon conjoint est violent et je dois quitter le logement au plus vite.",
    ),
    ("detresse", True): (
        "Je ne dors plus depuis des semaines et je ne vois pas comment m'en sortir.",
        "Honnêtement je n'ai plus la force de continuer comme ça.",
        "Je ne sais plus quoi faire.",
        "Tout s'écroule autour de moi en ce moment, je n'en peux plus.",
    ),
    ("rdv_48h", False): (
        "Mon rendez-vous est demain à {heure} et je n'ai toujours pas de réponse, c'est urgent.",
        "L'entretien d'embauche est après-demain matin, il me faut l'attestation avant.",
        "J'ai un entretien d'embauche demain matin et je n'ai pas reçu la convocation.",
    ),
    ("rdv_48h", True): (
        "C'est pour demain {heure} et je n'ai toujours rien reçu.",
        "L'employeur m'attend après-demain, je ne sais pas comment faire sans ce document.",
        "On m'attend demain {heure} et je n'ai toujours pas le papier.",
    ),
    ("echeance_demain", False): (
        "Je dois rendre le dossier avant demain midi, sinon je perds ma place.",
        "La date limite est demain, il me faut absolument votre accord aujourd'hui.",
        "Ma radiation sera effective demain si je ne fournis pas ce document.",
        "Je dois envoyer le dossier complet aujourd'hui au plus tard.",
    ),
    ("echeance_demain", True): (
        "L'organisme m'a dit que passé demain ce serait trop tard.",
        "Ils ferment les inscriptions demain soir.",
        "Le centre de formation clôture la session demain, après ce sera fini.",
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
HTML_STYLE_P = 0.5  # mail clients put a <style> (sometimes a <script>) in the head
HTML_SCRIPT_P = 0.05
QUOTED_P = 0.15
OPENER_P = 0.5
# Personal data a signature or a sentence gives away, for the masking to find. Phone numbers
# are in the ranges ARCEP keeps for fiction (06 39 98 ..., 01 99 00 ...); e-mail domains are
# reserved examples; NIRs and IBANs have valid keys but belong to nobody.
SIGNATURE_PHONE_P = 0.25
SIGNATURE_EMAIL_P = 0.10
SIGNATURE_ADDRESS_P = 0.12
NIR_P = 0.02
IBAN_IN_PAYMENT_P = 0.2  # of emails about payment
STREETS = ("rue des Lilas", "avenue Jean Jaurès", "boulevard Victor Hugo", "chemin des Vignes",
           "impasse du Moulin", "place de la République", "allée des Tilleuls")  # fmt: skip
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
    answerable: bool = False  # every sentence is answered by a standard reply, nothing urgent
    personal_data: tuple[str, ...] = ()  # kinds written in: phone, email, address, nir, iban


def person_name(key: int) -> str:
    """A fake "First Last" name chosen by ``key``."""
    return f"{FIRST_NAMES[key % len(FIRST_NAMES)]} {LAST_NAMES[(key // 16) % len(LAST_NAMES)]}"


def _french_day(when: datetime) -> str:
    return f"{DAYS[when.weekday()]} {when.day} {MONTHS[when.month - 1]}"


def _slots(rng: random.Random, when: datetime, occupation: str, town: str) -> dict[str, str]:
    # At least 3 days ahead: an ordinary email never names an appointment within 48 hours
    # (that is one of the urgent cases, written only by URGENT_SENTENCES).
    later = when + timedelta(days=rng.randint(3, 15))
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


def _html(rng: random.Random, paragraphs: list[str], quoted: list[str]) -> str:
    def text(value: str) -> str:
        return html.escape(value, quote=False).replace("\n", "<br>")

    head = ""
    if rng.random() < HTML_STYLE_P:
        head = "<head><style>p { margin: 0 } .sig { color: #555 }</style></head>"
    if rng.random() < HTML_SCRIPT_P:
        head += "<script>window.trackingPixel && trackingPixel('open');</script>"
    body = "".join(f"<p>{text(p)}</p>" for p in paragraphs)
    if quoted:
        body += (
            f"<p>{text(quoted[0])}</p><blockquote>{text(quoted[1].replace('> ', ''))}</blockquote>"
        )
    return f"<html>{head}<body>{body}</body></html>"


def _nir(rng: random.Random) -> str:
    # 13 digits then the key 97 - (number mod 97); the first digit is drawn, not meaningful.
    number = (
        f"{rng.choice('12')}{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}"
        f"{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    key = 97 - int(number) % 97
    groups = (number[0], number[1:3], number[3:5], number[5:7], number[7:10], number[10:])
    return " ".join(groups) + f" {key:02d}"


def _iban(rng: random.Random) -> str:
    bank, branch, account = (
        rng.randint(10000, 99999),
        rng.randint(10000, 99999),
        rng.randrange(10**11),
    )
    bban = f"{bank}{branch}{account:011d}"
    bban += f"{97 - (int(bban) * 100) % 97:02d}"  # RIB key, close enough for a fake
    check = 98 - int(bban + "152700") % 97  # "FR00" moved to the end, letters as numbers
    iban = f"FR{check:02d}{bban}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _signature(
    rng: random.Random, sender: str, town: str, postal_code: str | None
) -> tuple[str, list[str]]:
    lines = [sender if rng.random() < 0.7 else sender.split(" ")[0]]
    kinds: list[str] = []
    if rng.random() < SIGNATURE_PHONE_P:
        number = f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
        if rng.random() < 0.3:
            number = "+33 " + number[1:]
        lines.append(rng.choice(("Tél : ", "Tel. ", "Portable : ", "")) + number)
        kinds.append("phone")
    if rng.random() < SIGNATURE_EMAIL_P:
        login = sender.lower().replace(" ", ".").translate(_NO_ACCENTS)
        lines.append(f"{login}{rng.randint(1, 99)}@exemple.fr")
        kinds.append("email")
    if rng.random() < SIGNATURE_ADDRESS_P and postal_code:
        lines.append(f"{rng.randint(1, 120)} {rng.choice(STREETS)}")
        lines.append(f"{postal_code} {town}")
        kinds.append("address")
    return "\n".join(lines), kinds


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
    postal_code: str | None = None,
) -> Email:
    """One email about ``intents`` (and the urgency, if any) from ``sender`` to ``adviser``."""
    slots = _slots(rng, when, occupation, town)
    subject = rng.choice(SUBJECTS[intents[0]]).format(**slots)
    chosen = [rng.choice(SENTENCES[intent]) for intent in intents]
    sentences = [c.format(**slots) for c in chosen]
    file_request = rng.random() < FILE_REQUEST_P
    if file_request:
        sentences.append(rng.choice(FILE_REQUESTS))
    answerable = (
        urgency_reason is None
        and not file_request
        and all(isinstance(c, Answerable) for c in chosen)
    )
    if rng.random() < OPENER_P:
        sentences[0] = rng.choice(OPENERS) + sentences[0]
    if urgency_reason is not None:
        urgent = rng.choice(URGENT_SENTENCES[(urgency_reason, indirect)]).format(**slots)
        sentences.insert(rng.randint(0, len(sentences)), urgent)
    elif rng.random() < NOT_URGENT_P:
        sentences.append(NOT_URGENT)
    personal: list[str] = []
    if rng.random() < NIR_P:
        sentences.append(f"Mon numéro de sécurité sociale : {_nir(rng)}.")
        personal.append("nir")
    if "paiement" in intents and rng.random() < IBAN_IN_PAYMENT_P:
        sentences.append(f"Voici mon RIB si besoin : {_iban(rng)}.")
        personal.append("iban")
    greeting = rng.choice(GREETINGS).format(conseiller=adviser)
    signature, signed = _signature(rng, sender, town, postal_code)
    personal.extend(signed)
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
        body, body_format = _html(rng, paragraphs, quoted), "html"
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
    return Email(
        subject, body, body_format, attachments, in_reply_to, style, answerable, tuple(personal)
    )
