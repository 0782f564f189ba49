"""The built documentation site renders in a real browser (headless Chromium through Selenium).

The site is built by ``mkdocs build --strict`` (``.ci/run`` does it before the tests) into
``site/`` or into the folder named by ``SK_GENRE_SITE``. Without a built site, Chromium
(Debian ``chromium``) or ChromeDriver (``chromium-driver``) these tests skip, unless
``SK_GENRE_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes that a failure. Screenshots go to
``SK_GENRE_SCREENSHOTS`` when it is set (to look at them), else to a temporary folder.
"""

import functools
import html
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from .conftest import REPO

SITE = Path(os.environ.get("SK_GENRE_SITE", REPO / "site"))
REQUIRED = os.environ.get("SK_GENRE_REQUIRE_BROWSER") == "1"
GALLERY_PAGE = "generated/gallery/plot_1_quick_start/"
#: reST that the API pages must not show as text (roles, references, table borders, ``x``)
RAW_RST = {
    "reference": re.compile(r"\.\. \["),
    "table border": re.compile(r"===="),
    "role": re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|exc|data|obj|const):"),
    "double backquotes": re.compile(r"``[^`\n]+``"),
}


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
        "--window-size=1400,1400",
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


def _built_pages(folder):
    """``{path: html}`` of the built pages under ``SITE / folder`` (no browser needed)."""
    if not (SITE / "index.html").is_file():
        _missing(f"no built docs site at {SITE}: run `mkdocs build --strict` first")
    pages = {p: p.read_text(encoding="utf-8") for p in sorted((SITE / folder).rglob("index.html"))}
    assert pages, f"no pages under {SITE / folder}"
    return pages


def _article_text(page):
    """The text of a page's article, as a reader sees it (tags dropped, entities decoded)."""
    start = page.index("<article")
    article = page[start : page.index("</article>", start)]
    article = re.sub(r"<(script|style)\b.*?</\1>", "", article, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", article))


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


def test_api_pages_show_no_raw_restructuredtext():
    pages = _built_pages("api")
    assert len(pages) >= 9, sorted(pages)
    found = []
    for path, page in pages.items():
        text = _article_text(page)
        for what, pattern in RAW_RST.items():
            for match in pattern.finditer(text):
                context = text[max(0, match.start() - 60) : match.end() + 60].replace("\n", " ")
                found.append(f"{path.relative_to(SITE)}: raw {what}: ...{context}...")
    assert not found, "\n".join(found[:30])


def test_api_pages_render_tables_references_and_choice_types():
    features = _built_pages("api/features")[SITE / "api/features/index.html"]
    # SpectralFeatureUnion's feature table is an HTML table, with its continued row joined
    assert re.search(r"<td><code>tonnetz</code></td>\s*<td>.*no second transform", features)
    # each numbered reference is a list entry of its References block
    blocks = re.findall(r'<details class="references".*?</details>', features, flags=re.S)
    assert blocks and all("<li>" in block for block in blocks), blocks
    assert any("<li>D. Ellis" in block for block in blocks)
    # a type that starts with a set of choices shows as written, the rest of it included
    pipeline = _article_text(_built_pages("api/pipeline")[SITE / "api/pipeline/index.html"])
    assert '{"mfcc", "spectral", "gtzan", "mel", "musicnn"}, None or transformer' in pipeline
    assert '{"raise", "skip", "warn"}' in pipeline
    assert "(mfcc, spectral" not in pipeline and "('raise', skip" not in pipeline


def test_gallery_pages_leak_no_build_paths_and_show_plain_output():
    pages = _built_pages("generated/gallery")
    for path, page in pages.items():
        text = _article_text(page)
        assert "site-packages" not in text, path
        assert "DeprecationWarning" not in text, path
        for block in re.findall(
            r'<div class="mkd-glr-script-out-disp[^"]*">.*?</div>', page, flags=re.S
        ):
            assert "<span class=" not in block, (path, block[:300])  # plain text, not coloured
    outputs = [p for p, page in pages.items() if "mkd-glr-script-out-disp" in page]
    assert len(outputs) >= 5, outputs


def test_gallery_caches_are_not_published():
    _built_pages("generated/gallery")
    leaked = [*SITE.rglob("*_codeobj.pickle"), *SITE.rglob("*.md5")]
    assert not leaked, leaked[:10]


def test_examples_are_one_level_in_the_navigation(server, browser):
    _open(browser, server)
    levels = browser.execute_script(
        "return [...document.querySelectorAll('nav.md-nav--primary a[href*=\"plot_\"]')]"
        ".map(a => [a.textContent.trim(), a.closest('nav[data-md-level]').dataset.mdLevel,"
        " a.closest('nav[data-md-level]').getAttribute('aria-labelledby')]);"
    )
    quick_start = [level for title, level, _ in levels if title == "Quick start"]
    assert quick_start == ["1"], levels  # Examples > Quick start, not Examples > Examples > ...
    section_titles = browser.execute_script(
        "return [...document.querySelectorAll('nav.md-nav--primary label.md-nav__link')]"
        ".map(l => l.textContent.trim());"
    )
    assert section_titles.count("Examples") <= 1, section_titles


def test_pages_use_the_width_and_show_logo_and_figure(server, browser, screenshots):
    """Home, getting started, a gallery page, an API page and the accuracy page, screenshotted."""
    widths = {}
    for name, path in (
        ("home", ""),
        ("getting_started", "getting-started/"),
        ("gallery_leaky_vs_honest", "generated/gallery/plot_4_leaky_vs_honest/"),
        ("api_features", "api/features/"),
        ("accuracy", "accuracy/"),
    ):
        _open(browser, server + path)
        widths[name] = browser.execute_script(
            "return document.querySelector('article').getBoundingClientRect().width;"
        )
        logo = _loaded_images(browser, ".md-header .md-logo img")
        assert logo and logo[0][1] > 0, (name, logo)  # the SVG logo decoded
        cut = browser.execute_script(  # wide tables scroll inside their wrapper, none is cut
            "return [...document.querySelectorAll('article .md-typeset__table')]"
            ".filter(t => !['auto', 'scroll'].includes(getComputedStyle(t).overflowX)"
            " && t.scrollWidth > t.clientWidth + 1).length;"
        )
        assert cut == 0, name
        _screenshot(browser, screenshots / f"page_{name}.png")
        if name == "home":
            favicon = browser.execute_script(
                "return document.querySelector('link[rel=icon]').getAttribute('href');"
            )
            assert favicon.endswith("assets/logo.svg"), favicon
            figure = _loaded_images(browser, "article img.sk-landing")
            assert figure and figure[0][1] > 600, figure  # the gallery's measured figure
    # Material's default grid left the article ~640 px of this 1400-px window
    assert min(widths.values()) > 850, widths
