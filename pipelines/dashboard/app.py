"""The dashboard's entry point: `make dashboard`, or `streamlit run pipelines/dashboard/app.py`.

Reads the settings (CCP_PUBLISH_DIR, CCP_DBT_VARS) once per rerun, finds the live
release of the published set and draws the chosen page in the chosen language. The
page and the language are in the address (`?page=churn&lang=zh`), so a view can be
bookmarked and shared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st
import yaml

from pipelines.core.paths import DBT_PROJECT_DIR
from pipelines.core.settings import Settings, SettingsError
from pipelines.dashboard import controls, data, i18n
from pipelines.dashboard.context import PageContext
from pipelines.dashboard.published import Release, ReleaseGone, live_release
from pipelines.dashboard.views import PAGES

# How often an open page checks whether a refresh published a new release.
WATCH_SECONDS = 30
DEFAULT_CURRENCY = "CNY"
RETRIED = "_release_gone_retried"


def business_settings(settings: Settings) -> dict[str, Any]:
    """The dbt vars the marts were built with: the project defaults, under the
    deployment's overrides (CCP_DBT_VARS)."""
    try:
        project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    except OSError:
        project = {}
    return {**(project.get("vars") or {}), **dict(settings.dbt_vars)}


def reporting_currency(release: Release, business: dict[str, Any]) -> str:
    """The currency of every amount: the release's own word when it has one, else the setting."""
    return str(release.manifest.get("reporting_currency") or business.get("reporting_currency") or DEFAULT_CURRENCY)


def _language() -> str:
    return controls.radio(
        "lang",
        i18n.t(i18n.DEFAULT_LANGUAGE, "app.language"),
        list(i18n.LANGUAGES),
        i18n.LANGUAGES.get,
        container=st.sidebar,
        horizontal=True,
    )


def _release_info(lang: str, release: Release, currency: str, publish_dir: Path) -> None:
    published = (release.published_at or "–").replace("T", " ")[:16]
    st.sidebar.caption(
        i18n.t(lang, "app.release", as_of=release.as_of_date or "–", published=published)
        + "  \n"
        + i18n.t(lang, "app.currency", currency=currency),
        help=i18n.t(lang, "app.release_help", release=release.release_id, folder=publish_dir),
    )


@st.fragment(run_every=WATCH_SECONDS)
def _watch(publish_dir: Path, shown: str | None) -> None:
    """Redraw the whole page when the live release is no longer the one shown."""
    live = live_release(publish_dir)
    if (live.release_id if live else None) != shown:
        st.rerun(scope="app")


def main() -> None:
    st.set_page_config(page_title="Core customers · 核心客户", page_icon=":material/groups:", layout="wide")
    lang = _language()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        st.error(str(exc))
        return
    st.sidebar.title(i18n.t(lang, "app.title"))
    release = live_release(settings.publish_dir)
    if release is None:
        st.title(i18n.t(lang, "app.empty.title"))
        st.info(i18n.t(lang, "app.empty.body", folder=settings.publish_dir))
        _watch(settings.publish_dir, None)
        return

    code = controls.radio(
        "page",
        i18n.t(lang, "app.pages"),
        list(PAGES),
        lambda c: i18n.t(lang, f"page.{c}"),
        container=st.sidebar,
    )
    business = business_settings(settings)
    currency = reporting_currency(release, business)
    _release_info(lang, release, currency, settings.publish_dir)

    page = PAGES[code]
    controls.keep_only(getattr(page, "PARAMS", ()))
    missing = [table for table in page.REQUIRES if not release.has_table(table)]
    if missing:
        st.header(i18n.t(lang, f"page.{code}"))
        st.warning(i18n.t(lang, "app.missing", tables=", ".join(missing)))
    else:
        try:
            page.render(PageContext(data.Data(release), lang, currency, business))
            st.session_state.pop(RETRIED, None)
        except ReleaseGone:
            # Pruned while this page read it: the next run finds the live release.
            data.clear()
            if st.session_state.pop(RETRIED, None) is None:
                st.session_state[RETRIED] = True
                st.rerun()
            raise
    _watch(settings.publish_dir, release.release_id)


main()
