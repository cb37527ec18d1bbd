"""Lines of quotes and orders: parsing and checking (``parsing``), the editor (``editor``,
``templates/sales/lines/_editor.html``, ``static/lines.js``)."""
