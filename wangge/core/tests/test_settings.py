import importlib


def test_production_settings_are_hardened():
    prod = importlib.import_module("wangge.settings_production")
    assert prod.DEBUG is False
    assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE and prod.SECURE_SSL_REDIRECT
    assert prod.SECURE_HSTS_SECONDS >= 31536000
    assert prod.X_FRAME_OPTIONS == "DENY"
    assert "django.middleware.csrf.CsrfViewMiddleware" in prod.MIDDLEWARE
    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_argon2_is_the_default_hasher_outside_tests():
    settings = importlib.import_module("wangge.settings")
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.AXES_FAILURE_LIMIT == 5
