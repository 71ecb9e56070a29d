"""Django settings of the baseline: the smallest set that runs the original view.

Environment: BASELINE_KAKAO_API_URL (the fake Kakao), BASELINE_DATABASE (SQLite file path),
SECRET_KEY. DEBUG is off: with it on Django keeps every SQL query in memory, which would
inflate the baseline's memory and cost under load.
"""

from __future__ import annotations

import os
import tempfile

SECRET_KEY = os.environ.get("SECRET_KEY", "baseline-bench-only-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["bench.baseline"]
# A JSON API without sessions or cookies, as the original: no CSRF, sessions or auth middleware.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "bench.baseline.urls"
WSGI_APPLICATION = "bench.baseline.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # Never a file in the working tree by accident: the bench always sets this.
        "NAME": os.environ.get(
            "BASELINE_DATABASE", os.path.join(tempfile.gettempdir(), "bench-baseline.sqlite3")
        ),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

KAKAO_API_URL = os.environ.get("BASELINE_KAKAO_API_URL", "https://kapi.kakao.com")
JWT_ALGORITHM = "HS256"
