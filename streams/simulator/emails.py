"""French emails from job seekers to their advisers, composed from templates.

A wide choice of sentences per intent, in every register (formal, casual, SMS-like, anxious,
annoyed, elderly, non-native French, a few in English), with the noise real mail has (missing
accents, typos, SMS abbreviations, HTML bodies with styles, quoted replies, signatures giving
away a phone number or an address, a social-security number or an IBAN now and then, "pas
urgent" in an ordinary mail) so a triage model cannot key on one word and the
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
        "Je n'ai pas pu venir au rendez-vous de la semaine dernière, mon bus n'est pas passé. "
        "Pouvez-vous m'en proposer un autre ?",
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
        "jsuis convoqué le {jour} à {heure} mais g un entretien d'embauche le même jour, on peut "
        "changer ?",
        "Serait-il envisageable de reporter notre entretien du {jour} ? Je dois accompagner ma "
        "mère à un examen médical prévu de longue date.",
        A("Quels documents dois-je apporter à mon premier rendez-vous à l'agence ?"),
        "c koi ce rdv du {jour} à {heure} ?? personne m'a prévenu de rien",
        "Je n'ai pas internet à la maison et je ne suis plus tout jeune, pourriez-vous m'envoyer "
        "la date de mon prochain rendez-vous par la poste, s'il vous plaît ?",
        A(
            "Est-ce que je peux venir accompagné de ma fille au rendez-vous ? Elle m'aide pour les "
            "papiers."
        ),
        A(
            "Moi je parle pas bien le français, c'est possible avoir un rendez-vous avec un "
            "traducteur ?"
        ),
        "I received a letter for an appointment on {jour} at {heure}, but my French is not very "
        "good. Could we do it in English?",
        "La dernière fois j'ai attendu plus de quarante minutes et le rendez-vous a été annulé "
        "sans explication. J'aimerais en avoir un nouveau.",
        A(
            "Les rendez-vous à l'agence se font-ils uniquement sur convocation ou peut-on passer "
            "sans rendez-vous ?"
        ),
        "J'ai une visite médicale le {jour} au matin, est-ce qu'on pourrait voir pour l'après-midi "
        "plutôt ?",
        "J'ai reçu deux convocations pour le {jour}, une à {heure} et une autre sans heure. "
        "Laquelle est la bonne ?",
        A("Combien de temps dure en général un entretien de suivi avec un conseiller ?"),
        "svp je peux avoir un rdv avant le {jour} ? j'ai plein de questions sur mon dossier",
        "Je n'ai pas de moyen de transport pour venir à l'agence {de_ville}, l'entretien du "
        "{jour} peut-il se faire à distance ?",
        A("Is it possible to book an appointment online, or do I have to call the agency?"),
        A("Pour le rendez-vous du {jour}, dois-je venir avec mon CV imprimé ?"),
        "Ça fait deux mois que je n'ai vu personne, j'aimerais vraiment qu'on fasse le point sur "
        "mon projet dans le métier de {metier}.",
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
        A(
            "Je ne sais pas si je dois déclarer les {heures} heures de bénévolat faites en {mois}, "
            "pouvez-vous m'éclairer ?"
        ),
        A("jarrive pas a m'actualiser, ça me dit que mon identifiant est bloqué"),
        "Mon actualisation de {mois} indique zéro heure alors que j'ai déclaré {heures} heures, "
        "il y a dû y avoir un souci.",
        A(
            "Faut-il déclarer les indemnités journalières de la Sécurité sociale lors de "
            "l'actualisation ?"
        ),
        A(
            "À mon âge je ne suis guère à l'aise avec l'ordinateur, c'est mon petit-fils qui "
            "m'aide d'habitude. Puis-je faire mon actualisation par téléphone ?"
        ),
        A("Est-ce que je dois m'actualiser même si je suis en arrêt maladie ?"),
        "I think I made a mistake in my monthly declaration for {mois}: I ticked that I was no "
        "longer looking for work. Can you fix it?",
        "pk mon actu de {mois} apparait comme pas faite ?? je l'ai faite jvous jure",
        A("Où puis-je trouver le justificatif de mon actualisation une fois qu'elle est faite ?"),
        "J'ai déclaré par erreur un salaire de {montant} € au lieu de {heures} heures "
        "travaillées, pouvez-vous rectifier ?",
        A(
            "Je suis auto-entrepreneur depuis peu, comment déclarer mon chiffre d'affaires chaque "
            "mois ?"
        ),
        A(
            "Le site refuse d'enregistrer mon actualisation, j'ai essayé sur le téléphone et sur "
            "l'ordinateur, rien à faire."
        ),
        A(
            "Franchement votre site d'actualisation est une catastrophe, trois essais et toujours "
            "le même message d'erreur."
        ),
        "Je ne retrouve pas mon actualisation de {mois} dans l'historique, pouvez-vous vérifier "
        "qu'elle a été enregistrée ?",
        A(
            "Est-ce normal que la réponse à la question « avez-vous travaillé » soit déjà cochée "
            "quand je me connecte ?"
        ),
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
        "c pour savoir pk j'ai rien touché pour {mois}, jai bien fait mon actu",
        A("Pourriez-vous m'expliquer la différence entre l'ARE et l'ASS ?"),
        "Le versement de {mois} est parti sur mon ancien compte alors que je vous avais envoyé "
        "mon nouveau RIB.",
        A("Les allocations chômage sont-elles imposables ? Faut-il les déclarer aux impôts ?"),
        "J'ai reçu {montant} € alors que la simulation annonçait bien plus, quelqu'un peut-il "
        "m'expliquer le calcul ?",
        "Je conteste le trop-perçu de {montant} € : j'ai toujours déclaré mes heures correctement.",
        A("Est-il possible d'étaler le remboursement d'un trop-perçu ?"),
        "Could you please tell me why my allowance for {mois} has not been paid yet?",
        "J'aurai 60 ans l'an prochain et je voudrais savoir si mes droits continuent jusqu'à ma "
        "retraite.",
        A("Y a-t-il un délai d'attente avant le premier versement de l'allocation ?"),
        "On m'a retenu {montant} € sur mon allocation sans aucun courrier pour me prévenir, je ne "
        "comprends pas.",
        A("Comment télécharger une attestation de paiement pour la CAF depuis mon espace ?"),
        "moi je reçois pas l'argent de {mois}, quel est le problème avec mon dossier ?",
        "Vous m'avez payé deux fois en {mois}, je préfère vous le signaler avant qu'on me le "
        "réclame.",
        A(
            "À partir de combien d'heures travaillées dans le mois l'allocation n'est-elle plus "
            "versée ?"
        ),
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
        A("Je vous transmets ci-joint ma pièce d'identité recto verso."),
        A("Veuillez trouver en pièce jointe mon contrat de travail signé."),
        "jvous envoie la photo de mon attestation, dites moi si c lisible",
        A("Comment puis-je déposer mes justificatifs en ligne sans passer à l'agence ?"),
        "Mon ancien employeur a fermé et je n'ai aucun moyen d'obtenir l'attestation, existe-t-il "
        "une autre solution ?",
        A("Je joins à ce message mon avis d'imposition, comme demandé dans votre courrier."),
        A("Please find attached my last three payslips."),
        "J'ai déposé mes papiers dans la boîte aux lettres de l'agence il y a un mois, les "
        "avez-vous reçus ?",
        A("Ci-joint le certificat de scolarité de mon fils pour compléter mon dossier."),
        "Le document que j'ai envoyé apparaît comme « refusé » dans mon espace, sans aucune "
        "explication.",
        A(
            "Je vous adresse mon attestation de fin de contrat ainsi que mon dernier bulletin de "
            "salaire."
        ),
        A(
            "Je n'ai ni imprimante ni scanner, puis-je vous envoyer les papiers en photo avec mon "
            "téléphone ?"
        ),
        "Vous me réclamez un relevé d'identité bancaire que je vous ai déjà transmis en {mois}.",
        A("Voici le certificat médical qui justifie mon absence au dernier rendez-vous."),
        "Mon titre de séjour a été renouvelé, je vous joins le nouveau pour mettre à jour mon "
        "dossier.",
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
        A("Quelles formations gratuites sont proposées aux demandeurs d'emploi dans la région ?"),
        "jvoudrais faire une formation de {metier}, c possible ou pas avec mes droits ?",
        "Le centre de formation attend toujours le devis validé pour la session qui débute le "
        "{jour}.",
        A("Les frais de transport pendant la formation peuvent-ils être remboursés ?"),
        "J'ai dû arrêter ma formation pour raisons de santé, que dois-je faire de votre côté ?",
        A("J'ai terminé ma formation, vous trouverez ci-joint l'attestation de fin de stage."),
        A("Is there a French language course I could follow while I am looking for work?"),
        "À 58 ans, est-ce encore raisonnable de me former au métier de {metier} ? J'aimerais en "
        "parler avec vous.",
        "Ma demande d'aide individuelle à la formation est en attente depuis {semaines} "
        "semaines, le centre me relance régulièrement.",
        A("Comment savoir si une formation est éligible au CPF ?"),
        "Pouvez-vous m'inscrire à l'atelier CV du mois prochain ?",
        A(
            "Moi je veux apprendre le métier de {metier} mais mon diplôme est pas de France, "
            "comment faire ?"
        ),
        "On m'a refusé le financement de ma formation sans me donner la raison, je voudrais "
        "comprendre.",
        A(
            "Peut-on suivre une formation à distance tout en restant inscrit comme demandeur "
            "d'emploi ?"
        ),
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
        "L'offre {ref} correspond exactement à mon profil, pourriez-vous appuyer ma candidature "
        "auprès de l'employeur ?",
        "jai vu l'annonce {ref} sur le site, elle est encore dispo ?",
        "L'employeur de l'offre {ref} ne m'a jamais recontacté après l'entretien, avez-vous des "
        "nouvelles ?",
        "Je cherche un poste de {metier} à temps partiel près de {ville}, auriez-vous quelque "
        "chose à me proposer ?",
        "L'annonce {ref} demande cinq ans d'expérience, j'en ai trois : est-ce que ça vaut la "
        "peine que je postule ?",
        "I am interested in job offer {ref} in {ville}. Could you forward my application?",
        "Pourriez-vous relire ma lettre de motivation pour l'offre {ref} avant que je l'envoie ?",
        "Je ne reçois plus les alertes d'offres de {metier} dans ma boîte mail depuis le mois "
        "dernier.",
        "L'offre {ref} affiche un salaire bien en dessous de ce qui se pratique, est-ce normal ?",
        "J'ai été {metier} pendant vingt ans, mais passé cinquante ans les employeurs ne "
        "répondent plus. Auriez-vous des offres adaptées ?",
        "moi je suis intéressé par travail de {metier}, vous avez des offres à {ville} ?",
        "Après mon entretien pour l'offre {ref}, l'employeur me propose une période d'immersion. "
        "Comment ça se passe de votre côté ?",
        "Je voudrais être mis en relation avec des entreprises qui recrutent des profils de "
        "{metier} autour de {ville}.",
        "L'offre {ref} a disparu du site pendant que je postulais, a-t-elle été pourvue ?",
    ),
    "changement_situation": (
        "Je vous informe que j'ai retrouvé un emploi en CDD à partir du {jour}.",
        A("Je déménage le mois prochain, à quelle agence dois-je être rattaché ?"),
        A(
            "Je commence une mission d'intérim le {jour}, dois-je vous prévenir ou le déclarer "
            "seulement à l'actualisation ?"
        ),
        "Mon contrat s'arrête le {jour}, je voudrais savoir quelles démarches faire.",
        A("J'ai changé de numéro de téléphone, comment le mettre à jour dans mon dossier ?"),
        "J'ai signé un CDI, je souhaite mettre fin à mon inscription.",
        A("Je me marie le mois prochain, dois-je vous signaler mon changement de nom ?"),
        A("je reprends un taf à mi-temps à partir du {jour}, jdois faire quoi ?"),
        "Je vous informe que je suis en arrêt maladie depuis le début du mois, je vous enverrai "
        "l'avis d'arrêt.",
        A("Je pars trois semaines en vacances à l'étranger, faut-il vous prévenir ?"),
        "J'ai créé mon entreprise, je voudrais savoir si je peux bénéficier de l'ARCE.",
        "We have moved to {ville}, could you transfer my file to the local agency?",
        A("Comment déclarer un changement d'adresse dans mon espace personnel ?"),
        A(
            "Mon contrat de {metier} a été prolongé jusqu'au {jour}, je préfère vous tenir au "
            "courant."
        ),
        "J'ai fait valoir mes droits à la retraite, je vous prie de bien vouloir clôturer mon "
        "inscription.",
        "Mon employeur a mis fin à ma période d'essai, dois-je me réinscrire ou mon dossier "
        "reste-t-il ouvert ?",
        A("Est-ce que je dois signaler la naissance de mon enfant à France Travail ?"),
        "jai changé de mail, l'ancien marche plus, vous pouvez mettre le nouveau dans mon "
        "dossier ?",
        "Je suis passé à temps partiel chez mon employeur actuel, cela change-t-il quelque chose "
        "à mes droits ?",
        A("Je déménage dans une autre région, est-ce que mes droits me suivent ?"),
    ),
    "reclamation": (
        "Je conteste la décision reçue par courrier le {jour}. Je n'ai jamais été informé de ce "
        "rendez-vous.",
        "Cela fait trois semaines que j'attends une réponse à mon précédent message. Je suis très "
        "mécontent.",
        "Je souhaite faire une réclamation concernant le calcul de mes droits.",
        "Personne ne répond au téléphone et mes messages restent sans réponse.",
        "C'est la troisième fois que je vous envoie les mêmes papiers, c'est inadmissible.",
        "Voilà deux mois que j'attends le remboursement de mes frais de déplacement, c'est "
        "inacceptable.",
        "jvous ai envoyé 4 mails et personne répond, c normal ça ??",
        "Le conseiller qui m'a reçu la dernière fois m'a parlé de façon très désagréable, je "
        "tiens à le signaler.",
        "Je conteste formellement le trop-perçu qui m'est réclamé et demande un réexamen complet "
        "de mon dossier.",
        "Je souhaite saisir le médiateur au sujet de mon dossier, à qui dois-je m'adresser ?",
        "This is the third time I write about the same problem and nobody answers. I am very "
        "disappointed.",
        "À mon âge, on ne devrait pas avoir à se battre ainsi pour obtenir une simple réponse.",
        "Le serveur vocal raccroche à chaque fois, impossible de parler à un être humain.",
        "On m'avait promis un rappel qui n'est jamais venu, je commence à perdre patience.",
        "Je ne suis pas d'accord avec l'avertissement reçu, j'avais prévenu de mon absence.",
        "moi j'ai donné tous les papiers deux fois et vous dites toujours qu'il manque, c'est pas "
        "juste",
        "Je forme par la présente un recours gracieux contre la décision qui m'a été notifiée le "
        "mois dernier.",
        "Franchement c'est le bazar, chaque conseiller me dit une chose différente sur mes droits.",
    ),
    "radiation": (
        # The labelling guide makes a notified deregistration with no other income urgent
        # (URGENT_SENTENCES); what is written here is the radiation intent without urgency:
        # warnings with days to answer, questions about sanctions, re-registrations, appeals
        # against a deregistration already lifted or while a salary comes in.
        "J'ai reçu un avertissement avant sanction, j'ai dix jours pour répondre : que dois-je "
        "vous fournir ?",
        "Comment puis-je me réinscrire après ma radiation ? Je travaille en intérim en attendant.",
        "Je suis de nouveau inscrit depuis la semaine dernière, l'ancienne radiation est-elle "
        "effacée de mon dossier ?",
        "Est-ce que je risque une radiation si je refuse une offre à soixante kilomètres ?",
        "Quelles sont les sanctions quand on manque un atelier obligatoire ?",
        "Combien de temps dure une radiation, et puis-je me réinscrire avant la fin ?",
        "Je conteste la radiation du mois dernier ; je suis réinscrit depuis et j'ai un salaire, "
        "mais je veux que ce soit corrigé.",
        "Je dois remplir le questionnaire du contrôle de la recherche d'emploi sous quinze jours, "
        "pouvez-vous m'aider ?",
        "I got a warning letter before a sanction and I have ten days to answer: what should I "
        "send?",
        "À 63 ans je n'ai pas bien compris la lettre d'avertissement, pouvez-vous m'expliquer ce "
        "que je risque ?",
        "jvoulais savoir si on peut etre radié quand on rate un rdv sans prevenir ?",
        "Je vous adresse un recours contre la radiation de l'an dernier, annulée depuis, pour "
        "qu'elle disparaisse de mon dossier.",
    ),
    "autre": (
        A("Je voulais simplement vous remercier pour votre aide lors du dernier rendez-vous."),
        A("Je n'arrive plus à me connecter à mon espace personnel."),
        "Est-ce que l'agence {de_ville} est ouverte le samedi matin ?",
        "Pouvez-vous me rappeler quand vous aurez un moment ?",
        A("J'ai oublié mon mot de passe et je n'arrive pas à le réinitialiser."),
        A("Quel est le numéro de téléphone pour joindre France Travail ?"),
        A("Merci beaucoup pour votre accompagnement, grâce à vous j'ai repris confiance."),
        A("jarrive plus à ouvrir l'appli sur mon tel depuis la mise à jour"),
        A("Can I write to my adviser by email, or do I have to use the website?"),
        A("Mon fils a besoin d'aide pour s'inscrire, peut-il venir avec moi à l'agence ?"),
        "Je voudrais changer de conseiller, est-ce possible ?",
        A("Je vous souhaite de bonnes fêtes de fin d'année, et merci pour votre patience."),
        A("Les courriers de mon espace ne s'ouvrent pas, les fichiers PDF restent blancs."),
        A(
            "L'ordinateur, à mon âge, c'est compliqué : y a-t-il quelqu'un à l'agence pour "
            "m'aider à utiliser le site ?"
        ),
        "Mon nom est mal orthographié sur tous vos courriers, pouvez-vous le corriger ?",
        "Pouvez-vous me donner le nom de mon conseiller référent ? Je ne le connais pas.",
        "c koi le numéro pour appeler l'agence {de_ville} en direct ?",
        A(
            "Je reçois des SMS au nom de France Travail qui demandent mes coordonnées bancaires, "
            "est-ce une arnaque ?"
        ),
    ),
}
# A request about the person's own file: whatever else the email asks, the adviser must look.
FILE_REQUESTS = (
    "Pouvez-vous vérifier mon dossier, il me semble qu'il y a une erreur ?",
    "Pouvez-vous regarder ma situation personnellement ?",
    "Mon dossier n'est pas à jour depuis le mois dernier, pouvez-vous le corriger ?",
    "J'ai aussi besoin que vous me rappeliez pour mon cas particulier.",
    "Est-ce que vous pouvez me dire ce que vous voyez sur mon dossier ?",
    "Pouvez-vous jeter un œil à mon dossier ? Quelque chose ne colle pas.",
    "jpeux avoir quelqu'un qui regarde mon dossier svp",
    "J'aimerais que vous vérifiiez les informations enregistrées à mon nom.",
    "Could you please check my file? I think some information is wrong.",
    "Pourriez-vous me dire si tout est en ordre dans mon dossier ?",
    "Je vous saurais gré d'examiner ma situation, qui me semble mal enregistrée.",
    "Je voudrais aussi savoir où en est exactement mon dossier.",
    "Est-ce que mes dernières démarches apparaissent bien de votre côté ?",
    "Moi je veux savoir si mon dossier est complet ou s'il manque quelque chose.",
    "Au passage, la date d'inscription affichée est fausse, pouvez-vous la vérifier ?",
    "Pouvez-vous aussi contrôler que mes coordonnées sont les bonnes ?",
)
FILE_REQUEST_P = 0.3
# Half of them empty, so that an opener starts about a quarter of the emails.
OPENERS = ("",) * 13 + (
    "Je me permets de vous écrire car j'ai une question. ",
    "Je reviens vers vous au sujet de mon dossier. ",
    "Petite question : ",
    "Je me permets de vous recontacter. ",
    "Je vous écris au sujet de ma situation. ",
    "Désolé de vous déranger encore. ",
    "J'espère que vous allez bien. ",
    "Je viens vers vous pour une question. ",
    "C'est encore moi. ",
    "Je vous prie de m'excuser de vous importuner. ",
    "Voilà jvous écris pcq j'ai un souci. ",
    "Comme convenu, je vous recontacte. ",
    "Excusez mon français, je fais de mon mieux. ",
)

URGENT_SENTENCES: dict[tuple[str, bool], tuple[str, ...]] = {
    ("sans_ressources", False): (
        "J'ai reçu ce matin un courrier de radiation, et sans allocation je n'ai plus aucun "
        "revenu.",
        "Mon allocation a été suspendue hier et c'est ma seule ressource, je n'ai plus rien.",
        "Je n'ai plus aucune ressource depuis {semaines} semaines et je ne peux plus payer mon "
        "loyer.",
        "Sans ce versement je n'ai plus rien pour nourrir ma famille ce mois-ci.",
        "Mon compte est à découvert et la banque refuse tout paiement, je n'ai plus aucun revenu.",
        "Nous allons être expulsés de notre logement à la fin du mois, je n'ai plus de revenus.",
        "Je n'ai plus d'argent pour manger depuis plusieurs jours.",
        "Je n'ai plus un centime pour acheter à manger à mes enfants, aidez-moi s'il vous plaît.",
        "jai plus un sou pour nourrir mes gosses, svp faut m'aider",
        "L'huissier vient nous expulser vendredi et je n'ai aucun revenu pour payer l'arriéré.",
        "Mon allocation a été suspendue et je n'ai aucune autre source de revenu, je ne peux plus "
        "rien payer.",
        "J'ai reçu la notification de radiation et l'allocation était mon seul revenu, je n'ai "
        "plus rien du tout.",
        "My allowance has stopped and I have no money left to buy food for my children.",
        "Nous serons à la rue dans trois jours si rien n'est versé, je n'ai plus aucun revenu.",
        "Depuis l'arrêt de mes indemnités je n'ai plus aucune ressource, je ne peux même plus "
        "acheter à manger.",
        "De toute ma vie je n'ai jamais rien demandé à personne, mais là je n'ai plus de quoi me "
        "nourrir.",
        "Moi plus d'argent du tout, pas de nourriture pour les enfants, aidez-moi svp.",
        "Le bailleur a fixé l'expulsion à la fin de la semaine et je n'ai plus aucun revenu "
        "depuis {semaines} semaines.",
        "Je suis sans aucun revenu depuis que mon allocation a été coupée, mes enfants n'ont rien "
        "à manger.",
    ),
    ("sans_ressources", True): (
        "Le propriétaire est encore passé ce matin et le frigo est vide.",
        "J'ai dû emprunter à une voisine pour faire les courses cette semaine, je ne sais pas "
        "combien de temps ça va tenir.",
        "On m'a coupé l'électricité hier.",
        "Si rien ne bouge on va nous mettre dehors.",
        "Les enfants mangent à la cantine mais le soir on se débrouille avec les restos du cœur.",
        "Ce soir encore les petits iront se coucher avec un bol de riz.",
        "J'ai vendu ce qui me restait de meubles pour tenir jusqu'ici, il n'y a plus rien à "
        "vendre.",
        "La banque a rejeté le prélèvement du loyer et le bailleur m'a donné jusqu'à vendredi.",
        "jai demandé au secours populaire mais ils peuvent plus rien me donner avant la semaine "
        "prochaine",
        "Mon fils m'a demandé pourquoi on ne mange plus le soir, je n'ai pas su quoi lui répondre.",
        "L'huissier a laissé un avis de passage pour jeudi, les cartons sont prêts.",
        "The fridge is empty and the landlord is changing the locks on Friday.",
        "Depuis que l'allocation ne tombe plus, c'est des pâtes tous les jours, et encore.",
        "Le gaz a été coupé et il fait froid dans l'appartement, les enfants dorment habillés.",
        "J'ai sauté des repas toute la semaine pour que ma fille puisse manger.",
        "À l'épicerie solidaire on m'a dit que mon dossier n'était plus valable sans attestation "
        "de votre part, et il ne reste rien dans les placards.",
        "Ma voisine nous dépanne pour le pain mais elle ne pourra pas continuer.",
    ),
    # Distress and danger: suicidal thoughts, domestic violence, threats against the staff;
    # the indirect forms include farewells and veiled threats.
    ("detresse", False): (
        "Je suis à bout et j'ai besoin d'aide rapidement.",
        "Je suis complètement désemparé, j'ai besoin de parler à quelqu'un au plus vite.",
        "J'ai des idées noires en ce moment, je ne vois plus d'issue.",
        "Mon conjoint est violent et je dois quitter le logement au plus vite.",
        "J'ai pensé à mettre fin à mes jours cette nuit, je ne sais plus vers qui me tourner.",
        "jai envie de tout arrêter, de plus être là, je vous le dis franchement",
        "Mon conjoint lève la main sur moi depuis des mois, je veux partir avec les enfants mais "
        "je n'ai nulle part où aller.",
        "Si mon dossier n'est pas réglé, je viendrai à l'agence et je m'en prendrai physiquement "
        "à mon conseiller.",
        "Je vous préviens : la prochaine fois que je viens à l'agence, je casse tout et je m'en "
        "prends au personnel.",
        "I am thinking about killing myself, I cannot go on like this.",
        "J'ai des pensées suicidaires depuis que j'ai perdu mon travail, j'ai besoin de parler à "
        "quelqu'un.",
        "Il y a des violences à la maison et j'ai peur pour ma sécurité, je dois partir au plus "
        "vite.",
        "Moi je veux plus vivre, c'est trop dur, je n'ai plus personne.",
        "Si personne ne m'aide je vais me foutre en l'air, c'est pas du chantage, c'est la vérité.",
        "Je suis victime de violences conjugales et je dois quitter le domicile, je ne sais pas "
        "ce que deviennent mes droits.",
        "Si je n'ai pas mon argent, ça va très mal finir pour la personne qui s'occupe de mon "
        "dossier, je sais où la trouver.",
        "Je ne veux plus continuer à vivre comme ça, je pense sérieusement à en finir.",
    ),
    ("detresse", True): (
        "Je ne dors plus depuis des semaines et je ne vois pas comment m'en sortir.",
        "Honnêtement je n'ai plus la force de continuer comme ça.",
        "Je ne sais plus quoi faire.",
        "Tout s'écroule autour de moi en ce moment, je n'en peux plus.",
        "Merci pour votre patience pendant tout ce temps, bientôt je ne vous embêterai plus avec "
        "mes papiers.",
        "Ne vous souciez plus de mon dossier, là où je vais je n'en aurai plus besoin.",
        "Je voulais vous dire au revoir et vous remercier, vous avez été la seule personne "
        "gentille avec moi.",
        "jpense que tout le monde serait mieux sans moi",
        "J'ai rangé mes affaires et écrit quelques lettres, je voulais juste remercier quelqu'un "
        "avant.",
        "À quoi bon continuer, plus personne n'a besoin de moi.",
        "Je ne me sens plus en sécurité chez moi, il devient de plus en plus agressif quand il "
        "boit.",
        "Si ça continue comme ça je ne réponds plus de mes actes la prochaine fois que je "
        "viendrai à l'agence.",
        "Qu'on ne s'étonne pas s'il arrive quelque chose à l'agence, j'ai assez attendu.",
        "Thank you for everything, you will not have to deal with my file anymore.",
        "Plus de travail, plus de famille, à mon âge je crois que j'ai fait mon temps.",
        "Je dois partir de chez moi sans qu'il le sache, surtout ne m'écrivez plus à l'adresse "
        "habituelle.",
        "Vous direz à mon conseiller que ce n'était pas de sa faute, il a fait ce qu'il pouvait.",
    ),
    ("rdv_48h", False): (
        "Mon rendez-vous est demain à {heure} et je n'ai toujours pas de réponse, c'est urgent.",
        "L'entretien d'embauche est après-demain matin, il me faut l'attestation avant.",
        "J'ai un entretien d'embauche demain matin et je n'ai pas reçu la convocation.",
        "J'ai rendez-vous à l'agence aujourd'hui à {heure} mais je suis malade, il faut "
        "absolument le décaler.",
        "mon rdv c demain {heure} et jpeux pas venir, svp faut le changer vite",
        "L'atelier de demain à {heure} tombe en même temps qu'un entretien d'embauche, pouvez-vous "
        "me changer de créneau en urgence ?",
        "I have an appointment tomorrow at {heure} and I still have not received the letter I "
        "need to bring.",
        "Je passe un entretien d'embauche après-demain et l'employeur exige une attestation "
        "d'inscription que je n'ai pas.",
        "Le rendez-vous est cet après-midi et je n'ai toujours pas le justificatif demandé, que "
        "dois-je faire ?",
        "Mon entretien avec l'employeur est demain matin et il me faut votre attestation avant, "
        "c'est urgent.",
        "Je ne pourrai pas être à l'atelier de demain à {heure}, mon enfant est hospitalisé, "
        "merci de le reporter rapidement.",
        "Moi j'ai rendez-vous demain mais j'ai pas le papier pour l'employeur, aidez-moi vite svp.",
        "Ma convocation est pour après-demain {heure} et je serai en mission d'intérim, il faut "
        "la décaler au plus vite.",
    ),
    ("rdv_48h", True): (
        "C'est pour demain {heure} et je n'ai toujours rien reçu.",
        "L'employeur m'attend après-demain, je ne sais pas comment faire sans ce document.",
        "On m'attend demain {heure} et je n'ai toujours pas le papier.",
        "C'est à {heure} tout à l'heure et le document n'est toujours pas arrivé.",
        "jsuis censé être à l'agence demain {heure} mais jbosse à cette heure-là",
        "L'entretien d'embauche est demain matin, et l'employeur veut voir l'attestation.",
        "Demain {heure}, c'est l'atelier, et je n'ai personne pour garder mon fils.",
        "The interview is the day after tomorrow and they want a paper from you.",
        "Le rendez-vous est pour après-demain, et mon employeur vient de me mettre de service ce "
        "jour-là.",
        "Je suis attendu demain matin chez l'employeur avec le justificatif, qui n'est jamais "
        "arrivé.",
        "On m'a convoqué pour demain et je suis à trois cents kilomètres pour un enterrement.",
        "Je ne conduis plus à mon âge, et le car ne passe pas demain à l'heure de la convocation.",
    ),
    ("echeance_demain", False): (
        "Je dois rendre le dossier avant demain midi, sinon je perds ma place.",
        "La date limite est demain, il me faut absolument votre accord aujourd'hui.",
        "Ma radiation sera effective demain si je ne fournis pas ce document.",
        "Je dois envoyer le dossier complet aujourd'hui au plus tard.",
        "Je dois renvoyer le dossier de formation avant demain midi et il me manque votre "
        "signature, c'est urgent.",
        "La date limite pour contester est aujourd'hui, j'ai besoin d'une réponse avant ce soir.",
        "jdois envoyer l'attestation avant demain sinon jperds mes droits, svp aidez moi",
        "The deadline to send the documents is tomorrow and I am still missing the employer "
        "certificate.",
        "Le centre de formation exige l'accord de financement aujourd'hui au plus tard, sinon ma "
        "place sera donnée à quelqu'un d'autre.",
        "Mon inscription sera annulée demain si je ne transmets pas le justificatif, je vous en "
        "supplie, répondez-moi.",
        "J'ai jusqu'à demain pour fournir l'attestation employeur et l'employeur est injoignable.",
        "Ma radiation prend effet demain si ce document n'est pas enregistré, c'est très urgent.",
        "Le dossier doit être complet aujourd'hui avant 17h, sinon la formation est perdue.",
    ),
    ("echeance_demain", True): (
        "L'organisme m'a dit que passé demain ce serait trop tard.",
        "Ils ferment les inscriptions demain soir.",
        "Le centre de formation clôture la session demain, après ce sera fini.",
        "Le dossier doit partir demain au plus tard, et il manque toujours votre tampon.",
        "L'école m'a prévenu que sans l'accord signé ce soir, ma place passera au suivant.",
        "Ils m'ont dit : passé demain minuit, plus rien ne sera accepté.",
        "The training centre closes registrations tomorrow evening.",
        "c le dernier jour pour déposer le dossier et il me manque encore votre papier",
        "Le délai de recours se termine demain, d'après le courrier.",
        "La mairie arrête de prendre les dossiers demain à midi.",
        "D'après l'employeur, s'il n'a pas l'attestation ce soir, il prend quelqu'un d'autre.",
        "Le courrier dit que j'ai jusqu'à demain pour répondre, et je n'ai toujours pas compris "
        "ce qu'on attend de moi.",
    ),
}
OFFER_REF_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # offers are cited by FT-style ids ("190HCYJ")
NOT_URGENT = "Ce n'est pas urgent, répondez-moi quand vous pourrez."
NOT_URGENT_P = 0.05

GREETINGS = (
    "Bonjour,", "Bonjour {conseiller},", "Madame, Monsieur,", "Bonjour Madame, Monsieur,",
    "Bjr,", "Bonsoir,", "Bonjour à vous,", "Salut,", "Hello,", "Madame, Monsieur, bonjour,",
    "Cher conseiller, chère conseillère,", "Bonjour à toute l'équipe,", "Bjr {conseiller}",
    "À l'attention de {conseiller},", "Re-bonjour,", "Bonsoir {conseiller},",
    "Dear Sir or Madam,", "Bonjour monsieur madame", "Good morning,",
)  # fmt: skip
CLOSINGS = (
    "Cordialement,", "Bien cordialement,", "Merci d'avance.", "Merci pour votre retour.",
    "Bonne journée.", "Dans l'attente de votre réponse,", "Merci,", "Merci beaucoup.",
    "Je vous remercie par avance.", "Salutations,", "Bonne fin de journée.", "A+", "Merci bcp",
    "Veuillez agréer, Madame, Monsieur, l'expression de mes salutations distinguées.",
    "Respectueusement,", "Best regards,", "Thank you,", "Dans l'attente de vous lire,",
    "Je vous prie d'agréer mes sincères salutations.", "Merci de votre compréhension.",
    "Bien à vous,", "Encore merci.",
)  # fmt: skip
ADVISER_LINES = (
    "Je vous remercie de m'envoyer votre attestation employeur.",
    "Votre prochain rendez-vous est fixé au {jour} à {heure}.",
    "Pouvez-vous me préciser votre situation actuelle ?",
    "Je vous invite à consulter les offres que je vous ai transmises.",
    "Je vous confirme la bonne réception de vos justificatifs.",
    "Pour information, votre actualisation de {mois} a bien été enregistrée.",
    "Je vous propose un entretien téléphonique le {jour} à {heure}.",
    "N'hésitez pas à postuler directement à l'offre {ref} depuis votre espace.",
    "Votre demande de formation est à l'étude, je reviens vers vous dès que j'ai une réponse.",
    "Je vous rappelle que l'actualisation doit être faite chaque mois.",
    "Merci de me transmettre vos trois derniers bulletins de salaire.",
    "Votre dossier est complet, il est en cours de traitement.",
    "Je vous invite à l'atelier CV du {jour} à {heure}, à l'agence {de_ville}.",
    "Pouvez-vous me dire où vous en êtes dans vos démarches pour le métier de {metier} ?",
    "Vous trouverez des offres de {metier} autour de {ville} dans votre espace personnel.",
    "Le montant de votre allocation a été recalculé après votre reprise d'activité.",
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
