"""The built documentation site renders in a real browser (headless Chromium through Selenium).

The site is built by ``mkdocs build --strict`` (``.ci/run`` does it before the tests) into
``site/`` or into the folder named by ``SK_GENRE_SITE``. Without a built site, Chromium
(Debian ``chromium``) or ChromeDriver (``chromium-driver``) these tests skip, unless
``SK_GENRE_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes that a failure. Screenshots go to
``SK_GENRE_SCREENSHOTS`` when it is set (to look at them), else to a temporary folder.
"""

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from .conftest import REPO

SITE = Path(os.environ.get("SK_GENRE_SITE", REPO / "site"))
REQUIRED = os.environ.get("SK_GENRE_REQUIRE_BROWSER") == "1"
GALLERY_PAGE = "generated/gallery/plot_1_quick_start/"


def _missing(why):
    (pytest.fail if REQUIRED else pytest.skip)(why)


@pytest.fixture(scope="module")
def server():
    """The built site served over HTTP on localhost (as a user's browser would get it)."""
    if not (SITE / "index.html").is_file():
        _missing(f"no built docs site at {SITE}: run `mkdocs build --strict` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        _missing("headless tests need Debian's chromium and chromium-driver packages")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1400",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(chromedriver))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    folder = os.environ.get("SK_GENRE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("screenshots")


def _open(browser, url):
    browser.get(url)
    browser.execute_async_script(  # wait until every image has loaded or failed
        "const done = arguments[arguments.length - 1];"
        "Promise.all([...document.images].map(i => i.complete ? 0 :"
        " new Promise(r => { i.onload = i.onerror = r; }))).then(done);"
    )


def _screenshot(browser, path):
    """Save a screenshot and return it as an array; it must not be a blank page."""
    assert browser.save_screenshot(str(path)), path
    import matplotlib.image

    pixels = matplotlib.image.imread(path)
    assert pixels.shape[0] > 500 and pixels.shape[1] > 1000, pixels.shape
    assert pixels[..., :3].std() > 0.05, f"{path} looks blank"
    return pixels


def _loaded_images(browser, css):
    return browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])]"
        ".map(i => [i.getAttribute('src'), i.naturalWidth, i.naturalHeight]);",
        css,
    )


def test_index_page_renders_with_the_theme_and_navigation(server, browser, screenshots):
    _open(browser, server)
    assert "sk_genre" in browser.title
    header_height = browser.execute_script(
        "return document.querySelector('header.md-header').getBoundingClientRect().height;"
    )
    assert header_height > 30  # material's stylesheet applied
    nav = browser.execute_script(
        "return [...document.querySelectorAll('nav.md-nav a')].map(a => a.textContent.trim());"
    )
    for entry in ("Getting started", "Examples", "API reference", "Changelog"):
        assert any(entry in text for text in nav), (entry, nav)
    assert browser.find_element("css selector", "article h1").text.strip()
    _screenshot(browser, screenshots / "index.png")


def test_gallery_page_renders_with_its_figure(server, browser, screenshots):
    _open(browser, server + GALLERY_PAGE)
    figures = _loaded_images(browser, "img.mkd-glr-single-img, img.mkd-glr-multi-img")
    assert figures, "the example page shows no figure"
    for src, width, height in figures:
        assert width > 200 and height > 100, (src, width, height)  # decoded, not a broken link
    code = browser.execute_script(
        "return [...document.querySelectorAll('article pre code')].map(c => c.textContent);"
    )
    assert any("make_pipeline" in block for block in code)
    # scroll the first figure into view so the screenshot shows it
    browser.execute_script(
        "document.querySelector('img.mkd-glr-single-img, img.mkd-glr-multi-img')"
        ".scrollIntoView({block: 'center'});"
    )
    pixels = _screenshot(browser, screenshots / "gallery_example.png")
    assert np.unique(pixels[..., :3].reshape(-1, 3), axis=0).shape[0] > 50  # a plot, not text only


def test_gallery_index_shows_a_thumbnail_per_example(server, browser):
    _open(browser, server + "generated/gallery/")
    thumbnails = _loaded_images(browser, ".mkd-glr-thumbcontainer img")
    executed = sorted(p.stem for p in (REPO / "examples").glob("plot_*.py"))
    assert len(thumbnails) >= len(executed) > 0
    assert all(width > 0 for _, width, _ in thumbnails), thumbnails


def test_api_reference_renders_numpydoc_sections(server, browser):
    _open(browser, server + "api/features/")
    text = browser.find_element("css selector", "article").text
    for name in ("MFCCTransformer", "SpectralFeatureUnion", "MelChunker"):
        assert name in text
    assert "Parameters:" in text or "PARAMETER" in text.upper()
    assert "n_mfcc" in text and "hop_length" in text
