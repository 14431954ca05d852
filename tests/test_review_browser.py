"""The review page in a real browser: headless Chromium driven by Selenium.

Real input events (Selenium's actions, which Chromium receives as
DevTools input events): a point is dragged with the mouse, undone and redone
with the keyboard, the edit survives a reload, the export is downloaded and
given to ``extract --landmarks``. The page must load with every preview
decoded, a silent console and no request leaving it; hostile names are
shown as text.

``.ci/run`` installs Debian's ``chromium`` and ``chromium-driver``; where
either is missing, these tests are skipped, saying so.
"""

import csv
import json
import shutil
import time

import numpy as np
import pandas as pd
import pytest

from sklearn_palsy.cli import main

selenium = pytest.importorskip(
    "selenium", reason="selenium is not installed (pip install -e '.[test]')")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.actions.action_builder import ActionBuilder  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

MOUTH_CORNER = 54  # the subject's left mouth corner, iBUG 68
ZOOM = 4  # screen pixels per image pixel: (6, -4) image px is (24, -16)


def _binaries():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip("headless Chromium or its WebDriver is not installed here "
                    "(.ci/run installs them with apt-get install -y chromium "
                    "chromium-driver)")
    return browser, driver


@pytest.fixture
def browser(tmp_path):
    """A headless Chromium that downloads into tmp_path/downloads."""
    binary, driver_path = _binaries()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=1400,1000", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
    })
    options.set_capability("goog:loggingPrefs",
                           {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=driver_path))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver, page):
    driver.get(page.as_uri())
    for _ in range(200):
        if driver.execute_script("return document.body && document.body.dataset.ready"):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the page's script did not start: "
                             f"{driver.get_log('browser')}")
    # Every preview decoded.
    for _ in range(100):
        state = driver.execute_script(
            "var images = Array.prototype.slice.call(document.images);"
            "return [images.length, images.filter(function (i) {"
            "  return !(i.complete && i.naturalWidth > 0); }).length];")
        if state[1] == 0:
            break
        time.sleep(0.05)
    return state


