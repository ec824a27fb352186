"""Debian's Chromium, headless, driven by Selenium through Debian's chromedriver: the browser
the dashboard tests and the demo's dashboard screenshots use.

No network is needed: Selenium Manager is bypassed by naming the driver, and Chromium's own
background connections (updates, sync, field trials) are switched off.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESK = (1366, 900)
TABLET = (768, 1024)
T = TypeVar("T")


class Browser:
    """One headless Chromium with its own empty profile; `close` ends it and removes the profile."""

    def __init__(self, base_url: str, size: tuple[int, int] = DESK, lang: str = "zh-CN") -> None:
        self.base_url = base_url.rstrip("/")
        self._profile = tempfile.mkdtemp(prefix="onetrip-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-background-networking", "--disable-sync",
                     "--disable-component-update", "--disable-default-apps",
                     "--hide-scrollbars", f"--lang={lang}", f"--user-data-dir={self._profile}",
                     f"--window-size={size[0]},{size[1]}"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.driver.set_page_load_timeout(30)

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def sign_in(self, username: str, password: str) -> None:
        self.open("/fleet/login")
        self.type("input[name=username]", username)
        self.type("input[name=password]", password)
        self.submit("button[type=submit].primary")

    def type(self, css: str, text: str) -> None:
        field = self.driver.find_element(By.CSS_SELECTOR, css)
        field.clear()
        field.send_keys(text)

    def click(self, css: str) -> None:
        self.driver.find_element(By.CSS_SELECTOR, css).click()

    def submit(self, css: str, timeout_s: float = 20.0) -> None:
        """Click what leads to the next page (a form's button, a link) and wait until that
        page has replaced this one."""
        self.driver.execute_script("window.onetripLeaving = true")  # gone with this page
        for attempt in range(3):
            try:
                self.click(css)
                break
            except WebDriverException:  # a live part was swapped mid-click; look again
                if attempt == 2:
                    raise
                time.sleep(0.2)
        WebDriverWait(self.driver, timeout_s).until(self._next_page_loaded)

    @staticmethod
    def _next_page_loaded(driver: webdriver.Chrome) -> bool:
        """A new page has its own window without this page's mark. Asked between the two
        pages, the browser may answer with any error: not there yet. (Watching the old page's
        element go stale failed now and then: Chromium does not always say 'stale'.)"""
        try:
            return bool(driver.execute_script(
                "return window.onetripLeaving !== true && document.readyState === 'complete'"))
        except WebDriverException:
            return False

    def text(self, css: str = "body") -> str:
        return self._read(lambda: self.driver.find_element(By.CSS_SELECTOR, css).text)

    def texts(self, css: str) -> list[str]:
        return self._read(lambda: [el.text for el in
                                   self.driver.find_elements(By.CSS_SELECTOR, css)])

    def attribute(self, css: str, name: str) -> str | None:
        return self._read(
            lambda: self.driver.find_element(By.CSS_SELECTOR, css).get_attribute(name))

    @staticmethod
    def _read(read: Callable[[], T]) -> T:
        """A read that looks again when the live refresh swapped the part between finding it
        and reading it; a part that is not there at all still fails at once."""
        for attempt in range(3):
            try:
                return read()
            except NoSuchElementException:
                raise
            except WebDriverException:
                if attempt == 2:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def wait_for(self, check: Callable[[], bool], timeout_s: float = 20.0,
                 what: str = "the page") -> None:
        """Poll `check` (a page read) until it holds; fail saying what did not happen."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if check():
                    return
            except Exception:  # noqa: BLE001 - the part may be mid-refresh; look again
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not happen within {timeout_s:g} s")
            time.sleep(0.2)

    def resize(self, size: tuple[int, int]) -> None:
        self.driver.set_window_size(*size)

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """The page as a PNG; the whole page's height when `full_page`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        size = self.driver.get_window_size()
        if full_page:
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(size["width"], max(int(height) + 120, size["height"]))
        try:
            self.driver.save_screenshot(str(path))
        finally:
            self.driver.set_window_size(size["width"], size["height"])
        return path

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
