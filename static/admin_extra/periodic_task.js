/* django-celery-beat's periodic task form: shows the chosen crontab in words (was an inline script). */
(function () {
  "use strict";
  var script = document.getElementById("periodic-task-overrides");
  var data = document.getElementById("readable-crontabs");
  if (!script || !data || !window.django || !window.django.jQuery) { return; }
  var $ = window.django.jQuery;
  var readableCrontabs = JSON.parse(data.textContent);
  var originalHelp = script.getAttribute("data-crontab-help") || "";
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var help = $(".field-crontab .help");
    help.text(originalHelp);
    help.append(document.createElement("br"));
    help.append(document.createTextNode("Translation: " + (readableCrontabs[$("#id_crontab").val()] || "")));
  });
})();
