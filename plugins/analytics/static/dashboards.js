// A dashboard's arrangement for its owner: drag a tile by its handle (SortableJS) or change
// its width/height select; the whole layout is saved at once (POST .../layout, JSON, CSRF
// token in a header). The up/down, size and remove forms work without this script too.
(function () {
  "use strict";
  var board = document.getElementById("crm-widgets");
  if (!board || board.dataset.editable !== "true") { return; }
  var status = document.getElementById("an-status");
  var token = document.querySelector("meta[name=csrf-token]").content;

  function say(message, kind) {
    status.textContent = message;
    status.className = "alert alert-" + kind;
  }

  function layout() {
    return Array.prototype.map.call(board.querySelectorAll(".an-tile"), function (tile) {
      return { id: Number(tile.dataset.tileId), width: Number(tile.dataset.width),
               height: tile.dataset.height };
    });
  }

  function save() {
    fetch(board.dataset.layoutUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": token },
      body: JSON.stringify({ tiles: layout() })
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (body) {
      say(body.message || board.dataset.msgSaved, "success");
      arrows();
    }).catch(function () { say(board.dataset.msgFailed, "danger"); });
  }

  // the first tile cannot move up, the last one not down
  function arrows() {
    var tiles = board.querySelectorAll(".an-tile");
    Array.prototype.forEach.call(tiles, function (tile, index) {
      var buttons = tile.querySelectorAll(".an-tools form button[type=submit]");
      if (buttons.length >= 2) {
        buttons[0].disabled = index === 0;
        buttons[1].disabled = index === tiles.length - 1;
      }
    });
  }

  if (window.Sortable) {
    window.Sortable.create(board, { handle: ".an-drag", draggable: ".an-tile", animation: 150,
                                    onEnd: function (event) {
                                      if (event.oldIndex !== event.newIndex) { save(); }
                                    } });
  }

  board.querySelectorAll(".an-size").forEach(function (form) {
    var apply = form.querySelector(".an-size-apply");
    if (apply) { apply.hidden = true; }  // a change applies at once
    form.querySelectorAll("select[data-size]").forEach(function (select) {
      select.addEventListener("change", function () {
        var tile = form.closest(".an-tile");
        var key = select.dataset.size;
        tile.classList.remove("an-" + key.charAt(0) + "-" + tile.dataset[key]);
        tile.dataset[key] = select.value;
        tile.classList.add("an-" + key.charAt(0) + "-" + select.value);
        save();
      });
    });
  });
}());
