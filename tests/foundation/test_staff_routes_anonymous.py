"""Every staff route refuses anonymous users: found from the URL map, so a new route cannot be forgotten."""
import re

from flask import Flask

PUBLIC_PREFIXES = ("/static", "/login", "/healthz", "/privacy", "/report", "/track", "/transparency",
                   "/published", "/language", "/open311", "/api", "/sms/inbound", "/sms/status", "/sms/simulator")


def staff_rules(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.rule == "/" or rule.rule.startswith(PUBLIC_PREFIXES):
            continue
        yield rule


def concrete(path: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", path)


def test_every_staff_route_refuses_anonymous_users(app, client):
    checked = 0
    for rule in staff_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(concrete(rule.rule), method=method)
            if method == "GET":
                assert response.status_code == 302, (rule.rule, response.status_code)
                assert response.headers["Location"].startswith("/login"), rule.rule
            else:
                # POSTs are refused before anything happens: CSRF (400) or sign-in (302/401).
                assert response.status_code in (302, 400, 401), (rule.rule, method, response.status_code)
            checked += 1
    assert checked >= 4
