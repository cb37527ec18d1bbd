// System → Custom fields, the field form: the options box is shown only for the choice types
// (single and multiple choice); the other types have no options. No inline script (the CSP).
(function () {
  "use strict";
  var type = document.querySelector("select[name=type]");
  var options = document.querySelector("[data-cf-options]");
  if (!type || !options) { return; }
  var choices = (options.getAttribute("data-cf-options") || "").split(" ");
  function show() {
    var needed = choices.indexOf(type.value) >= 0;
    options.hidden = !needed;
    options.querySelectorAll("textarea").forEach(function (box) { box.disabled = !needed; });
  }
  type.addEventListener("change", show);
  show();
}());
