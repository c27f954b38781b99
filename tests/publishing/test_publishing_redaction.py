"""The redaction assistant: what it proposes, and how staff decisions become the published text."""
import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.publishing.redaction import (
    Decision,
    KnownDetails,
    apply_redactions,
    marked_segments,
    propose_redactions,
)


def found(text, known=None, extra=()):
    return [(p.label, p.text) for p in propose_redactions("summary", text, known, extra)]


@pytest.mark.parametrize("text, expected", [
    ("Call me on +232 76 123 456 tonight.", ("phone", "+232 76 123 456")),
    ("My number is 076-123-456.", ("phone", "076-123-456")),
    ("Reach him on 076123456 please.", ("phone", "076123456")),
    ("Write to fatu.k@example.org for the papers.", ("email", "fatu.k@example.org")),
    ("The land cruiser AKK 123 was parked outside.", ("plate", "AKK 123")),
    ("A pickup with plate ABC-456 blocked the road.", ("plate", "ABC-456")),
    ("His ID card number 334455 was taken.", ("id_number", "334455")),
    ("The officer's service number SLP/12345 is on the report.", ("id_number", "SLP/12345")),
    ("They went to 12 Kissy Road at night.", ("address", "12 Kissy Road")),
    ("Sgt. Bangura hit him.", ("name", "Bangura")),
    ("Mr. Mohamed Demo-Kamara was there.", ("name", "Mohamed Demo-Kamara")),
    ("Chief Inspector Alpha Koroma said no.", ("name", "Alpha Koroma")),
    ("My brother Ibrahim was held in the cell.", ("name", "Ibrahim")),
    ("Officer Turay and Cpl Sesay took the money.", ("name", "Turay")),
    # As people write them: dashes of a word processor, digits in groups, surnames in capitals, a line break.
    ("He called the witness on 076\u2013100\u2013001 to threaten her.", ("phone", "076\u2013100\u2013001")),
    ("The officer, service number 12 345, took money from drivers.", ("id_number", "12 345")),
    ("Passport no. A 123 4567 was seized at the border.", ("id_number", "A 123 4567")),
    ("That day Sgt. Abu BANGURA of the post took money.", ("name", "Abu BANGURA")),
    ("That day Officer JOHN SMITH took money.", ("name", "JOHN SMITH")),
    ("Officers at the post beat the trader Mariatu\nTucker and took her goods.", ("name", "Mariatu\nTucker")),
])
def test_each_kind_of_detail_is_proposed(text, expected):
    assert expected in found(text)


@pytest.mark.parametrize("text", [
    "They paid Le 20,000 in 2025 at the junction.",
    "It happened on 12/03/2025 near Kenema.",
    "The Anti-Corruption Commission (ACC 2024 report) found nothing.",
    "The police station in Bo was closed for 3 days.",
    "Room number 2 was locked for 10 days.",
    "The UN and the SLP met at Kenema; the OC said NO to the family.",
])
def test_ordinary_numbers_dates_and_places_are_left_alone(text):
    assert found(text) == []


def test_the_complainants_known_details_are_found_in_any_form():
    known = KnownDetails(names=("Aminata Demo-Kamara",), phones=("+23276100001",), emails=("aminata.demo@example.org",))
    text = ("aminata demo-kamara called from 076 100 001 and tel:076100001, also wrote from "
            "Aminata.Demo@example.org. Kamara said the same.")
    proposals = found(text, known)
    assert ("name", "aminata demo-kamara") in proposals
    assert ("phone", "076 100 001") in proposals
    assert ("phone", "tel:076100001") in proposals
    assert ("email", "Aminata.Demo@example.org") in proposals
    assert ("name", "Kamara") in proposals  # a capitalised part of the known name


def test_a_lowercase_word_that_is_also_part_of_a_name_is_left_alone():
    known = KnownDetails(names=("Hope Demo-Kamara",))
    assert ("name", "hope") not in found("We hope the commission acts.", known)


