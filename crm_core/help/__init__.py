"""The staff manual inside the app (``/help``) and the "?" link of every page.

Pages come from the ``crm_help_pages`` hook (``pages.py``): the kernel's own manual in
``docs/manual`` (``manual.py``) and any plugin's. They are Markdown rendered by
markdown-it-py and sanitised by nh3 (``render.py``), served offline to any signed-in user in
their language (``views.py``).
"""
