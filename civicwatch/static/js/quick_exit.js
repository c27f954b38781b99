// "Leave this site quickly": replace this page in the history, so that Back does not return to it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-quick-exit]") : null;
    if (!link) { return; }
    event.preventDefault();
    try {
      window.sessionStorage.clear();
      window.localStorage.removeItem("civicwatch:report-draft");  // a draft saved by report-draft.js
    } catch (ignored) { /* storage may be disabled */ }
    window.location.replace(link.href);
  });
})();
