/* The try-it console of /api: Swagger UI (vendored, assets/vendor/swagger-ui)
 * over the portal's OpenAPI description. Started here rather than by an inline
 * script, which the Content-Security-Policy refuses. No request leaves the
 * portal: the online validator badge is off (validatorUrl: null). */
(function () {
  "use strict";
  function start() {
    var node = document.getElementById("swagger-ui");
    if (!node || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    window.territoireApiConsole = window.SwaggerUIBundle({
      url: node.getAttribute("data-spec-url"),
      domNode: node,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      deepLinking: false,
      validatorUrl: null,
      queryConfigEnabled: false,
      displayOperationId: true,
      docExpansion: "none",
      filter: true,
      tryItOutEnabled: false,
      defaultModelsExpandDepth: 0
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
