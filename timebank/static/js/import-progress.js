// Import progress: ask the server every second how far the import has got, update
// the <progress> bar and its text, and reload the page once it has finished. The
// words come from the page (data-bar-text, data-progress-text), in its language.
(function () {
  "use strict";
  var section = document.querySelector(".import-progress[data-status-url]");
  if (!section) { return; }
  var url = section.getAttribute("data-status-url");
  var bar = document.getElementById("import-progress-bar");
  var text = document.getElementById("import-progress-text");
  var language = document.documentElement.lang || "en-GB";
  var barText = section.getAttribute("data-bar-text") || "{done} of {total}";
  var progressText = section.getAttribute("data-progress-text") ||
    "{done} of {total} rows written. Nothing is final until every row is in.";

  function fill(template, done, total) {
    return template.replace("{done}", done).replace("{total}", total);
  }

  function show(data) {
    bar.max = Math.max(data.total_rows, 1);
    bar.value = data.processed_rows;
    bar.textContent = fill(barText, data.processed_rows, data.total_rows);
    text.textContent = fill(progressText, data.processed_rows.toLocaleString(language),
      data.total_rows.toLocaleString(language));
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 3000); return; }
        show(data);
        if (data.finished) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
