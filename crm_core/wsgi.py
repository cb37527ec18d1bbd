"""WSGI entry point for gunicorn: ``gunicorn crm_core.wsgi:app``."""

from crm_core.app import create_app

app = create_app()
