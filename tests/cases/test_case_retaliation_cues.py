"""The cue reader that tells an account of retaliation from an unrelated follow-up, on the words people text: any
case, accents or none, apostrophes or spaces, Krio as spelt in texts. Broad on purpose (a miss is worse than a false
flag), without catching the everyday words of a follow-up about the case, nor a plain "nobody threatened me"."""
from __future__ import annotations

import pytest

from civicwatch.cases.retaliation_cues import names_retaliation

ACCOUNTS = [
    "THEY THREATENED ME", "I am scared", "Someone broke into my house",
    "they burned my shop", "they keep calling me at night", "they said they will deal with me",
    "they told me I will regret it", "An officer warned me", "I was dismissed from work",
    "on m a suivi", "On m’a menacé", "ils sont venus chez moi", "ils ont dit que je vais le regretter",
    "J'AI PEUR", "on m a arrete", "ils ont cassé ma porte",
    "A de fred", "Dem de fala mi", "dem lok mi op", "dem wan kil mi", "police don kam mi os",
    "dem se dem go dil wit mi",
    # A negation that does not take the threat back is still an account.
    "they did not stop beating me", "nobody helped me when they beat me", "No, but they threatened my wife",
    "nobody beat me but they threatened my wife", "I am not safe, they threatened me", "they never stop following me",
    # "ne ... pas de me" after a verb of stopping: they do not stop threatening, they keep on.
    "Ils n'arrêtent pas de me menacer", "ils n arretent pas de nous harceler", "Ils ne cessent pas de me frapper",
    "On ne m'a pas menacé mais ils n'arrêtent pas de me surveiller",
    # Accounts short enough to be dropped on a closed case if not read: they came back, took, searched, broke.
    "They came back last night", "the police came again", "they returned to my house", "they took my son",
    "they broke my phone", "they searched my house", "they pressured me to drop it", "my family is not safe",
    "Ils sont revenus", "Ils ont pris mon fils", "ils ont fouillé ma maison", "dem don kam bak", "Dem tek mi bra",
    "police de wach mi",
]
# Answers that say nothing happened, in the words the question used: not an account.
DENIALS = [
    "nobody threatened me", "No, nobody has threatened me", "no one threatened us", "I have not been threatened",
    "I haven't been threatened or harassed", "nothing happened to me", "No. Nobody came to my house",
    "non, personne ne m'a menacé", "je n'ai pas été menacé", "rien ne m'est arrivé",
    "no bodi tret mi", "notin apin to mi", "Nobodi don tret mi",
    "pas de menaces", "non, pas de menace",
]
UNRELATED = [
    "", "I will come on Tuesday", "I will follow up next week", "My friend Fred has the papers",
    "I cannot come to the meeting on Friday", "Thank you for the hearing date", "the officer was suspended",
    "je voudrais le suivi de mon dossier", "je me suis plaint hier", "Mi kes de go bifo?",
    "Wetin de apin wit mi kes naw", "They took my statement yesterday", "ils ont pris ma déposition",
]


@pytest.mark.parametrize("words", ACCOUNTS)
def test_accounts_are_read_as_retaliation(words):
    assert names_retaliation(words)


@pytest.mark.parametrize("words", UNRELATED)
def test_everyday_follow_ups_are_not(words):
    assert not names_retaliation(words)


@pytest.mark.parametrize("words", DENIALS)
def test_a_threat_denied_is_not_an_account(words):
    assert not names_retaliation(words)
