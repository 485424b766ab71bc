"""Drive a running Tusk through gazu, the Python client studios use.

tests/gazu/run.sh starts the server and sets TUSK_URL, TUSK_ADMIN_EMAIL and
TUSK_ADMIN_PASSWORD.
"""
import os

import gazu
import pytest


@pytest.fixture
def api_url():
    return os.environ["TUSK_URL"].rstrip("/") + "/api"


@pytest.fixture
def admin(api_url):
    gazu.set_host(api_url)
    gazu.log_in(os.environ["TUSK_ADMIN_EMAIL"], os.environ["TUSK_ADMIN_PASSWORD"])
    yield os.environ["TUSK_ADMIN_EMAIL"]
    gazu.log_out()
