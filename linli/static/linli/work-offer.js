/* /work/: tick the offer's countdown once a second, and refresh the offer area (htmx)
   when the time is up. The page already says the deadline as text; this only keeps the
   seconds current. Counted from the server's figure and the page's own clock, so a
   phone whose clock is wrong still shows the right number. */
(function () {
  "use strict";
  var started = new WeakMap();
  function tick() {
    document.querySelectorAll("[data-seconds-left]").forEach(function (el) {
      if (!started.has(el)) { started.set(el, Date.now()); }
      var total = parseInt(el.dataset.secondsLeft, 10);
      var left = Math.max(0, total - Math.floor((Date.now() - started.get(el)) / 1000));
      if (String(left) !== el.textContent) { el.textContent = String(left); }
      if (left === 0 && !el.dataset.done) {
        el.dataset.done = "1";
        var area = document.getElementById("offer-area");
        if (area && window.htmx) { window.htmx.trigger(area, "refresh"); }
      }
    });
  }
  setInterval(tick, 1000);
})();
