"""The three catalogs are complete: nothing untranslated, nothing fuzzy, same placeholders."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LANGS = ["fr", "nl", "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")


def catalog(lang: str) -> Catalog:
    with open(ROOT / "portal" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                    "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True)
    with open(pot, "rb") as f:
        return read_po(f)


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_translated_and_not_fuzzy(lang: str) -> None:
    problems = []
    for message in catalog(lang):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
    assert problems == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_marked_string_is_in_the_catalog(lang: str, extracted: Catalog) -> None:
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(lang) if m.id}
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted if m.id}
    assert sorted(wanted - known) == []


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_match(lang: str) -> None:
    problems = []
    for message in catalog(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(map(tuple, (placeholders(i) for i in ids)))
        for index, string in enumerate(strings):
            if not string or tuple(placeholders(string)) in expected:
                continue
            # A plural's first form may spell its one out and leave the count's placeholder
            # out ("dans un délai d'un jour ouvrable", "binnen één werkdag"), as gettext allows;
            # it may never add a placeholder nor leave out another one.
            if len(ids) > 1 and index == 0 and singular_spelled_out(placeholders(ids[0]), placeholders(string)):
                continue
            problems.append((message.id, string))
    assert problems == []


def singular_spelled_out(wanted: list[str], found: list[str]) -> bool:
    missing = list(wanted)
    for name in found:
        if name not in missing:
            return False
        missing.remove(name)
    return len(missing) == 1


def test_only_a_plural_singular_may_spell_its_count_out() -> None:
    assert singular_spelled_out(["%(days)s"], [])
    assert singular_spelled_out(["%(days)s", "%(municipality)s"], ["%(municipality)s"])
    assert not singular_spelled_out(["%(days)s", "%(municipality)s"], [])
    assert not singular_spelled_out(["%(days)s"], ["%(other)s"])
    assert not singular_spelled_out(["%(days)s"], ["%(days)s"])
