// Small enhancements for the intake pages; every page works without them, and the server checks everything.
(function () {
  "use strict";
  var MAX_FILES = 5;
  var MAX_BYTES = 10 * 1024 * 1024;

  // The words come from the page, in its language (data-too-many, data-too-large); English if a page lacks them.
  function words(input, name, fallback, values) {
    var text = input.getAttribute(name) || fallback;
    Object.keys(values).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }

  function fileProblems(input) {
    var problems = [];
    if (input.files.length > MAX_FILES) {
      problems.push(words(input, "data-too-many", "Choose at most {max} files. You chose {chosen}.",
                          {max: MAX_FILES, chosen: input.files.length}));
    }
    Array.prototype.forEach.call(input.files, function (file) {
      if (file.size > MAX_BYTES) {
        problems.push(words(input, "data-too-large",
                            "“{name}” is larger than 10 MB. Send a smaller photo or a shorter document.",
                            {name: file.name}));
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
