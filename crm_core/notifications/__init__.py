"""Notifications: ``notify`` writes one per user in the caller's transaction and hands it to
the channels each user chose for its kind (in-app, e-mail, or a plugin's own); the bell,
the notification centre, the preferences page and ``/api/v1/notifications`` read them back.
"""
