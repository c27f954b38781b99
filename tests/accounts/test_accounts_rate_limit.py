import pytest

from tests.conftest import csrf_token


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}


def test_login_attempts_are_limited_per_client_address(client):
    statuses = []
    for i in range(5):
        response = client.post("/login", data={"csrf_token": csrf_token(client), "email": f"x{i}@example.org",
                                               "password": "whatever password"})
        statuses.append(response.status_code)
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]
    assert "Too many attempts" in response.get_data(as_text=True)
    # Reading the sign-in page is not limited.
    assert client.get("/login").status_code == 200
