"""A customer's 360° page: basics, contacts, the contact-record timeline with other plugins'
entries, follow-ups, other plugins' panels, and the routes that add, change and delete
contact records on it."""
