// Small enhancements for the intake pages; every page works without them.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll(".js-hide").forEach(function (element) { element.hidden = true; });
});
