"""The web app (frontend/: Next.js + Better Auth) in real headless Chromium against a demo run
that serves it: the demo replays a small breakout corpus with the app as the api's token
issuer, as `make demo` does. A newcomer signs up, signs in, watches the breakout's symbol,
reads its alert and the evidence behind it; the seeded admin previews a threshold change
against stored data, meets the version conflict of a save someone made meanwhile, saves, and
signs out. Every step is the browser talking to Better Auth (SQLite) and to the api with the
JWT the app issued.

Screenshots are kept under .stack/artifacts/web-app-*.png."""

import base64
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from common import notify
from common.extraction import is_listed
from common.settings import Settings
from devtools.corpus import write_breakout_corpus
from emulators.stack import ROOT, WEB_APP_BUILD, Account, WebAppClient
from tests.support.browser import chromium
from tests.support.demo import DemoProcess, alive

# the first test of a module also pays for its stack and replay (fixtures): more than the default
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
ARTIFACTS = ROOT / ".stack" / "artifacts"
UNLISTED = "ZZZZZ"  # well formed, never listed: the api answers 404
MALFORMED = "TOOLONGX"  # not a symbol at all: the api answers 422
PHONE = (390, 844)


@dataclass
class Served:
    demo: DemoProcess
    web: str
    api: str
    admin: Account
    symbol: str
    mailbox: str  # what the stack mailed: devtools/mailbox.py's GET /mail
    # "Someone else": the admin signed in once outside the browser (Better Auth limits
    # sign-ins to 3 per 10 s per address, and the browser signs in too).
    other_admin: WebAppClient


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    assert WEB_APP_BUILD.exists(), "the web app is not built: `make frontend` (a dependency of `make test`)"
    work = tmp_path_factory.mktemp("web-app")
    label = write_breakout_corpus(work / "corpus")
    demo = DemoProcess(
        "--corpus",
        str(work / "corpus"),
        "--step-hours",
        "3",
        "--serve",
        "yes",
        "--detection-config",
        json.dumps({"warmup_hours": 12}),
        "--web-app",
        "yes",
        "--web-app-dir",
        str(work / "webapp"),
        log_dir=work / "logs",
    )
    try:
        demo.wait_for(r"stack up in", timeout=180)
        demo.note_children()
        demo.wait_for(r"serving until Ctrl-C", timeout=240)
        web = demo.wait_for(r"^web app +(http://\S+)", timeout=1).group(1)
        api = demo.wait_for(r"^api +(http://\S+)", timeout=1).group(1)
        mailbox = demo.wait_for(r"^mailbox +(http://\S+)/mail", timeout=1).group(1)
        seeded = demo.wait_for(r"sign in as (\S+) / (\S+) \(admin\)", timeout=1)
        admin = Account(seeded.group(1), seeded.group(2), "admin", "admin")
        other = WebAppClient(web)
        other.sign_in(admin.email, admin.password)
        yield Served(demo, web, api, admin, str(label["ticker"]), mailbox, other)
    finally:
        demo.kill()


def _until(driver: WebDriver, script: str, timeout: float = 60) -> object:
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: d.execute_script(script))


def _element(driver: WebDriver, css: str, timeout: float = 60) -> WebElement:
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: d.find_element(By.CSS_SELECTOR, css))


def _auth_form(driver: WebDriver, css: str, timeout: float = 60) -> WebElement:
    """An auth form (sign-in, sign-up, forgot, reset) once its page is hydrated: its
    button stays disabled until then (a click before would submit natively; a loaded machine
    hydrates slowly)."""
    form = _element(driver, css, timeout)
    _until(
        driver,
        f"return document.querySelector({json.dumps(css + ' button[type=submit]')})?.disabled === false",
        timeout,
    )
    return form


def _link(driver: WebDriver, text: str, timeout: float = 60) -> WebElement:
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: d.find_element(By.LINK_TEXT, text))


def _type(field: WebElement, text: str) -> None:
    """Replace a (React-controlled) input's value the way a person does: select all, type."""
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text or Keys.BACKSPACE)  # nothing typed: the field cleared


def _shot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"web-app-{name}.png"))


def _sign_in(driver: WebDriver, web: str, email: str, password: str, page: str = "/sign-in") -> None:
    """Sign in as a person does, trying again after Better Auth's limit of 3 sign-ins per 10 s:
    locally no proxy names the client, so the demo's, the fixture's and the browser's
    sign-ins share one bucket, and a fast machine makes them within one window."""
    driver.get(f"{web}{page}")
    form = _auth_form(driver, "#sign-in-form")
    form.find_element(By.NAME, "email").send_keys(email)
    form.find_element(By.NAME, "password").send_keys(password)
    signed_in = f"document.getElementById('who')?.textContent === {json.dumps(email)}"
    limited = "/too many requests/i.test(document.querySelector('[data-state=error]')?.textContent ?? '')"
    for _ in range(3):
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        if _until(driver, f"return {signed_in} ? 'in' : {limited} ? 'limited' : null") == "in":
            return
        time.sleep(10)  # the limit's window
    raise AssertionError(f"{email} could not sign in: rate-limited three times")


ERROR_TEXT = "document.querySelector('[data-state=error]')?.textContent ?? ''"


def _sign_out(driver: WebDriver, web: str) -> None:
    driver.find_element(By.ID, "sign-out").click()
    _until(driver, "return location.pathname === '/sign-in'")
    driver.get(f"{web}/watchlist")  # a signed-in page sends the signed-out browser back
    _until(driver, "return location.pathname === '/sign-in'")
    status = driver.execute_script("return fetch('/api/auth/token').then(r => r.status)")
    assert status == 401, "after sign-out Better Auth must issue no token"


