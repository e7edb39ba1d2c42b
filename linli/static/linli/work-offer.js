/* /work/: the offer area. Ticks the countdown once a second and refreshes the area (htmx)
   when the time is up; when a new offer arrives by polling, the phone vibrates (where the
   browser allows) and the tab title says so. The page already states the deadline as text;
   this only keeps the seconds current, counted from the server's figure and the page's own
   clock, so a phone whose clock is wrong still shows the right number. */
(function () {
  "use strict";
  var started = new WeakMap();
  var title = document.title;

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

  document.addEventListener("htmx:afterSwap", function (event) {
    var area = document.getElementById("offer-area");
    if (!area || !area.contains(event.detail.elt)) { return; }
    var waiting = area.querySelector(".offer-accept") !== null;
    document.title = waiting ? "【新派单】" + title : title;
    if (waiting && navigator.vibrate) { navigator.vibrate([300, 150, 300]); }
  });

  setInterval(tick, 1000);
})();
