from tests.clinical_fixtures import NO_RED_FLAGS, red_flags  # noqa: F401  (used by the tests in this folder)
