// Customer settings: paint each tag's badge in its colour, with black or white text
// (whichever reads better), and repaint it while the colour picker beside it changes.
(function () {
  "use strict";

  function textColour(hex) {
    var n = parseInt(hex.slice(1), 16);
    var r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
    // perceived brightness (ITU-R BT.601)
    return (r * 299 + g * 587 + b * 114) / 1000 > 150 ? "#000" : "#fff";
  }

  function paint(badge, hex) {
    if (!/^#[0-9a-fA-F]{6}$/.test(hex || "")) { return; }
    badge.style.backgroundColor = hex;
    badge.style.color = textColour(hex);
  }

  document.querySelectorAll(".crm-tag-swatch[data-colour]").forEach(function (badge) {
    paint(badge, badge.getAttribute("data-colour"));
    var row = badge.closest(".list-group-item");
    var picker = row && row.querySelector("input[type=color]");
    if (picker) {
      picker.addEventListener("input", function () { paint(badge, picker.value); });
    }
  });
})();
