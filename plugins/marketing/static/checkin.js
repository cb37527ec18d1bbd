// The event check-in page: read a ticket's QR code with the camera (the browser's
// BarcodeDetector where it has one, else jsQR on the video's frames) or take a typed code,
// post it, and show the answer (checked in / already checked in at HH:MM / unknown code).
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form) { return; }
  var answer = document.getElementById("checkin-answer");
  var counts = document.getElementById("checkin-counts");
  var video = document.getElementById("checkin-video");
  var canvas = document.getElementById("checkin-canvas");
  var start = document.getElementById("checkin-start");
  var box = document.getElementById("checkin-camera");
  var noCamera = document.getElementById("checkin-nocamera");
  var input = form.querySelector("input[name=code]");
  var classes = {checked_in: "alert-success", already: "alert-warning", unknown: "alert-danger",
                 error: "alert-danger"};
  var busy = false;
  var last = {code: "", at: 0};

  function show(data) {
    answer.className = "alert fs-5 " + (classes[data.status] || "alert-info");
    answer.dataset.status = data.status;
    answer.textContent = data.message;
    if (data.counts && counts) {
      counts.textContent = counts.textContent.replace(/\d+(\D+)\d+/,
        data.counts.checked_in + "$1" + data.counts.registered);
    }
    if (navigator.vibrate) { navigator.vibrate(data.status === "checked_in" ? 80 : [60, 60, 60]); }
  }

  function send(code) {
    var now = Date.now();
    // the camera sees the same ticket many times a second: post it once per 3 seconds
    if (busy || (code === last.code && now - last.at < 3000)) { return; }
    busy = true;
    last = {code: code, at: now};
    var body = new FormData(form);
    body.set("code", code);
    fetch(form.action || window.location.href, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) { return response.json(); })
      .then(show)
      .catch(function () { show({status: "error", message: answer.dataset.offline || "?"}); })
      .then(function () { busy = false; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = (input.value || "").trim();
    if (code) { send(code); input.value = ""; input.focus(); }
  });

  function scanWith(read) {
    function tick() {
      if (video.readyState >= 2) {
        read().then(function (code) { if (code) { send(code.trim()); } })
          .catch(function () {})
          .then(function () { window.setTimeout(tick, 250); });
      } else {
        window.setTimeout(tick, 250);
      }
    }
    tick();
  }

  function detector() {
    if ("BarcodeDetector" in window) {
      var native = new window.BarcodeDetector({formats: ["qr_code"]});
      return function () {
        return native.detect(video).then(function (found) {
          return found.length ? found[0].rawValue : "";
        });
      };
    }
    if (typeof window.jsQR === "function") {
      var context = canvas.getContext("2d", {willReadFrequently: true});
      return function () {
        var width = video.videoWidth, height = video.videoHeight;
        if (!width || !height) { return Promise.resolve(""); }
        canvas.width = width; canvas.height = height;
        context.drawImage(video, 0, 0, width, height);
        var image = context.getImageData(0, 0, width, height);
        var found = window.jsQR(image.data, width, height, {inversionAttempts: "dontInvert"});
        return Promise.resolve(found ? found.data : "");
      };
    }
    return null;
  }

  function startCamera() {
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false})
      .then(function (stream) {
        video.srcObject = stream;
        box.hidden = false;
        start.hidden = true;
        return video.play();
      })
      .then(function () {
        var read = detector();
        if (read) { scanWith(read); } else { noCamera.hidden = false; }
      })
      .catch(function () { noCamera.hidden = false; start.hidden = true; });
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.isSecureContext) {
    start.hidden = false;
    start.addEventListener("click", startCamera);
  } else {
    noCamera.hidden = false;
  }
}());