def _sign_up(driver: WebDriver, name: str, email: str, password: str) -> None:
    """Fill in the sign-up page the browser is on; the app sends the new account to sign in."""
    form = _auth_form(driver, "#sign-up-form")
    form.find_element(By.NAME, "name").send_keys(name)
    form.find_element(By.NAME, "email").send_keys(email)
    form.find_element(By.NAME, "password").send_keys(password)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _until(driver, "return location.pathname === '/sign-in' && location.search.includes('created')")


def _mail_to(served: Served, address: str, subject: str, timeout: float = 30) -> str:
    """The text of the newest mail to ``address`` whose subject holds ``subject``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{served.mailbox}/mail", timeout=10) as response:
            for mail in reversed(json.loads(response.read())):
                if address in mail["to"] and subject in mail["subject"]:
                    return str(mail["text"])
        time.sleep(0.3)
    raise AssertionError(f"no mail {subject!r} to {address} in {timeout} s")


def _watch(driver: WebDriver, symbol: str) -> None:
    field = driver.find_element(By.CSS_SELECTOR, "#watch-form input[name=symbol]")
    _type(field, symbol)
    driver.find_element(By.CSS_SELECTOR, "#watch-form button[type=submit]").click()


def test_a_newcomer_signs_up_watches_a_ticker_and_reads_its_alert_with_evidence(served: Served) -> None:
    assert not is_listed(UNLISTED), "the test's unlisted symbol got listed: pick another"
    email, password = f"e2e-{uuid.uuid4().hex[:8]}@example.com", "e2e-password-1"
    with chromium() as driver:
        driver.get(f"{served.web}/alerts")
        _until(driver, "return location.pathname === '/sign-in'")  # no session: sent to sign in
        _link(driver, "Create an account").click()
        _sign_up(driver, "E2E Newcomer", email, password)

        # a link that would send someone signing in to another site lands on this one
        _sign_in(driver, served.web, email, password, page="/sign-in?next=/.//evil.invalid/phish")
        assert driver.execute_script("return location.origin + location.pathname") == f"{served.web}/alerts"
        assert driver.find_element(By.ID, "who").get_attribute("data-role") == "user"
        assert not driver.find_elements(By.LINK_TEXT, "Thresholds"), "a plain user sees no admin page"

        _link(driver, "Watchlist").click()
        _element(driver, "#watch-form")
        # each page its own title: what a screen reader announces when the app moves to it
        _until(driver, "return document.title === 'Watchlist · Akleao Finance'")
        _until(driver, "return !!document.querySelector('[data-state=empty]')")
        _watch(driver, UNLISTED)
        _until(driver, "return document.querySelector('[data-state=error]')?.dataset.code === 'not_found'")
        _watch(driver, MALFORMED)
        _until(driver, "return document.querySelector('[data-state=error]')?.dataset.code === 'invalid_request'")
        _watch(driver, served.symbol)
        _element(driver, f"#watchlist li[data-symbol='{served.symbol}']")
        assert not driver.find_elements(By.CSS_SELECTOR, "[data-state=error]")
        _shot(driver, "watchlist")

        _link(driver, "Preferences").click()
        form = _element(driver, "#preferences-form")
        _type(form.find_element(By.NAME, "max_pump_risk"), "0.4")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _element(driver, "#preferences-saved")
        driver.refresh()  # what the api stored, not what the form kept
        field = _element(driver, "#preferences-form input[name=max_pump_risk]")
        assert float(str(field.get_attribute("value"))) == 0.4

        _link(driver, "Alerts").click()
        _element(driver, "#alert-filters input[name=watchlist_only]").click()
        Select(driver.find_element(By.CSS_SELECTOR, "#alert-filters select[name=kind]")).select_by_value("pump")
        _until(driver, "return !!document.querySelector('[data-state=empty]')")  # the breakout is no pump
        Select(driver.find_element(By.CSS_SELECTOR, "#alert-filters select[name=kind]")).select_by_value("")
        _until(driver, "return Number(document.getElementById('alerts')?.dataset.count) > 0")
        cards = driver.find_elements(By.CSS_SELECTOR, "#alerts article.alert-card")
        assert {c.get_attribute("data-symbol") for c in cards} == {served.symbol}
        card = cards[0]
        alert_id = str(card.get_attribute("data-alert-id"))
        assert card.get_attribute("data-kind") == "organic" and card.find_elements(By.CSS_SELECTOR, ".reasons li")
        card.find_element(By.CSS_SELECTOR, "button.details").click()
        _until(driver, "return document.querySelectorAll('#alerts ul.evidence a').length > 0")
        links = [a.get_attribute("href") for a in card.find_elements(By.CSS_SELECTOR, "ul.evidence a")]
        # a replayed corpus: each link opens the replayed item's page on the local Reddit
        assert links and all("/_replay/page/r/" in str(h) for h in links)
        with urllib.request.urlopen(str(links[0]), timeout=10) as page:
            assert "replayed corpus item" in page.read().decode()
        assert card.find_elements(By.CSS_SELECTOR, "table.history tbody tr"), "the alert's history is shown"
        _shot(driver, "alert")

        driver.set_window_size(*PHONE)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        _shot(driver, "alert-phone")
        assert overflow <= 0, f"on a phone-sized screen the page scrolls sideways by {overflow}px"
        driver.set_window_size(1400, 1100)

        card.find_element(By.CSS_SELECTOR, "a.symbol").click()
        _until(driver, f"return document.getElementById('ticker-symbol')?.textContent === '{served.symbol}'")
        _until(driver, f"return document.title === '{served.symbol} · Akleao Finance'")
        chart = _element(driver, "#mentions-chart")
        _shot(driver, "ticker")
        assert int(chart.get_attribute("data-points") or 0) >= 2, "an hourly line, not a dot"
        assert int(chart.get_attribute("data-marks") or 0) >= 1, "the alert is marked on the chart"
        assert driver.find_elements(By.CSS_SELECTOR, "#windows tbody tr"), "the windows are shown"

        # Back from the ticker: the alert list as it was filtered (the filters live in the address)
        driver.back()
        _until(driver, "return Number(document.getElementById('alerts')?.dataset.count) > 0")
        assert _element(driver, "#alert-filters input[name=watchlist_only]").is_selected()
        # and a link naming a symbol opens the list filtered to it
        driver.get(f"{served.web}/alerts?symbol={UNLISTED}")
        assert _element(driver, "#alert-filters input[name=symbol]").get_attribute("value") == UNLISTED
        _until(driver, "return !!document.querySelector('[data-state=empty]')")
        # the nav's Alerts keeps the page mounted with another address: the list starts anew from it
        _link(driver, "Alerts").click()
        _until(
            driver,
            "return document.querySelector('#alert-filters input[name=symbol]')?.value === ''"
            " && Number(document.getElementById('alerts')?.dataset.count) > 0",
        )
        # a "%" in the address is the page's own error (no such symbol), not a crash of its title
        driver.get(f"{served.web}/tickers/%25")
        _until(driver, "return document.querySelector('[data-state=error]')?.dataset.code === 'invalid_request'")
        driver.get(f"{served.web}/tickers/{served.symbol}")
        _until(driver, f"return document.getElementById('ticker-symbol')?.textContent === '{served.symbol}'")

        # the market's talk beside the alerts: the breakout leads the last day of data
        _link(driver, "Trending").click()
        _until(driver, "return Number(document.getElementById('trending')?.dataset.count) > 0")
        row = driver.find_element(By.CSS_SELECTOR, f"#trending tr[data-symbol='{served.symbol}']")
        assert str(row.find_element(By.CSS_SELECTOR, "a").get_attribute("href")).endswith(f"/tickers/{served.symbol}")
        _shot(driver, "trending")
        Select(driver.find_element(By.CSS_SELECTOR, "#trending-window select[name=window]")).select_by_value("1h")
        _until(driver, "return !!document.getElementById('trending') || !!document.querySelector('[data-state=empty]')")
        assert not driver.find_elements(By.CSS_SELECTOR, "[data-state=error]")

        # the "Open" link of the alert's email or webhook: its page, evidence shown at once
        driver.get(notify.alert_page(served.web, alert_id))
        _until(driver, f"return document.querySelector('#alert article')?.dataset.alertId === {json.dumps(alert_id)}")
        assert driver.find_elements(By.CSS_SELECTOR, "#alert ul.evidence a"), "the evidence without a click"
        assert driver.find_elements(By.CSS_SELECTOR, "#alert table.history tbody tr")
        _shot(driver, "alert-page")
        # the reader's verdict, through the api: recorded, then withdrawn
        driver.find_element(By.CSS_SELECTOR, "#verdict button[data-verdict=useful]").click()
        _until(driver, "return document.getElementById('verdict')?.dataset.verdict === 'useful'")
        assert "Useful" in _element(driver, "#verdict-recorded").text
        driver.refresh()  # a reader coming back sees what they said, and may take it back
        _until(driver, "return document.getElementById('verdict')?.dataset.verdict === 'useful'")
        driver.find_element(By.ID, "withdraw-verdict").click()
        _until(driver, "return document.getElementById('verdict')?.dataset.verdict === ''")
        _element(driver, "#verdict-withdrawn")
        assert not driver.find_elements(By.ID, "withdraw-verdict"), "nothing left to withdraw"
        # the button went with the verdict: its focus moved to what it did, not the page's start
        _until(driver, "return document.activeElement?.id === 'verdict-withdrawn'")
        driver.get(notify.alert_page(served.web, f"{served.symbol}-0"))  # well formed, never stored
        _until(driver, "return !!document.querySelector('[data-state=empty]')")
        assert not driver.find_elements(By.CSS_SELECTOR, "[data-state=error]")
        _sign_out(driver, served.web)


def test_a_forgotten_password_is_reset_by_the_mailed_link_once_and_the_old_one_stops_working(served: Served) -> None:
    email, old, new = f"e2e-{uuid.uuid4().hex[:8]}@example.com", "e2e-password-1", "e2e-password-2"
    with chromium() as driver:
        driver.get(f"{served.web}/sign-up")
        _sign_up(driver, "E2E Forgetful", email, old)
        driver.get(f"{served.web}/sign-up")  # again, as someone who forgot they have an account
        _sign_up(driver, "E2E Forgetful", email, "another-password")  # the page says the same
        assert "/forgot-password" in _mail_to(served, email, "already exists")

        driver.get(f"{served.web}/sign-in")
        _link(driver, "Forgot your password?").click()
        form = _auth_form(driver, "#forgot-password-form")
        form.find_element(By.NAME, "email").send_keys(email)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _element(driver, "#auth-notice")
        found = re.search(r"https?://\S+/api/auth/reset-password/\S+", _mail_to(served, email, "Reset"))
        assert found, "the mail carries the reset link"
        link = found.group(0)
        driver.get(link)
        _until(driver, "return location.pathname === '/reset-password' && location.search.includes('token=')")
        form = _auth_form(driver, "#reset-password-form")
        form.find_element(By.NAME, "password").send_keys(new)
        form.find_element(By.NAME, "confirm").send_keys(new)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _until(driver, "return location.pathname === '/sign-in' && location.search.includes('reset')")
        _shot(driver, "password-reset")

        driver.get(link)  # a link works once
        _until(driver, "return !!document.querySelector('[data-state=error]')")
        assert not driver.find_elements(By.ID, "reset-password-form")

        driver.get(f"{served.web}/sign-in")
        form = _auth_form(driver, "#sign-in-form")
        form.find_element(By.NAME, "email").send_keys(email)
        form.find_element(By.NAME, "password").send_keys(old)
        for _ in range(3):  # Better Auth's sign-in limit (3 per 10 s) is shared with the other tests
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            refused = str(_until(driver, "return document.querySelector('[data-state=error]')?.textContent"))
            if "too many requests" not in refused.lower():
                break
            time.sleep(10)  # the limit's window
        assert "invalid" in refused.lower(), refused
        # a way back to the form itself is no way back: the form would stay, its button busy
        _sign_in(driver, served.web, email, new, page="/sign-in?next=/sign-in")
        assert driver.execute_script("return location.pathname") == "/alerts"


def _post(url: str, body: Mapping[str, object], origin: str, tries: int = 4) -> int:
    """POST as a client without a session; the status, after waiting out Better Auth's limits."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    headers = {"Content-Type": "application/json", "Origin": origin}
    for _ in range(tries):
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
        try:
            with opener.open(request, timeout=60) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            asked = exc.headers.get("X-Retry-After") or ""
            if exc.code != 429 or not asked.isdigit():
                return int(exc.code)
            time.sleep(min(61.0, float(asked)))
    raise AssertionError(f"{url} kept answering 429")


