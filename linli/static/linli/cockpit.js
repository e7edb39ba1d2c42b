/* The cockpit map (/cockpit/): Leaflet layers fetched as GeoJSON, polled for changes.
 *
 * Configuration comes from the page's <script id="cockpit-config"> (views_map.home):
 * area code, layer and version URLs, poll interval, optional tile layer (url, attribution,
 * crs — the server already converted every coordinate to the tiles' CRS).
 *
 * Every pollSeconds the layers' version hashes are fetched; only layers whose hash changed
 * are fetched again. A failed update keeps the last data and says so in #cockpit-status.
 * Clicking a child area's polygon drills in without reloading the page (history entry,
 * picker and KPI panels swapped by htmx); clicking a case/alert/order marker opens its
 * detail page. Colour is never the only cue: every marker carries a character and the
 * overdue cases a different shape.
 */
(function () {
  "use strict";

  var configNode = document.getElementById("cockpit-config");
  if (!configNode || typeof L === "undefined") {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var state = {
    area: config.area,
    versions: {},
    groups: {},
    lastOk: null,
    fitted: false,
    timer: null,
    busy: false,
  };

  var map = L.map("cockpit-map", {
    zoomSnap: 0.25,
    preferCanvas: false,
    attributionControl: true,
  });
  map.attributionControl.setPrefix(false);
  if (config.tiles && config.tiles.url) {
    L.tileLayer(config.tiles.url, {
      attribution: config.tiles.attribution || "",
      maxZoom: 19,
    }).addTo(map);
  }
  map.setView([38.5, 106.2], 12);

  var statusNode = document.getElementById("cockpit-status");

  // Beijing time, as the server's panels show it, whatever the browser's own time zone.
  var BEIJING = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
  });
  function clock(date) {
    return BEIJING.format(date);
  }
  function setStatus(text, failed) {
    statusNode.textContent = text;
    statusNode.classList.toggle("cockpit-status-failed", !!failed);
  }
  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function layerUrl(name) {
    return config.layerUrl.replace("__name__", name) + "?area=" + encodeURIComponent(state.area);
  }

  /* Markers on the same spot (a case, an alert and an order at one building) are fanned
     out on a small ring so none hides another; slot 0 sits on the point itself. */
  var occupied = {};
  function slotFor(layer, coordinates, seen) {
    var key = coordinates[0].toFixed(6) + "," + coordinates[1].toFixed(6);
    var slot = seen[key] || 0;
    seen[key] = slot + 1;
    Object.keys(occupied).forEach(function (other) {
      if (other !== layer && occupied[other][key]) {
        slot += occupied[other][key];
      }
    });
    return slot;
  }
  function occupy(layer, seen) {
    occupied[layer] = seen;
  }

  function icon(kind, text, label, slot) {
    var dx = 0;
    var dy = 0;
    if (slot) {
      var angle = (slot - 1) * (Math.PI / 3) - Math.PI / 2;
      var radius = 26 + 14 * Math.floor((slot - 1) / 6);
      dx = Math.round(Math.cos(angle) * radius);
      dy = Math.round(Math.sin(angle) * radius);
    }
    return L.divIcon({
      className: "ck-marker-wrap ck-marker-" + kind,
      html: '<span class="ck-marker ' + label + '" aria-hidden="true">' + text + "</span>",
      iconSize: [28, 28],
      iconAnchor: [14 - dx, 14 - dy],
    });
  }

  function marker(latlng, opts) {
    var m = L.marker(latlng, {
      icon: icon(opts.layer, opts.text, opts.cls, opts.slot),
      title: opts.title,
      alt: opts.title,
      keyboard: !!opts.url,
      interactive: true,
      riseOnHover: true,
    });
    m.bindTooltip(opts.tooltip, { direction: "top", offset: [0, -12] });
    if (opts.url) {
      m.on("click", function () {
        window.location.href = opts.url;
      });
    }
    return m;
  }

  var builders = {
    areas: function (data) {
      var group = L.featureGroup();
      var order = { inner: 2, child: 1, self: 0 };
      var features = data.features.slice().sort(function (a, b) {
        return order[a.properties.role] - order[b.properties.role];
      });
      features.forEach(function (feature) {
        var p = feature.properties;
        var style = {
          self: { color: "#1d4ed8", weight: 3, fill: false, interactive: false },
          child: { color: "#1e3a8a", weight: 2, fillColor: "#93c5fd", fillOpacity: 0.18 },
          inner: { color: "#475569", weight: 1, dashArray: "4 4", fill: false, interactive: false },
        }[p.role];
        var layer = L.geoJSON(feature, { style: style });
        layer.eachLayer(function (shape) {
          shape.feature = feature;
          if (p.role === "child") {
            shape.bindTooltip(
              escapeHtml(p.name) + "（" + escapeHtml(p.kind_label) + "）<br>事件 " + p.cases +
                "（超期 " + p.overdue + "）" +
                // alerts / orders are absent for users without the care / orders right
                (p.alerts === undefined ? "" : " · 告警 " + p.alerts) +
                (p.orders === undefined ? "" : " · 订单 " + p.orders) +
                "<br>点击进入",
              { sticky: true }
            );
            shape.on("click", function () {
              selectArea(p.code, true);
            });
            shape.on("add", function () {
              var path = shape.getElement && shape.getElement();
              if (path) {
                path.setAttribute("data-area", p.code);
                path.setAttribute("data-kind", p.kind);
              }
            });
          }
          if (p.role === "self") {
            state.selfBounds = shape.getBounds();
          }
        });
        group.addLayer(layer);
      });
      return { group: group, count: data.features.filter(function (f) {
        return f.properties.role === "child";
      }).length };
    },
    cases: function (data) {
      var group = L.featureGroup();
      var seen = {};
      data.features.forEach(function (f) {
        var p = f.properties;
        var c = f.geometry.coordinates;
        var slot = slotFor("cases", c, seen);
        var late = p.overdue;
        group.addLayer(
          marker([c[1], c[0]], {
            layer: "cases",
            slot: slot,
            cls: late ? "ck-case ck-overdue" : "ck-case",
            text: late ? "<b>超</b>" : "事",
            url: p.url,
            title: "事件 " + p.number + (late ? "（已超期）" : ""),
            tooltip: escapeHtml(p.number) + " " + escapeHtml(p.category) + "<br>" +
              escapeHtml(p.status_label) + (late ? " · <strong>已超期</strong>" : ""),
          })
        );
      });
      occupy("cases", seen);
      return { group: group, count: data.properties.count, note: data.properties.overdue ?
        "，超期 " + data.properties.overdue : "" };
    },
    alerts: function (data) {
      var group = L.featureGroup();
      var seen = {};
      data.features.forEach(function (f) {
        var p = f.properties;
        var c = f.geometry.coordinates;
        var slot = slotFor("alerts", c, seen);
        group.addLayer(
          marker([c[1], c[0]], {
            layer: "alerts",
            slot: slot,
            cls: "ck-alert",
            text: "警",
            url: p.url,
            title: "关怀告警：" + p.kind_label,
            tooltip: escapeHtml(p.kind_label) + "<br>" + escapeHtml(p.status_label),
          })
        );
      });
      occupy("alerts", seen);
      return { group: group, count: data.properties.count };
    },
    orders: function (data) {
      var group = L.featureGroup();
      var seen = {};
      data.features.forEach(function (f) {
        var p = f.properties;
        var c = f.geometry.coordinates;
        var slot = slotFor("orders", c, seen);
        if (p.kind === "worker") {
          group.addLayer(
            marker([c[1], c[0]], {
              layer: "orders",
              slot: slot,
              cls: "ck-worker",
              text: "人",
              url: null,
              title: "服务人员（" + p.status_label + "）",
              tooltip: "服务人员 · " + escapeHtml(p.status_label) + "<br>订单 " +
                escapeHtml(p.orders.join("、")),
            })
          );
        } else {
          group.addLayer(
            marker([c[1], c[0]], {
              layer: "orders",
              slot: slot,
              cls: "ck-order",
              text: "单",
              url: p.url,
              title: "订单 " + p.number,
              tooltip: escapeHtml(p.number) + " " + escapeHtml(p.service) + "<br>" +
                escapeHtml(p.status_label),
            })
          );
        }
      });
      occupy("orders", seen);
      return { group: group, count: data.properties.count - data.properties.workers,
        note: "，服务人员 " + data.properties.workers };
    },
    facilities: function (data) {
      var group = L.featureGroup();
      var seen = {};
      data.features.forEach(function (f) {
        var p = f.properties;
        var c = f.geometry.coordinates;
        var slot = slotFor("facilities", c, seen);
        group.addLayer(
          marker([c[1], c[0]], {
            layer: "facilities",
            slot: slot,
            cls: "ck-facility",
            text: "设",
            url: null,
            title: p.kind_label + "：" + p.name,
            tooltip: escapeHtml(p.name) + "<br>" + escapeHtml(p.kind_label) +
              (p.opening_hours ? "<br>" + escapeHtml(p.opening_hours) : ""),
          })
        );
      });
      occupy("facilities", seen);
      return { group: group, count: data.properties.count };
    },
  };

  function toggleFor(name) {
    return document.querySelector('input[data-layer="' + name + '"]');
  }

  function showCount(name, count, note) {
    var node = document.querySelector('[data-count="' + name + '"]');
    if (node) {
      node.textContent = "（" + count + (note || "") + "）";
    }
  }

  function install(name, data) {
    var built = builders[name](data);
    if (state.groups[name]) {
      map.removeLayer(state.groups[name]);
    }
    state.groups[name] = built.group;
    var toggle = toggleFor(name);
    if (!toggle || toggle.checked) {
      built.group.addTo(map);
    }
    if (name === "areas") {
      built.group.bringToBack();
    }
    showCount(name, built.count, built.note);
  }

  function fetchJson(url) {
    return fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function fitOnce() {
    if (state.fitted) {
      return;
    }
    var bounds = state.selfBounds;
    if (!bounds && state.groups.areas && state.groups.areas.getLayers().length) {
      bounds = state.groups.areas.getBounds();
    }
    if (!bounds) {
      var all = L.featureGroup(Object.keys(state.groups).map(function (k) {
        return state.groups[k];
      }));
      if (all.getLayers().length && all.getBounds().isValid()) {
        bounds = all.getBounds();
      }
    }
    if (bounds && bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16] });
      state.fitted = true;
    }
  }

  function poll() {
    if (state.busy) {
      return Promise.resolve();
    }
    state.busy = true;
    var area = state.area;
    return fetchJson(config.versionUrl + "?area=" + encodeURIComponent(area))
      .then(function (answer) {
        var changed = config.layers.filter(function (name) {
          return answer.versions[name] !== state.versions[name];
        });
        return Promise.all(
          changed.map(function (name) {
            return fetchJson(layerUrl(name)).then(function (data) {
              return { name: name, data: data, version: answer.versions[name] };
            });
          })
        );
      })
      .then(function (results) {
        if (area !== state.area) {
          return; // the user drilled elsewhere meanwhile; the next poll brings that area
        }
        results.forEach(function (r) {
          install(r.name, r.data);
          state.versions[r.name] = r.version;
        });
        fitOnce();
        state.lastOk = new Date();
        setStatus("最后更新 " + clock(state.lastOk), false);
        document.getElementById("cockpit-map").setAttribute("data-loaded", area);
      })
      .catch(function () {
        var since = state.lastOk ? "，地图显示的是 " + clock(state.lastOk) + " 的数据" : "";
        setStatus(
          "更新失败（网络中断或服务器无响应）" + since + "，" + config.pollSeconds + " 秒后自动重试",
          true
        );
      })
      .then(function () {
        state.busy = false;
      });
  }

  function refreshPanels() {
    var old = document.getElementById("cockpit-panels");
    if (!old) {
      return;
    }
    var fresh = old.cloneNode(false);
    fresh.setAttribute(
      "hx-get",
      config.panelsUrl + "?area=" + encodeURIComponent(state.area)
    );
    fresh.innerHTML = '<p class="cockpit-muted">正在加载指标…</p>';
    old.parentNode.replaceChild(fresh, old);
    if (window.htmx) {
      window.htmx.process(fresh);
    }
  }

  function refreshPicker() {
    var url = config.pickerUrl + "?area=" + encodeURIComponent(state.area);
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: "#cockpit-picker", swap: "innerHTML" });
    }
  }

  function selectArea(code, push) {
    if (!code || code === state.area) {
      return;
    }
    state.area = code;
    state.versions = {};
    state.fitted = false;
    state.selfBounds = null;
    Object.keys(state.groups).forEach(function (name) {
      map.removeLayer(state.groups[name]);
    });
    state.groups = {};
    occupied = {};
    if (push) {
      history.pushState({ area: code }, "", config.homeUrl + "?area=" + encodeURIComponent(code));
    }
    setStatus("正在加载图层…", false);
    refreshPicker();
    refreshPanels();
    state.busy = false;
    poll();
  }

  window.addEventListener("popstate", function () {
    var code = new URLSearchParams(window.location.search).get("area") || config.area;
    selectArea(code, false);
  });

  document.querySelectorAll("input[data-layer]").forEach(function (toggle) {
    toggle.addEventListener("change", function () {
      var group = state.groups[toggle.dataset.layer];
      if (!group) {
        return;
      }
      if (toggle.checked) {
        group.addTo(map);
        if (toggle.dataset.layer === "areas") {
          group.bringToBack();
        }
      } else {
        map.removeLayer(group);
      }
    });
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "cockpit-panels") {
      target.innerHTML = '<p class="cockpit-muted">运行指标暂不可用（' +
        event.detail.xhr.status + "），稍后自动重试。</p>";
    }
  });

  poll();
  state.timer = window.setInterval(poll, config.pollSeconds * 1000);
  window.linliCockpit = { map: map, state: state, poll: poll, selectArea: selectArea };
})();
