/* /work/ pages: send the phone's position (WGS-84, from the browser's Geolocation API)
   to /work/ping once a minute while a page is open — only once the worker has allowed
   location access. If the browser has not asked yet, a button asks (a tap, never a
   pop-up on page load). Without JavaScript or permission nothing is sent. */
(function () {
  "use strict";
  var INTERVAL_MS = 60000;
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var body = document.body;
    var url = body.dataset.pingUrl;
    var box = document.getElementById("ping-box");
    var status = document.getElementById("ping-status");
    var button = document.getElementById("ping-start");
    if (!url || !box || !("geolocation" in navigator)) { return; }
    box.hidden = false;
    var timer = null;

    function say(text) { status.textContent = text; }

    function send(position) {
      var payload = {
        lat: position.coords.latitude,
        lng: position.coords.longitude,
        accuracy: position.coords.accuracy
      };
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        keepalive: true,  // a tap that leaves the page must not abort the position report
        headers: { "Content-Type": "application/json", "X-CSRFToken": body.dataset.csrf || "" },
        body: JSON.stringify(payload)
      }).then(function (response) {
        return response.json().then(function (data) {
          if (response.ok) {
            say("位置共享已开启（精度约 " + Math.round(payload.accuracy) + " 米，每分钟更新）");
          } else {
            say("位置未上报：" + (data.error || response.status));
          }
        });
      }).catch(function () { say("位置未上报：网络不通，稍后自动重试"); });
    }

    function locate() {
      navigator.geolocation.getCurrentPosition(send, function (error) {
        if (error.code === error.PERMISSION_DENIED) {
          say("您未允许定位，系统将按服务站位置估算距离");
          if (timer) { clearInterval(timer); timer = null; }
        } else {
          say("暂时无法定位，稍后自动重试");
        }
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
    }

    function start() {
      button.hidden = true;
      say("正在定位…");
      locate();
      if (!timer) { timer = setInterval(locate, INTERVAL_MS); }
    }

    button.addEventListener("click", start);
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions.query({ name: "geolocation" }).then(function (result) {
        if (result.state === "granted") { start(); }
        else if (result.state === "denied") { say("您未允许定位，系统将按服务站位置估算距离"); }
        else { button.hidden = false; }
      }, function () { button.hidden = false; });
    } else {
      button.hidden = false;
    }
  });
})();
