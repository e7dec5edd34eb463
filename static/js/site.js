/* Festival desk: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Forms that ask before they are sent (e.g. revoking an API key): data-confirm holds the question.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // Language switcher: change the language as soon as one is picked.
  document.querySelectorAll("form.lang-switch select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
    var button = select.form.querySelector("[data-lang-submit]");
    if (button) { button.hidden = true; }
  });

  // Promotion form: show only the fields the chosen kind needs. Hidden groups are
  // disabled so they are not sent; the server checks the same rule (model clean()).
  function toggleKindGroups(select) {
    var kind = select.value;
    document.querySelectorAll("[data-kind-group]").forEach(function (group) {
      var kinds = group.getAttribute("data-kind-group").split(" ");
      var show = kind !== "" && kinds.indexOf(kind) !== -1;
      group.hidden = !show;
      group.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !show; });
    });
    var none = document.querySelector("[data-kind-none]");
    if (none) { none.hidden = kind !== ""; }
  }
  document.querySelectorAll("select[data-kind-select]").forEach(function (select) {
    select.addEventListener("change", function () { toggleKindGroups(select); });
    toggleKindGroups(select);
  });
  document.querySelectorAll(".kinds-note").forEach(function (note) { note.hidden = true; });

  // Items formset: add a row from the empty template.
  document.querySelectorAll("[data-formset]").forEach(function (container) {
    var prefix = container.getAttribute("data-formset");
    var template = container.querySelector("template[data-empty-form]");
    var body = container.querySelector("[data-formset-body]");
    var button = container.querySelector("[data-formset-add]");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!template || !body || !button || !total) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = body.lastElementChild && body.lastElementChild.querySelector("select, input");
      if (first) { first.focus(); }
    });
  });

  // Uploads: show progress with XMLHttpRequest, then show the server's answer.
  document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var hasFile = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
        return input.files && input.files.length > 0;
      });
      if (!hasFile || !window.FormData || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      var status = form.querySelector("[data-upload-status]");
      var bar = status && status.querySelector("progress");
      var label = status && status.querySelector("[data-upload-label]");
      if (status) { status.hidden = false; }
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      var xhr = new XMLHttpRequest();
      xhr.open(form.method || "POST", form.action || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var percent = Math.round((e.loaded / e.total) * 100);
        if (bar) { bar.value = percent; }
        if (label) { label.textContent = label.getAttribute("data-text") + " " + percent + "%"; }
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL && xhr.responseURL !== window.location.href) {
          window.history.replaceState(null, "", xhr.responseURL);
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
        if (label) { label.textContent = label.getAttribute("data-error"); }
      });
      xhr.send(new FormData(form));
    });
  });

  // Ask before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
