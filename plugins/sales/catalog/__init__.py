"""The catalogue: products, price lists and the prices a customer pays (``pricing``)."""
