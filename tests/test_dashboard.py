"""The dashboard as sales and marketing managers use it: every page runs against a
published set in English and in Chinese and shows the marts' own numbers; it reads
only the published set, never holds it open, picks up a new release by itself, and
copes with a set published before the customer-base models; in a real browser
(Chromium) every page renders, and so does the Dagster UI's asset graph."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.core.paths import PROJECT_ROOT
from pipelines.core.settings import Settings
from pipelines.dashboard import i18n, published
from pipelines.dashboard.__main__ import command
from pipelines.dashboard.__main__ import main as serve
from pipelines.dashboard.views import PAGES
from pipelines.publish import release
from pipelines.run import failure_messages
from tests.chromium import Chromium, find_chromium
from tests.conftest import REFRESHED

# Most tests here read the workspace of `refreshed`.
pytestmark = REFRESHED

APP = PROJECT_ROOT / "pipelines" / "dashboard" / "app.py"
SCREENSHOTS = PROJECT_ROOT / "tests" / "screenshots"
LANGUAGES = tuple(i18n.LANGUAGES)
TITLES = {
    "overview": "overview.title",
    "quadrants": "quadrants.title",
    "profit_bands": "bands.title",
    "churn": "churn.title",
    "key_accounts": "key.title",
    "segments": "segments.title",
    "cohorts": "cohorts.title",
    "customer": "customer.title",
}
# Charts each page draws (the browser test waits for all of them).
CHARTS = {
    "overview": 2,
    "quadrants": 1,
    "profit_bands": 2,
    "churn": 2,
    "key_accounts": 0,
    "segments": 2,
    "cohorts": 1,
    "customer": 2,
}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture
def published_dir(refreshed) -> Path:
    """The published set of the shared refresh (tests/conftest.py); copy it to change it."""
    settings, first, *_ = refreshed
    assert first.success, failure_messages(first)
    return settings.publish_dir


def marts(publish_dir: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(publish_dir / "marts.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).df()


@pytest.fixture
def open_page(published_dir, monkeypatch):
    """Run the app headless on one page, as a browser opening `?page=...&lang=...` would."""

    def run(page: str, lang: str = "en", publish_dir: Path | None = None, **params: str) -> AppTest:
        monkeypatch.setenv("CCP_PUBLISH_DIR", str(publish_dir or published_dir))
        monkeypatch.delenv("CCP_DBT_VARS", raising=False)
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.query_params.update(page=page, lang=lang, **params)
        return at.run()

    return run


def _texts(at: AppTest) -> list[str]:
    """Every title, label, caption and axis title the page shows (not the data in it)."""
    texts = [e.value for kind in (at.header, at.subheader, at.caption, at.markdown) for e in kind]
    texts += [m.label for m in at.metric] + [m.help or "" for m in at.metric]
    texts += [str(c) for frame in at.dataframe for c in frame.value.columns]
    texts += [r.label for r in at.main.radio] + [s.label for s in at.selectbox]
    for chart in at.get("vega_lite_chart"):
        texts += _chart_titles(json.loads(chart.proto.spec))
    return [t for t in texts if t]


def _chart_titles(spec: dict) -> list[str]:
    titles = []
    for layer in spec.get("layer", [spec]):
        for channel, encoding in (layer.get("encoding") or {}).items():
            if not isinstance(encoding, dict):
                continue
            for part in ("axis", "legend"):
                if isinstance(encoding.get(part), dict) and encoding[part].get("title"):
                    titles.append(encoding[part]["title"])
            titles += [t["title"] for t in encoding.get("tooltip", []) if isinstance(t, dict) and t.get("title")]
            if channel in ("x", "y") and "field" in encoding and encoding.get("axis") is not None:
                assert (encoding.get("axis") or {}).get("title"), f"{channel} of {layer.get('mark')} has no axis title"
    return titles


def _metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; metrics: {[m.label for m in at.metric]}"
    return values[0]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_runs_and_speaks_the_chosen_language(open_page, page, lang):
    at = open_page(page, lang)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    assert at.header[0].value == i18n.t(lang, TITLES[page])
    assert len(at.get("vega_lite_chart")) == CHARTS[page]
    texts = _texts(at)
    if lang == "zh":
        # Every text is Chinese; an id or a number may stand alone.
        english = [t for t in texts if not CJK.search(t) and not re.fullmatch(r"[A-Z]?[\d\s.,:%/·()-]*", t)]
        assert english == [], english
    else:
        assert [t for t in texts if CJK.search(t)] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_overview_shows_pareto_summary_and_the_core_customers(open_page, published_dir, lang):
    at = open_page("overview", lang)
    s = marts(published_dir, "SELECT * FROM pareto_summary").iloc[0]
    core = marts(published_dir, "SELECT count(*) AS n FROM customer_value WHERE is_core_customer")["n"][0]
    t = lambda key: i18n.t(lang, key, currency="CNY")  # noqa: E731
    assert _metric(at, t("overview.customers")) == f"{s.customers:,}"
    assert _metric(at, t("overview.revenue")) == f"{s.net_revenue_window:,.0f}"
    top_share = s.revenue_top_customers / s.revenue_ranked_customers
    assert _metric(at, t("overview.x20")) == f"{s.top_customers_revenue_share * 100:.1f}/{top_share * 100:.0f}"
    assert _metric(at, t("overview.core")) == f"{core:,}"
    tiers = at.dataframe[0].value
    assert tiers.iloc[:, 1].tolist() == [s[f"tier_{x}_customers"] for x in "abcd"]
    # The curve marks the observed x/20 with its label.
    curve = at.get("vega_lite_chart")[0].proto
    label = i18n.percent(s.top_customers_revenue_share).encode()
    assert any(label in d.data.data for d in curve.datasets)


def test_money_axes_and_headers_carry_the_reporting_currency(open_page):
    at = open_page("quadrants", "en")
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["layer"][0]["encoding"]["y"]["axis"]["title"] == "Window net revenue (CNY)"
    assert "Window revenue (CNY)" in at.dataframe[0].value.columns


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_at_risk_list_starts_with_the_most_revenue_at_risk_and_says_why(open_page, published_dir, lang):
    at = open_page("churn", lang)
    expected = marts(
        published_dir,
        "SELECT customer_id, net_revenue_window, churn_reason_label_en, churn_reason_label_zh, p_alive "
        "FROM customer_value WHERE churn_status = 'at_risk' ORDER BY net_revenue_window DESC, customer_id",
    )
    shown = at.dataframe[-1].value
    assert len(shown) == len(expected)
    assert shown.iloc[:, 0].tolist() == expected["customer_id"].tolist()
    first = shown.iloc[0]
    assert first[i18n.t(lang, "col.reason")] == expected[f"churn_reason_label_{lang}"][0]
    assert first[i18n.t(lang, "col.p_alive")] == pytest.approx(expected["p_alive"][0])
    # The rules next to the model: mean p_alive per churn status, as published.
    statuses = marts(
        published_dir, "SELECT churn_status, mean_p_alive FROM churn_status_predictions ORDER BY sort_order"
    )
    for row in statuses.itertuples():
        label = i18n.t(lang, "churn.p_alive_metric", status=i18n.label(lang, "churn.status", row.churn_status))
        assert _metric(at, label) == i18n.percent(row.mean_p_alive)
    # Churned per month and per reason come from churn_analysis.
    months = marts(
        published_dir, "SELECT sum(churned_customers) AS n FROM churn_analysis WHERE dimension = 'churn_month'"
    )
    assert _metric(at, i18n.t(lang, "churn.churned")) == f"{int(months['n'][0]):,}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_customer_card_shows_the_customers_quadrant_strategy_and_history(open_page, published_dir, lang):
    customer = marts(
        published_dir,
        "SELECT customer_id FROM customer_value WHERE churn_status = 'at_risk' ORDER BY customer_id LIMIT 1",
    )["customer_id"][0]
    at = open_page("customer", lang, customer=customer)
    row = marts(
        published_dir,
        "SELECT v.*, q.label_en, q.label_zh FROM customer_value AS v JOIN quadrant_summary AS q USING (quadrant) "
        "WHERE customer_id = ?",
        [customer],
    ).iloc[0]
    assert at.selectbox[0].value == customer
    assert _metric(at, i18n.t(lang, "customer.quadrant")) == row[f"label_{lang}"]
    assert _metric(at, i18n.t(lang, "customer.tier")) == i18n.label(lang, "tier", row.pareto_tier)
    assert _metric(at, i18n.t(lang, "customer.churn_status")) == i18n.label(lang, "churn.status", row.churn_status)
    shown = " ".join(m.value for m in at.markdown)
    assert row[f"quadrant_strategy_{lang}"] in shown
    assert row[f"churn_reason_action_{lang}"] in shown
    history = marts(published_dir, "SELECT count(*) AS n FROM customer_tier_history WHERE customer_id = ?", [customer])
    tier_chart = at.get("vega_lite_chart")[0]
    assert sum(len(d.data.data) > 0 for d in tier_chart.proto.datasets) >= 1
    assert len(at.expander[0].dataframe[0].value) == history["n"][0]


def test_key_accounts_who_entered_and_left_agree_with_tier_migration(open_page, published_dir):
    at = open_page("key_accounts", "en")
    moves = marts(
        published_dir,
        "SELECT from_value, to_value, sum(customers) AS n FROM tier_migration WHERE dimension = 'key_account' "
        "AND to_month_end = (SELECT max(to_month_end) FROM tier_migration) GROUP BY ALL",
    )
    entered = int(moves[(moves.to_value == "key") & (moves.from_value != "key")]["n"].sum())
    left = int(moves[(moves.from_value == "key") & (moves.to_value != "key")]["n"].sum())
    now = marts(published_dir, "SELECT count(*) AS n FROM customer_value WHERE is_key_account")["n"][0]
    assert _metric(at, "Key accounts") == f"{now:,}"
    if moves.empty:
        assert any("less than a year" in i.value for i in at.info)
    else:
        assert _metric(at, "Entered") == f"{entered:,}"
        assert _metric(at, "Left") == f"{left:,}"


def test_segments_and_cohorts_show_their_marts(open_page, published_dir):
    at = open_page("segments", "en", segment="membership_level")
    levels = marts(published_dir, "SELECT value, customers FROM segment_summary WHERE dimension = 'membership_level'")
    shown = at.dataframe[0].value
    assert sorted(shown["Customers"]) == sorted(levels["customers"])
    at = open_page("cohorts", "en", measure="cumulative_net_revenue_per_customer")
    heatmap = at.get("vega_lite_chart")[0].proto
    encoding = json.loads(heatmap.spec)["encoding"]
    assert encoding["color"]["field"] == "cumulative_net_revenue_per_customer"
    assert encoding["color"]["legend"]["title"] == "Cumulative revenue per customer (CNY)"
    assert any(len(d.data.data) > 0 for d in heatmap.datasets)


def test_switching_language_keeps_the_page(open_page):
    at = open_page("churn", "en")
    at.sidebar.radio[0].set_value("zh").run()
    assert at.header[0].value == i18n.t("zh", "churn.title")
    assert at.query_params.get("page") == "churn"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_nothing_published_yet_says_to_run_make_run(open_page, tmp_path, lang):
    at = open_page("overview", lang, publish_dir=tmp_path / "nothing")
    assert not at.exception
    assert at.title[0].value == i18n.t(lang, "app.empty.title")
    assert "make run" in at.info[0].value


def _copy_release(publish_dir: Path, to: Path, release_id: str) -> Path:
    """A writable copy of the live release, published in `to` the way publish does."""
    live = published.live_release(publish_dir)
    folder = to / "releases" / release_id
    shutil.copytree(live.folder, folder)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["release_id"] = release_id
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    link = to / "current.tmp"
    link.unlink(missing_ok=True)
    os.symlink(f"releases/{release_id}", link)
    os.replace(link, to / "current")
    return folder


def test_a_set_published_before_the_models_still_shows_churn_and_the_card(open_page, published_dir, tmp_path):
    folder = _copy_release(published_dir, tmp_path, "before-models")
    with duckdb.connect(str(folder / "marts.duckdb")) as con:
        for table in ("churn_status_predictions", "customer_predictions", "clv_model"):
            con.execute(f"DROP TABLE {table}")
        for column in (
            "p_alive",
            "expected_orders_90d",
            "expected_orders_365d",
            "expected_order_value",
            "predicted_revenue_365d",
        ):
            con.execute(f"ALTER TABLE customer_value DROP COLUMN {column}")
        columns = [r[0] for r in con.execute("DESCRIBE customer_value").fetchall()]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for table in ("churn_status_predictions", "customer_predictions", "clv_model"):
        del manifest["tables"][table]
    manifest["tables"]["customer_value"]["columns"] = columns
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    at = open_page("churn", "en", publish_dir=tmp_path)
    assert not at.exception, [e.value for e in at.exception]
    assert not [m for m in at.metric if "P(alive)" in m.label]
    assert "P(alive)" not in at.dataframe[-1].value.columns
    at = open_page("customer", "en", publish_dir=tmp_path)
    assert not at.exception, [e.value for e in at.exception]
    assert "P(alive)" not in [m.label for m in at.metric]


def test_a_new_release_is_picked_up_without_a_restart(open_page, published_dir, tmp_path):
    _copy_release(published_dir, tmp_path, "first")
    at = open_page("overview", "en", publish_dir=tmp_path)
    before = _metric(at, "Customers")
    second = _copy_release(published_dir, tmp_path, "second")
    with duckdb.connect(str(second / "marts.duckdb")) as con:
        con.execute("UPDATE pareto_summary SET customers = 12345")
    at.run()
    assert before != "12,345"
    assert _metric(at, "Customers") == "12,345"


def test_the_dashboard_holds_no_connection_between_reruns(open_page, published_dir, tmp_path):
    folder = _copy_release(published_dir, tmp_path, "writable")
    for page in PAGES:
        at = open_page(page, "en", publish_dir=tmp_path)
        assert not at.exception
        # A writer (a refresh, a rollback) could open the file now: nothing holds it.
        duckdb.connect(str(folder / "marts.duckdb")).close()


def test_the_dashboard_reads_the_layout_publish_writes():
    assert (published.CURRENT, published.MANIFEST, published.DATABASE) == (
        release.CURRENT,
        release.MANIFEST,
        release.DATABASE,
    )


def test_make_dashboard_serves_on_localhost_at_the_configured_port(monkeypatch, capsys):
    args = command(8765, ["--theme.base", "light"])
    assert args[1:4] == ["-m", "streamlit", "run"] and Path(args[4]) == APP
    assert args[args.index("--server.address") + 1] == "127.0.0.1"
    assert args[args.index("--server.port") + 1] == "8765"
    assert args[args.index("--browser.gatherUsageStats") + 1] == "false"
    assert args[-2:] == ["--theme.base", "light"]
    assert Settings.from_env({}).dashboard_port == 8501
    monkeypatch.setenv("CCP_DASHBOARD_PORT", "99999")
    assert serve([]) == 2
    assert "CCP_DASHBOARD_PORT='99999' is not a TCP port" in capsys.readouterr().err


# A real browser ---------------------------------------------------------------------

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian package `chromium`: apt-get install -y chromium; .ci/run installs it)",
)
READY = """(() => {
  const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"]');
  const drawn = Array.from(charts).filter(c => c.querySelector('canvas, svg')).length;
  const busy = document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]');
  return !busy && drawn >= %d && document.body.innerText.includes(%s);
})()"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def browser(tmp_path):
    chromium = Chromium(CHROMIUM, tmp_path / "chromium-profile")
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def dashboard(published_dir, tmp_path):
    """`make dashboard`'s command on a free port, against the published set."""
    port = _free_port()
    log = (tmp_path / "dashboard.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.dashboard"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "CCP_PUBLISH_DIR": str(published_dir), "CCP_DASHBOARD_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail(f"the dashboard did not start; log:\n{(tmp_path / 'dashboard.log').read_text()[-3000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)
        log.close()


@pytest.mark.slow
@needs_chromium
def test_every_page_renders_in_a_browser(dashboard, browser, published_dir):
    s = marts(published_dir, "SELECT * FROM pareto_summary").iloc[0]
    at_risk = marts(published_dir, "SELECT count(*) AS n FROM customer_value WHERE churn_status = 'at_risk'")["n"][0]
    seen = {"overview": f"{s.customers:,}", "churn": f"{at_risk:,}"}
    for lang in LANGUAGES:
        for page in PAGES:
            browser.goto(f"{dashboard}/?page={page}&lang={lang}")
            title = i18n.t(lang, TITLES[page])
            browser.wait_for(READY % (CHARTS[page], json.dumps(title)))
            text = browser.text()
            assert title in text
            assert i18n.t(lang, f"page.{page}") in text  # the menu, in the same language
            assert seen.get(page, title) in text
            assert not browser.evaluate("document.querySelector('[data-testid=\"stException\"]') !== null")
            browser.screenshot(SCREENSHOTS / f"dashboard-{page}-{lang}.png", scroller='[data-testid="stMain"]')


# The Dagster UI in the same browser: the asset graph as an engineer opens it.
from tests.test_ui import dagster_dev  # noqa: E402, F401  (the fixture that starts `dagster dev`)

SKIP_DIALOG = """(() => {
  const skip = Array.from(document.querySelectorAll('button')).find(b => b.innerText.trim() === 'Skip');
  if (skip) { skip.click(); }
  return true;
})()"""
GROUPS = ("raw", "staging", "intermediate", "predict", "marts", "publish")
# Each group is named in the sidebar's tree and again on its box in the graph.
GRAPH_DRAWN = "(() => { const lines = document.body.innerText.split('\\n'); return %s.every(g => lines.filter(l => l.trim() === g).length >= 2); })()"
MARTS_DRAWN = "%s.every(a => document.body.innerText.includes(a))"


def _open_graph(browser: Chromium, url: str, drawn: str) -> None:
    """Open a page of the Dagster UI and wait until it is drawn and has stayed so for a
    few seconds with the first visit's community dialog skipped."""
    browser.goto(url)
    ready = f"({drawn}) && !document.body.innerText.includes('Join the Dagster community')"
    deadline, since = time.monotonic() + 180, None
    while time.monotonic() < deadline:
        browser.evaluate(SKIP_DIALOG)
        if browser.evaluate(ready):
            since = since or time.monotonic()
            if time.monotonic() - since >= 3:
                return
        else:
            since = None
        time.sleep(0.5)
    pytest.fail(f"the Dagster UI at {url} did not draw: {browser.text()[:2000]!r}")


@pytest.mark.slow
@needs_chromium
def test_the_dagster_ui_draws_the_asset_graph_in_a_browser(dagster_dev, browser):  # noqa: F811 (the fixture)
    port, process, log = dagster_dev
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                break
        except OSError:
            time.sleep(2)
    assert process.poll() is None, log.read_text()[-3000:]
    # The global lineage: one box per group, from raw to publish.
    _open_graph(browser, f"http://127.0.0.1:{port}/asset-groups", GRAPH_DRAWN % json.dumps(list(GROUPS)))
    browser.screenshot(SCREENSHOTS / "dagster-asset-graph.png")
    # The marts group: one box per mart.
    marts_group = f"http://127.0.0.1:{port}/locations/__repository__@core_customers/asset-groups/marts"
    _open_graph(browser, marts_group, MARTS_DRAWN % json.dumps(["customer_value", "pareto_summary", "pareto_curve"]))
    browser.screenshot(SCREENSHOTS / "dagster-asset-graph-marts.png")
