"""A file refused on the French or Krio page is refused in French or Krio: the whole sentence, not only the
"choose your files again" that follows it; and so is the 503 that says nothing was sent."""
from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from tests.factories import jpeg_with_gps, post_multipart
from tests.intake.conftest import PDF_BYTES, case_page_token, open_case, post_report


def locked_pdf() -> bytes:
    with pikepdf.open(io.BytesIO(PDF_BYTES)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="open sesame", owner="owner"))
    return out.getvalue()


def black_png(width: int, height: int) -> bytes:
    """A black PNG of one bit a pixel: a few kilobytes, refused from its header before any pixel is decoded."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, format="PNG")
    return out.getvalue()


REFUSED = [(b"", "vide.jpg"), (b"MZ\x90\x00 a program", "prog.exe"), (b"\xff\xd8\xff\xe0 cut", "coupe.jpg"),
           (b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\n%%EOF", "abime.pdf"), (locked_pdf(), "verrou.pdf")]
EXPECTED = {
    "fr": ["« vide.jpg » est vide. Choisissez à nouveau le fichier.",
           "« prog.exe » n'est pas une photo ni un PDF que nous pouvons accepter. Envoyez des photos (JPEG ou PNG) "
           "ou des documents PDF.",
           "Nous n'avons pas pu lire « coupe.jpg » comme une photo. Envoyez-la à nouveau ou dans un autre fichier.",
           "Nous n'avons pas pu lire « abime.pdf » comme un PDF. Envoyez-le à nouveau, ou une photo de chaque page.",
           "« verrou.pdf » est protégé par un mot de passe. Envoyez une copie sans mot de passe (par exemple en "
           "l'imprimant dans un nouveau PDF)."],
    "kri": ["“vide.jpg” emti. Pik di fayl bak.",
            "Wi nor go ebul tek “prog.exe”: i nor to foto or PDF. Sen foto (JPEG or PNG) or PDF dokyument.",
            "Wi nor ebul opin “coupe.jpg” lek foto. Sen am bak or sen am as difren fayl.",
            "Wi nor ebul opin “abime.pdf” lek PDF. Sen am bak, or sen foto fo eni pej.",
            "“verrou.pdf” get paswod. Sen kopi we nor get paswod (lek, print am to nyu PDF)."],
}
TOO_MANY_PIXELS = {
    "fr": "« grand.png » fait 5\u202f000 × 4\u202f000 pixels, plus que nous ne pouvons accepter. Envoyez une photo "
          "de 12 mégapixels au plus (par exemple 4096 × 3072), ou une capture d'écran de la partie importante.",
    "kri": "“grand.png” na 5,000 × 4,000 piksel, i big pas wetin wi go ebul tek. Sen foto we nor pas 12 megapiksel "
           "(lek 4096 × 3072), or skrinshot fo di pat we impotant.",
}
ENGLISH = ["is empty", "is not a photo or PDF", "could not be read as", "is protected by a password", "pixels, more than"]
NOT_STORED = {
    "fr": "Rien n'a été envoyé : nous n'avons pas pu enregistrer vos fichiers pour le moment.",
    "kri": "Natin nor go: wi nor ebul kip yu fayl dem naw.",
}


def page_text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')


@pytest.mark.parametrize("language", ["fr", "kri"])
def test_every_file_refusal_on_the_report_form_is_in_the_page_language(client, language):
    client.get(f"/language/{language}")
    response = post_report(client, files=REFUSED)
    html = page_text(response)
    assert response.status_code == 400
    for sentence in EXPECTED[language]:
        assert sentence in html
    response = post_report(client, files=[(black_png(5000, 4000), "grand.png")])
    html = page_text(response)
    assert response.status_code == 400 and TOO_MANY_PIXELS[language] in html
    for english in ENGLISH:
        assert english not in html


@pytest.mark.parametrize("language", ["fr", "kri"])
def test_a_file_refused_on_the_follow_up_page_is_refused_in_its_language(client, reported, language):
    client.get(f"/language/{language}")
    open_case(client, reported.code)
    response = post_multipart(client, "/track/case/reply",
                              {"csrf_token": case_page_token(client), "text": "Voici la photo."},
                              [(b"\xff\xd8\xff\xe0 cut", "coupe.jpg")])
    assert response.status_code == 400
    assert EXPECTED[language][2] in page_text(response)


@pytest.mark.parametrize("language", ["fr", "kri"])
def test_nothing_sent_is_said_in_the_page_language(client, app, language):
    uploads = Path(app.config["UPLOAD_DIR"])
    uploads.rmdir()
    uploads.write_text("a file where the upload folder should be")
    client.get(f"/language/{language}")
    response = post_report(client, files=[(jpeg_with_gps(), "photo.jpg")])
    assert response.status_code == 503
    assert NOT_STORED[language] in page_text(response)
