// The UI shell's behaviour: CSRF for htmx, the collapsible sidebar, the search box's
// dropdown (keyboard accessible), and confirmation of destructive forms. No inline scripts:
// every page loads this file, so a strict Content-Security-Policy stays possible.
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]');

  // htmx requests that change something carry the CSRF token as a header (Flask-WTF reads it).
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (csrf && event.detail.verb !== "get") {
      event.detail.headers["X-CSRFToken"] = csrf.content;
    }
  });

  // Forms with data-confirm="Question?" ask before they submit (delete, disable, revoke...).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Desktop: the sidebar collapses to icons. The choice is kept in a cookie so the server
  // renders the next page collapsed already (no flash of the wide sidebar).
  var toggle = document.querySelector(".crm-sidebar-toggle");
  function setCollapsed(collapsed) {
    document.body.classList.toggle("crm-sidebar-collapsed", collapsed);
    if (!toggle) { return; }
    var label = toggle.getAttribute(collapsed ? "data-label-expand" : "data-label-collapse");
    toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
    toggle.setAttribute("aria-label", label);
    toggle.setAttribute("title", label);
  }
  if (toggle) {
    setCollapsed(document.body.classList.contains("crm-sidebar-collapsed"));
    toggle.addEventListener("click", function () {
      var collapsed = !document.body.classList.contains("crm-sidebar-collapsed");
      setCollapsed(collapsed);
      document.cookie = "crm_sidebar=" + (collapsed ? "collapsed" : "open") +
        "; path=/; max-age=31536000; samesite=lax";
    });
  }

  // The search box: htmx fills #crm-search-suggest as you type; this shows it and lets the
  // arrow keys, Enter and Escape work it (the ARIA combobox pattern, focus stays in the box).
  var input = document.getElementById("crm-search-input");
  var menu = document.getElementById("crm-search-suggest");
  if (!input || !menu) { return; }

  function options() {
    return Array.prototype.slice.call(menu.querySelectorAll(".crm-suggest-item, .crm-suggest-all"));
  }
  function activeIndex() {
    return options().findIndex(function (el) { return el.classList.contains("active"); });
  }
  function highlight(index) {
    var all = options();
    all.forEach(function (el, i) {
      var on = i === index;
      el.classList.toggle("active", on);
      el.setAttribute("aria-selected", on ? "true" : "false");
      if (!el.id) { el.id = "crm-search-option-x" + i; }
    });
    if (index >= 0 && all[index]) {
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function open() {
    if (!menu.children.length || !input.value.trim()) { close(); return; }
    menu.classList.add("show");
    input.setAttribute("aria-expanded", "true");
  }
  function close() {
    menu.classList.remove("show");
    input.setAttribute("aria-expanded", "false");
    highlight(-1);
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target === menu || (event.detail && event.detail.target === menu)) {
      highlight(-1);
      open();
    }
  });
  input.addEventListener("input", function () { if (!input.value.trim()) { close(); } });
  input.addEventListener("focus", function () { if (input.value.trim()) { open(); } });
  input.addEventListener("keydown", function (event) {
    var count = options().length;
    var index = activeIndex();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!menu.classList.contains("show")) { open(); }
      if (!count) { return; }
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      highlight(index < 0 ? (step > 0 ? 0 : count - 1) : (index + step + count) % count);
    } else if (event.key === "Enter" && index >= 0) {
      event.preventDefault();
      window.location.assign(options()[index].href);
    } else if (event.key === "Escape") {
      if (menu.classList.contains("show")) {
        event.preventDefault();
        close();
      }
    }
  });
  menu.addEventListener("mousemove", function (event) {
    var item = event.target.closest(".crm-suggest-item, .crm-suggest-all");
    if (item) { highlight(options().indexOf(item)); }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".crm-search")) { close(); }
  });
  input.closest("form").addEventListener("focusout", function (event) {
    if (!event.relatedTarget || !event.currentTarget.contains(event.relatedTarget)) { close(); }
  });
})();
