// The merge page: when another customer is chosen to keep, each field takes that customer's
// value where it has one (as the page's defaults do), and the confirmation names the customer
// kept and those that go to the trash. No inline scripts (CSP).
(function () {
  "use strict";

  var form = document.querySelector(".crm-merge-form");
  var template = document.getElementById("crm-merge-summary-template");
  if (!form || !template) {
    return;
  }
  var summary = form.querySelector(".crm-merge-summary");
  var targets = form.querySelectorAll(".crm-merge-target");

  function label(radio) {
    return radio.getAttribute("data-code") + " " + radio.getAttribute("data-name");
  }

  function update() {
    var kept = "";
    var others = [];
    targets.forEach(function (radio) {
      if (radio.checked) {
        kept = label(radio);
      } else {
        others.push(label(radio));
      }
    });
    summary.textContent = template.content.textContent.replace("{kept}", kept)
      .replace("{others}", others.join(", "));
  }

  function preferTarget(targetId) {
    form.querySelectorAll(".crm-merge-value").forEach(function (radio) {
      if (radio.value === targetId && radio.getAttribute("data-filled") === "1") {
        radio.checked = true;
      }
    });
  }

  targets.forEach(function (radio) {
    radio.addEventListener("change", function () {
      preferTarget(radio.value);
      update();
    });
  });
  update();
}());
