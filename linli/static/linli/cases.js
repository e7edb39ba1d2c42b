/* Case pages: "use my location" (browser Geolocation, WGS-84) and the building search.
   Both are enhancements: without JavaScript the buttons stay hidden and the lists work. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    document.querySelectorAll("[data-locate]").forEach(function (button) {
      if (!("geolocation" in navigator)) { return; }
      button.hidden = false;
      var lat = document.querySelector(button.dataset.lat);
      var lng = document.querySelector(button.dataset.lng);
      var status = document.querySelector(button.dataset.status);
      button.addEventListener("click", function () {
        status.textContent = "正在定位…";
        navigator.geolocation.getCurrentPosition(function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lng.value = position.coords.longitude.toFixed(6);
          status.textContent = "已定位（精度约 " + Math.round(position.coords.accuracy) + " 米）";
          lat.form.dispatchEvent(new Event("change", { bubbles: true }));
        }, function () {
          status.textContent = button.dataset.fail || "无法定位，请选择楼栋";
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    });
    // The duplicate hint reloads when the place changes. This replaces an htmx trigger
    // filter, which htmx evaluates with eval() and the CSP (no 'unsafe-eval') refuses.
    document.querySelectorAll("[data-place-fields]").forEach(function (target) {
      var names = target.dataset.placeFields.split(" ");
      var form = target.closest("form");
      if (!form) { return; }
      form.addEventListener("change", function (event) {
        if (event.target === form || names.indexOf(event.target.name) !== -1) {
          target.dispatchEvent(new CustomEvent("linli:place-change"));
        }
      });
    });
    document.querySelectorAll("[data-filter]").forEach(function (input) {
      input.hidden = false;
      var items = document.querySelectorAll(input.dataset.filter);
      var empty = input.dataset.empty ? document.querySelector(input.dataset.empty) : null;
      input.addEventListener("input", function () {
        var q = input.value.trim();
        var shown = 0;
        items.forEach(function (item) {
          item.hidden = q !== "" && item.textContent.indexOf(q) === -1 && !item.querySelector(":checked");
          if (!item.hidden) { shown += 1; }
        });
        if (empty) {
          // Next to the search box, so the sticky submit bar at the bottom never covers it.
          empty.hidden = shown > 0;
          empty.textContent = shown > 0 ? "" : empty.dataset.text.replace("{q}", q);
          if (shown === 0) { empty.scrollIntoView({ block: "nearest" }); }
        }
      });
    });
  });
})();
