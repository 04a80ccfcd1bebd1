"""Every enabled language is complete: no untranslated and no fuzzy entries, placeholders kept."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


def test_there_is_a_django_and_a_javascript_catalogue_for_each_language():
    names = {(p.parts[-3], p.name) for p in CATALOGUES}
    assert names == {(lang, f"{domain}.po") for lang in ("es", "fr", "ar") for domain in ("django", "djangojs")}


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_message_is_translated_and_none_is_fuzzy(path):
    with path.open("rb") as handle:
        catalog = read_po(handle)
    untranslated, fuzzy, broken = [], [], []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
        if isinstance(message.id, str):
            expected = sorted(PLACEHOLDER.findall(message.id))
            broken += [message.id for text in strings if text and sorted(PLACEHOLDER.findall(text)) != expected]
        else:  # plural forms may leave out the count ("no vials") but never add a placeholder
            allowed = set(PLACEHOLDER.findall(message.id[0])) | set(PLACEHOLDER.findall(message.id[1]))
            broken += [message.id[0] for text in strings if not set(PLACEHOLDER.findall(text)) <= allowed]
    assert (untranslated, fuzzy, broken) == ([], [], [])


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed (CI installs it)")
@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_msgfmt_check_passes(path):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr
