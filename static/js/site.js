/* Festival desk: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Forms that ask before they are sent (revoking an API key, withdrawing a promotion):
  // data-confirm holds the question. Bound once, so the question is asked once.
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

  // Promotion form: the arithmetic of each item row. Asks the portal (a small JSON
  // endpoint over the honest-price engine) for the reference price, the price the
  // terms give (percent off / amount off) and the minimum-discount verdict. A price
  // the script filled in follows the terms; one the merchant typed is kept. A typed
  // price lower than the terms give is allowed: the note says what consumers pay.
  document.querySelectorAll("form[data-price-hint-url]").forEach(function (form) {
    var url = form.getAttribute("data-price-hint-url");
    var body = form.querySelector("[data-formset-body]");
    if (!url || !body || !window.fetch) { return; }
    function value(name) {
      var input = form.querySelector("[name=" + name + "]");
      return input && !input.disabled ? input.value : "";
    }
    function refreshRow(row) {
      var product = row.querySelector("select[name$=-product]");
      var price = row.querySelector("input[name$=-promo_price]");
      var reference = row.querySelector("[data-price-reference]");
      var verdict = row.querySelector("[data-price-verdict]");
      if (!product || !price || !reference || !verdict) { return; }
      if (!product.value) { reference.textContent = "—"; verdict.textContent = ""; verdict.className = ""; return; }
      var params = new URLSearchParams({
        product: product.value, kind: value("kind"), starts_at: value("starts_at"),
        percent_off: value("percent_off"), amount_off: value("amount_off")
      });
      var own = price.value && price.getAttribute("data-filled") !== price.value;
      if (own) { params.set("promo_price", price.value); }
      var ticket = String(Date.now()) + Math.random();
      row.setAttribute("data-ticket", ticket);
      fetch(url + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (row.getAttribute("data-ticket") !== ticket) { return; }
          if (data.error) { reference.textContent = "—"; verdict.textContent = data.error; verdict.className = "verdict verdict-fail"; return; }
          reference.textContent = data.reference_price ? "¥" + data.reference_price + " · " + data.reference_source_label : data.reference_source_label;
          // The merchant may have typed while the answer was on its way: keep what they typed.
          var typed = price.value && price.getAttribute("data-filled") !== price.value;
          if (!own && !typed) {
            if (data.computed_price) {
              price.value = data.computed_price;
              price.setAttribute("data-filled", data.computed_price);
            } else if (price.getAttribute("data-filled")) {
              price.value = "";
              price.removeAttribute("data-filled");
            }
          }
          verdict.textContent = "";
          var main = document.createElement("span");
          main.textContent = data.message;
          verdict.appendChild(main);
          (data.notes || []).forEach(function (note) {
            var p = document.createElement("small");
            // A deeper price than the terms is explained, not warned about.
            p.className = data.deeper_than_terms ? "verdict-note verdict-note-info" : "verdict-note";
            p.textContent = note;
            verdict.appendChild(p);
          });
          verdict.className = "verdict verdict-" + data.verdict;
        })
        .catch(function () { verdict.textContent = ""; });
    }
    function refreshAll() { body.querySelectorAll("[data-item-row]").forEach(refreshRow); }
    var timer = null;
    function later(fn) { window.clearTimeout(timer); timer = window.setTimeout(fn, 250); }
    body.addEventListener("change", function (event) {
      var row = event.target.closest("[data-item-row]");
      if (row) { refreshRow(row); }
    });
    body.addEventListener("input", function (event) {
      var row = event.target.closest("[data-item-row]");
      if (row && event.target.name && /-promo_price$/.test(event.target.name)) { later(function () { refreshRow(row); }); }
    });
    ["kind", "starts_at", "percent_off", "amount_off"].forEach(function (name) {
      var input = form.querySelector("[name=" + name + "]");
      if (!input) { return; }
      input.addEventListener("change", refreshAll);
      input.addEventListener("input", function () { later(refreshAll); });
    });
    refreshAll();
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

  // A form shown only on request (e.g. withdraw and its reason): the button reveals it.
  document.querySelectorAll("[data-reveal]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-reveal"));
    if (!target) { return; }
    target.hidden = true;
    button.hidden = false;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", target.id);
    button.addEventListener("click", function () {
      target.hidden = !target.hidden;
      button.setAttribute("aria-expanded", String(!target.hidden));
      var field = target.querySelector("input, textarea");
      if (!target.hidden && field) { field.focus(); }
    });
  });

  // Copy buttons (e.g. a new API key, shown once).
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied");
      });
    });
  });

})();