def test_asking_for_a_confirmation_link_without_a_session_tells_no_unconfirmed_account_apart(served: Served) -> None:
    """Without a session, Better Auth answers an address with no account after a fixed floor;
    an unconfirmed account's link must go out after the answer too, or the relay's wait, and
    its failure (a 500), would single that account out."""
    unconfirmed, nobody = (f"e2e-{uuid.uuid4().hex[:8]}@example.com" for _ in range(2))
    assert _post(f"{served.mailbox}/_refuse", {"address": unconfirmed}, served.mailbox) == 200  # its mail fails
    sign_up = {"email": unconfirmed, "password": "e2e-password-1", "name": "E2E Unconfirmed"}
    assert _post(f"{served.web}/api/auth/sign-up/email", sign_up, served.web) == 200
    for address in (unconfirmed, nobody):
        asked = {"email": address, "callbackURL": "/notifications"}
        assert _post(f"{served.web}/api/auth/send-verification-email", asked, served.web) == 200, address
    account = WebAppClient(served.web)  # the account itself asking again: the failure is shown
    account.sign_in(unconfirmed, "e2e-password-1")
    with pytest.raises(urllib.error.HTTPError) as refused:
        account.call("/api/auth/send-verification-email", {"email": unconfirmed, "callbackURL": "/notifications"})
    assert refused.value.code == 500


