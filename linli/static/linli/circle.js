/* 15分钟便民服务圈 map (/cockpit/circle/): buildings covered (green circle, ✓) or not
 * (red square, ✕), newly covered by the what-if (hollow circle, +), facilities of the chosen
 * kind (blue 「设」) and the others (outlined 「他」), the proposed site (「拟」). No base map:
 * positions only. A click on the map fills the what-if form with the point (WGS-84). The
 * data comes from the page (json_script "circle-data"); the same facts are in the tables. */
(function () {
  "use strict";

  function icon(cls, text, size) {
    return L.divIcon({
      className: "",
      html: '<span class="cc-mark ' + cls + '" aria-hidden="true">' + text + "</span>",
      iconSize: [size, size],
      iconAnchor: [size / 2, size / 2],
    });
  }

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function start() {
    var holder = document.getElementById("circle-map");
    var source = document.getElementById("circle-data");
    if (!holder || !source || typeof L === "undefined") return;
    var data = JSON.parse(source.textContent);
    var map = L.map(holder, { zoomControl: true, attributionControl: false });
    var bounds = [];

    if (data.boundary) {
      var outline = L.geoJSON(data.boundary, {
        style: { color: "#12355b", weight: 2, fill: false, dashArray: "6 4" },
        interactive: false,
      }).addTo(map);
      var b = outline.getBounds();
      if (b.isValid()) bounds.push(b.getSouthWest(), b.getNorthEast());
    }

    data.buildings.forEach(function (item) {
      var cls = item.covered ? (item.newly ? "cc-new" : "cc-in") : "cc-out";
      var mark = item.covered ? (item.newly ? "+" : "✓") : "✕";
      var state = item.covered ? (item.newly ? "试算后新覆盖" : "已覆盖") : "未覆盖";
      var minutes = item.minutes == null ? "无此类设施" : item.minutes + " 分钟";
      L.marker([item.lat, item.lng], { icon: icon(cls, mark, 22), title: item.name + "（" + state + "）" })
        .bindPopup(
          "<strong>" + esc(item.name) + "</strong><br>" + esc(state) + "，最近 " + esc(minutes) +
          "<br>" + esc(item.households) + " 户，60岁以上 " + esc(item.elders) + " 人"
        )
        .addTo(map);
      bounds.push([item.lat, item.lng]);
    });

    data.facilities.forEach(function (item) {
      var chosen = item.chosen;
      L.marker([item.lat, item.lng], {
        icon: icon(chosen ? "cc-fac" : "cc-other", chosen ? "设" : "他", chosen ? 26 : 22),
        title: item.name + "（" + item.label + "）",
        zIndexOffset: chosen ? 500 : 0,
      })
        .bindPopup("<strong>" + esc(item.name) + "</strong><br>" + esc(item.label))
        .addTo(map);
    });

    if (data.proposed) {
      L.marker([data.proposed.lat, data.proposed.lng], {
        icon: icon("cc-proposed", "拟", 28),
        title: data.proposed.name + "（拟建）",
        zIndexOffset: 1000,
      })
        .bindPopup("<strong>" + esc(data.proposed.name) + "</strong><br>拟建位置（试算）")
        .addTo(map);
      bounds.push([data.proposed.lat, data.proposed.lng]);
    }

    if (bounds.length) {
      map.fitBounds(L.latLngBounds(bounds).pad(0.05));
    } else {
      map.setView([38.47, 106.23], 14);
    }

    map.on("click", function (event) {
      var lat = document.getElementById("circle-lat");
      var lng = document.getElementById("circle-lng");
      var crs = document.getElementById("circle-crs");
      if (!lat || !lng) return;
      lat.value = event.latlng.lat.toFixed(6);
      lng.value = event.latlng.lng.toFixed(6);
      if (crs) crs.value = "wgs84";
      lat.focus();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
