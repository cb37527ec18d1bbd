"""The customers list page: filters, sorting, the saved-view picker and bulk actions."""
