"""The public request form: customers write in without signing in (``/service/form``, per
company ``/service/form/<key>``, embeddable), and follow their request on a status page behind
a signed link (``/service/status/<token>``). See docs/service.md, "The public form"."""
