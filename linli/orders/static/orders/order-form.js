// Resident order form (/me/services/<code>/): when 今天 is the chosen day, hide and
// disable the start times that have already gone by; show them again for other days.
// The server renders the same state for the day it preselects and rejects past slots.
(function () {
  "use strict";
  function sync(form) {
    var times = form.querySelector("[data-today]");
    if (!times) return;
    var picked = form.querySelector('input[name="slot_date"]:checked');
    var today = picked && picked.value === times.getAttribute("data-today");
    times.querySelectorAll("[data-past-today]").forEach(function (label) {
      var input = label.querySelector("input");
      label.hidden = today;
      input.disabled = today;
      if (today && input.checked) input.checked = false;
    });
  }
  // 堂食预约 (dine_in) is a canteen booking: show its wording instead of the home visit's.
  function wording(form) {
    var picked = form.querySelector('input[name="variant"]:checked');
    if (!picked) return;
    var dine = picked.value === "dine_in";
    form.querySelectorAll("[data-for-dine-in]").forEach(function (el) { el.hidden = !dine; });
    form.querySelectorAll("[data-for-visit]").forEach(function (el) { el.hidden = dine; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("order-form");
    if (!form) return;
    form.addEventListener("change", function (event) {
      if (event.target.name === "slot_date") sync(form);
      if (event.target.name === "variant") wording(form);
    });
    sync(form);
    wording(form);
  });
})();
