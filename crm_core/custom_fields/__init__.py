"""Custom fields: administrators add fields to records without code or migrations.

- ``models``: the definitions (``core_custom_field``)
- ``types``: the types, reading, checking and showing values
- ``storage``: the ``custom`` JSON column (``toolkit.custom_column``), the migration helpers
  (``toolkit.add_custom_column``) and the expression indexes of filterable fields
- ``service``: adding, changing, archiving and restoring definitions
- ``values``: checking a record's values, list filters (``?custom.<key>=``), showing them
- ``web``: form inputs and detail sections; ``records``: what a Resource's pages, API,
  import and export add; ``openapi``: the ``custom`` objects of the OpenAPI document
- ``api`` / ``admin``: ``/api/v1/custom-fields`` and System → Custom fields
- ``kit``: ``toolkit.custom_fields``, what a plugin with its own pages calls
"""
