// Adds the CSRF token to every htmx request, and small progressive enhancements.
// Pages work without this file; nothing here is needed to read or submit a form.
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

  // A division select names its township select (data-townships="id"). The township list keeps only
  // the chosen county's townships; the development zone may name any township; the city none.
  function filterTownships(divisionSelect) {
    var townSelect = document.getElementById(divisionSelect.getAttribute("data-townships"));
    if (!townSelect) {
      return;
    }
    var chosen = divisionSelect.options[divisionSelect.selectedIndex];
    var code = divisionSelect.value;
    var level = chosen ? chosen.getAttribute("data-level") : "";
    var groups = townSelect.querySelectorAll("optgroup[data-county]");
    for (var i = 0; i < groups.length; i++) {
      var show = level === "zone" || (level === "county" && groups[i].getAttribute("data-county") === code);
      groups[i].hidden = !show;
      groups[i].disabled = !show;
    }
    var selected = townSelect.options[townSelect.selectedIndex];
    if (selected && selected.parentNode.disabled) {
      townSelect.value = "";
    }
    townSelect.disabled = !(level === "county" || level === "zone");
  }

  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el.matches("select[data-autosubmit]")) {
      el.form.submit();
    }
    if (el.matches("select[data-townships]")) {
      filterTownships(el);
    }
    if (el.matches(".dropzone input[type=file]")) {
      var text = el.closest(".dropzone").querySelector(".dropzone-text");
      if (text && el.files && el.files.length) {
        text.textContent = el.files[0].name;
        el.closest(".dropzone").classList.add("has-file");
      }
    }
  });

  // A long-running form (a batch run) says so while the server works, and cannot be sent twice.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.matches && form.matches("form[data-busy]")) {
      if (form.classList.contains("busy")) {
        evt.preventDefault();
        return;
      }
      form.classList.add("busy");
    }
  });

  function init() {
    var selects = document.querySelectorAll("select[data-townships]");
    for (var i = 0; i < selects.length; i++) {
      filterTownships(selects[i]);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
