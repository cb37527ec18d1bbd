"""Event campaigns (会议): a public registration page with capacity and questions, tickets
with a QR code, and check-in by phone camera or typed code (see ``part``)."""
