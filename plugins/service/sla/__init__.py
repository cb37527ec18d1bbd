"""Service-level agreements: the working-time calendar that SLA targets are counted in."""
