"""Contracts (SalesContract): records, approval, payment plan, expiry and renewal."""
