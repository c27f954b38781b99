// Keeps the "Sent by SMS" guide under a staff text box up to date while typing. The server renders the
// same guide (civicwatch/messaging/segments.py), so the page works without this script.
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "^{}\\[~]|€\f";

  function measure(text) {
    var chars = Array.from(text);
    var gsm7 = chars.every(function (ch) { return BASIC.indexOf(ch) >= 0 || EXTENDED.indexOf(ch) >= 0; });
    var units = gsm7
      ? chars.reduce(function (n, ch) { return n + (EXTENDED.indexOf(ch) >= 0 ? 2 : 1); }, 0)
      : text.length;  // UTF-16 code units, as a JavaScript string counts them
    var single = gsm7 ? 160 : 70;
    var joined = gsm7 ? 153 : 67;
    return {gsm7: gsm7, units: units, single: single,
            segments: units <= single ? 1 : Math.ceil(units / joined)};
  }

  function guide(text, prefix, suffix) {
    var length = measure(prefix + text + suffix);
    var room = length.single - measure(prefix + suffix).units;
    var texts = length.segments === 1 ? "1 text" : length.segments + " texts";
    var kind = length.gsm7 ? "" : " (it has characters such as emoji or accents outside the basic SMS set)";
    return "Sent by SMS: 1 text holds " + room + " characters" + kind + "; this one: " + texts + ".";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sms-for]").forEach(function (hint) {
      var box = document.getElementById(hint.getAttribute("data-sms-for"));
      if (!box) { return; }
      var prefix = hint.getAttribute("data-sms-prefix") || "";
      var suffix = hint.getAttribute("data-sms-suffix") || "";
      var ending = suffix ? " The text ends with \"" + suffix.trim() + "\"" : "";
      box.addEventListener("input", function () {
        // Line ends travel as one character each, as the server stores them.
        hint.textContent = guide(box.value.replace(/\r\n?/g, "\n"), prefix, suffix) + ending;
      });
    });
  });
}());
