"""What the browser tests share: chromium's flags, the window sizes, a page that records what went wrong,
and the log-in form.

The `browser` fixture itself lives in the root conftest.py (next to the check that Debian's chromium is
there). Tests run Debian's /usr/bin/chromium, never `playwright install`.
"""
import os

# No GPU, no network of chromium's own (updates, sync, QUIC probes): only the server under test is reached.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Screenshots are for a person to look at; tests never compare them.
SHOTS = os.environ.get("WANGGE_SCREENSHOTS", "/tmp")

DESK = {"width": 1440, "height": 900}
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 760}
PHONE_TALL = {"width": 390, "height": 844}  # today's common phone; the stats and report pages were drawn for it

# Requests to these stay on the machine; anything else came from outside the server under test (a CDN).
LOCAL = ("http://localhost", "http://127.0.0.1", "data:", "blob:")


def new_page(browser, viewport=DESK, *, init_script=None, **context_options):
    """A page in a fresh context (its own cookies), in Chinese, that waits up to 15 s.

    `page.errors` collects uncaught script errors and `page.outside` every URL asked for outside the
    server under test; tests assert both are empty. `context_options` go to `browser.new_context`
    (geolocation, permissions, is_mobile, user_agent, accept_downloads); `init_script` runs before each
    document's own scripts (e.g. a stub of WeChat's JS-SDK)."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", **context_options)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.outside = []
    page.on("request", lambda req: page.outside.append(req.url) if not req.url.startswith(LOCAL) else None)
    return page


LANDING_PATHS = ("/cases/", "/cases/inbox/", "/mediation/m/")


def log_in(page, base, username, *, password=None, from_home=False):
    """Log in through the login form and land on the home page. The password is build_world's unless given
    (the demo's accounts have their own).

    With `from_home`, start at the home page and check that an anonymous visitor is sent to the login form."""
    if password is None:
        from wangge.testing import PASSWORD as password

    if from_home:
        page.goto(base + "/")
        assert "/login/" in page.url
    else:
        page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.form button[type=submit]")
    # The home page, or where the role lands from it (a department handler's 待办, a mediator's 我的调解).
    page.wait_for_url(lambda url: url == base + "/" or url in [base + path for path in LANDING_PATHS])


def submit_form(page, form, inputs):
    """Fill a form's fields by name (a <select> by option value, anything else as text) and submit it,
    waiting for the page it leads to."""
    for name, value in inputs.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def no_sideways_scroll(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.url


def click_menu(page, selector):
    """Click a main-menu entry the way a person would: on a phone open the menu first, then the entry's group."""
    toggle = page.locator("[data-menu-toggle]")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    link = page.locator(f"#mainnav {selector}")
    group = link.locator("xpath=ancestor::details[1]")
    if group.count() and group.get_attribute("open") is None:
        group.locator("summary").click()
    link.click()


def refused_by_the_policy(page) -> list:
    """Start collecting what the Content-Security-Policy refused (chromium reports it on the console)."""
    refused = []
    page.on("console", lambda msg: refused.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    return refused
