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
            segments: units <= single ? 1 : joinedSegments(chars, gsm7, joined)};
  }

  // A character of two units (an escape and its septet, a surrogate pair) is never parted between segments.
  function joinedSegments(chars, gsm7, size) {
    var segments = 1, used = 0;
    chars.forEach(function (ch) {
      var width = gsm7 ? (EXTENDED.indexOf(ch) >= 0 ? 2 : 1) : ch.length;
      if (used + width > size) { segments += 1; used = 0; }
      used += width;
    });
    return segments;
  }

  // The sentences come translated from the page (data-sms-gsm7, -ucs2, -texts-one, -texts-many).
  function guide(hint, text, prefix, suffix) {
    var length = measure(prefix + text + suffix);
    var room = length.single - measure(prefix + suffix).units;
    var texts = length.segments === 1 ? hint.getAttribute("data-sms-texts-one")
      : hint.getAttribute("data-sms-texts-many").replace("{count}", length.segments);
    return hint.getAttribute(length.gsm7 ? "data-sms-gsm7" : "data-sms-ucs2")
      .replace("{room}", room).replace("{texts}", texts);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sms-for]").forEach(function (hint) {
      var box = document.getElementById(hint.getAttribute("data-sms-for"));
      if (!box) { return; }
      var prefix = hint.getAttribute("data-sms-prefix") || "";
      var suffix = hint.getAttribute("data-sms-suffix") || "";
      var ending = hint.hasAttribute("data-sms-ending") ? " " + hint.getAttribute("data-sms-ending") : "";
      box.addEventListener("input", function () {
        // Line ends travel as one character each, as the server stores them.
        hint.textContent = guide(hint, box.value.replace(/\r\n?/g, "\n"), prefix, suffix) + ending;
      });
    });
  });
}());
