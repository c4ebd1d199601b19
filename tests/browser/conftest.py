"""Fixtures for browser journeys: a private Qurb server and a headless Chromium on a phone.

The server runs in a subprocess against its own SQLite database in a temporary data
directory, whatever DATABASE_URL / REDIS_URL the rest of the suite uses (CI also runs the
suite against PostgreSQL and Redis: the browser journeys must never touch those).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
QURB = Path(sys.executable).parent / "qurb"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

STARTUP_SECONDS = 30.0
DEMO_SECONDS = 300.0
# A phone (about an iPhone 12–15): CSS pixels, device pixel ratio 2 keeps screenshots small.
PHONE = {"width": 390, "height": 844, "pixelRatio": 2.0, "mobile": True, "touch": True}
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36"
)
# The phone of a resident who reads Arabic (Morocco).
PHONE_LANGUAGES = "ar-MA,ar"


@dataclass(frozen=True)
class QurbServer:
    url: str
    data_dir: Path
    log: Path


def _missing_browser() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    return f"browser journeys need {' and '.join(missing)}" if missing else None


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Chromium's path; skips the journeys without it, unless QURB_REQUIRE_BROWSER=1."""
    reason = _missing_browser()
    if reason is not None:
        if os.environ.get("QURB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} (QURB_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(f"{reason} (not installed; set QURB_REQUIRE_BROWSER=1 to fail instead)")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _server_env(data_dir: Path) -> dict[str, str]:
    """The parent's environment minus anything that could point at shared state."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("QURB_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env["QURB_DATA_DIR"] = str(data_dir)
    env["DATABASE_URL"] = f"sqlite:///{data_dir / 'qurb.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "qurb.config.settings"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"qurb serve exited with {process.returncode} before answering:\n{_tail(log)}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our http URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.2)
    pytest.fail(
        f"qurb serve did not answer {url} within {STARTUP_SECONDS:.0f}s "
        f"({last_error}):\n{_tail(log)}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def qurb_server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QurbServer]:
    """`qurb demo --no-serve`, then `qurb serve` on a free port, in a private data directory."""
    data_dir = tmp_path_factory.mktemp("qurb-data")
    env = _server_env(data_dir)
    demo = subprocess.run(
        [str(QURB), "demo", "--no-serve"],
        env=env,
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=DEMO_SECONDS,
        check=False,
    )
    if demo.returncode != 0:
        pytest.fail(
            f"qurb demo --no-serve failed ({demo.returncode}):\n{demo.stdout}\n{demo.stderr}",
            pytrace=False,
        )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(QURB), "serve", "--port", str(port)],
            env=env,
            cwd=data_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(f"{url}/", process, log)
        yield QurbServer(url=url, data_dir=data_dir, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def browser(chromium: Path, tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium per test (own profile: no cookie or language leaks over)."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        f"--lang={PHONE_LANGUAGES.split(',')[0]}",
        # Hermetic: no request leaves the machine (map tiles fail fast instead of hanging).
        "--no-proxy-server",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": PHONE, "userAgent": PHONE_USER_AGENT}
    )
    options.add_experimental_option("prefs", {"intl.accept_languages": PHONE_LANGUAGES})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
