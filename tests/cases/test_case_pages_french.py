"""Staff pages in French: a staff member who chooses French reads the dashboard, the queues, the case page and
the messages after an action in French (issue 18: staff pages in English and French)."""
from __future__ import annotations

from html import unescape

from civicwatch.accounts.models import Role
from civicwatch.cases.attachments import IncomingFile, prepare_upload, save_attachment
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from tests.cases.conftest import post_case_form
from tests.factories import png_bytes, staff_client


def in_french(client):
    client.get("/language/fr")
    return client


def test_the_daily_staff_pages_speak_french(make_case, make_user, signed_in):
    case = make_case(CaseStatus.ACKNOWLEDGED, urgent=True)
    client = in_french(signed_in(make_user(Role.INVESTIGATOR, body=case.body)))

    dashboard = client.get("/staff/").get_data(as_text=True)
    assert "Dossiers ouverts par statut" in dashboard and "urgents et ouverts" in dashboard
    assert "Open cases by status" not in dashboard and "urgent and open" not in dashboard

    queue = client.get("/staff/cases?queue=all").get_data(as_text=True)
    assert "Tous les dossiers" in queue and "Rechercher et filtrer" in queue and "Réception accusée" in queue
    assert "Search and filter" not in queue and "Every case" not in queue

    page = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "Prochaine étape" in page and "Historique" in page and "La plainte" in page
    assert "Next step" not in page and "The complaint<" not in page and "Timeline" not in page


def test_an_action_is_confirmed_in_french(make_case, make_user, signed_in):
    case = make_case(CaseStatus.ACKNOWLEDGED)
    client = in_french(signed_in(make_user(Role.INVESTIGATOR, body=case.body)))
    response = post_case_form(client, case.id, "notes", "note", text="Appelé le poste de police.")
    assert "Note ajoutée. Seul le personnel peut la voir." in client.get(response.location).get_data(as_text=True)


def test_the_sign_in_page_speaks_french(client):
    client.get("/language/fr")
    html = client.get("/login").get_data(as_text=True)
    assert "Se connecter" in html and "Mot de passe" in html and "Password" not in html
    assert "Réservé au personnel des organes de contrôle" in html


def test_the_case_forms_speak_french_and_english_stays_english(make_case, make_user, signed_in, app):
    case = make_case(CaseStatus.INVESTIGATING)
    investigator = make_user(Role.INVESTIGATOR, body=case.body)
    client = in_french(signed_in(investigator))
    page = unescape(client.get(f"/staff/cases/{case.id}").get_data(as_text=True))
    # Labels, descriptions and choices of the forms, and the allegations panel shown on the case page.
    assert "Message au plaignant" in page and "Seul le personnel voit les notes. Jamais le plaignant." in page
    assert "Choisissez une issue" in page and "Partiellement établie" in page and "Hors compétence" in page
    assert "Aucune allégation enregistrée pour l'instant." in page and "Par quelle unité, quel poste ou quel agent" in page
    assert "Partly substantiated" not in page and "Message to the complainant" not in page
    assert "No allegation recorded yet." not in page

    english = unescape(staff_client(app, investigator).get(f"/staff/cases/{case.id}").get_data(as_text=True))
    assert "Partly substantiated" in english and "Message to the complainant" in english
    assert "Partiellement établie" not in english


def test_a_refused_form_and_the_timeline_speak_french(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING)
    client = in_french(signed_in(make_user(Role.INVESTIGATOR, body=case.body)))
    response = post_case_form(client, case.id, "findings", "findings", outcome="", findings="")
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "Choisissez une issue." in page and "Rédigez les constatations." in page
    post_case_form(client, case.id, "notes", "note", text="Appelé le poste de police.")
    page = unescape(client.get(f"/staff/cases/{case.id}").get_data(as_text=True))
    assert "Note interne" in page and "Internal note" not in page


