"""Whether a complainant's words, answering a retaliation check-in, speak of retaliation or threat: the small cue
reader that tells an account of what happened from an unrelated follow-up. Pure: no database.

A miss is worse than a false flag (a flagged text is read by staff, who mark it seen; a missed one waits as an
ordinary message), so the cues are broad and negation is not read: "nobody threatened me" counts. Texts are read
as people type them: any case, accents or none, apostrophes or spaces ("m'a", "m a"), Krio as spelt in texts.
"""
from __future__ import annotations

import re
import unicodedata

# Regular expressions over the normalised text (lower case, no accents, apostrophes as spaces, single spaces),
# each matched as whole words. One tuple per language; a text in any language is read against all of them.
CUES: dict[str, tuple[str, ...]] = {
    "en": (
        r"threat\w*", r"menac\w*", r"intimidat\w*", r"harass\w*", r"retaliat\w*", r"revenge", r"punish\w*",
        r"warn(?:ed|ing)?", r"beat(?:en|ing|s)?", r"hit (?:me|us|my|him|her)", r"attack\w*", r"assault\w*",
        r"tortur\w*", r"rap(?:e|ed)", r"kill\w*", r"shot", r"shoot\w*", r"stab\w*", r"injur\w*", r"wound\w*",
        r"hurt", r"kidnap\w*", r"abduct\w*", r"disappear\w*",
        r"visit(?:ed|ing)? (?:me|us|my)",
        r"(?:came|come|coming) (?:to|at|by) (?:my|our)", r"came (?:for|after) (?:me|us)", r"looking for (?:me|us)",
        r"follow(?:ed|ing|s)?(?! up)", r"watch(?:ed|ing) (?:me|us|my)", r"chas(?:e|ed|ing)",
        r"arrest\w*", r"detain\w*", r"jail\w*", r"locked (?:me|us|him|her) up", r"locked up", r"prison\w*",
        r"lost (?:my|our|his|her) (?:job|work)", r"fired", r"sacked", r"dismissed", r"evict\w*",
        r"withdraw\w*", r"drop (?:the|my) (?:case|complaint)", r"afraid", r"scared", r"fear\w*", r"danger\w*",
        r"happened to (?:me|us|my)", r"deal with (?:me|us)", r"regret\w*", r"insult\w*", r"burn\w*",
        r"destroy\w*", r"seiz\w*", r"confiscat\w*", r"br(?:oke|eak|eaking) into", r"ransack\w*",
        r"(?:keep|keeps|kept) (?:calling|phoning|texting|coming)",
        r"(?:they|he|she|police|soldiers?|officers?|men) (?:came|come|comes|have come|has come|are coming) "
        r"(?:back|again)",
        r"(?:they|he|she|police|soldiers?|officers?|men) returned", r"(?:took|taken) (?:my|our)(?! (?:statement|complaint|report|details|case|name|number))",
        r"(?:broke|broken|smashed) (?:my|our)", r"search(?:ed|ing)? (?:my|our|me|us)", r"pressur\w*",
        r"not safe", r"unsafe",
    ),
    "fr": (
        r"menac\w*", r"intimid\w*", r"harcel\w*", r"represailles", r"vengeance", r"averti\w*", r"previen\w*",
        r"frapp\w*", r"battu\w*", r"tabass\w*", r"agress\w*", r"attaqu\w*", r"tortur\w*", r"viol(?:e|ee|ent)?",
        r"tue(?:e|es|nt|r)?", r"bless\w*", r"enlev\w*", r"kidnapp\w*", r"disparu\w*",
        r"venus? (?:chez|a la maison|me chercher)", r"m (?:a|ont) suivie?", r"ete suivie?", r"me suiv\w*", r"me suit",
        r"surveill\w*", r"arret(?:e|ee|es|ees)", r"emprisonn\w*", r"detenu\w*", r"enferm\w*", r"prison",
        r"perdu mon (?:travail|emploi|boulot|poste)", r"licenci\w*", r"renvoy\w*", r"expuls\w*",
        r"retirer (?:ma|la) plainte", r"peur", r"danger\w*", r"m est arrive\w*", r"regrett\w*", r"brul\w*",
        r"detrui\w*", r"saccag\w*", r"confisqu\w*", r"insult\w*", r"cass(?:e|es|ee|er) (?:ma|mon|mes|la|le)",
        r"(?:sont|est) revenue?s?", r"reviennent", r"revient", r"(?:pris|emmene|emmenee) (?:ma|mon|mes|nos|notre)(?! (?:deposition|plainte|dossier|nom|numero))",
        r"fouill\w*", r"pression\w*", r"pas en securite",
    ),
    "kri": (
        r"tret\w*", r"bit mi", r"bit am", r"flog\w*", r"wip mi", r"wap mi", r"nak mi", r"kil mi", r"wund\w*",
        r"kam (?:na|to) (?:mi|wi) (?:os|ples|wok|shop)", r"kam mi os", r"fala mi", r"fala wi", r"de fala",
        r"arest\w*", r"lok (?:mi|wi|am) (?:op|insay)", r"jel", r"sak mi", r"los mi wok", r"los mi jab",
        r"(?:de|don|bin) fred", r"fraid", r"trobul", r"wahala", r"apin to mi",
        r"dil wit (?:mi|wi)", r"bon (?:mi|wi) os",
        r"dem (?:don |bin )?kam bak", r"wach (?:mi|wi)", r"tek (?:mi|wi) (?:pikin|bra|sista|wef|man|mama|papa|fon)",
    ),
}

