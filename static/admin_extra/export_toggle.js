// The export page's "select all" toggle (templates/admin/import_export/export.html):
// bound here because the Content Security Policy blocks inline event handlers.
document.addEventListener("change", (event) => {
  if (event.target.matches("input.select-toggle") && typeof onSelectToggleChange === "function") {
    onSelectToggleChange(event);
  }
});