def test_a_refused_status_change_is_explained_in_the_readers_language(make_case, make_user, signed_in, app):
    case = make_case(CaseStatus.TRIAGED)
    investigator = make_user(Role.INVESTIGATOR, body=case.body)
    french = in_french(signed_in(investigator))
    refused = post_case_form(french, case.id, "status/closed", "to-closed")
    text = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "Un dossier au statut « trié » ne peut pas passer au statut « clôturé »" in text, text[-2000:]
    assert "Rechargez la page" in text and "cannot become" not in text

    english = staff_client(app, investigator)
    refused = post_case_form(english, case.id, "status/closed", "to-closed")
    text = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "A case that is triaged cannot become closed. Reload the page" in text and "ne peut pas" not in text


def test_staff_pages_name_the_taxonomy_in_the_readers_language(make_case, make_user, signed_in, app):
    case = make_case(CaseStatus.ACKNOWLEDGED, region="southern")
    investigator = make_user(Role.INVESTIGATOR, body=case.body)
    client = in_french(signed_in(investigator))
    queue = unescape(client.get("/staff/cases?queue=all").get_data(as_text=True))
    # The case's theme and body, and the filter's options (their values stay the codes).
    assert "<span>Mauvaise conduite</span>" in queue and "<span>Autorité indépendante de contrôle de la police</span>" in queue
    assert '<option value="misconduct">Mauvaise conduite</option>' in queue
    assert '<option value="southern">Province du Sud</option>' in queue
    assert "Misconduct" not in queue and "Independent Police Oversight Authority" not in queue

    page = unescape(client.get(f"/staff/cases/{case.id}").get_data(as_text=True))
    assert "<strong>Autorité indépendante de contrôle de la police</strong>" in page
    assert "<dd>Mauvaise conduite" in page and "Province du Sud</dd>" in page
    assert "Southern Province" not in page and "Misconduct" not in page

    krio = signed_in(make_user(Role.ADMIN))
    krio.get("/language/kri")
    rules = unescape(krio.get("/staff/routing/").get_data(as_text=True))
    assert "<td>Bit, shut or wund pipul</td>" in rules and "<td>Indipendent Polis Ovasayt Otoriti" in rules

    english = unescape(staff_client(app, investigator).get(f"/staff/cases/{case.id}").get_data(as_text=True))
    assert "<dd>Misconduct" in english and "Mauvaise conduite" not in english


def test_the_files_of_a_case_are_described_in_french(make_case, make_user, signed_in):
    case = make_case(CaseStatus.ACKNOWLEDGED)
    save_attachment(case, prepare_upload(IncomingFile("photo.png", png_bytes())))
    db.session.commit()
    client = in_french(signed_in(make_user(Role.INVESTIGATOR, body=case.body)))

    page = unescape(client.get(f"/staff/cases/{case.id}").get_data(as_text=True))

    assert "copie nettoyée" in page and "SHA-256 de l'original" in page
    assert "cleaned copy" not in page and "Original's SHA-256" not in page
    assert "Original kept as evidence" not in page and "original not kept" not in page


def test_extending_the_deadline_and_a_stale_form_speak_french(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING)
    client = in_french(signed_in(make_user(Role.INVESTIGATOR, body=case.body)))
    page = unescape(client.get(f"/staff/cases/{case.id}").get_data(as_text=True))
    assert "Prolonger le délai de réponse (une seule fois)" in page and "Compté en jours ouvrables" in page
    assert "Extend the deadline" not in page and "Counted in working days" not in page

    response = post_case_form(client, case.id, "extend", "extend", days="5", reason="Le témoin est à l'étranger.")
    assert response.status_code == 302
    page = unescape(client.get(f"/staff/cases/{case.id}").get_data(as_text=True))
    assert "Le délai de réponse est prolongé" in page and "Délai de réponse prolongé le" in page
    assert "The deadline to answer is extended" not in page and "Deadline to answer extended" not in page

    stale = post_case_form(client, case.id, "notes", "note", version=1, text="Appelé le témoin à Kenema.")
    text = unescape(stale.get_data(as_text=True))
    assert stale.status_code == 409 and "votre modification n'a pas été enregistrée" in text
    assert "Someone else changed this case after you opened it" not in text
