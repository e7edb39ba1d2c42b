// Staff order on behalf (/orders/new/): offer only the chosen service's forms (variants).
// The form's variant <select> carries data-groups = {service pk: optgroup label}; the
// server also narrows the list once a service is posted and refuses a foreign variant.
(function () {
  "use strict";
  function sync(service, variant) {
    var groups = JSON.parse(variant.getAttribute("data-groups") || "{}");
    var label = groups[service.value];
    variant.querySelectorAll("optgroup").forEach(function (group) {
      var shown = group.label === label;
      group.hidden = !shown;
      group.disabled = !shown;
    });
    var picked = variant.selectedOptions[0];
    if (picked && picked.parentElement.tagName === "OPTGROUP" && picked.parentElement.disabled) {
      variant.value = "";
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var service = document.getElementById("id_service_type");
    var variant = document.getElementById("id_variant");
    if (!service || !variant) return;
    service.addEventListener("change", function () { sync(service, variant); });
    sync(service, variant);
  });
})();
