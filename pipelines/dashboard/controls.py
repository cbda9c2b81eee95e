"""Choices kept in the page's address (`?page=churn&lang=zh&customer=C0000420`), by code,
so that a link opens the same view in any language and survives a language switch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

# Choices the app itself keeps; a page adds its own and every other one is dropped.
APP_PARAMS = ("lang", "page")


def _remember(name: str, options: Sequence[str], default: str) -> None:
    """On a session's first run the address decides; afterwards the widget's own state."""
    if st.session_state.get(name) not in options:
        wanted = st.query_params.get(name)
        st.session_state[name] = wanted if wanted in options else default


def _publish(name: str, value: str, default: str) -> None:
    if value == default:
        st.query_params.pop(name, None)
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def radio(
    name: str,
    label: str,
    options: Sequence[str],
    format_func: Callable[[Any], str],
    *,
    container: Any = None,
    **options_kw: Any,
) -> str:
    default = options[0]
    _remember(name, options, default)
    value = (container or st).radio(label, list(options), format_func=format_func, key=name, **options_kw)
    _publish(name, value, default)
    return value


def selectbox(name: str, label: str, options: Sequence[str], **options_kw: Any) -> str:
    default = options[0]
    _remember(name, options, default)
    value = st.selectbox(label, list(options), key=name, **options_kw)
    _publish(name, value, default)
    return value


def keep_only(names: Sequence[str]) -> None:
    """Drop choices of other pages from the address."""
    for name in list(st.query_params.keys()):
        if name not in APP_PARAMS and name not in names:
            del st.query_params[name]
