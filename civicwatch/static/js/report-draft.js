// The report form's draft. By default it lives only in this page (memory): nothing is written to the device,
// because a shared or seized phone could show it to someone else. Only when the citizen ticks "Save a draft on
// this device" is it kept in localStorage, without contact details or files, and shown with a "Clear it"
// button. Sending the report, clearing, unticking or "Leave this site quickly" (quick_exit.js) removes it.
// Offline, pressing "Send report" keeps everything on the page instead of losing it to a browser error.
(function () {
  "use strict";
  var KEY = "civicwatch:report-draft";
  var FIELDS = ["text", "incident_date", "area", "location_text", "reported_actor", "danger_now"];

  function storage() {
    try { return window.localStorage; } catch (ignored) { return null; }  // disabled or private mode
  }

  function values(form) {
    var draft = {};
    FIELDS.forEach(function (name) {
      var field = form.elements[name];
      if (field) { draft[name] = field.value || ""; }
    });
    return draft;
  }

  function restore(form, draft) {
    FIELDS.forEach(function (name) {
      var field = form.elements[name];
      if (!field || typeof draft[name] !== "string") { return; }
      if (field instanceof RadioNodeList) {
        Array.prototype.forEach.call(field, function (radio) { radio.checked = radio.value === draft[name]; });
      } else if (!field.value) {
        field.value = draft[name];
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.report-form");
    var panel = document.querySelector("[data-draft]");
    var store = storage();
    if (!form || !panel || !store) { return; }
    var consent = panel.querySelector("[data-draft-save]");
    var status = panel.querySelector("[data-draft-status]");
    var offline = panel.querySelector("[data-draft-offline]");
    var sent = false;

    function show(saved) {
      consent.checked = saved;
      status.hidden = !saved;
    }
    function save() {
      if (!consent.checked || sent) { return; }
      try { store.setItem(KEY, JSON.stringify(values(form))); show(true); } catch (ignored) { show(false); }
    }
    function clear() {
      store.removeItem(KEY);
      show(false);
    }

    panel.hidden = false;
    var kept = store.getItem(KEY);
    if (kept) {
      try { restore(form, JSON.parse(kept)); show(true); } catch (ignored) { clear(); }
    }
    consent.addEventListener("change", function () { if (consent.checked) { save(); } else { clear(); } });
    panel.querySelector("[data-draft-clear]").addEventListener("click", function () { clear(); consent.focus(); });
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function (event) {
      if (navigator.onLine === false) {
        event.preventDefault();
        offline.hidden = false;
        offline.focus();
        return;
      }
      offline.hidden = true;
      sent = true;
      clear();  // once sent, nothing of it stays on the device
    });
  });
})();
