// Small enhancements for the intake pages; every page works without them, and the server checks everything.
(function () {
  "use strict";
  var MAX_FILES = 5;
  var MAX_BYTES = 10 * 1024 * 1024;

  function fileProblems(input) {
    var problems = [];
    if (input.files.length > MAX_FILES) {
      problems.push("Choose at most " + MAX_FILES + " files. You chose " + input.files.length + ".");
    }
    Array.prototype.forEach.call(input.files, function (file) {
      if (file.size > MAX_BYTES) {
        problems.push("“" + file.name + "” is larger than 10 MB. Send a smaller photo or a shorter document.");
      }
    });
    return problems;
  }

  // Say so before a slow upload that would be refused anyway.
  function checkFilesBeforeUpload(input) {
    var note = document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    note.hidden = true;
    input.parentNode.insertBefore(note, input);
    function check() {
      var problems = fileProblems(input);
      note.textContent = problems.join(" ");
      note.hidden = problems.length === 0;
      return problems.length === 0;
    }
    input.addEventListener("change", check);
    input.form.addEventListener("submit", function (event) {
      if (!check()) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll(".js-hide").forEach(function (element) { element.hidden = true; });
    document.querySelectorAll("input[type=file]").forEach(checkFilesBeforeUpload);
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  });
})();
