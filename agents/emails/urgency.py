"""Urgency rules: what must never be missed in an adviser's inbox, with the reason in French.

The rules read the cleaned, masked, normalised text (subject and body) and the dates it
mentions, resolved against the time the email was received (:mod:`agents.emails.facts`).
Each rule that fires gives an :class:`UrgencyHit` naming the rule and a French reason built
from the trigger *category* and derived facts (a date, a number of hours), never from the
sender's words. The learnt urgency model (``agents.emails.model``) comes on top of them.

============== ===============================================================================
rule           fires when the email...
============== ===============================================================================
idees_noires   evokes suicidal thoughts (« en finir », « idées noires », « plus envie de vivre »)
violence       evokes violence or danger (« violent », « frappé », « menaces de mort »)
detresse       expresses distress (« à bout », « je ne sais plus quoi faire », « désemparé »)
logement       evokes an eviction or losing one's home (« expulsé », « mettre dehors »)
ressources     says there is no income or food (« plus aucune ressource », « frigo vide »,
               « coupé l'électricité », « restos du cœur »)
perte_droits   announces an imminent loss of rights: payment suspended or stopped, or a
               deregistration to come (« sera radié », « radiation effective demain »)
rdv_48h        names an appointment, an interview or a precise time within 48 hours
echeance       names a deadline today or tomorrow (« avant demain midi », « trop tard »)
============== ===============================================================================

>>> from datetime import datetime, UTC
>>> from agents.emails.features import normalise
>>> received = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
>>> text = normalise("On va nous mettre dehors, je ne pourrai pas venir au RDV demain à 14h")
>>> [h.rule for h in urgency_rules(text, received)]
['logement', 'rdv_48h']
>>> urgency_rules(normalise("Ce n'est pas urgent, merci"), received)
[]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from agents.emails.facts import DateMention, find_dates, local, sentence_spans, writers_day

# Rules that alert whatever the learnt model says: a life or a person's safety is at stake and
# the words are unambiguous. The others describe situations (distress, eviction, lost rights,
# dates) whose words also serve in ordinary mail; see ``agents.emails.logic.confirmed_rules``.
ABSOLUTE_RULES = frozenset({"idees_noires", "adieu", "menace"})
APPOINTMENT_HOURS = 48.0
PAST_TOLERANCE_H = 1.0  # a time a moment ago still counts (clocks, slow mail)
OFFICE_OPENS, OFFICE_CLOSES = 8, 19  # hours of a day named without a time
RELATIVE_DAYS = frozenset(
    {
        "aujourd'hui",
        "aujourdhui",
        "auj",
        "demain",
        "apres-demain",
        "apres demain",
        "ajd",
        "dem1",
        "today",
        "tomorrow",
        "tonight",
        "day after tomorrow",
    }
)
# The words by which an email says « today », « tomorrow » or « the day after ». A weekday
# (« jeudi ») or a date (« le 12/03 ») counts only when it is today or tomorrow for the writer:
# the labelling guide judges urgency from these words alone, and « jeudi » read on Monday
# is « in three days » to the writer, not « within 48 h ».
SOON_WORDS = RELATIVE_DAYS | {
    "ce matin",
    "cet apres-midi",
    "cet apres midi",
    "ce soir",
    "cette nuit",
    "cet aprem",
    "ce aprem",
    "cette aprem",
    "tout a l'heure",
    "this morning",
    "this afternoon",
    "this evening",
}


@dataclass(frozen=True, slots=True)
class UrgencyHit:
    """One urgency rule that fired, explained in French without quoting the email."""

    rule: str
    title: str  # short French label of the category
    message: str  # French reason, from the category and derived facts only
    suggestion: str
    hours: float | None = None  # for date rules: hours from receipt to the date


@dataclass(frozen=True, slots=True)
class _KeywordRule:
    rule: str
    pattern: re.Pattern[str]
    title: str
    message: str
    suggestion: str


def _words(*alternatives: str) -> re.Pattern[str]:
    # One word boundary in front of the group, none inside: alternatives that start with a
    # plain letter let the regex engine skip ahead by first character (8x faster on long text).
    bare = (a.removeprefix(r"\b") for a in alternatives)
    return re.compile(r"\b(?:" + "|".join(bare) + r")")


KEYWORD_RULES: tuple[_KeywordRule, ...] = (
    _KeywordRule(
        "idees_noires",
        _words(
            r"suicid",
            r"\ben finir\b",
            r"mettre fin a (?:mes jours|ma vie)",
            r"(?<!va )(?<!vont )(?<!vas )\bme tuer\b",
            r"(?:plus|pas) envie de vivre",
            r"idees? noires?",
            r"envie de mourir",
            r"veux mourir",
            r"me foutre en l'air",
            r"\bplus d'issue\b",
            r"plus simple de tout arreter",
            r"disparaitre (?:pour de bon|a jamais|definitivement)",
        ),
        "Idées suicidaires évoquées",
        "Le message évoque des idées suicidaires ou une absence d'issue.",
        "Appeler la personne aujourd'hui. Danger immédiat : 112. Prévention du suicide : 3114 "
        "(24 h/24, gratuit).",
    ),
    _KeywordRule(
        "adieu",
        _words(
            r"(?:ne|n') ?serai (?:bientot |peut-etre )?plus (?:la|de ce monde)",
            r"\bplus la pour vous (?:embeter|deranger|ennuyer)",
            r"serai (?:encore|toujours) la (?:le mois|la semaine|dans)",
            r"entendrez plus (?:jamais )?parler de moi",
            r"\bpartir tranquille",
            r"lettre (?:d'adieu|pour (?:mon|ma|mes) )",
            r"dire au revoir (?:a|aux) (?:mes|ma|mon|tout)",
            r"(?:si|que) je (?:disparaissais|disparais|n'etais plus la)",
            r"\b(?:veux|voudrais|aimerais) (?:\w+ ){0,2}disparaitre",
            r"\benvie de (?:\w+ ){0,2}disparaitre",
            r"\bpersonne ne s'en rendrait compte",
            r"\bpourquoi je continue\b",
            r"\ba quoi bon (?:continuer|vivre|me battre|tout ca)",
            r"plus (?:aucune )?raison de (?:vivre|continuer)",
            r"\badieu\b",
            r"kill myself",
            r"end (?:it all|my life)",
            r"(?:won't|will not) be (?:around|here)",
            r"no (?:reason|point) (?:to|in) (?:go on|going on|living|continue)",
            r"(?:will not|won't) have to (?:deal with|worry about|take care of) (?:me|my)",
            r"(?:rendu|donne|vendu|laisse) (?:l'appartement|les meubles|mes meubles|mes outils|la "
            r"voiture|les cles)",
            r"(?:prendre|garder|recuperer) (?:mon|ma) (?:chat|chienne?|chatte)\b",
            r"(?:maison|famille|foyer|home) (?:pour|for) (?:mon|ma|my) (?:chat|chien|cat|dog)",
            r"lettres? pour (?:mes|ma|mon)",
            r"laisse (?:une|des) lettres? (?:a|pour) (?:mes|ma|mon)",
            r"pris (?:toutes )?mes dispositions ?(?:[.;!]|$)",  # and nothing said of what for
            r"\bmes affaires sont (?:en ordre|reglees)",
            r"(?:dernier|derniere) (?:mail|message)\b",
            r"(?:pense|crois) pas (?:etre|que je serai) encore la",
            r"arreter de deranger le monde",
            r"regle (?:toutes )?mes affaires",
            r"on (?:ne )?me retrouve plus",
            r"le train me parait",
            r"where i'm going",
            r"won't need (?:the|my) allowance",
            r"mis de l'ordre dans mes",
            r"\bmes codes et\b",
            r"enveloppe avec",
            r"plus (?:pour )?tres longtemps",
            r"pas rester beaucoup de temps encore",
            r"decided to (?:stop|end) (?:everything|it all)",
            r"(?:sorting out|putting|put) (?:all )?my affairs",
            r"giving (?:my )?(?:things|stuff|belongings|possessions) away",
            r"want to (?:die|disappear)",
            r"(?:won't|will not) be a burden",
            r"(?:don't|do not|no longer) see the point (?:of|in) (?:going on|living|continuing)",
            r"say(?:ing)? goodbye to (?:my|everyone)",
            r"serai (?:\w+ ){0,2}plus la\b",
            r"n'aurai plus besoin de rien",
            r"(?:n'aurez|n'aurez) plus a vous occuper de (?:moi|mon dossier)",
            r"plus a vous (?:occuper|soucier) de (?:moi|mon dossier)",
            r"\bj'ai pris ma decision\b",
            r"\ben paix avec (?:ca|moi|ma decision)",
            r"ne plus (?:me )?reveiller",
            r"\bplus envie de rien\b",
            r"(?:papiers|affaires) en ordre pour",
            r"\bsi je vais en ressortir\b",
            r"ne vois plus (?:trop |vraiment )?(?:l'interet|le sens|a quoi bon)",
            r"\ba quoi bon\b",
            r"sert a rien de vivre",
            r"dire au revoir",
            r"(?:rangee?|range) (?:tous )?mes papiers",
            r"plus rien ne (?:me retient|compte)",
            r"\bm'endormir (?:pour toujours|et ne plus)",
        ),
        "Message d'adieu ou souhait de disparaître",
        "Le message ressemble à un adieu ou exprime le souhait de disparaître, sans le dire "
        "explicitement.",
        "Appeler la personne aujourd'hui. Danger immédiat : 112. Prévention du suicide : 3114 "
        "(24 h/24, gratuit).",
    ),
    _KeywordRule(
        "violence",
        _words(
            r"\bviolen(?:t|te|ts|tes|ce|ces)\b",
            r"\bfrapp(?:e|ee|er|ait|ent)\b",
            r"\bme bat\b",
            r"\bbattue?\b",
            r"\bagress(?:e|ee|ion|eur)",
            r"menaces? de mort",
            r"\bme menace",
            r"\bharcel",
            r"peur pour (?:ma vie|ma securite|mes enfants)",
            r"(?<!pas )(?<!plus )\ben danger\b",
            r"(?:ne me sens|me sens) plus en securite",
            r"peur (?:de lui|de mon (?:mari|conjoint|compagnon|ex)|pour moi et)",
            r"(?:mari|conjoint|compagnon|ex)\b[^.]{0,60}\b(?:casse|cogne|crie|hurle|menace|frappe|"
            r"enferme|interdit de sortir)",
            r"\bfuir (?:la maison|le domicile|de chez moi)",
            r"\b(?:hits|hit|beats|beat|hurts|threatens|threatened) me\b",
            r"women's shelter",
            r"quitte (?:le domicile|la maison) (?:conjugal|ce soir|aujourd'hui|cette nuit)",
            r"(?:me|nous) retrouver(?:a|ait)? (?:ou que|partout)",
            r"foyer (?:pour femmes|d'urgence)",
            r"\bhebergee? en urgence\b",
            r"\bcentre d'hebergement\b",
            r"(?:serre|tenue?|attrapee?|plaquee?|poussee?|secouee?) (?:par )?(?:le cou|contre|dans"
            r" l'escalier|"
            r"par le bras)",
            r"\bcouteau\b",
            r"menacee? (?:avec|de mort|physiquement)",
            r"place en foyer",
            r"(?:ne )?m'appelez pas sur le fixe",
            r"m'attend (?:tous les soirs|devant|a la sortie)",
            r"afraid of (?:him|my (?:husband|partner))",
            r"\babuse\b",
            r"\bnot safe at home\b",
        ),
        "Violence ou danger évoqué",
        "Le message évoque des violences ou une menace pour la sécurité de la personne.",
        "Appeler la personne aujourd'hui. Danger immédiat : 17 ou 112. Violences conjugales : "
        "3919.",
    ),
    _KeywordRule(
        "menace",
        _words(
            r"(?:ca|cela) va mal (?:finir|se terminer|tourner)",
            r"vous (?:allez|aller) (?:tous )?(?:le )?(?:payer|regretter|vous en souvenir)",
            r"bidons? d'essence",
            r"(?:il|elle|vous) (?:s'en|va s'en) souviendr",
            r"(?:quelqu'un|il|elle) va (?:le )?payer",
            r"regarder derriere (?:lui|elle|vous|toi)",
            r"\bje (?:casse|vais tout casser|vais casser)",
            r"\bcasse(?:r)? tout\b",
            r"m'en occuper moi-meme",
            r"regler (?:ca|ses comptes|mes comptes) (?:moi-meme|a ma facon|autrement)",
            r"faire un malheur",
            r"\bje vais (?:le|la|les|vous) (?:frapper|tuer|buter|defoncer|retrouver)",
            r"on ne sait jamais ce qui peut arriver",
            r"vous aurai prevenus?",
            r"\bvous etes prevenus?(?: ?[.!]|$)",
            r"you(?:'ll| will) regret",
            r"\ben ambulance\b",
            r"\bjerrican",
            r"dans la figure",
            r"(?:tres )?mauvaise journee",
            r"ce n'est pas une menace",
            r"regarder dans (?:son|votre) retroviseur",
            r"va comprendre ce que ca fait",
            r"evitez d'etre seule?",
            r"croiser (?:ma|la mauvaise) ",
            r"il n'y aura pas de vitre",
            r"ne pas croiser ma route",
            r"je ne garantis (?:rien|pas)",
            r"(?:avec|et) mes (?:freres|reufs|potes|cousins)[^.]{0,40}(?:voir|regler|passer)",
            # knowing an adviser's movements, said to them (« je connais l'heure où il sort »)
            r"\bje (?:connais|sais) (?:desormais |maintenant |tres bien |bien )?"
            r"(?:l'heure|a quelle heure|ou|quand)[^.]{0,60}"
            r"\b(?:quitte|sort|gare|garez|habite|finit|termine|rentre)",
            r"\bje connais (?:sa|votre|son|leur) (?:voiture|adresse|plaque|trajet)",
        ),
        "Menace envers le personnel",
        "Le message contient des propos menaçants envers un conseiller ou l'agence.",
        "Prévenir le responsable d'agence aujourd'hui et appliquer la procédure de sécurité ; "
        "ne pas recevoir la personne seul.",
    ),
    _KeywordRule(
        "detresse",
        _words(
            r"\ba bout\b(?! de (?:patience|nerfs))",  # impatience, not distress
            r"au bout du rouleau",
            r"\bsais plus (?:quoi|comment|ou)",
            r"\bdesesper",
            r"\bdesempar",
            r"\bje craque\b",
            r"\bn'?en peux plus\b(?! de (?:ce|cette|ces|votre|vos|ton|son) (?:site|appli|"
            r"application|plateforme|attente|bug|serveur|telephone|standard|espace|formulaire))",
            r"comment m'?en sortir",
            r"\bplus la force\b",
            r"\bne dors plus\b",
            r"\bdetresse\b",
            r"\bau secours\b",
            r"(?:completement|totalement|tellement) perdue?\b",
            r"\bm'effondre\b",
            r"tout s'ecroule",
            r"\bne tiens plus\b",
            r"\bplus le moral\b",
            r"\bbesoin d'aide (?:rapidement|d'urgence|urgente?)\b",
            r"parler a quelqu'un (?:au plus vite|rapidement|d'urgence)",
            r"\bfatiguee? de tout\b",
            r"\bplus la force\b",
            r"\bcan't (?:cope|take it) anymore",
            r"\bat the end of my rope\b",
            r"\bdesperate\b",
        ),
        "Détresse exprimée",
        "Le message exprime une détresse (épuisement, désespoir, perte de repères).",
        "Prendre contact aujourd'hui et proposer un entretien rapproché ; orienter si besoin "
        "vers un accompagnement social.",
    ),
    _KeywordRule(
        "logement",
        _words(
            r"\bexpuls",
            r"mettre (?:a la porte|dehors)",
            r"\bmise? dehors\b",
            r"\bmis(?:e|es)? a la porte\b",
            r"(?<!pas )(?<!jamais )(?<!pas encore )\ba la rue\b",  # not « je ne suis pas à la rue »
            r"sans (?:logement|domicile|abri)",
            r"\bsdf\b",
            r"dormir (?:dans (?:ma|la|une|notre) voiture|dehors)",
            r"plus de (?:toit|logement)",
            r"\bhuissiers?\b",
            r"quitter le logement",
            r"proprietaire (?:me|nous) (?:met|jette|vire)",
            r"\bevict",
            r"change the locks",
            r"(?:kick|throw|put) (?:us|me) out",
            r"changer? (?:les|la) serrures?",
            r"change(?:nt)? la serrure",
            r"(?:sort|sortir) mes meubles",
            r"partir de l'appartement",
            r"papier du tribunal",
            r"(?:bailleur|proprietaire) m'a donne jusqu",
        ),
        "Perte de logement évoquée",
        "Le message évoque une expulsion, un départ forcé ou une perte de logement.",
        "Prendre contact et orienter vers le 115 ou un travailleur social (CCAS, FSL).",
    ),
    _KeywordRule(
        "ressources",
        _words(
            r"plus (?:aucune?|de|d') ?(?:ressources?|revenus?|argent)\b",
            r"sans (?:aucune? )?(?:ressources?|revenus?)\b",
            r"plus rien pour (?:manger|nourrir|vivre)",
            r"\brien a manger\b",
            r"(?:ne|n') ?(?:peux|peut|pouvons|arrive) plus (?:payer|manger|nourrir|me nourrir)",
            r"\bfrigo (?:est )?(?:vide|encore vide)",
            r"\bfrigo vide\b",
            r"(?:coupe|coupure)[^.]{0,20}(?:electricite|gaz|\beau\b|courant|chauffage)",
            r"(?<!serais )(?<!serait )(?<!etre )\ba decouvert\b",
            r"banque (?:refuse|bloque)",
            r"banques? alimentaires?",
            r"restos? du coeur",
            r"secours populaire",
            r"emprunter[^.]{0,40}(?:courses|manger|nourrir)",
            r"\bplus (?:un sou|un centime|un euro)\b",
            r"\bj'ai faim\b",
            r"\bpas mange\b",
            r"(?:il )?(?:ne )?me reste (?:que |plus que |a peine |seulement )?\d{1,2}(?:[.,]\d+)? ?"
            r"(?:euros?|e\b)",
            r"plus (?:rien |de quoi |assez pour )(?:acheter|manger|nourrir|payer (?:a manger|les c"
            r"ourses))",
            r"\bde quoi (?:manger|nourrir)\b",
            r"plus de (?:lait|couches|nourriture)\b",
            r"plus rien (?:du tout|sur le compte|dans le frigo)",
            r"(?:ce soir|demain matin|ce midi|tonight|tomorrow morning)[^.]{0,80}(?:\brien\b|pates"
            r"|soupe|"
            r"plus de|\bpain\b|nothing|only milk|last of)",
            r"(?:frigo|placard|fridge)s?[^.]{0,50}(?:vide|\brien\b|restai|il reste|empty)",
            r"(?:carte|paiement)s? (?:bancaire )?(?:a ete )?refusee? a la caisse",
            r"(?:aide|colis|banque|epicerie) (?:alimentaire|solidaire)",
            r"\bfood bank\b",
            r"(?:reposer|laisser) les courses",
            r"banque (?:a )?(?:rejete|refuse) (?:le|mon|les) (?:prelevement|paiement)",
            r"\bdemande a manger\b",
            r"\bcoupe le lait\b",
            r"(?:nothing|no food|no money) (?:to eat|for food|left for)",
            r"no money left",
            r"(?:can't|cannot|unable to) (?:buy|afford) food",
            r"nothing left to eat",
            r"\bcan't (?:feed|buy food)",
        ),
        "Absence de ressources",
        "Le message indique une absence de revenus ou de quoi se nourrir ou se chauffer.",
        "Vérifier l'indemnisation aujourd'hui et orienter vers une aide d'urgence (CCAS, aide "
        "financière exceptionnelle).",
    ),
)

_PAYMENT_STOPPED = _words(
    r"(?:allocation|indemnisation|are|paiement|versement)s? (?:a ete |est |sont |vient d'etre |"
    r"viennent d'etre )?(?:completement |"
    r"totalement )?(?:bloquee?s?|retenue?s?|annulee?s?|refusee?s?|rejetee?s?)",
    r"\bfin de droits\b",
    r"\bfin d'indemnisation\b",
    r"donner (?:une )?suite favorable",
    r"demande (?:d'allocation |d'are )?(?:est |a ete )?rejetee",
    r"\bplus de paiement\b",
    r"(?:versement|paiement) de votre allocation est interrompu",
    r"\bpaiement (?:a )?0\b",
    r"\bplus (?:d'allocation|rien recu|rien touche)",
    r"\bpas (?:ete )?paye",
    r"(?:allocation|indemnisation|are|paiement|versement|droits)s? (?:a ete |est |sont )?"
    r"(?:interrompue?s?|coupee?s?|supprimee?s?)",
    r"\brefus (?:de |d')(?:l'|mon |ma )?(?:allocation|ass|are|aide|indemnisation|droits)",
    r"(?:coupe|supprime) (?:mes|mon) (?:droits|allocation|argent)",
    r"(?:allowance|payments?|benefits?) (?:has |have )?(?:been )?(?:stopped|suspended|cut|withheld|"
    r"blocked|refused)",
    r"stopped (?:arriving|paying)",
    r"(?:paiements?|versements?|allocations?|indemnisation|\bare\b|droits)\s(?:a ete |ont ete |"
    r"est |sont |vont etre |va etre )?(?:suspendu|stoppe|arrete|bloque|coupe|supprime)",
    r"suspension de (?:mon|mes|ma) (?:allocation|paiement|indemnisation|droits)",
    r"\bplus (?:de|aucun) versements?\b",
    r"fin de (?:mes|mon) (?:droits|indemnisation)",
    r"perdre (?:mes|tous mes) droits",
    r"supprim[a-z]* (?:mes|mon) (?:droits|allocations?)",
)
_DEREGISTRATION = _words(
    r"\bradiation\b", r"\bradiee?s?\b", r"\bradie\(e\)", r"\bdesinscri", r"\bradier\b",
    r"(?:cessation|fin|annulation|cloture) (?:de (?:mon |l')|d'? ?)inscription",
    r"registration (?:has been |was )?(?:ended|cancelled|terminated|closed)",
    r"\bderegist", r"struck off", r"removed from the (?:register|list)",
)  # fmt: skip
_NOTIFIED = _words(
    r"\b(?:ai|a|suis|est|ete) (?:ete )?radiee?\b", r"\bcourrier\b", r"\blettre\b",
    r"\bnotifi", r"\brecu\b", r"\bdepuis\b", r"\bmessage\b", r"\bmail\b", r"\bespace\b",
    r"\bhas been\b", r"\breceived\b", r"\bletter\b", r"\bdecision\b",
)  # fmt: skip
_HYPOTHETICAL = _words(
    r"\brisque", r"\bsi (?:je|on|j')", r"est-ce qu", r"\bvais-je\b", r"\bpeut-on\b",
    r"\bcombien\b", r"\bpuis-je\b", r"quelles? (?:sont|est)", r"\bon peut etre\b",
    r"\bpeux etre radie",
    r"\bpourrai(?:s|t)?\b", r"\bquelles? (?:sont|est) les (?:regles|sanctions)",
    r"\bcould i\b", r"\bwill i\b", r"\bwhat happens if\b",
)  # fmt: skip
# A deregistration that is someone else's, denied, or a newsletter's.
_NOT_MINE = _words(
    r"\b(?:ma|mon|son|sa) (?:cousine?|soeur|frere|amie?|voisine?|collegue)\b",
    r"\bpas (?:ete )?radiee?",
    r"fausse alerte", r"lettre d'information", r"\bnewsletter", r"lien de desinscription",
    r"liste de diffusion", r"\bmailing\b", r"\b(?:film|livre|serie|roman|reportage)\b",
    r"il parait",
    r"annulation de (?:ma|la) radiation", r"(?:tout a ete|c'est) regularise",
    r"\bj'avais ete radiee?",
)  # fmt: skip
_STRONG_NO_INCOME = _words(
    r"rien d'autre pour vivre", r"pas de salaire", r"aucun (?:autre )?revenu",
    r"seule? (?:rentree|ressource|revenu)",
    r"no other income",
)  # fmt: skip
_NO_INCOME = _words(
    r"seule? (?:rentree|ressource|revenu|source)", r"rien d'autre", r"aucun autre revenu",
    r"pas d'autres? (?:revenus?|ressources?)",
    r"plus (?:aucun |de |d')(?:revenus?|ressources?|argent)",
    r"sans (?:aucun )?(?:revenu|ressource|salaire)", r"plus d'allocation", r"\bplus rien\b",
    r"\brien recu\b", r"\bpaiement (?:a )?0\b", r"\b0 euros?\b",
    r"no other income", r"only income", r"no income", r"nothing else to live", r"plus de salaire",
    r"(?:n'ai|ai) (?:plus )?rien (?:recu|touche|pour|d'autre|du tout)",
    r"(?:loyer|factures?|enfants?|courses)", r"me reste \d",
)  # fmt: skip
_OTHER_INCOME = _words(
    r"j'ai (?:un|mon) salaire", r"(?:mon|ma) (?:mari|femme|conjointe?|compagne?) travaille",
    r"on s'en sort", r"je m'en sors", r"je travaille (?:en ce moment|actuellement|a temps)",
    r"en mission (?:d'interim )?jusqu", r"i have a (?:job|salary)", r"je travaille depuis",
    r"\ben (?:cdi|cdd)\b", r"(?:repris|trouve) (?:un )?(?:travail|emploi|poste|cdi|cdd)",
    r"pas de (?:probleme|souci) d'argent", r"je suis en (?:contrat|cdd|cdi|mission|interim)",
    r"\breinscrite? depuis\b", r"suis (?:de nouveau )?reinscrit",
)  # fmt: skip
_CALM = _words(
    r"(?:ce n'est |c'est |rien de |pas |aucune |sans )(?:pas )?(?:urgent|d'urgence|urgence)",
    r"pas de panique", r"pas d'inquietude", r"rien de grave", r"\bnot urgent", r"\bno rush\b",
    r"\bno hurry\b",
)  # fmt: skip
_IMMINENT = _words(
    r"\bva etre\b",
    r"\bvais etre\b",
    r"\bsera\b",
    r"\bseront\b",
    r"\brisque\b",
    r"\bmenace",
    r"a compter d",
    r"a partir d",
    r"\beffective\b",
    r"\bavant le\b",
    r"\bdes (?:demain|lundi|"
    r"mardi|mercredi|jeudi|vendredi|samedi)",
)
_APPOINTMENT = _words(
    r"rendez[- ]vous",
    r"\bappointment",
    r"\binterview",
    r"\bmeeting",
    r"\bworkshop",
    r"\brdv\b",
    r"convocation",
    r"convoque",
    r"\bentretien",
    r"\brencontre",
    r"\batelier",
    r"\breunion",
    r"\bvisite\b",
    r"m'attend",
    r"m'attendent",
    r"\bembauche",
    r"prise de poste",
    r"\bexamen",
    r"\bjury\b",
    r"\baudience\b",
    r"\bsignature\b",
)
_DEADLINE = _words(
    r"\bavant\b",
    r"\bd'ici\b",
    r"\ba valider\b",
    r"dernier jour",
    r"last day",
    r"minuit",
    r"\bsans (?:l'|le |la |votre |mon |ma )?(?:accord|document|signature|papier|attestation)",
    r"midnight",
    r"\bpas (?:encore |ete )?valide",
    r"\bdeadline",
    r"\bdue\b",
    r"\bby tomorrow",
    r"au plus tard",
    r"date limite",
    r"\blimite\b",
    r"\bdelai",
    r"dernier jour",
    r"trop tard",
    r"\bclotur",
    r"\bferme(?:nt|ture)?\b",
    r"\bexpire",
    r"\brendre\b",
    r"\bdeposer\b",
    r"\benvoyer\b",
    r"\brenvoyer\b",
    r"\binscriptions?\b",
    r"\bsinon\b",
    r"faute de",
    r"\bperdre\b",
    r"\bperds\b",
    r"\babsolument\b",
    r"\bimperativement\b",
    r"il me faut",
    r"\burgent",
    r"\bfini\b",
    r"\bsi je ne\b",
    r"\bfourni",
)


def urgency_rules(
    norm: str, received_at: datetime, dates: list[DateMention] | None = None
) -> list[UrgencyHit]:
    """Every rule that fires on normalised text ``norm`` of an email received at ``received_at``.

    ``dates`` are the text's date mentions when the caller has them already (``find_dates``).
    """
    hits = [
        UrgencyHit(r.rule, r.title, r.message, r.suggestion)
        for r in KEYWORD_RULES
        if r.pattern.search(norm) and not _guarded(r.rule, norm)
    ]
    if not any(h.rule == "menace" for h in hits):
        threat = _threat_hints(norm)
        if threat is not None:
            hits.append(threat)
    if dates is None:
        dates = find_dates(norm, received_at)
    loss = _loss_of_rights(norm, dates, received_at)
    if loss is not None:
        hits.append(loss)
    if dates:
        hits.extend(_date_rules(norm, dates, received_at))
    return hits


_RESOLVED = _words(
    r"(?<!plus )(?<!pas )en securite\b", r"\ba l'abri\b", r"\bva (?:beaucoup |bien )?mieux",
    r"\bil y a (?:\d+|un|une|deux|trois|quatre|cinq|quelques|plusieurs) (?:ans?|annees)",
    r"\bc'est (?:du passe|derriere (?:moi|nous))", r"\bordonnance de protection",
    r"\byears ago\b", r"\bsafe now\b",
)  # fmt: skip
_PAST_CRISIS = _words(
    r"\bil y a (?:un|une|deux|trois|quelques|\d+) (?:ans?|annees?|mois)[^.]{0,60}"
    r"(?:je ne voyais|je pensais|j'avais)",
    r"\bmerci (?:encore )?(?:pour|de) (?:m'avoir|votre aide)[^.]{0,80}(?:sorti|remonte)",
    r"\bdes ne concerne pas\b", r"\bne me concerne pas\b",
)  # fmt: skip
_PAST_DISTRESS = _words(
    r"\bj'etais (?:vraiment |completement |totalement )?"
    r"(?:a bout|au bout du rouleau|desesper|perdue?)",
    r"\b(?:ca|je) va(?:is)? (?:beaucoup |bien |nettement )?mieux", r"\bc'est derriere moi",
)  # fmt: skip
# Confirming one's presence tomorrow is no reason to hurry, unless the writer cannot come.
_CONFIRMED = _words(
    r"\bje confirme\b", r"serai (?:bien )?presente?", r"\bj'y serai\b", r"comptez sur moi",
    r"\bi will (?:be there|attend|come)\b",
)  # fmt: skip
_CANNOT_COME_WORDS = (
    r"(?<!me )deplac", r"decal", r"report", r"annul", r"\bpeux pas\b", r"\bpourrai pas\b",
    r"\bpas venir\b", r"\bimpossible\b", r"\bempech", r"\bhospital", r"\bhopital\b",
    r"\bfievre\b", r"\benterrement", r"\bmove\b", r"\breschedul", r"\bcancel",
    r"can't (?:make|come)",
)  # fmt: skip
_CANNOT_COME = _words(*_CANNOT_COME_WORDS)
_FAR = _words(
    r"dans (?:\d+|deux|trois|quatre|cinq|six|plusieurs|quelques) (?:semaines|mois)",
    r"\ble mois prochain\b", r"in (?:\d+|two|three|four|a few) (?:weeks|months)",
)  # fmt: skip
_NEAR = _words(
    r"\bdemain\b", r"aujourd'?hui", r"\bce soir\b", r"cette semaine",
    r"\bdans (?:\d|deux|trois) jours",
    r"\btomorrow\b", r"\btoday\b", r"this week", r"\bjeudi\b", r"\bvendredi\b", r"\blundi\b",
)  # fmt: skip
# An appointment within 48 h is urgent when it has to be moved, or something is missing for it.
_MUST_MOVE = _words(
    *_CANNOT_COME_WORDS,
    r"\bdebloqu", r"toujours pas", r"\brefuse", r"\bd'ici\b", r"\bdeces\b", r"\ben panne\b",
    r"\baccident", r"venir (?:la|le|les) chercher", r"toujours rien", r"\bil me faut\b",
    r"sans (?:ce|cette|le|la|mon|ma) (?:document|papier|attestation|convocation)",
    r"pas (?:encore )?(?:eu|le papier|la convocation)",
    r"\bchanger\b", r"\bmodifi", r"autre (?:date|jour|creneau)",
    r"(?:ne|n') ?(?:pourrai|peux|pourrais|pourra|pourrons|serai|sera) pas",
    r"\bpas pouvoir\b", r"\babsente?\b", r"\burgences\b", r"\bmalade\b", r"\bbloquee?\b",
    r"\bil me manque", r"\bmanque (?:le|la|l'|mon|ma)", r"(?:pas|jamais) (?:encore )?recu",
    r"\bpas de (?:voiture|transport|moyen|garde|nounou)",
    r"can't (?:attend|go)", r"cannot (?:make|come|attend|go)", r"\bunable to\b", r"same time",
)  # fmt: skip


# Each of these alone is no threat (« je sais où se trouve l'agence, j'y passais tous les
# jours »); two together are.
_THREAT_HINTS = (
    _words(r"je sais (?:ou (?:se trouve|est|vous|il|elle)|a quelle heure)", r"i know where"),
    _words(r"je connais (?:votre|sa|son|ses|leur|l'agence|la conseillere|le conseiller|vos)"),
    _words(r"(?:ses|vos|leurs) horaires", r"a quelle heure (?:il|elle|vous) (?:sort|finit|ferme)",
           r"quelle voiture", r"ou (?:vous vous|il se|elle se) gare"),
    _words(r"plus rien a perdre", r"derniere fois", r"je vous previens"),
)  # fmt: skip
_BENIGN_LEAVING = _words(
    r"demenag", r"nouveau poste",
    r"(?:trouve|signe|decroche) (?:un |mon )?(?:travail|emploi|poste|cdi|cdd|contrat)",
    r"\bretraite\b", r"\bembauche", r"rejoindre", r"\bvacances\b", r"partir (?:a|en|au) ",
    r"je pars (?:m'installer|vivre|travailler|a|en|au)", r"m'installer",
)  # fmt: skip


def _threat_hints(norm: str) -> UrgencyHit | None:
    if sum(p.search(norm) is not None for p in _THREAT_HINTS) < 2:
        return None
    rule = next(r for r in KEYWORD_RULES if r.rule == "menace")
    return UrgencyHit(rule.rule, rule.title, rule.message, rule.suggestion)


def _guarded(rule: str, norm: str) -> bool:
    """True when the email itself says the danger is past or the date far (no urgency)."""
    if rule in ("idees_noires", "violence") and _PAST_CRISIS.search(norm):
        return True
    if rule == "adieu":
        return _BENIGN_LEAVING.search(norm) is not None
    if rule == "violence":
        return _RESOLVED.search(norm) is not None
    if rule == "detresse":
        return _PAST_DISTRESS.search(norm) is not None
    if rule == "logement":
        return _NOT_MINE.search(norm) is not None or (
            _FAR.search(norm) is not None and _NEAR.search(norm) is None
        )

    return False


def _sentences_with(norm: str, dates: list[DateMention]) -> list[tuple[str, list[DateMention]]]:
    """Each sentence of ``norm`` with the date mentions that start in it (dates are sorted)."""
    out, i = [], 0
    for start, end in sentence_spans(norm):
        while i < len(dates) and dates[i].span[0] < start:
            i += 1
        inside = []
        while i < len(dates) and dates[i].span[0] < end:
            inside.append(dates[i])
            i += 1
        out.append((norm[start:end], inside))
    return out


def _loss_of_rights(
    norm: str, dates: list[DateMention], received_at: datetime
) -> UrgencyHit | None:
    # The guide: a deregistration already notified, or an allowance stopped or refused with
    # no other income. A question about what could happen (« est-ce que je risque d'être
    # radié ? ») and a stop the writer says they can live with are not urgent.
    stopped = _PAYMENT_STOPPED.search(norm) is not None
    if not stopped and _DEREGISTRATION.search(norm) is None:
        return None
    if _CALM.search(norm) or (_OTHER_INCOME.search(norm) and not _STRONG_NO_INCOME.search(norm)):
        return None
    today = writers_day(local(received_at))
    no_income = _NO_INCOME.search(norm) is not None or _STRONG_NO_INCOME.search(norm) is not None
    for sentence, inside in _sentences_with(norm, dates):
        soon = any(0 <= (d.day - today).days <= 7 for d in inside)
        if _NOT_MINE.search(sentence):
            continue
        hypothetical = _HYPOTHETICAL.search(sentence) is not None
        deregistered = (
            _DEREGISTRATION.search(sentence) is not None
            and (_NOTIFIED.search(sentence) is not None or soon or _IMMINENT.search(sentence))
            and _FAR.search(sentence) is None
        )
        if hypothetical and not _NOTIFIED.search(sentence):
            continue
        if deregistered or (_PAYMENT_STOPPED.search(sentence) and (no_income or soon)):
            return UrgencyHit(
                "perte_droits",
                "Perte de droits imminente",
                "Le message signale une radiation notifiée ou une allocation arrêtée, sans "
                "autre revenu.",
                "Vérifier le dossier aujourd'hui (suspension, radiation) et informer la personne "
                "de ses recours.",
            )
    return None


def _date_rules(norm: str, dates: list[DateMention], received_at: datetime) -> list[UrgencyHit]:
    now = local(received_at)
    appointment: tuple[float, DateMention] | None = None
    deadline: tuple[int, DateMention] | None = None
    today = writers_day(now)
    for sentence, inside in _sentences_with(norm, dates):
        for d in inside:
            if d.word == "ce matin" and not d.has_time:
                continue  # « le rendez-vous de ce matin » is past, whenever it is written
            if d.word not in SOON_WORDS and ("prochain" in d.word or (d.day - today).days > 1):
                continue
            first, last = _office_hours(d).hours_after(now)
            upcoming = last >= -PAST_TOLERANCE_H if d.has_time else last > 0
            if (
                upcoming
                and (first <= APPOINTMENT_HOURS or (d.day - today).days <= 2)
                and (d.has_time or _APPOINTMENT.search(sentence))
                and (appointment is None or first < appointment[0])
            ):
                appointment = (max(first, 0.0), d)
            days = (d.day - today).days
            if (
                days in (0, 1)
                and _DEADLINE.search(sentence)
                and (deadline is None or days < deadline[0])
            ):
                deadline = (days, d)
    hits = []
    if _CALM.search(norm):
        return hits
    if appointment is not None and (
        _MUST_MOVE.search(norm) is None
        or (_CONFIRMED.search(norm) is not None and _CANNOT_COME.search(norm) is None)
    ):
        appointment = None
    if appointment is not None:
        hours, d = appointment
        hits.append(
            UrgencyHit(
                "rdv_48h",
                "Rendez-vous dans moins de 48 h",
                f"Un rendez-vous ou un entretien est mentionné pour le {d.describe()}, "
                f"{_delay(hours)} après la réception du message.",
                "Répondre avant le rendez-vous : confirmer, déplacer ou fournir le document "
                "attendu.",
                round(hours, 1),
            )
        )
    if deadline is not None:
        days, d = deadline
        when = "aujourd'hui" if days == 0 else "demain"
        hits.append(
            UrgencyHit(
                "echeance",
                "Échéance aujourd'hui ou demain",
                f"Une échéance est mentionnée pour {when} ({d.describe()}).",
                "Traiter la demande avant l'échéance.",
                round(max(d.hours_after(now)[0], 0.0), 1),
            )
        )
    return hits


def _office_hours(d: DateMention) -> DateMention:
    # A date named without a time (« jeudi », « le 12/03 ») means its office hours: an
    # appointment on « jeudi » seen on Monday at 23:00 is not « within 48 hours ». Days named
    # relative to today (« demain », « après-demain ») are within 48 hours by definition.
    if d.has_time or d.end - d.start < timedelta(hours=24) or d.word in RELATIVE_DAYS:
        return d
    day = d.start.replace(hour=0, minute=0, second=0, microsecond=0)
    return replace(
        d, start=day + timedelta(hours=OFFICE_OPENS), end=day + timedelta(hours=OFFICE_CLOSES)
    )


def _delay(hours: float) -> str:
    if hours < 1:
        return "moins d'une heure"
    return f"{round(hours)} h"
