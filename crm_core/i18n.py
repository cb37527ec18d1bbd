"""Chinese and English: Flask-Babel with the user's language, else ``Accept-Language``."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_babel import Babel
from flask_login import current_user

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
KERNEL_TRANSLATIONS = Path(__file__).resolve().parent / "translations"

babel = Babel()


def select_locale() -> str:
    """The user's chosen language, else a ``crm_lang`` cookie, else the browser's best match."""
    user_locale = getattr(current_user, "locale", None)
    if user_locale in LANGUAGES:
        return user_locale
    cookie = request.cookies.get("crm_lang")
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(list(LANGUAGES), default="en")


def translation_directories(app: Flask) -> list[str]:
    """The kernel's catalog folder and every enabled plugin's ``translations/`` folder."""
    folders = [KERNEL_TRANSLATIONS]
    for record in app.extensions["crm"].enabled:
        if record.package_path is not None and (record.package_path / "translations").is_dir():
            folders.append(record.package_path / "translations")
    return [str(folder) for folder in folders]


def init_app(app: Flask) -> None:
    """Install Flask-Babel with every enabled plugin's catalogs."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories(app))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel.init_app(app, locale_selector=select_locale)
