// /api/docs: Swagger UI from the vendored bundle, reading this server's openapi.json.
// No validator badge (it would call an outside server); writes made with the session carry
// the CSRF token, as the API requires.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]');
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    requestInterceptor: function (request) {
      var auth = request.headers && (request.headers.Authorization || request.headers.authorization);
      if (csrf && !auth) { request.headers["X-CSRFToken"] = csrf.content; }
      return request;
    }
  });
})();
