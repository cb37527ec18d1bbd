"""The forecast page (``/sales/forecast``) and the sales targets (``/sales/targets``)."""