def test_staff_terms_are_hidden_wherever_they_appear():
    assert found("The Rokupa market women saw it; rokupa is small.", extra=["Rokupa market"]) == [
        ("staff", "Rokupa market")]


def test_proposals_never_overlap_and_prefer_the_specific_kind():
    proposals = propose_redactions("summary", "Plate ABC-456 and Mr. Kamara Sesay at 4 Lumley Street.")
    spans = [(p.start, p.end) for p in proposals]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))
    assert [p.label for p in proposals] == ["plate", "name", "address"]


def test_staff_decisions_make_the_published_text_and_the_source_is_untouched():
    source = "Sgt. Bangura took 076123456 from Fatu at 12 Kissy Road."
    proposals = propose_redactions("summary", source)
    decisions = [Decision(p.field, p.start, p.end, p.label, p.label != "address", p.replacement) for p in proposals]
    decisions[0] = Decision(**{**decisions[0].as_dict(), "replacement": "[a sergeant]"})
    published = apply_redactions(source, "summary", decisions)
    assert published == "Sgt. [a sergeant] took [phone number] from [name] at 12 Kissy Road."
    assert source == "Sgt. Bangura took 076123456 from Fatu at 12 Kissy Road."
    segments = marked_segments(source, "summary", decisions)
    assert "".join(s.text for s in segments) == source
    assert [s.text for s in segments if s.hidden] == ["Bangura", "076123456", "Fatu"]


def test_stale_or_overlapping_decisions_are_never_half_applied():
    text = "Short text."
    decisions = [Decision("summary", 3, 40, "name", True, "[name]"), Decision("response", 0, 5, "name", True, "[x]")]
    assert apply_redactions(text, "summary", decisions) == text


def covered(proposals, text, target):
    start = text.index(target)
    return [p.label for p in proposals if p.start <= start and start + len(target) <= p.end]


@pytest.mark.parametrize("text, target", [
    ("i spoke to aminata about it.", "aminata"),  # a known given name in lower case
    ("AMINATA DEMO-KAMARA was beaten.", "AMINATA DEMO-KAMARA"),
    ("They took KAMARA to the cell.", "KAMARA"),  # one part of the known name, in capitals
])
def test_known_names_are_found_in_lower_case_and_capitals(text, target):
    known = KnownDetails(names=("Aminata Demo-Kamara",))
    assert covered(propose_redactions("summary", text, known), text, target) == ["name"]


@pytest.mark.parametrize("text, target, label", [
    ("The money went to John Smith at the checkpoint.", "John Smith", "name"),
    ("John Smith took the money.", "John Smith", "name"),
    ("Yesterday Fatmata Conteh was arrested.", "Fatmata Conteh", "name"),
    ("His national card SL-123-456-789 was kept.", "SL-123-456-789", "id_number"),
    ("He showed ID 1234 5678 90 at the gate.", "1234 5678 90", None),
    ("Her card, SL 1234 5678 A, was kept.", "SL 1234 5678 A", "id_number"),
])
def test_names_and_long_ids_outside_the_lists_are_proposed(text, target, label):
    labels = covered(propose_redactions("summary", text), text, target)
    assert len(labels) == 1 and labels[0] in ({label} if label else {"id_number", "phone"})


def test_a_lone_unknown_capitalised_word_is_shown_but_not_hidden_by_default():
    proposals = propose_redactions("summary", "The officer told Wuyango to pay or stay in the cell.")
    assert [(p.label, p.text, p.hidden_by_default) for p in proposals] == [("possible_name", "Wuyango", False)]
    assert all(p.hidden_by_default for p in propose_redactions("summary", "John Smith paid."))


@pytest.mark.parametrize("text", [
    "On Monday the Police in Kenema arrested him and took him to Freetown.",
    "The Police at Kissy and the soldiers from Wilberforce came in April.",
    "We reported it to the National Human Rights Commission and the Anti-Corruption Commission in Bo.",
    "Last Friday the Military Police in Makeni refused to help.",
])
def test_places_terms_and_calendar_words_are_not_names(text):
    assert [p for p in propose_redactions("summary", text) if p.label in ("name", "possible_name")] == []


