// The console's only script of its own: countdowns that tick between server renders.
// Green more than an hour to breach, amber within the hour, red once overdue.
(function () {
  "use strict";
  function span(seconds) {
    var sign = seconds < 0 ? "-" : "", s = Math.abs(seconds);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    if (d) return sign + d + "d " + h + "h";
    if (h) return sign + h + "h " + two(m) + "m";
    return sign + m + "m " + two(r) + "s";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = Math.round((Date.parse(el.dataset.due) - now) / 1000);
      el.textContent = span(left);
      el.classList.remove("green", "amber", "red");
      el.classList.add(left < 0 ? "red" : left < 3600 ? "amber" : "green");
    });
  }
  // "Explain the deadlines" explains the draft being edited: it carries the editor's text along.
  function carryDraft() {
    var form = document.getElementById("explain-form"), draft = document.getElementById("draft-text");
    if (form && draft) form.addEventListener("submit", function () {
      document.getElementById("explain-text").value = draft.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); carryDraft(); });
  document.addEventListener("htmx:afterSwap", tick);
})();
