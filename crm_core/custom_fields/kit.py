"""``toolkit.custom_fields``: what a plugin whose pages are its own (not a generated
Resource) calls to carry custom fields everywhere its built-in fields go.

- ``clean_values(session, kind, incoming, current, user=, new=)``: check what a form, the
  API or an import sends; raises ``CustomValueError`` naming ``custom.<key>``.
- ``visible_fields`` / ``editable_fields(session, kind, user)``: the definitions a user sees
  or changes; ``active_fields(session, kind)``: all active ones.
- ``form_class_with`` / ``fill_form`` / ``submitted``: form inputs (``web``);
  ``detail_sections``: the detail page's values.
- ``parse_filters`` / ``conditions`` / ``filter_args``: list and API filters
  (``?custom.<key>=``, ``_min``/``_max``, ``_from``/``_to``); ``sort_expression``: a sort.
- ``sort_fields`` / ``sort_field(session, kind, "custom.<key>", user)``: the fields a list
  may sort by; ``sorted_page(session, statement, kind, field, descending=, limit=,
  cursor=, before=)``: a keyset page by one through its index, the empty values last
  (``sorting``); ``is_custom_sort``, ``SortChoice`` (an API's ``sort`` validator).
- ``set_custom_args(args)``: the ``custom.<...>`` arguments of a query string that are set;
  ``kind_of_model(model)``: a model's record kind (None: it takes no custom fields).
- ``api_values(fields, custom)``: the API's ``custom`` object; ``shown_values``: page texts.
- ``locale()``: the reader's language as labels are keyed (``zh_CN``/``en``).
- ``import_columns`` / ``export_columns``: labels (both languages) and texts for import
  mapping and export (``records``).
"""

from __future__ import annotations

from .records import (
    api_values,
    export_columns,
    import_columns,
    import_value,
    set_custom_args,
    sort_expression,
)
from .sorting import SortChoice, is_custom_sort, sort_field, sort_fields, sorted_page
from .storage import RecordKind, kind_of_model, record_kinds
from .types import TYPES, as_text, display
from .values import (
    PREFIX,
    CustomValueError,
    active_fields,
    clean_values,
    conditions,
    editable_fields,
    filter_args,
    locale,
    parse_filters,
    shown_values,
    visible_fields,
)
from .web import detail_sections, fill_form, form_class_with, sections, submitted

__all__ = ["PREFIX", "TYPES", "CustomValueError", "RecordKind", "SortChoice", "active_fields",
           "api_values", "as_text", "clean_values", "conditions", "detail_sections", "display",
           "editable_fields", "export_columns", "fill_form", "filter_args", "form_class_with",
           "import_columns", "import_value", "is_custom_sort", "kind_of_model", "locale",
           "parse_filters", "record_kinds", "sections", "set_custom_args", "shown_values",
           "sort_expression", "sort_field", "sort_fields", "sorted_page", "submitted",
           "visible_fields"]
