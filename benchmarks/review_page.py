"""The size and load time of a review page of 200 photos in headless Chromium.

Run ``python benchmarks/review_page.py`` (a few minutes: 200 photos are
rendered, detected by both landmark models, and the page opened
``--repeat`` times), or with ``--quick`` (20 photos of 256 px, a smoke run).
Not a ``bench_*`` script: it needs Chromium and its WebDriver
(``apt-get install chromium chromium-driver``) and selenium.

What is measured: ``sklearn-palsy review`` over a synthetic cohort of
20 patients and 20 controls, five expressions each (200 photos of 1024 px,
so every preview is downscaled to 800 px); the page's size on disk; then, in
a fresh headless Chromium each time (1400 x 1000 window), from navigation
start: DOMContentLoaded, the load event, the moment every preview is decoded
(``complete`` and ``naturalWidth > 0``, polled every 10 ms) and the
moment the page's script has drawn the first photo (its ``data-ready``
mark). The medians over ``--repeat`` openings are printed, with the time
``review`` took (both models' detection included).

Targets: the page opens (every preview decoded) within 5 s and weighs at
most 50 MB (previews sized for a screen, not originals).
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import markdown_table, print_header, target_text, verdict

TARGET_S = 5.0
TARGET_MB = 50.0

_TIMES = """
var navigation = performance.getEntriesByType('navigation')[0];
var images = Array.prototype.slice.call(document.images);
var pending = images.filter(function (i) {
  return !(i.complete && i.naturalWidth > 0); });
return {dom: navigation.domContentLoadedEventEnd, load: navigation.loadEventEnd,
        pending: pending.length, images: images.length, now: performance.now(),
        ready: Number(document.body.dataset.readyAt || 0)};
"""


def _driver():
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=1400,1000", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(
        executable_path=shutil.which("chromedriver")))


def open_page(page):
    """Milliseconds from navigation start: DOM, load, previews decoded, drawn."""
    driver = _driver()
    try:
        # The script marks when it has drawn the first photo.
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
            "source": "new MutationObserver(function (m, o) {"
                      " if (document.body && document.body.dataset.ready) {"
                      "  document.body.dataset.readyAt = performance.now();"
                      "  o.disconnect(); } }).observe(document, {subtree: true,"
                      " attributes: true, attributeFilter: ['data-ready']});"})
        driver.get(page.as_uri())
        while True:
            found = driver.execute_script(_TIMES)
            if found["pending"] == 0 and found["load"] > 0 and found["ready"] > 0:
                break
            time.sleep(0.01)
        console = driver.get_log("browser")
        return (found["dom"], found["load"], found["now"], found["ready"],
                found["images"], console)
    finally:
        driver.quit()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        sys.exit("review_page.py needs chromium and chromedriver")
    print_header("The review page of 200 photos", args.quick)
    from sklearn_palsy import make_synthetic_cohort
    from sklearn_palsy.cli import main as cli

    n, size = (2, 256) if args.quick else (20, 1024)
    folder = Path(tempfile.mkdtemp())
    cohort = make_synthetic_cohort(n, n, image_size=size, random_state=0,
                                   output_dir=folder / "cohort")
    start = time.perf_counter()
    assert cli(["review", str(folder / "cohort" / "manifest.csv"), "--out",
                str(folder / "review.html")]) == 0
    review_s = time.perf_counter() - start
    page = folder / "review.html"
    megabytes = page.stat().st_size / 1e6
    runs = [open_page(page) for _ in range(2 if args.quick else args.repeat)]
    dom, load, decoded, drawn = (statistics.median(run[i] for run in runs)
                                 for i in range(4))
    assert all(run[4] == len(cohort.X) for run in runs)
    assert all(run[5] == [] for run in runs), runs[0][5]
    rows = [
        ["photos", f"{len(cohort.X)} of {size} px", "", ""],
        ["`review` (both models)", f"{review_s:.1f} s", "", ""],
        ["page size", f"{megabytes:.1f} MB", target_text(TARGET_MB, unit="MB"),
         verdict(megabytes, TARGET_MB)],
        ["DOMContentLoaded", f"{dom / 1000:.2f} s", "", ""],
        ["load event", f"{load / 1000:.2f} s", "", ""],
        ["every preview decoded", f"{decoded / 1000:.2f} s",
         target_text(TARGET_S, unit="s"), verdict(decoded / 1000, TARGET_S)],
        ["first photo drawn", f"{drawn / 1000:.2f} s", "", ""],
    ]
    print(markdown_table(rows, ["what", "measured (median)", "target", "verdict"]))
    print(f"\nconsole messages: none; openings: {len(runs)}")


if __name__ == "__main__":
    main()
