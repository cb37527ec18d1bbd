"""Demo data for `crm seed`: Chinese companies and people, fast bulk fill."""