def _requests(driver):
    """URLs the page asked the network for (DevTools' Network events)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _outside(urls, page):
    return [url for url in urls if not url.startswith(("data:", "blob:"))
            and url != page.as_uri()]


def _review(cohort, out, *options):
    assert main(["review", *map(str, cohort.X), "--out", str(out), *options]) == 0
    return out


@pytest.fixture(scope="module")
def reviewed(synthetic_cohort, tmp_path_factory):
    """``review`` over two people's rest and smile photos, dlib's points."""
    cohort = synthetic_cohort(n_patients=1, n_controls=1,
                              expressions=("rest", "smile"), image_size=256,
                              on_disk=True)
    out = tmp_path_factory.mktemp("review") / "review.html"
    return cohort, _review(cohort, out, "--backend", "dlib", "--no-compare")


def _assert_loads_decoded_silent_and_offline(browser, page, n_images):
    images, broken = _open(browser, page)
    assert (images, broken) == (n_images, 0)
    assert browser.get_log("browser") == []
    assert _outside(_requests(browser), page) == []
    assert browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith('data:') && !n.startsWith('blob:'))") == []


def test_the_page_loads_decoded_silent_and_offline(reviewed, browser):
    """Fast smoke test: previews decoded, no console message, no request."""
    cohort, page = reviewed
    _assert_loads_decoded_silent_and_offline(browser, page, len(cohort.X))
    # The list holds every photo, as text.
    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#list .name")]
    assert sorted(names) == sorted(map(str, cohort.X))


@pytest.mark.slow
def test_the_demo_cohort_page_with_both_models(synthetic_cohort, browser, tmp_path):
    """``review`` of a manifest, MediaPipe's points compared with dlib's."""
    cohort = synthetic_cohort(n_patients=2, n_controls=2, image_size=256,
                              on_disk=True)
    out = tmp_path / "review.html"
    assert main(["review", str(cohort.manifest), "--out", str(out)]) == 0
    flags = pd.read_csv(tmp_path / "review-flags.csv")
    assert len(flags) == len(cohort.X) and flags["disagreement_iod"].notna().all()
    _assert_loads_decoded_silent_and_offline(browser, out, len(cohort.X))
    assert browser.execute_script("return window.sklearnPalsyReview.points().length") \
        == 478


def _press_drag(driver, x, y, dx, dy):
    """Real mouse events: press at viewport (x, y), move by (dx, dy), release."""
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(x, y)
    actions.pointer_action.pointer_down()
    actions.pointer_action.move_to_location(x + dx // 2, y + dy // 2)
    actions.pointer_action.move_to_location(x + dx, y + dy)
    actions.pointer_action.pointer_up()
    actions.perform()


def _extract(images, out, landmarks=None):
    arguments = ["extract", *images, "--out", str(out), "--backend", "dlib", "--quiet"]
    if landmarks is not None:
        arguments += ["--landmarks", str(landmarks)]
    assert main(arguments) == 0
    return pd.read_csv(out).set_index("image")


@pytest.mark.slow
def test_drag_undo_reload_export_and_extract(reviewed, browser, tmp_path):
    cohort, page = reviewed
    _open(browser, page)
    target = str(cohort.X[1])  # the first person's smile
    index = browser.execute_script(
        "var r = window.sklearnPalsyReview; var o = r.order();"
        "for (var i = 0; i < o.length; i++) { r.show(o[i]);"
        "  if (document.getElementById('image-name').textContent === arguments[0])"
        "    return o[i]; } return -1;", target)
    assert index >= 0
    before = browser.execute_script(
        "return window.sklearnPalsyReview.points(arguments[0])", index)
    browser.execute_script("var r = window.sklearnPalsyReview;"
                           "r.select([arguments[0]]);"
                           f"r.zoomTo({ZOOM});", MOUTH_CORNER)
    # Image pixels to screen pixels through the page's own transform.
    x, y = browser.execute_script(
        "var p = window.sklearnPalsyReview.points()[arguments[0]];"
        "return window.sklearnPalsyReview.toScreen(p[0], p[1]);", MOUTH_CORNER)
    _press_drag(browser, round(x), round(y), 6 * ZOOM, -4 * ZOOM)
    after = browser.execute_script("return window.sklearnPalsyReview.points()")
    moved = np.subtract(after, before)
    assert moved[MOUTH_CORNER] == pytest.approx([6, -4], abs=1e-9)
    assert not np.delete(moved, MOUTH_CORNER, axis=0).any()

    canvas = browser.find_element(By.ID, "canvas")
    ActionChains(browser).key_down(Keys.CONTROL).send_keys_to_element(
        canvas, "z").key_up(Keys.CONTROL).perform()
    undone = browser.execute_script("return window.sklearnPalsyReview.points()")
    assert undone == before  # exactly
    ActionChains(browser).key_down(Keys.CONTROL).send_keys_to_element(
        canvas, "y").key_up(Keys.CONTROL).perform()
    assert browser.execute_script("return window.sklearnPalsyReview.points()") == after

    browser.refresh()
    _open(browser, page)
    assert browser.execute_script(
        "return window.sklearnPalsyReview.points(arguments[0])", index) == after
    edited = browser.execute_script("return window.sklearnPalsyReview.edited()")
    assert edited == [index]
    # The screenshot of the user guide (docs/_static/review_page.png).
    browser.execute_script("var r = window.sklearnPalsyReview; r.show(arguments[0]);"
                           "r.select([arguments[1]]);", index, MOUTH_CORNER)
    browser.save_screenshot(str(tmp_path / "review_page.png"))

    browser.find_element(By.ID, "export-landmarks").click()
    browser.find_element(By.ID, "export-decisions").click()
    exported = browser.downloads / "review-landmarks.csv"
    decisions = browser.downloads / "review-decisions.csv"
    for _ in range(100):
        if exported.exists() and decisions.exists():
            break
        time.sleep(0.05)
    with open(exported, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["image"] for row in rows} == {target}
    assert len(rows) == 68
    assert browser.get_log("browser") == []

    images = [str(path) for path in cohort.X]
    plain = _extract(images, tmp_path / "plain.csv")
    corrected = _extract(images, tmp_path / "corrected.csv", landmarks=exported)
    def row(table):
        return table.loc[target].drop("landmark_backend").astype(float)

    shift = row(corrected) - row(plain)
    assert shift[f"x_{MOUTH_CORNER}"] == pytest.approx(6, abs=0.5)
    assert shift[f"y_{MOUTH_CORNER}"] == pytest.approx(-4, abs=0.5)
    coordinates = [c for c in shift.index if c[:2] in ("x_", "y_")]
    unmoved = shift[coordinates].drop([f"x_{MOUTH_CORNER}", f"y_{MOUTH_CORNER}"])
    assert (unmoved == 0).all()
    others = [image for image in images if image != target]
    pd.testing.assert_frame_equal(corrected.loc[others], plain.loc[others])
    mouth = [c for c in shift.index if "commissure" in c or "mouth" in c]
    assert mouth and (shift[mouth].abs() > 1e-6).any()
    from sklearn_palsy.reporting import load_review_decisions

    assert len(load_review_decisions(decisions)) == len(images)


@pytest.mark.slow
def test_hostile_names_are_text_and_run_nothing(synthetic_cohort, browser, tmp_path):
    from PIL import Image

    cohort = synthetic_cohort(n_patients=1, n_controls=0, expressions=("rest",),
                              image_size=128)
    # The file name would retitle the page, the patient id raise an alert
    # (which would stop the next WebDriver command), if either ran.
    hostile = '<img src=x onerror="document.title=\'pwned\'">'
    patient = "<img src=x onerror=alert(1)>"
    photo = tmp_path / f"{hostile}.jpg"
    Image.fromarray(np.asarray(cohort.images[0])).save(photo)
    manifest = tmp_path / "manifest.csv"
    pd.DataFrame({"image": [photo.name], "label": [1], "patient_id": [patient],
                  "expression": ["rest"]}).to_csv(manifest, index=False)
    page = tmp_path / "hostile.html"
    assert main(["review", str(manifest), "--out", str(page), "--backend", "dlib",
                 "--no-compare"]) == 0
    _open(browser, page)
    browser.find_element(By.ID, "note").send_keys(hostile)
    time.sleep(0.3)
    assert browser.title == "Landmark review: hostile.html"
    assert browser.find_element(By.CSS_SELECTOR, "#list .name").text == str(photo)
    meta = browser.find_element(By.ID, "image-meta").text
    assert meta.startswith(f"patient {patient} · rest")
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text
    assert browser.execute_script("return document.querySelectorAll('img[src=x]')"
                                  ".length") == 0
    assert browser.get_log("browser") == []
    browser.refresh()
    _open(browser, page)
    assert browser.find_element(By.ID, "note").get_attribute("value") == hostile
    assert browser.title == "Landmark review: hostile.html"
    assert browser.execute_script("return document.querySelectorAll('img[src=x]')"
                                  ".length") == 0


@pytest.mark.slow
def test_nudge_region_reset_and_decisions(reviewed, browser):
    """Arrow keys, Shift-click on a region, reset, and the decisions export."""
    cohort, page = reviewed
    _open(browser, page)
    review = "window.sklearnPalsyReview"
    where = (f"var p = {review}.points()[arguments[0]];"
             f"return {review}.toScreen(p[0], p[1]);")
    index = browser.execute_script(f"return {review}.current()")
    before = browser.execute_script(f"return {review}.points()")
    browser.execute_script(f"{review}.select([arguments[0]]); {review}.zoomTo(2);",
                           MOUTH_CORNER)
    x, y = browser.execute_script(where, MOUTH_CORNER)
    actions = ActionBuilder(browser)
    actions.pointer_action.move_to_location(round(x), round(y))
    actions.pointer_action.click()
    actions.perform()
    canvas = browser.find_element(By.ID, "canvas")
    ActionChains(browser).send_keys_to_element(
        canvas, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT).key_down(Keys.SHIFT).send_keys(
        Keys.ARROW_UP).key_up(Keys.SHIFT).perform()
    moved = np.subtract(browser.execute_script(f"return {review}.points()"), before)
    assert moved[MOUTH_CORNER].tolist() == [2, -10]
    assert np.count_nonzero(moved) == 2
    # Shift-click selects the point's region: the outer lips, 12 points.
    ActionChains(browser).key_down(Keys.SHIFT).perform()
    x, y = browser.execute_script(where, MOUTH_CORNER)
    actions = ActionBuilder(browser)
    actions.pointer_action.move_to_location(round(x), round(y))
    actions.pointer_action.click()
    actions.perform()
    ActionChains(browser).key_up(Keys.SHIFT).perform()
    assert browser.find_element(By.ID, "selection").text == "12 points"
    browser.find_element(By.ID, "reset").click()
    assert browser.execute_script(f"return {review}.points()") == before
    assert browser.execute_script(f"return {review}.edited()") == []
    browser.find_element(By.ID, "checked").click()
    browser.find_element(By.ID, "note").send_keys("=1+1, lids")
    browser.refresh()
    _open(browser, page)
    browser.execute_script(f"{review}.show(arguments[0])", index)
    assert browser.find_element(By.ID, "checked").is_selected()
    browser.find_element(By.ID, "export-decisions").click()
    exported = browser.downloads / "review-decisions.csv"
    for _ in range(100):
        if exported.exists():
            break
        time.sleep(0.05)
    from sklearn_palsy.reporting import load_review_decisions

    decisions = load_review_decisions(exported).set_index("image")
    name = browser.find_element(By.ID, "image-name").text
    assert decisions.loc[name].tolist() == [True, False, "=1+1, lids"]
    assert decisions["checked"].sum() == 1 and len(decisions) == len(cohort.X)
