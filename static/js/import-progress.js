// Import progress: ask the server every second how far the import has got, update
// the <progress> bar and its text, and reload the page once it has finished.
(function () {
  "use strict";
  var section = document.querySelector(".import-progress[data-status-url]");
  if (!section) { return; }
  var url = section.getAttribute("data-status-url");
  var bar = document.getElementById("import-progress-bar");
  var text = document.getElementById("import-progress-text");

  function show(data) {
    bar.max = Math.max(data.total_rows, 1);
    bar.value = data.processed_rows;
    bar.textContent = data.processed_rows + " of " + data.total_rows;
    text.textContent = data.processed_rows.toLocaleString("en-GB") + " of " +
      data.total_rows.toLocaleString("en-GB") + " rows written. Nothing is final until every row is in.";
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