def test_details_written_as_people_write_them_are_hidden_in_the_published_answer(app, new_case, publish):
    findings = ("Sgt. Abu BANGURA, service number 12 345, beat the trader Mariatu\nTucker and called her on "
                "076\u2013100\u2013001.")
    case = new_case(CaseStatus.RESPONDED, findings=findings, draft_public_response="The officers were disciplined.")
    publish(case)
    public = app.test_client().get(f"/published/{case.reference}").get_data(as_text=True)
    assert "The officers were disciplined." in public
    for detail in ("BANGURA", "12 345", "Tucker", "100\u2013001"):
        assert detail not in public, detail


@pytest.mark.parametrize("findings, detail", [
    ("The complainant said sgt bangura took the money at the post.", "bangura"),
    ("The complainant said officer jalloh took the money at the post.", "jalloh"),
    ("The complainant said Mr kamara took the money at the post.", "kamara"),
    ("The complainant said musa kamara took the money at the post.", "musa kamara"),
    ("The complainant said MUSA KAMARA took the money at the post.", "MUSA KAMARA"),
    ("The complainant said KAMARA took the money at the post.", "KAMARA"),
    ("The complainant gave her receipt code 1234.5678.9012.3456 to the officer.", "1234.5678.9012.3456"),
])
def test_names_in_lower_case_or_capitals_and_dotted_codes_are_hidden_in_the_published_answer(app, new_case, publish,
                                                                                               findings, detail):
    """Findings typed in lower case, or with a surname in capitals, still name the officer; a receipt code written
    with dots still opens the complainant's follow-up page."""
    case = new_case(CaseStatus.RESPONDED, findings=findings, draft_public_response="The officers were disciplined.")
    publish(case)
    public = app.test_client().get(f"/published/{case.reference}").get_data(as_text=True)
    assert "took the money" in public or "to the officer" in public
    assert detail not in public


@pytest.mark.parametrize("findings", [
    "The officer kept her ID 123-456 at the post.",
    "The officer kept her card SL-123-456 at the post.",
    "The officer kept her NIN ABC-123-456 at the post.",
])
def test_a_hyphenated_id_number_is_hidden_whole_in_the_published_answer(app, new_case, publish, findings):
    case = new_case(CaseStatus.RESPONDED, findings=findings, draft_public_response="The officers were disciplined.")
    publish(case)
    public = app.test_client().get(f"/published/{case.reference}").get_data(as_text=True)
    assert "at the post" in public
    assert "-456" not in public and "123-" not in public


@pytest.mark.parametrize("text, target", [
    ("Write to fatu.kamara [at] example.org for the papers.", "fatu.kamara [at] example.org"),
    ("Write to fatu.kamara (at) example dot org for the papers.", "fatu.kamara (at) example dot org"),
    ("Write to fatu.kamara at example dot org for the papers.", "fatu.kamara at example dot org"),
    ("Write to fatu_k AT mail DOT example DOT org for the papers.", "fatu_k AT mail DOT example DOT org"),
    ("Write to fatu.kamara@example .org for the papers.", "fatu.kamara@example .org"),
    ("Write to fatu.kamara @ example [dot] org for the papers.", "fatu.kamara @ example [dot] org"),
])
def test_an_email_written_to_escape_robots_is_proposed_whole_and_hidden(text, target):
    proposals = [p for p in propose_redactions("summary", text) if p.label == "email"]
    assert [(p.text, p.hidden_by_default) for p in proposals] == [(target, True)]


@pytest.mark.parametrize("text", [
    "The officers were at home and at the market dot com stall on Monday.",
    "She looked at example.org for the rules.",
    "We met at the station, then at the court.",
])
def test_at_and_dot_in_ordinary_sentences_are_not_emails(text):
    assert [p for p in propose_redactions("summary", text) if p.label == "email"] == []