def _api_patch_as_admin(served: Served, changes: dict[str, object], expected_version: int) -> int:
    """Someone else saves through the api meanwhile (their own token from the app)."""
    request = urllib.request.Request(
        f"{served.api}/v1/config/detection",
        data=json.dumps({"changes": changes, "expected_version": expected_version}).encode(),
        method="PATCH",
        headers={"Authorization": f"Bearer {served.other_admin.token()}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.loads(response.read())["version"])


def test_the_admin_previews_a_threshold_change_meets_a_conflict_saves_and_signs_out(served: Served) -> None:
    with chromium() as driver:
        _sign_in(driver, served.web, served.admin.email, served.admin.password)
        assert driver.find_element(By.ID, "who").get_attribute("data-role") == "admin"
        _link(driver, "Thresholds").click()
        version = int(str(_element(driver, "#config-version").get_attribute("data-version")))
        assert version >= 1, "the demo set warmup_hours through the api: a saved version"

        # A bar no breakout can clear: the preview must show the breakout's alert lost.
        _type(_element(driver, "#config-form input[name=volume_ratio_min]"), "1000")
        driver.execute_script(  # count the previews asked for
            "window.previews = 0; const f = window.fetch; window.fetch = (...a) => "
            "{ if (String(a[0]).endsWith('/preview')) window.previews++; return f(...a); };"
        )
        # from the keyboard, twice: the second press lands while the first replays (seconds)
        driver.find_element(By.ID, "preview").send_keys(Keys.ENTER + Keys.ENTER)
        result = _element(driver, "#preview-result", timeout=90)
        # refusing presses while it replays, the button kept the focus: the keyboard goes on from it
        assert driver.execute_script("return [document.activeElement?.id, window.previews]") == ["preview", 1]
        assert int(str(result.get_attribute("data-lost"))) >= 1
        assert int(str(result.get_attribute("data-gained"))) == 0
        lost = {r.get_attribute("data-symbol") for r in driver.find_elements(By.CSS_SELECTOR, "#lost tbody tr")}
        assert served.symbol in lost
        _shot(driver, "preview")

        newer = _api_patch_as_admin(served, {"cooldown_hours": 13}, expected_version=version)
        assert newer == version + 1
        driver.find_element(By.ID, "save").click()
        _until(driver, "return document.querySelector('[data-state=error]')?.dataset.code === 'version_conflict'")
        _shot(driver, "conflict")

        driver.find_element(By.ID, "load-latest").click()
        _until(driver, f"return document.getElementById('config-version')?.dataset.version === '{newer}'")
        # the admin's change is kept on top of the newer version, which changed another field
        assert _element(driver, "#config-rebased").get_attribute("data-both") == ""
        _until(driver, "return document.activeElement?.id === 'config-rebased'")  # the button went
        assert _element(driver, "#config-form input[name=volume_ratio_min]").get_attribute("value") == "1000"
        assert _element(driver, "#config-form input[name=cooldown_hours]").get_attribute("value") == "13"
        driver.find_element(By.ID, "save").click()
        saved = _element(driver, "#config-saved")
        assert re.search(rf"version {newer + 1}\b", saved.text), saved.text
        # nothing left to save, and said so, the save button still holds the focus
        assert driver.execute_script("return [document.activeElement?.id, document.activeElement?.ariaDisabled]") == [
            "save",
            "true",
        ]
        _shot(driver, "saved")
        # a cleared number is no 0: refused by name, nothing saved
        _type(_element(driver, "#config-form input[name=cooldown_hours]"), "")
        driver.find_element(By.ID, "save").click()
        _until(driver, "return document.querySelector('[data-state=error]')?.dataset.code === 'invalid_request'")
        # the next save starts from the version this page saved: no conflict with itself
        _type(_element(driver, "#config-form input[name=cooldown_hours]"), "13")
        _type(_element(driver, "#config-form input[name=volume_ratio_min]"), "999")
        driver.find_element(By.ID, "save").click()
        _until(
            driver, f"return /version {newer + 2}\\b/.test(document.getElementById('config-saved')?.textContent ?? '')"
        )

        request = urllib.request.Request(
            f"{served.api}/v1/config/detection", headers={"Authorization": f"Bearer {served.other_admin.token()}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            stored = json.loads(response.read())
        assert stored["version"] == newer + 2
        assert stored["config"]["volume_ratio_min"] == 999 and stored["config"]["cooldown_hours"] == 13

        # A session check that fails (the web app's server away) is no sign-out: the page says
        # so and offers to try again, rather than sending a signed-in admin to sign in.
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/auth/get-session*"]})
        driver.refresh()
        _until(driver, f"return /session could not be checked/.test({ERROR_TEXT})")
        assert driver.execute_script("return location.pathname") == "/admin/detection"
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        driver.find_element(By.CSS_SELECTOR, "[data-state=error] button").click()
        _element(driver, "#config-version")
        # A sign-out the server never saw leaves the session cookie valid: said, not hidden.
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/auth/sign-out*"]})
        driver.find_element(By.ID, "sign-out").click()
        _until(driver, f"return /Sign-out failed/.test({ERROR_TEXT})")
        assert driver.execute_script("return location.pathname") == "/admin/detection"
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})

        _sign_out(driver, served.web)


def test_a_user_made_admin_while_their_page_is_open_acts_as_admin_without_reloading(served: Served) -> None:
    """The API reads the role from the token: a token cached from before the change would be
    refused (403) for the rest of its 15 minutes while the page already offers the admin's tools."""
    password = "e2e-password-5"
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    _, bearer = _account_watching(served, email, password)
    user_id = _api(served, bearer, "GET", "/v1/me")["id"]
    with chromium() as driver:
        _sign_in(driver, served.web, email, password)
        assert driver.find_element(By.ID, "who").get_attribute("data-role") == "user"
        _link(driver, "Watchlist").click()
        _element(driver, f"#watchlist li[data-symbol='{served.symbol}']")  # read with the user's token
        signed_on_check = driver.execute_async_script(
            "const done = arguments[0];"
            "fetch('/api/auth/get-session').then(r => done(r.headers.get('set-auth-jwt')), () => done('failed'))"
        )
        assert signed_on_check is None  # tokens are signed by /api/auth/token only, not every session check
        served.other_admin.call("/api/auth/admin/set-role", {"userId": user_id, "role": "admin"})
        time.sleep(6)  # past Better Auth's five seconds between session checks on focus
        driver.execute_script("document.dispatchEvent(new Event('visibilitychange'))")
        _link(driver, "Thresholds").click()  # the session shows the new role: the link appears
        version = int(str(_element(driver, "#config-version").get_attribute("data-version")))
        cooldown = _element(driver, "#config-form input[name=cooldown_hours]")
        _type(cooldown, str(int(float(str(cooldown.get_attribute("value")))) + 1))
        driver.find_element(By.ID, "save").click()  # an admin-only write: refused with a token from before
        _until(
            driver,
            f"return /version {version + 1}\\b/.test(document.getElementById('config-saved')?.textContent ?? '')",
        )


def test_a_forged_token_is_refused_by_the_api_the_app_points_at(served: Served) -> None:
    token = served.other_admin.token()
    forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    for bearer, expected in ((token, 200), (forged, 401)):
        request = urllib.request.Request(f"{served.api}/v1/me", headers={"Authorization": f"Bearer {bearer}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == expected


def _email_unsubscribed(served: Served, bearer: str) -> bool:
    request = urllib.request.Request(f"{served.api}/v1/me/notifications", headers={"Authorization": f"Bearer {bearer}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return bool(json.loads(response.read())["email_unsubscribed"])


def test_the_unsubscribe_link_of_an_email_asks_before_it_turns_email_off(served: Served) -> None:
    """Mail scanners open every link in an email: opening the page changes nothing."""
    bearer = served.other_admin.token()
    claims = bearer.split(".")[1]
    sub = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["sub"]
    assert not _email_unsubscribed(served, bearer)
    key = Settings().notify_signing_key.get_secret_value()  # the stack's, as notify signs links
    link = notify.unsubscribe_links(key, sub, api_url=served.api, app_url=served.web).page
    with chromium() as driver:
        driver.get(link)
        button = _element(driver, "#unsubscribe-form button")
        assert not _email_unsubscribed(served, bearer)  # the visit alone
        button.click()
        assert "are off" in _element(driver, "#unsubscribe-notice").text
        assert _email_unsubscribed(served, bearer)
        driver.get(f"{served.web}/unsubscribe?token={sub}.{'0' * 32}")
        _element(driver, "#unsubscribe-form button").click()
        assert "not valid" in _element(driver, "#unsubscribe-notice").text


def test_auth_forms_arrive_with_their_button_disabled_until_the_page_runs(served: Served) -> None:
    """Clicked before the page's script runs, a form submits natively: a GET carrying the
    password or the address in the URL, and nothing done. The server's HTML disables them."""
    for path, form in (
        ("/sign-in", "sign-in-form"),
        ("/sign-up", "sign-up-form"),
        ("/forgot-password", "forgot-password-form"),
        ("/reset-password?token=e2e", "reset-password-form"),
    ):
        with urllib.request.urlopen(f"{served.web}{path}", timeout=30) as response:
            html = response.read().decode()
        found = re.search(rf'<form[^>]*id="{form}".*?<button[^>]*type="submit"[^>]*>', html, re.S)
        assert found, f"{path} serves its form"
        assert re.search(r"\sdisabled(=|\s|>)", found.group(0)), f"{path}: {found.group(0)}"


def test_no_other_site_may_frame_the_app(served: Served) -> None:
    """A framed page's buttons (rotate a webhook secret, save thresholds) could be clicked
    through with the user's session: every page says it may not be framed."""
    for path in ("/sign-in", "/alerts", "/admin/detection"):
        with urllib.request.urlopen(f"{served.web}{path}", timeout=30) as response:
            assert response.headers["X-Frame-Options"] == "DENY", path
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
            assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000"), path


def test_a_tab_shows_and_calls_the_api_as_the_account_signed_in_from_another_tab(served: Served) -> None:
    """Someone signs in as another account in a second tab: back in the first, the header and
    the page's data are both that account's, never one's name over the other's watchlist."""
    email, password = f"e2e-{uuid.uuid4().hex[:8]}@example.com", "e2e-password-2"
    with chromium() as driver:
        driver.get(f"{served.web}/sign-up")
        _sign_up(driver, "E2E Tabs", email, password)
        _sign_in(driver, served.web, email, password)
        _link(driver, "Watchlist").click()
        _element(driver, "#watch-form")
        _watch(driver, served.symbol)
        _element(driver, f"#watchlist li[data-symbol='{served.symbol}']")
        first = driver.current_window_handle
        driver.switch_to.new_window("tab")
        _sign_in(driver, served.web, served.admin.email, served.admin.password)  # the cookie is the admin's now
        driver.switch_to.window(first)
        # back to the tab: the page hears it (Better Auth refetches the session, at most every 5 s)
        back = "document.dispatchEvent(new Event('visibilitychange'));"
        who = f"document.getElementById('who')?.textContent === {json.dumps(served.admin.email)}"
        _until(driver, f"{back} return {who}")
        _until(driver, "return !!document.querySelector('[data-state=empty]')")  # the admin watches nothing
        assert not driver.find_elements(By.CSS_SELECTOR, f"#watchlist li[data-symbol='{served.symbol}']")
        _sign_out(driver, served.web)


def _api(served: Served, bearer: str, method: str, path: str, body: object = None) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {bearer}"} | ({"Content-Type": "application/json"} if body is not None else {})
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{served.api}{path}", data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = response.read()
        return json.loads(answer) if answer else {}


def _deleted(served: Served, bearer: str) -> bool:
    """Whether the API refuses ``bearer``'s account as deleted (its token still verifies)."""
    try:
        _api(served, bearer, "GET", "/v1/me")
    except urllib.error.HTTPError as exc:
        return exc.code == 401 and json.loads(exc.read())["error"]["code"] == "account_deleted"
    return False


def _account_watching(served: Served, email: str, password: str) -> tuple[WebAppClient, str]:
    """A new account watching the breakout's symbol, signed in outside the browser; its token."""
    client = WebAppClient(served.web)
    client.call("/api/auth/sign-up/email", {"email": email, "password": password, "name": "E2E Gone"})
    client.sign_in(email, password)
    bearer = client.token()
    _api(served, bearer, "PUT", f"/v1/me/watchlist/{served.symbol}")
    assert _api(served, bearer, "GET", "/v1/me")["watchlist"] == [served.symbol]
    return client, bearer


def test_a_deleted_or_removed_account_leaves_no_watchlist_or_settings_in_the_api(served: Served) -> None:
    """Deleted from its preferences page (the password asked again), or removed by an admin:
    the API's data for it goes first, so its addresses are sent nothing more, and a token
    issued before (it still verifies for its 15 minutes) is refused. Someone who is not an
    admin cannot have another account's data deleted through the admin's removal."""
    email, password = f"e2e-{uuid.uuid4().hex[:8]}@example.com", "e2e-password-3"
    client, bearer = _account_watching(served, email, password)
    # when its session signed in: a token minted later from it is still from before a deletion
    said = jwt.decode(bearer, options={"verify_signature": False})
    assert said["iat"] - 60 <= said["auth_time"] <= said["iat"]
    with pytest.raises(urllib.error.HTTPError) as unasked:  # the server asks for the password too
        client.call("/api/auth/delete-user", {})
    assert unasked.value.code == 400 and not _deleted(served, bearer)
    with chromium() as driver:
        _sign_in(driver, served.web, email, password)
        # a button that goes with what it did leaves the keyboard somewhere to go on from
        _link(driver, "Watchlist").click()
        _element(driver, f"#watchlist li[data-symbol='{served.symbol}'] button").click()
        _until(driver, "return document.activeElement?.name === 'symbol'")
        _watch(driver, served.symbol)
        _element(driver, f"#watchlist li[data-symbol='{served.symbol}']")
        _link(driver, "Notifications").click()
        save = _element(driver, "#notifications-form button[type=submit]")
        # another tab saves meanwhile: this page's save must not undo what it never showed
        _api(served, bearer, "PUT", "/v1/me/notifications", {"max_per_hour": 7})
        save.click()
        assert "settings_changed" in str(_until(driver, f"return {ERROR_TEXT}"))
        _until(driver, "return document.querySelector('#notifications-form [name=max_per_hour]')?.value === '7'")
        _element(driver, "#notifications-form button[type=submit]").click()  # the form as it is now
        _until(driver, "return document.activeElement?.id === 'notifications-saved'")
        _link(driver, "Preferences").click()
        prefs = _element(driver, "#preferences-form")
        # another tab raises the score bar meanwhile: saving a subreddit here must not lower it again
        _api(served, bearer, "PATCH", "/v1/me/preferences", {"min_score": 2})
        _type(prefs.find_element(By.NAME, "subreddits"), "r/Stocks")
        prefs.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _until(driver, "return document.activeElement?.id === 'preferences-saved'")
        stored = _api(served, bearer, "GET", "/v1/me")["preferences"]
        assert isinstance(stored, dict) and (stored["min_score"], stored["subreddits"]) == (2, ["stocks"])
        form = _element(driver, "#delete-account-form")
        form.find_element(By.NAME, "password").send_keys("not-the-password")
        form.find_element(By.NAME, "sure").click()
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        assert "was not deleted" in str(_until(driver, f"return {ERROR_TEXT}"))
        assert _api(served, bearer, "GET", "/v1/me")["watchlist"] == [served.symbol]  # a refusal deletes nothing
        _type(form.find_element(By.NAME, "password"), password)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _until(driver, "return location.pathname === '/sign-in' && location.search.includes('deleted')")
        # the shell, seeing the session gone, must not take the page and its notice away
        assert "account is deleted" in _element(driver, "#auth-notice").text
        assert "next=" not in str(driver.execute_script("return location.search"))
        _shot(driver, "account-deleted")
    assert _deleted(served, bearer)
    with pytest.raises(urllib.error.HTTPError) as gone:  # refused, not rate-limited (it waits those out)
        WebAppClient(served.web).sign_in(email, password)
    assert gone.value.code == 401

    removed_email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    _, removed = _account_watching(served, removed_email, password)
    user_id = _api(served, removed, "GET", "/v1/me")["id"]
    stranger, _ = _account_watching(served, f"e2e-{uuid.uuid4().hex[:8]}@example.com", password)
    with pytest.raises(urllib.error.HTTPError) as refused:
        stranger.call("/api/auth/admin/remove-user", {"userId": user_id})
    assert refused.value.code in (401, 403)
    assert _api(served, removed, "GET", "/v1/me")["watchlist"] == [served.symbol]
    # the id as the endpoint coerces it (a one-item list): the data goes first all the same
    assert served.other_admin.call("/api/auth/admin/remove-user", {"userId": [user_id]}) == {"success": True}
    assert _deleted(served, removed)


def test_an_account_an_admin_bans_is_suspended_in_the_api_until_the_ban_ends_or_is_lifted(served: Served) -> None:
    """A ban Better Auth records reaches the API, so notify sends the account nothing while it
    lasts; its end is the ban's. Only an admin's ban does, and only through ban-user."""
    password = "e2e-password-4"
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    _, bearer = _account_watching(served, email, password)  # its token outlives the ban's revoked sessions
    user_id = _api(served, bearer, "GET", "/v1/me")["id"]
    stranger, _ = _account_watching(served, f"e2e-{uuid.uuid4().hex[:8]}@example.com", password)
    with pytest.raises(urllib.error.HTTPError) as refused:
        stranger.call("/api/auth/admin/ban-user", {"userId": user_id})
    assert refused.value.code in (401, 403) and _api(served, bearer, "GET", "/v1/me")["suspended"] is None
    for path, body in (  # a ban Better Auth refuses suspends nobody; its other doors to a ban are shut
        ("/api/auth/admin/ban-user", {"userId": user_id, "banExpiresIn": "3600"}),
        ("/api/auth/admin/update-user", {"userId": user_id, "data": {"banned": True}}),
    ):
        with pytest.raises(urllib.error.HTTPError) as bad:
            served.other_admin.call(path, body)
        assert bad.value.code == 400 and _api(served, bearer, "GET", "/v1/me")["suspended"] is None, path
    before = time.time()
    banned: Any = served.other_admin.call("/api/auth/admin/ban-user", {"userId": user_id, "banExpiresIn": 3600})
    assert banned["user"]["banned"] is True
    me: Any = _api(served, bearer, "GET", "/v1/me")
    assert before + 3600 - 5 <= me["suspended"]["until"] <= time.time() + 3600 + 5
    with pytest.raises(urllib.error.HTTPError) as out:
        WebAppClient(served.web).sign_in(email, password)
    assert out.value.code in (401, 403)
    served.other_admin.call("/api/auth/admin/unban-user", {"userId": user_id})
    assert _api(served, bearer, "GET", "/v1/me")["suspended"] is None
    WebAppClient(served.web).sign_in(email, password)  # back in


def _admin_call(served: Served, method: str, path: str, body: object) -> None:
    request = urllib.request.Request(
        f"{served.api}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {served.other_admin.token()}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def test_what_the_api_holds_against_an_account_is_shown_and_a_lost_deletion_is_finished(served: Served) -> None:
    """A suspension the API holds (an unban that did not reach it) is said where the channels
    are set; a deletion whose answer was lost, the API's data gone and the account kept, is
    finished from the preferences page instead of an error with nowhere to go; a share class
    written as brokers write it ("BRK/B") is watched, and filtered for, as BRK.B."""
    email, password = f"e2e-{uuid.uuid4().hex[:8]}@example.com", "e2e-password-5"
    _, bearer = _account_watching(served, email, password)
    user_id = _api(served, bearer, "GET", "/v1/me")["id"]
    with chromium() as driver:
        _sign_in(driver, served.web, email, password)
        _link(driver, "Watchlist").click()
        _element(driver, "#watch-form")
        _watch(driver, "brk/b")
        _element(driver, "#watchlist li[data-symbol='BRK.B']")
        _link(driver, "Alerts").click()  # and the alerts' filter reads it so too
        _type(_element(driver, "#alert-filters input[name=symbol]"), "brk/b")
        _until(driver, "return document.querySelector('#alert-filters input[name=symbol]').value === 'BRK.B'")
        _until(driver, "return new URLSearchParams(location.search).get('symbol') === 'BRK.B'")
        _admin_call(served, "PUT", f"/v1/users/{user_id}/suspension", {"until": None})
        _link(driver, "Notifications").click()
        _until(driver, f"return ({ERROR_TEXT}).includes('suspended this account until an admin lifts it')")
        _admin_call(served, "DELETE", f"/v1/users/{user_id}/suspension", None)

        _api(served, bearer, "DELETE", "/v1/me")  # the API did it; the web app never heard
        _link(driver, "Watchlist").click()  # any page's error leads to where it is finished
        _until(driver, "return document.querySelector('[data-state=error]')?.dataset.code === 'account_deleted'")
        _link(driver, "Finish deleting the account").click()
        _until(driver, f"return ({ERROR_TEXT}).includes('did not finish')")
        form = _element(driver, "#delete-account-form")
        _type(form.find_element(By.NAME, "password"), password)
        form.find_element(By.NAME, "sure").click()
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _until(driver, "return location.pathname === '/sign-in' && location.search.includes('deleted')")
    with pytest.raises(urllib.error.HTTPError) as gone:
        WebAppClient(served.web).sign_in(email, password)
    assert gone.value.code == 401


def test_signing_in_from_a_page_that_asked_for_it_lands_on_that_page_the_first_time(served: Served) -> None:
    """An alert email's link or a bookmark, opened signed out: the page sends the browser to
    sign in, and signing in (a person takes a moment to type) brings it back there with its
    query, not to the sign-in form again; so does signing in again after signing out."""
    email, password = f"e2e-{uuid.uuid4().hex[:8]}@example.com", "e2e-password-4"
    WebAppClient(served.web).call("/api/auth/sign-up/email", {"email": email, "password": password, "name": "E2E Back"})
    who = f"document.getElementById('who')?.textContent === {json.dumps(email)}"
    with chromium() as driver:
        driver.get(f"{served.web}/watchlist?from=mail")
        for landed in (
            "location.pathname === '/watchlist' && location.search === '?from=mail'",
            "location.pathname === '/alerts'",
        ):
            _until(driver, "return location.pathname === '/sign-in'")
            form = _auth_form(driver, "#sign-in-form")
            time.sleep(1.5)  # typing: longer than the session store listens once the page is gone
            _type(form.find_element(By.NAME, "email"), email)
            _type(form.find_element(By.NAME, "password"), password)
            limited = "/too many requests/i.test(document.querySelector('[data-state=error]')?.textContent ?? '')"
            for _ in range(3):  # Better Auth's 3 sign-ins per 10 s, shared by this run's clients
                form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
                if _until(driver, f"return ({landed} && {who}) ? 'in' : {limited} ? 'limited' : null") == "in":
                    break
                time.sleep(10)
            else:
                raise AssertionError("rate-limited three times")
            driver.find_element(By.ID, "sign-out").click()  # then signed in again in the same tab


def test_ctrl_c_stops_the_demo_and_the_web_app(served: Served) -> None:
    served.demo.interrupt()
    assert served.demo.wait(timeout=60) == 0
    assert alive(served.demo.children) == set()
