// The line editor of quotes and orders (sales/lines/_editor.html): add and remove rows,
// fill a chosen product's price and VAT rate as hints, and show each line's total and the
// document's totals as sales.money works them out (integer fen, half-up). The server
// works them out again on save: these figures are a preview.
(function () {
  "use strict";

  // "19.99" → 1999n at scale 100; null when not a number with at most `places` decimals
  function scaled(text, places) {
    var value = String(text || "").trim().replace(/[,，\s%¥￥]/g, "");
    var match = /^(\d{1,15})(?:\.(\d*))?$/.exec(value);
    if (!match || (match[2] || "").length > places) return null;
    var fraction = (match[2] || "").padEnd(places, "0");
    return BigInt(match[1] + fraction);
  }

  function halfUp(numerator, denominator) {  // both >= 0
    var quotient = numerator / denominator;
    return (numerator % denominator) * 2n >= denominator ? quotient + 1n : quotient;
  }

  function yuan(fen) {
    var text = fen.toString().padStart(3, "0");
    return text.slice(0, -2) + "." + text.slice(-2);
  }

  function lineAmounts(row) {
    var get = function (name) { return row.querySelector('[data-field="' + name + '"]'); };
    var option = get("product_id").selectedOptions[0];
    var hasProduct = option && option.value;
    var quantity = scaled(get("quantity").value, 3);
    var priceText = get("unit_price").value.trim() ||
      (hasProduct ? option.getAttribute("data-price") : "");
    var price = scaled(priceText, 2);
    var discountText = get("discount_percent").value.trim();
    var discount = discountText ? scaled(discountText, 2) : 0n;
    var rateText = get("tax_rate").value.trim() ||
      (hasProduct ? option.getAttribute("data-tax") : "0");
    var rate = scaled(rateText, 2);
    if (quantity === null || quantity === 0n || price === null || discount === null ||
        rate === null || discount > 10000n || rate > 10000n) return null;
    var gross = halfUp(quantity * price * (10000n - discount), 1000n * 10000n);
    if (hasProduct && option.getAttribute("data-includes") === "1") {
      var subtotal = halfUp(gross * 10000n, 10000n + rate);
      return { subtotal: subtotal, tax: gross - subtotal, total: gross };
    }
    var tax = halfUp(gross * rate, 10000n);
    return { subtotal: gross, tax: tax, total: gross + tax };
  }

  function refresh(editor) {
    var sums = { untaxed: 0n, tax: 0n, total: 0n };
    editor.querySelectorAll("[data-line]").forEach(function (row) {
      var amounts = lineAmounts(row);
      var cell = row.querySelector("[data-line-total]");
      cell.textContent = amounts ? yuan(amounts.total) : "";
      if (amounts) {
        sums.untaxed += amounts.subtotal;
        sums.tax += amounts.tax;
        sums.total += amounts.total;
      }
    });
    Object.keys(sums).forEach(function (name) {
      var cell = editor.querySelector('[data-sum="' + name + '"]');
      if (cell) cell.textContent = yuan(sums[name]);
    });
  }

  function hint(row) {  // the chosen product's price and rate as the inputs' placeholders
    var option = row.querySelector('[data-field="product_id"]').selectedOptions[0];
    var price = row.querySelector('[data-field="unit_price"]');
    var rate = row.querySelector('[data-field="tax_rate"]');
    if (option && option.value) {
      price.placeholder = option.getAttribute("data-price");
      rate.placeholder = option.getAttribute("data-tax");
    }
  }

  function addRow(editor) {
    var rows = editor.querySelector("[data-line-rows]");
    if (rows.children.length >= Number(editor.getAttribute("data-max") || 500)) return;
    var next = Number(editor.getAttribute("data-next") || rows.children.length);
    editor.setAttribute("data-next", String(next + 1));
    var template = editor.querySelector("template[data-line-template]");
    var html = template.innerHTML.replace(/__n__/g, String(next));
    rows.insertAdjacentHTML("beforeend", html);
    var added = rows.lastElementChild;
    var first = added && added.querySelector("select, input");
    if (first) first.focus();
    refresh(editor);
  }

  function setUp(editor) {
    var rows = editor.querySelector("[data-line-rows]");
    editor.setAttribute("data-next", String(rows.children.length));
    rows.querySelectorAll("[data-line]").forEach(hint);
    editor.addEventListener("input", function () { refresh(editor); });
    editor.addEventListener("change", function (event) {
      var row = event.target.closest("[data-line]");
      if (row && event.target.getAttribute("data-field") === "product_id") hint(row);
      refresh(editor);
    });
    editor.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-remove-line]");
      if (remove) {
        var row = remove.closest("[data-line]");
        var focusNext = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        if (focusNext) focusNext.querySelector("select, input").focus();
        refresh(editor);
      } else if (event.target.closest("[data-add-line]")) {
        addRow(editor);
      }
    });
    // Enter in a line's last input adds a line instead of sending the form
    editor.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.getAttribute("data-field") === "tax_rate") {
        event.preventDefault();
        addRow(editor);
      }
    });
    refresh(editor);
  }

  document.querySelectorAll("[data-lines]").forEach(setUp);
})();
