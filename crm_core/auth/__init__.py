"""Users, passwords, login and permission checks."""
