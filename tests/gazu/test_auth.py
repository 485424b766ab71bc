import os

import gazu
import pytest
import requests


def test_host_is_a_zou_api(api_url):
    gazu.set_host(api_url)
    assert gazu.client.host_is_valid()
    assert gazu.client.get_api_version() == "1.0.97"


def test_log_in_read_the_current_user_refresh_and_log_out(api_url):
    gazu.set_host(api_url)
    tokens = gazu.log_in(os.environ["TUSK_ADMIN_EMAIL"], os.environ["TUSK_ADMIN_PASSWORD"])
    assert tokens["login"] is True
    assert tokens["user"]["email"] == os.environ["TUSK_ADMIN_EMAIL"]

    user = gazu.client.get_current_user()
    assert user["email"] == os.environ["TUSK_ADMIN_EMAIL"]
    assert user["role"] == "admin"
    assert user["type"] == "Person"

    old_access = gazu.raw.default_client.access_token
    new_access = gazu.refresh_access_token()["access_token"]
    assert new_access and new_access != old_access
    assert gazu.raw.default_client.access_token == new_access
    assert gazu.client.get_current_user()["id"] == user["id"]

    refresh = gazu.raw.default_client.refresh_token
    gazu.log_out()
    # Logging out revokes the access token in use and the refresh token behind it.
    for path, token in [("/auth/authenticated", new_access), ("/auth/refresh-token", refresh)]:
        answer = requests.get(
            api_url + path, headers={"Authorization": "Bearer " + token}, timeout=10
        )
        assert answer.status_code == 401
        assert answer.json() == {"msg": "Token has been revoked"}


def test_a_wrong_password_is_refused(api_url):
    gazu.set_host(api_url)
    with pytest.raises(gazu.AuthFailedException):
        gazu.log_in(os.environ["TUSK_ADMIN_EMAIL"], "not the password")