@pytest.mark.parametrize("text, target", [
    ("The complainant said officer john smith took the money.", "john smith"),
    ("The complainant said sgt john smith took the money.", "john smith"),
    ("The complainant said sgt. wuyango took the money.", "wuyango"),
    ("The complainant said corporal mohamed took the money.", "mohamed"),
    ("The complainant said inspector abu bakarr took the money.", "abu bakarr"),
    ("The complainant said chief inspector abu bakarr took the money.", "abu bakarr"),
    ("The complainant said Officer John smith took the money.", "John smith"),
])
def test_an_unknown_name_after_a_rank_in_lower_case_is_proposed_and_hidden(text, target):
    proposals = [(p.label, p.text, p.hidden_by_default) for p in propose_redactions("summary", text)]
    assert ("name", target, True) in proposals


@pytest.mark.parametrize("text", [
    "The officer on duty refused to open the case.",
    "The officer at the checkpoint took money from drivers.",
    "The sergeant in charge said no one was held.",
    "The officer who arrested him beat him at the station.",
    "The sergeant demanded money and the corporal slapped the driver.",
    "Then the officer took the phone and the inspector refused to write a statement.",
    "The general public and private security guards saw the major damage.",
])
def test_ordinary_words_after_a_rank_are_not_names(text):
    assert [p for p in propose_redactions("summary", text) if p.label in ("name", "possible_name")] == []


@pytest.mark.parametrize("text, target", [
    ("The complainant said Sgt. محمد كمارا took the money.", "محمد كمارا"),
    ("The complainant said officer محمد took the money.", "محمد"),
    ("The complainant said inspector محمد علي كمارا took the money.", "محمد علي كمارا"),
    ("The complainant said Cpl مُحَمَّد took the money.", "مُحَمَّد"),  # with its vowel marks
])
def test_a_name_in_arabic_script_after_a_rank_is_proposed_and_hidden(text, target):
    proposals = [(p.label, p.text, p.hidden_by_default) for p in propose_redactions("summary", text)]
    assert ("name", target, True) in proposals


def test_arabic_script_in_an_answer_written_in_english_is_shown_as_a_possible_name():
    proposals = propose_redactions("summary", "The trader فاطمة كمارا was beaten at the market.")
    assert [(p.label, p.text, p.hidden_by_default) for p in proposals] == [("possible_name", "فاطمة كمارا", False)]


def test_an_answer_written_in_arabic_is_not_proposed_word_by_word():
    assert propose_redactions("summary", "قال الضابط إن المال أعيد إلى السائقين في السوق.") == []


def test_a_known_name_in_arabic_script_is_found_and_hidden():
    known = KnownDetails(names=("فاطمة كمارا",))
    text = "The officer told فاطمة to pay, and كمارا refused."
    assert [(p.label, p.text, p.hidden_by_default) for p in propose_redactions("summary", text, known)] == [
        ("name", "فاطمة", True), ("name", "كمارا", True)]


def published_with(app, new_case, publish, findings: str) -> str:
    """The public page of an answer published through the staff pages from these findings."""
    case = new_case(CaseStatus.RESPONDED, findings=findings, draft_public_response="The officers were disciplined.")
    publish(case)
    return app.test_client().get(f"/published/{case.reference}").get_data(as_text=True)


@pytest.mark.parametrize("findings, details", [
    ("The trader wrote from fatu.kamara (at) example dot org to report the officer.", ("fatu.kamara", "example dot org")),
    ("The complainant said inspector abu bakarr took the money at the post.", ("abu", "bakarr")),
    ("The complainant said Sgt. محمد كمارا took the money at the post.", ("محمد", "كمارا")),
])
def test_written_out_emails_and_names_after_a_rank_are_hidden_in_the_published_answer(app, new_case, publish,
                                                                                      findings, details):
    public = published_with(app, new_case, publish, findings)
    assert "The officers were disciplined." in public
    assert [detail for detail in details if detail in public] == []
