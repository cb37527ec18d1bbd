// The customer list: select-all on the page, the selection count, the segment picker and
// tag colours. Loaded as a file (no inline scripts), so a strict CSP stays possible.
(function () {
  "use strict";

  var selectPage = document.getElementById("select-page");
  var counter = document.getElementById("selected-count");
  var rowChecks = function () { return document.querySelectorAll("input.row-check"); };

  function refreshCount() {
    var checks = rowChecks();
    var ticked = 0;
    checks.forEach(function (box) { if (box.checked) { ticked += 1; } });
    if (counter) { counter.textContent = String(ticked); }
    if (selectPage) {
      selectPage.checked = ticked > 0 && ticked === checks.length;
      selectPage.indeterminate = ticked > 0 && ticked < checks.length;
    }
    var selected = document.getElementById("scope-selected");
    var all = document.getElementById("scope-all");
    if (ticked > 0 && selected && all && all.checked === false) { selected.checked = true; }
  }

  if (selectPage) {
    selectPage.addEventListener("change", function () {
      rowChecks().forEach(function (box) { box.checked = selectPage.checked; });
      refreshCount();
    });
  }
  rowChecks().forEach(function (box) { box.addEventListener("change", refreshCount); });
  refreshCount();

  // Choosing a segment shows it at once (the Show button stays for keyboard users).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Phones: the filter panel covers the list, so after "Apply filters" the page opens with
  // the panel closed (the Filters button shows how many are set); it stays open when a
  // filter was refused, so the user sees why.
  var panel = document.getElementById("filters");
  if (panel && panel.classList.contains("show") && !panel.querySelector(".is-invalid") &&
      window.matchMedia("(max-width: 767.98px)").matches) {
    panel.classList.remove("show");
    document.querySelectorAll('[data-bs-target="#filters"]').forEach(function (button) {
      button.setAttribute("aria-expanded", "false");
      button.classList.add("collapsed");
    });
  }

  // The city's suggestions follow the province: a new province brings its cities (the
  // server's list, customers.filter_cities) and clears a city of another province.
  var province = document.querySelector("select[data-cities]");
  var city = document.getElementById("city");
  var cityOptions = document.getElementById("city-options");
  if (province && city && cityOptions) {
    province.addEventListener("change", function () {
      var url = province.getAttribute("data-cities") + "?province=" +
        encodeURIComponent(province.value);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : {cities: []}; })
        .then(function (data) {
          var cities = data.cities || [];
          cityOptions.textContent = "";
          cities.forEach(function (name) {
            var option = document.createElement("option");
            option.value = name;
            cityOptions.appendChild(option);
          });
          if (city.value && province.value && cities.indexOf(city.value) === -1) {
            city.value = "";
          }
        })
        .catch(function () { /* the city stays free text */ });
    });
  }

  // Tag badges take their colour, with dark or light text for contrast.
  document.querySelectorAll(".crm-tag[data-colour]").forEach(function (badge) {
    var colour = badge.getAttribute("data-colour") || "";
    if (!/^#[0-9a-fA-F]{6}$/.test(colour)) { return; }
    var r = parseInt(colour.slice(1, 3), 16);
    var g = parseInt(colour.slice(3, 5), 16);
    var b = parseInt(colour.slice(5, 7), 16);
    badge.classList.remove("text-bg-secondary");
    badge.style.backgroundColor = colour;
    badge.style.color = (r * 299 + g * 587 + b * 114) / 1000 > 150 ? "#212529" : "#fff";
  });
}());
