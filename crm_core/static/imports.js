// Import page: while the import job runs, the kernel's progress bar (htmx) refreshes itself;
// once it reports done or failed, reload this page (once per job) so it shows the result.
// On the mapping form, Enter in the template name saves the template.
(function () {
  "use strict";

  // Enter in the template name saves the template (not the form's first button, "Check").
  var templateName = document.getElementById("template_name");
  if (templateName) {
    templateName.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        document.querySelector("button[value=save_template]").click();
      }
    });
  }

  var running = document.querySelector("[data-import-running]");
  if (!running) { return; }
  var key = "crm-import-reloaded-" + running.getAttribute("data-import-running");

  document.body.addEventListener("htmx:afterSwap", function () {
    var state = document.querySelector("#job-progress .job-state");
    var finished = state && ["done", "failed"].indexOf(state.getAttribute("data-state")) >= 0;
    // Once only: should the import still say "running" after its job ended (the job died
    // before the import could record it), stay on the page instead of reloading forever.
    if (finished && !window.sessionStorage.getItem(key)) {
      window.sessionStorage.setItem(key, "1");
      window.setTimeout(function () { window.location.reload(); }, 500);
    }
  });
})();