_CUE = re.compile(r"\b(?:" + "|".join(cue for cues in CUES.values() for cue in cues) + r")\b")
# A denial: a negating word, then only auxiliaries (or "threatened or", "menace ou") up to the cue. "personne" and
# "rien" deny only with "ne" ("une personne m'a menacé" is an account).
_NEGATORS = (r"nobody", r"no ?one", r"no ?body", r"nothing", r"never", r"not", r"(?:didn|hasn|haven|hadn|wasn|weren|"
             r"don|isn|aren) ?t", r"personne ne", r"rien ne", r"pas", r"jamais", r"aucun\w*", r"no ?bodi", r"notin")
_AUXILIARIES = (r"has", r"have", r"had", r"been", r"ever", r"yet", r"even", r"really", r"ne", r"m", r"a", r"n",
                r"ai", r"est", r"ete", r"me", r"nous", r"don", r"bin", r"de", r"\w+ (?:or|nor|ou|ni|o)")
_DENIAL_REACH = 80
_DENIED = re.compile(r"\b(?:" + "|".join(_NEGATORS) + r")(?: (?:" + "|".join(_AUXILIARIES) + r"))* $")
# "ne ... pas de me <cue>" is French for not stopping it ("ils n'arrêtent pas de me menacer": they keep threatening
# me), never a denial; "pas de menaces" (a noun, no pronoun) still is.
_KEEPS_ON = re.compile(r"\bpas de (?:me|m|nous) $")
_APOSTROPHES = re.compile(r"['\u2019\u2018`´]")


def normalised(text: str) -> str:
    """Lower case, accents and apostrophes gone, spaces single: "On m’a MENACÉ" reads "on m a menace"."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(_APOSTROPHES.sub(" ", plain.casefold()).split())


def names_retaliation(text: str | None) -> bool:
    """Whether the words speak of retaliation or threat (see CUES)."""
    words = normalised(text or "")
    return any(not _denied(_just_before(words, cue.start())) for cue in _CUE.finditer(words))


def _denied(before: str) -> bool:
    return _DENIED.search(before) is not None and _KEEPS_ON.search(before) is None


def _just_before(words: str, start: int) -> str:
    """The words a denial of the cue at `start` would stand in, whole: a bounded look back keeps a long text of many
    cues linear."""
    if start <= _DENIAL_REACH:
        return words[:start]
    return " " + words[start - _DENIAL_REACH:start].split(" ", 1)[-1]
