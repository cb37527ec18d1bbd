// The API token page: the "Copy" button puts the new token on the clipboard.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-crm-copy]");
    if (!button) { return; }
    var field = document.querySelector(button.getAttribute("data-crm-copy"));
    if (!field) { return; }
    function done() {
      var label = button.getAttribute("data-copied-label");
      if (label) { button.textContent = label; }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        field.select();
      });
    } else {
      field.select();
      try { if (document.execCommand("copy")) { done(); } } catch (e) { /* the text stays selected */ }
    }
  });
})();
