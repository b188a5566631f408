"""Real headless Chromium (Debian's package, driven by its chromedriver through Selenium).

No browser download: Selenium is given Debian's binaries, so Selenium Manager never runs.
``make browser`` installs them when missing. Each session gets a fresh profile directory
and the flags that keep Chromium from phoning home or needing a sandbox inside containers.
"""

import contextlib
import shutil
import tempfile
from collections.abc import Iterator

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1100",
)


def binaries() -> tuple[str, str]:
    """Debian's chromium and chromedriver, wherever PATH has them."""
    chromium = shutil.which("chromium") or CHROMIUM
    driver = shutil.which("chromedriver") or CHROMEDRIVER
    return chromium, driver


@contextlib.contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    binary, driver_path = binaries()
    profile = tempfile.mkdtemp(prefix="akleao-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
