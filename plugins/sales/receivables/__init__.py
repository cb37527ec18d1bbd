"""Receivables: payments received (回款) and the ageing page."""
