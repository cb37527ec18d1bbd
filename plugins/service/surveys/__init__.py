"""Satisfaction surveys after a ticket is resolved (the signed single-use link, the public
page, the answers on the ticket, the team's figures and the low-score alert) and the
managers' internal service evaluations (服务评价). See docs/service.md, "Surveys"."""
