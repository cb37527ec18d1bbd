/* The sales kanban: load each column's cards, move cards by drag (SortableJS) or with the
   card's "Move to" select, ask for a field the stage requires, keep the headers current. */
(function () {
  "use strict";
  var board = document.getElementById("kanban");
  if (!board) { return; }
  var status = document.getElementById("kanban-status");
  var texts = document.getElementById("kanban-texts").dataset;
  var token = document.querySelector("meta[name=csrf-token]").content;
  var mayMove = board.dataset.mayMove === "true";

  function say(message, kind) {
    status.textContent = message;
    status.className = "alert alert-" + (kind || "success");
  }

  function fragment(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content;
  }

  function load(list, url, replace) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        if (replace) { replace.remove(); } else { list.innerHTML = ""; }
        list.appendChild(fragment(html));
        list.setAttribute("aria-busy", "false");
      })
      .catch(function () { say(texts.failed, "danger"); });
  }

  function updateHeaders(headers) {
    Object.keys(headers).forEach(function (stageId) {
      var count = board.querySelector(".sales-count[data-stage-id='" + stageId + "']");
      var amount = board.querySelector(".sales-amount[data-stage-id='" + stageId + "']");
      if (count) { count.textContent = headers[stageId].count; }
      if (amount) { amount.textContent = headers[stageId].amount; }
    });
  }

  function fixEmpty(list) {
    var cards = list.querySelectorAll(".sales-card").length;
    var empty = list.querySelector(".sales-kanban-empty");
    if (cards && empty) { empty.remove(); }
  }

  function askFor(card, answer, stageId, back) {
    var box = card.querySelector(".sales-missing");
    if (!box) { say(answer.message, "danger"); return; }
    box.innerHTML = "";
    var message = document.createElement("div");
    message.className = "small text-danger mb-1";
    message.setAttribute("role", "alert");
    message.textContent = answer.message;
    box.appendChild(message);
    if (!answer.field) { return; }
    var input = document.createElement(answer.kind === "textarea" ? "textarea" : "input");
    input.className = "form-control form-control-sm mb-1";
    input.name = answer.field;
    input.setAttribute("aria-label", answer.label || answer.field);
    input.required = true;
    if (answer.kind === "date") { input.type = "date"; }
    if (answer.kind === "amount") { input.inputMode = "decimal"; }
    if (answer.kind === "text") { input.type = "text"; }
    var save = document.createElement("button");
    save.type = "button";
    save.className = "btn btn-sm btn-primary";
    save.textContent = texts.save;
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn btn-sm btn-link";
    cancel.textContent = texts.cancel;
    box.appendChild(input);
    box.appendChild(save);
    box.appendChild(cancel);
    input.focus();
    save.addEventListener("click", function () {
      var extra = {};
      extra[answer.field] = input.value;
      move(card, stageId, extra, back);
    });
    cancel.addEventListener("click", function () { box.innerHTML = ""; card.focus(); });
  }

  function move(card, stageId, extra, back) {
    var body = new URLSearchParams();
    body.set("stage", stageId);
    Object.keys(extra || {}).forEach(function (name) { body.set(name, extra[name]); });
    var form = card.querySelector("form.sales-move");
    card.classList.add("sales-saving");
    return fetch(form.action, {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"Accept": "application/json", "X-CSRFToken": token}
    }).then(function (response) {
      return response.json().then(function (answer) { return {ok: response.ok, answer: answer}; });
    }).then(function (result) {
      card.classList.remove("sales-saving");
      if (!result.ok) {
        if (back) { back(); }
        askFor(card, result.answer, stageId, null);
        return;
      }
      var answer = result.answer;
      var target = board.querySelector(".sales-kanban-cards[data-stage-id='" + answer.stage_id + "']");
      var fresh = fragment(answer.card).firstElementChild;
      if (target && card.parentNode !== target) { target.insertBefore(card, target.firstChild); }
      card.replaceWith(fresh);
      if (target) { fixEmpty(target); }
      updateHeaders(answer.headers);
      say(answer.message, "success");
      fresh.focus();
    }).catch(function () {
      card.classList.remove("sales-saving");
      if (back) { back(); }
      say(texts.failed, "danger");
    });
  }

  board.addEventListener("submit", function (event) {
    var form = event.target.closest("form.sales-move");
    if (!form) { return; }
    event.preventDefault();
    var card = form.closest(".sales-card");
    var stageId = form.querySelector("select[name=stage]").value;
    if (stageId !== card.dataset.stageId) { move(card, stageId, {}, null); }
  });

  board.addEventListener("click", function (event) {
    var more = event.target.closest("[data-more-url]");
    if (!more) { return; }
    var item = more.closest(".sales-kanban-more");
    load(item.parentNode, more.dataset.moreUrl, item);
  });

  board.querySelectorAll(".sales-kanban-cards").forEach(function (list) {
    load(list, list.dataset.cardsUrl, null);
    if (!mayMove || typeof Sortable === "undefined") { return; }
    Sortable.create(list, {
      group: "sales-kanban", draggable: ".sales-card", filter: "select, input, textarea, button, a",
      preventOnFilter: false, animation: 120,
      onEnd: function (event) {
        if (event.from === event.to) { return; }
        var card = event.item;
        var from = event.from;
        var next = from.children[event.oldIndex] || null;
        fixEmpty(event.to);
        move(card, event.to.dataset.stageId, {}, function () { from.insertBefore(card, next); });
      }
    });
  });

  var pipeline = document.getElementById("kanban-pipeline");
  if (pipeline) {
    pipeline.addEventListener("change", function () {
      window.location.assign(pipeline.dataset.boardUrl.replace(/0$/, pipeline.value));
    });
  }
}());
