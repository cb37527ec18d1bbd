"""Service teams and their members: the settings pages (service.team.manage)."""
