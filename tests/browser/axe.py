"""axe-core (npm, pinned in package.json) run inside the real Chromium of the journeys.

``violations(driver)`` injects axe into the page the browser shows and returns the WCAG 2.0,
2.1 and 2.2 A/AA violations of the impacts that fail a journey (critical and serious).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from selenium import webdriver

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
FAILING_IMPACTS = frozenset({"critical", "serious"})

_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
  .then((r) => done(r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({
          target: n.target.join(" "), html: n.html.slice(0, 200), summary: n.failureSummary}))
  }))))
  .catch((e) => done([{id: "axe-error", impact: "critical", help: String(e), nodes: []}]));
"""


@lru_cache(maxsize=1)
def axe_source() -> str:
    if not AXE_JS.is_file():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci` (make install does)")
    return AXE_JS.read_text(encoding="utf-8")


def violations(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """Critical and serious WCAG A/AA violations on the page the browser shows now."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(axe_source())
    driver.set_script_timeout(60)
    found: list[dict[str, Any]] = driver.execute_async_script(_RUN, WCAG_TAGS)
    return [v for v in found if v.get("impact") in FAILING_IMPACTS]


def describe(page: str, found: list[dict[str, Any]]) -> str:
    lines = [f"{page}:"]
    for v in found:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"]:
            lines.append(f"      {node['target']}  {node['html'][:120]}")
    return "\n".join(lines)
