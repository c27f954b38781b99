"""Which language a complaint is written in, before the classifier reads it: the script of its letters, then, for
Latin letters, the little words each language cannot do without (English, French, and Krio as commonly texted).

Pure and dependency-free: no model, no database. The classifier was trained on some of these languages only; routing
(routing/operations.py) sends text in the others to the triage queue instead of trusting a guess.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from civicwatch.settings import SettingsError

UNDETERMINED: Final = "und"

LANGUAGE_NAMES: Final[dict[str, str]] = {
    "en": "English", "fr": "French", "kri": "Krio", "ar": "Arabic", UNDETERMINED: "an undetermined language",
}


def check_classifier_languages(codes: list[str]) -> None:
    """At start: a code detection never gives (a typo such as "english") would send every complaint to triage."""
    known = [code for code in LANGUAGE_NAMES if code != UNDETERMINED]
    unknown = [code for code in codes if code not in known]
    if unknown or not codes:
        raise SettingsError(f"CIVICWATCH_CLASSIFIER_LANGUAGES must list codes of {', '.join(known)} (the languages "
                            f"the classifier was trained on, such as en,fr,kri), not {', '.join(unknown) or 'none'}")


# Words frequent in one language and rare in the others. A word in two lists counts for both.
_PROFILES: Final[dict[str, frozenset[str]]] = {
    "en": frozenset("""
        the and of was were is are they he she his her him my to in at for with this that have has had been who
        when without their there our it not from by what which would could should did does an i me us them
        took beat asked because into after before said told yesterday today night money phone officers
        """.split()),
    "fr": frozenset("""
        le la les de des en une un est et pas que qui dans pour avec sur il elle ils elles nous vous mon ma mes ce
        cette au aux du ont été sont suis ai avons était étaient mais ou où par sans leur leurs se sa son ses
        j l d qu n m c hier aujourd hui policier policiers argent téléphone frappé pris demandé très
        """.split()),
    "kri": frozenset("""
        di dem wi mi na nor nɔ bin don una am lek bɔt ɛn sabi tek wetin pikin pipul polis kam se fɔ fo dɛn den
        wan kin dey yu tin bifo wɛn wen ol mek pan ova wok mɔni moni sɔja soja bɔku boku dis dat wit ya ton
        go no de sef bak gi gɛt get beat bit lɔk lok os tɛl tel ɔda oda yestade tide naw
        wey abeg e dɛm nɔto noto nobi natin notin nɔbɔdi nobodi ɛnibɔdi enibodi sɔntin sontin usay ustɛm ustem
        insay kɔmɔt komot sidɔm sidom tinap waka chɔp chop bikɔs bikos afta broda sista mami granpikin padi
        bɔbɔ bobo titi kɔntri kontri plɛnti plenti fɔdɔm fodom tumara ala vɛks veks fred lɛf lef aks luk yɛri
        yeri wahala sote jɔs jos bɛtɛ kɔl kol ɛp plis pliz nɔmba numba ɔlman olman dɔn ɛnitin enitin
        """.split()),
}
# Krio words that writing in English never uses: whoever writes them writes Krio, even with English words mixed in
# (a Krio writer borrows English words freely; an English writer does not borrow these). They count twice.
_KRIO_MARKERS: Final = frozenset("""
    di dem dɛm dɛn una wetin pikin wey dey abeg bin nɔ nor na e sabi natin notin nɔto noto
    """.split())
# Letters that only French writes, among the three Latin-script languages.
_FRENCH_LETTERS: Final = frozenset("éèêëàâçîïôûùœ")
_WORD: Final = re.compile(r"[^\W\d_]+")
_MIN_EVIDENCE: Final = 2  # fewer profile words than this, and the text says too little to tell
_CLOSE: Final = 0.75  # a runner-up with this share of the winner's score is close enough for the hint to decide


@dataclass(frozen=True)
class Detection:
    """`language` is a code of LANGUAGE_NAMES (UNDETERMINED when the text does not say); `script` is "latin",
    "arabic", "other", or None for text with no letters at all (only emoji, digits, symbols)."""

    language: str
    script: str | None
    scores: dict[str, float]

    @property
    def name(self) -> str:
        return language_name(self.language)


def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or UNDETERMINED, code or LANGUAGE_NAMES[UNDETERMINED])


def language_list(codes: list[str]) -> str:
    """The names of these languages as a sentence reads them: "English", "English and Krio", "English, French and
    Krio"."""
    names = [language_name(code) for code in codes]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def _script_of(char: str) -> str:
    point = ord(char)
    if 0x0600 <= point <= 0x06FF or 0x0750 <= point <= 0x077F or 0x08A0 <= point <= 0x08FF \
            or 0xFB50 <= point <= 0xFDFF or 0xFE70 <= point <= 0xFEFF:
        return "arabic"
    if point < 0x0250 or 0x1E00 <= point <= 0x1EFF or char in "ɛɔƐƆŋŊ":
        return "latin"
    return "other"


def detect_script(text: str) -> str | None:
    """The script most of the letters are written in, or None when there are no letters."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            script = _script_of(char)
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    return max(sorted(counts), key=lambda script: counts[script])


def _latin_scores(text: str) -> dict[str, float]:
    words = _WORD.findall(unicodedata.normalize("NFC", text.lower()))
    scores = {code: float(sum(word in profile for word in words)) for code, profile in _PROFILES.items()}
    scores["kri"] += sum(word in _KRIO_MARKERS for word in words)
    scores["fr"] += 0.5 * sum(char in _FRENCH_LETTERS for char in text.lower())
    return scores


def detect_language(text: str | None, hint: str | None = None) -> Detection:
    """The language of `text`. `hint` is the language the writer chose elsewhere (the page's or the phone's); it
    decides only when the text itself does not: Latin letters with too few telling words, or two close languages."""
    text = text if isinstance(text, str) else ""
    script = detect_script(text)
    if script is None:
        return Detection(UNDETERMINED, None, {})
    if script == "arabic":
        return Detection("ar", script, {})
    if script != "latin":
        return Detection(UNDETERMINED, script, {})
    scores = _latin_scores(text)
    ranked = sorted(scores, key=lambda code: (-scores[code], code))
    best, runner_up = ranked[0], ranked[1]
    usable_hint = hint if hint in _PROFILES else None
    if scores[best] < _MIN_EVIDENCE:
        return Detection(usable_hint or UNDETERMINED, script, scores)
    if usable_hint is not None and usable_hint in (best, runner_up) and scores[runner_up] >= _CLOSE * scores[best]:
        return Detection(usable_hint, script, scores)
    if scores[best] == scores[runner_up]:
        return Detection(UNDETERMINED, script, scores)
    return Detection(best, script, scores)
