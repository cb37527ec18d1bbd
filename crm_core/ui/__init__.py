"""The UI shell: layout, menu, home page, error pages."""
