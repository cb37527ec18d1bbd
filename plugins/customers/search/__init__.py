"""Finding customers: the search index (Chinese fragments, pinyin initials, phones,
e-mails) and the search services."""
