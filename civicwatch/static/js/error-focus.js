// Staff pages: a form sent back with errors takes the keyboard and the screen reader to its error summary,
// which may be far down a long case page. Without this script the summary is still there, linked to each field.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  });
})();
