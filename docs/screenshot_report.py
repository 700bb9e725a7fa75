"""Take the README's picture of a report: its headline slide and overview chart, in a headless Chromium.

    python docs/screenshot_report.py docs/sample-report.html docs/report.png

Part of ``make sample-report``. Needs the ``playwright`` package (dev extra) and Chromium (``make browser``); every
request that would leave the file is blocked, as in the browser tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

CHROMIUM = os.environ.get("DLSIM_CHROMIUM", "/usr/bin/chromium")


def main(argv: list[str] | None = None) -> int:
    """Screenshot the report named on the command line; exit 1 if it does not draw or a request leaves the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("picture", type=Path)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1050)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": args.width, "height": args.height}, device_scale_factor=1)
        blocked: list[str] = []

        def route(r):
            if r.request.url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(args.report.resolve().as_uri())
        deadline = time.monotonic() + 120
        while page.evaluate("document.body.dataset.ready") != "1":
            if time.monotonic() > deadline:
                sys.stderr.write("the report did not finish drawing\n")
                return 1
            time.sleep(0.2)
        # the headline slide with the most effects distinguishable from zero
        page.evaluate(
            """() => {
              const slides = Array.from(document.querySelectorAll('.cards-slide'));
              const score = s => s.querySelectorAll('.verdict-better, .verdict-worse').length;
              const best = slides.reduce((a, b) => (score(b) > score(a) ? b : a), slides[0]);
              window.scrollTo(0, window.scrollY + best.getBoundingClientRect().top - 60);
            }"""
        )
        time.sleep(0.5)
        args.picture.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.picture))
        browser.close()
    if blocked:
        sys.stderr.write(f"requests left the file: {blocked}\n")
        return 1
    sys.stdout.write(f"{args.picture}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
