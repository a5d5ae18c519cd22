"""Full-page screenshots of every resident page, in each language, on a 390 × 844 phone.

    .venv/bin/python -m benchmarks.screenshots                 # all pages, fr nl en → screenshots/
    .venv/bin/python -m benchmarks.screenshots --langs nl --pages home "form vehicle-theft"
    .venv/bin/python -m benchmarks.screenshots --width 195     # as at 200% zoom

Serves the portal on a fresh, seeded SQLite database in a temporary folder (werkzeug on a free
port of 127.0.0.1), reaches each page the way a resident does (the form with errors is sent
empty, the confirmation is a real report), and writes ``screenshots/<lang>-<page>.png``. Uses
Debian's Chromium (/usr/bin/chromium); nothing is downloaded and no other host is contacted.
Not part of the test suite: it is for people to look at the pages.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO
from tests.browser.live import CHROMIUM, CHROMIUM_ARGS, serve
from tests.browser.portal_pages import RESIDENT_PAGES, reach

LOCALES = {"fr": "fr-BE", "nl": "nl-BE", "en": "en-GB"}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots")
    parser.add_argument("--langs", nargs="+", default=["fr", "nl", "en"], choices=list(LOCALES))
    parser.add_argument("--pages", nargs="+", default=list(RESIDENT_PAGES),
                        help="names of pages (default: all): " + ", ".join(RESIDENT_PAGES))
    parser.add_argument("--width", type=int, default=390)
    parser.add_argument("--height", type=int, default=844)
    args = parser.parse_args()
    unknown = [name for name in args.pages if name not in RESIDENT_PAGES]
    if unknown:
        parser.error(f"unknown pages: {unknown}")
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    written = 0
    with tempfile.TemporaryDirectory(prefix="portal-shots-") as tmp, \
            serve(Path(tmp), Path(tmp)) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang in args.langs:
            context = browser.new_context(
                viewport={"width": args.width, "height": args.height}, device_scale_factor=1,
                is_mobile=True, has_touch=True, locale=LOCALES[lang], timezone_id="Europe/Brussels",
                base_url=server.url)
            # Offline but for the portal, as the portal promises.
            context.route(lambda url: not url.startswith(server.url + "/"), lambda route: route.abort())
            page = context.new_page()
            for name in args.pages:
                reach(page, lang, name)
                target = args.out / f"{lang}-{slug(name)}.png"
                page.screenshot(path=str(target), full_page=True)
                written += 1
            context.close()
        browser.close()
    print(f"{written} screenshots in {args.out} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
