from civicwatch.accounts.models import Role


def test_security_headers_on_every_response(client):
    for path in ("/", "/login", "/healthz", "/does-not-exist"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_staff_pages_are_not_cached(login_as, make_user):
    client = login_as(make_user(Role.ADMIN))
    assert client.get("/staff/").headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_no_inline_scripts_or_styles_in_pages(login_as, make_user):
    client = login_as(make_user(Role.ADMIN))
    for path in ("/", "/privacy", "/staff/", "/staff/users", "/account/password"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html, path


def test_healthz_reports_database_and_model(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    # The web report queue is watched too: by default reports are queued while a worker runs.
    assert response.json == {"status": "ok", "database": "ok", "model_version": None, "web_report_queue": "ok"}


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    as_json = client.get("/nothing-here", headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and as_json.json["error"]["status"] == 404


def test_pages_fit_a_phone(client):
    html = client.get("/").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "http://" not in html.replace("http://localhost", "")  # no CDN or external asset


def test_form_fields_never_render_none_attributes(client):
    html = client.get("/login").get_data(as_text=True)
    assert '="None"' not in html
    bad = client.post("/login", data={"email": "not-an-email", "password": ""})
    assert '="None"' not in bad.get_data(as_text=True)


def test_wrong_method_says_which_methods_are_allowed(client):
    response = client.delete("/login")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert "text/html" in response.headers["Content-Type"]
