"""Print pages of quotes and orders: what a company sends, "Print to PDF" as a clean A4."""
