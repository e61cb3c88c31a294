// Adds the CSRF token to every htmx request, and small progressive enhancements.
(function () {
  "use strict";
  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-CSRF-Token"] = token();
  });
  document.addEventListener("click", function (evt) {
    var target = evt.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      evt.preventDefault();
    }
  });
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el.matches("select[data-autosubmit]")) {
      el.form.submit();
    }
  });
})();
