// One customer's pages (part views_record): the customer form's city suggestions follow the
// chosen province, and the USCC field shows only for companies. No inline scripts (CSP).
(function () {
  "use strict";

  var province = document.querySelector("select[data-city-list]");
  if (province) {
    var list = document.getElementById(province.getAttribute("data-city-list"));
    province.addEventListener("change", function () {
      var option = province.options[province.selectedIndex];
      var cities = option ? (option.getAttribute("data-cities") || "").split("|") : [];
      list.replaceChildren();
      cities.forEach(function (city) {
        if (!city) { return; }
        var item = document.createElement("option");
        item.value = city;
        list.appendChild(item);
      });
    });
  }

  var kind = document.querySelector(".crm-customer-form select[name=kind]");
  if (kind) {
    var companyOnly = document.querySelectorAll("[data-customer-kind=company]");
    var sync = function () {
      companyOnly.forEach(function (el) { el.hidden = kind.value !== "company"; });
    };
    kind.addEventListener("change", sync);
    sync();
  }
})();
