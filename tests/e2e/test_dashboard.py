"""The dashboard in real headless Chromium (Debian's, through chromedriver) against a demo
run: the demo replays a small breakout corpus and keeps serving the API and the dashboard,
as it does for a newcomer at a terminal; the browser signs in with the token the demo
printed, must show the alert and draw its chart; Ctrl-C then stops everything.

The screenshot is kept at .stack/artifacts/dashboard.png (CI keeps it as an artifact)."""

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from devtools.corpus import write_breakout_corpus
from emulators.stack import ROOT
from tests.support.browser import chromium
from tests.support.demo import DemoProcess, alive

# the first test of a module also pays for its stack and replay (fixtures): more than the default
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
ARTIFACTS = ROOT / ".stack" / "artifacts"

# Non-transparent pixels inside the plot area of the first uPlot canvas.
PAINTED_PIXELS = """
const canvas = document.querySelector('#chart canvas');
if (!canvas) return -1;
const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let painted = 0;
for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
return painted;
"""


@dataclass
class Served:
    demo: DemoProcess
    url: str
    token: str
    symbol: str
    state: Path  # the run's own state file (tests/support/demo.py), not the repository's


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    work = tmp_path_factory.mktemp("demo-served")
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
        log_dir=work / "logs",
    )
    try:
        demo.wait_for(r"stack up in", timeout=180)
        demo.note_children()
        demo.wait_for(r"serving until Ctrl-C", timeout=240)
        url = demo.wait_for(r"^dashboard +(http://\S+)#token=", timeout=1).group(1)
        token = demo.wait_for(r"^token +(\S+)", timeout=1).group(1)
        yield Served(demo, url, token, str(label["ticker"]), work / "demo-state.json")
    finally:
        demo.kill()


def test_a_serving_demo_names_its_api_in_its_own_state_file(served: Served) -> None:
    api = json.loads(served.state.read_text())["functions"]["api"]
    with urllib.request.urlopen(f"{api}/v1/health", timeout=10) as answer:
        assert answer.status == 200


def _wait(driver: WebDriver, script: str, timeout: float = 30) -> object:
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: d.execute_script(script))


def test_the_dashboard_shows_the_demo_alert_and_draws_its_chart(served: Served) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as driver:
        driver.get(f"{served.url}#token={served.token}")
        _wait(driver, "return document.body.dataset.state === 'ready' && Number(document.body.dataset.alerts) > 0")
        _wait(driver, f"return document.getElementById('chart').dataset.rendered === '{served.symbol}'")
        painted = driver.execute_script(PAINTED_PIXELS)
        driver.save_screenshot(str(ARTIFACTS / "dashboard.png"))

        assert driver.current_url == served.url, "the token must leave the address bar"
        cards = driver.find_elements(By.CSS_SELECTOR, "#alerts article.alert")
        # one breakout in the corpus; the detector may split it into more than one episode
        assert cards and {c.get_attribute("data-symbol") for c in cards} == {served.symbol}
        card = cards[0]
        assert "organic" in str(card.get_attribute("class")) and card.find_elements(By.CSS_SELECTOR, ".reasons li")
        links = [a.get_attribute("href") for a in card.find_elements(By.CSS_SELECTOR, ".evidence a")]
        # a replayed corpus: each link opens the replayed item's page on the local Reddit
        assert links and all("/_replay/page/r/" in str(h) for h in links)
        with urllib.request.urlopen(str(links[0]), timeout=10) as page:
            assert "replayed corpus item" in page.read().decode()
        trending = [r.get_attribute("data-symbol") for r in driver.find_elements(By.CSS_SELECTOR, "#trending-rows tr")]
        assert served.symbol in trending
        assert int(driver.find_element(By.ID, "chart").get_attribute("data-markers") or 0) >= 1
        assert painted > 2000, f"the chart canvas is (nearly) blank: {painted} painted pixels"
        assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000

        # a refresh keeps what the reader chose: the evidence they closed stays closed (the card
        # is read afresh: a refresh replaces every card)
        first = "#alerts article.alert"
        alert_id = _wait(driver, f"return document.querySelector('{first}').dataset.alertId")
        assert _wait(driver, f"return document.querySelector('{first} details').open")  # the first opens by itself
        driver.execute_script(f"document.querySelector('{first} details summary').click()")
        assert driver.execute_script(f"return document.querySelector('{first} details').open") is False
        done = int(driver.execute_script("return Number(document.body.dataset.refreshes)"))
        driver.find_element(By.CSS_SELECTOR, "#window-select button.active").click()  # refreshes now
        _wait(driver, f"return Number(document.body.dataset.refreshes) > {done}")
        same = f"#alerts article.alert[data-alert-id='{alert_id}'] details"
        assert driver.execute_script(f'return document.querySelector("{same}").open') is False


def test_the_dashboard_asks_for_a_token_and_refuses_a_forged_one(served: Served) -> None:
    forged = served.token[:-6] + ("AAAAAA" if not served.token.endswith("AAAAAA") else "BBBBBB")
    with chromium() as driver:
        driver.get(served.url)
        _wait(driver, "return document.body.dataset.state === 'signin'")
        driver.find_element(By.ID, "token-input").send_keys(forged)
        driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
        _wait(driver, "return !document.getElementById('signin-error').hidden")
        assert driver.find_element(By.ID, "app").get_attribute("hidden") is not None
        driver.find_element(By.ID, "token-input").clear()
        driver.find_element(By.ID, "token-input").send_keys(served.token)
        driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
        _wait(driver, "return document.body.dataset.state === 'ready'")


def test_ctrl_c_stops_the_served_demo_and_everything_it_started(served: Served) -> None:
    served.demo.interrupt()
    assert served.demo.wait(timeout=60) == 0
    assert alive(served.demo.children) == set()
