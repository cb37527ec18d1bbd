"""Background jobs: the Celery app, the Job record and the progress page."""
