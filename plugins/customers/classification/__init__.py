"""Customer types, tags, amount bands, regions and the settings pages for them."""
