// Live parts of the fleet dashboard: each .live element is refreshed from its data-src
// every data-every seconds. A signed-out answer (401) sends the page back to sign-in;
// a network failure shows a note and keeps the last figures until central answers again.
"use strict";
(function () {
  function refresh(el) {
    var every = (parseFloat(el.dataset.every) || 5) * 1000;
    function tick() {
      fetch(el.dataset.src, {credentials: "same-origin", cache: "no-store",
                             headers: {"Accept": "text/html"}})
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }
          if (!r.ok) { throw new Error("HTTP " + r.status); }
          return r.text();
        })
        .then(function (html) {
          if (html !== null) { el.innerHTML = html; el.classList.remove("stale"); }
        })
        .catch(function () {
          el.classList.add("stale");
          el.setAttribute("data-note", el.dataset.lost || "");
        })
        .finally(function () { window.setTimeout(tick, every); });
    }
    window.setTimeout(tick, every);
  }
  document.querySelectorAll(".live").forEach(refresh);
})();
