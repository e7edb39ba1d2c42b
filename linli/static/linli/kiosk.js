/* Public info screen (智慧屏) at /screen/<token>/ — linli/cockpit/views_kiosk.py.
 *
 * Renders the slides from the content (embedded in the page as #kiosk-initial, or newer
 * content kept in localStorage), turns them every rotate_seconds with a text progress
 * 「2 / 5」, shows the date and time (Asia/Shanghai), polls content.json every
 * data-poll-seconds and keeps the last good content in localStorage. When a fetch fails
 * the page keeps showing the last content with 「网络中断，显示 HH:MM 更新的内容」.
 * A service worker (data-sw-url) keeps the page shell and this file for offline reloads.
 * Preview mode (staff preview): no polling, no storage, no service worker.
 *
 * Everything is written with textContent except the QR codes, which are the server's
 * own segno SVG.
 */
(function () {
  "use strict";

  var root = document.getElementById("kiosk");
  if (!root) return;
  var main = document.getElementById("kiosk-main");
  var progress = document.getElementById("kiosk-progress");
  var offline = document.getElementById("kiosk-offline");
  var preview = root.dataset.preview === "1";
  var storageKey = root.dataset.storageKey;
  var pollMs = Math.max(parseInt(root.dataset.pollSeconds, 10) || 60, 5) * 1000;
  var ACTIVITIES_PER_SLIDE = 2;
  var DISHES_MAX = 6;
  var TZ = "Asia/Shanghai";

  var content = null;
  var slides = [];
  var index = 0;
  var timer = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function parts(date) {
    var out = {};
    new Intl.DateTimeFormat("zh-CN", {
      timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", weekday: "long"
    }).formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }

  function today() {
    var p = parts(new Date());
    return p.year + "-" + p.month + "-" + p.day;
  }

  function tick() {
    var p = parts(new Date());
    document.getElementById("kiosk-date").textContent =
      parseInt(p.month, 10) + "月" + parseInt(p.day, 10) + "日 " + p.weekday;
    var time = document.getElementById("kiosk-time");
    time.textContent = p.hour + ":" + p.minute;
    time.setAttribute("datetime", p.year + "-" + p.month + "-" + p.day + "T" + p.hour + ":" + p.minute);
  }

  function slide(kind, heading) {
    var section = el("section", "kiosk-slide kiosk-" + kind);
    section.appendChild(el("h2", "kiosk-heading", heading));
    return section;
  }

  function noticeSlides(c, day) {
    return (c.notices || []).filter(function (n) {
      return n.starts_on <= day && day <= n.ends_on;
    }).map(function (n) {
      var s = slide("notice", "通知公告");
      s.appendChild(el("h3", "kiosk-notice-title", n.title));
      // a long notice (up to 400 characters) in body size, a short one larger
      s.appendChild(el("p", "kiosk-notice-body" + (n.body.length > 160 ? " kiosk-long" : ""), n.body));
      return s;
    });
  }

  function canteenSlides(c, day) {
    if (c.today !== day) return [];
    return (c.canteens || []).map(function (canteen) {
      var s = slide("menu", "今日菜单 · " + canteen.name);
      var body = el("div", "kiosk-menu-body");
      s.appendChild(body);
      if (canteen.menus.length) {
        var meals = el("div", "kiosk-meals");
        canteen.menus.forEach(function (menu) {
          var box = el("div", "kiosk-meal");
          box.appendChild(el("h3", null, menu.meal_label + (menu.hours ? "（" + menu.hours + "）" : "")));
          var list = el("ul", "kiosk-dishes");
          menu.dishes.slice(0, DISHES_MAX).forEach(function (d) {
            var li = el("li");
            li.appendChild(el("span", "kiosk-kind", d.kind));
            li.appendChild(document.createTextNode(" " + d.name + (d.portion ? "（" + d.portion + "）" : "")));
            list.appendChild(li);
          });
          if (menu.dishes.length > DISHES_MAX) {
            list.appendChild(el("li", "kiosk-more", "等共 " + menu.dishes.length + " 道菜"));
          }
          box.appendChild(list);
          if (menu.combo) box.appendChild(el("p", "kiosk-combo", "一荤一素标准餐 · " + menu.combo));
          meals.appendChild(box);
        });
        body.appendChild(meals);
      }
      if (canteen.prices.length) {
        var prices = el("div", "kiosk-prices");
        prices.appendChild(el("h3", null, "价格（每份）"));
        var ul = el("ul");
        canteen.prices.forEach(function (p) { ul.appendChild(el("li", null, p)); });
        prices.appendChild(ul);
        body.appendChild(prices);
      }
      if (canteen.note) s.appendChild(el("p", "kiosk-note", canteen.note));
      return s;
    });
  }

  function activitySlides(c, now) {
    var items = (c.activities || []).filter(function (a) { return Date.parse(a.ends_at) > now; });
    var out = [];
    for (var i = 0; i < items.length; i += ACTIVITIES_PER_SLIDE) {
      var s = slide("activities", "近期活动 · 扫码报名");
      var grid = el("div", "kiosk-activity-grid");
      items.slice(i, i + ACTIVITIES_PER_SLIDE).forEach(function (a) {
        var card = el("article", "kiosk-activity");
        var text = el("div", "kiosk-activity-text");
        text.appendChild(el("h3", null, a.title));
        text.appendChild(el("p", "kiosk-when", a.when));
        if (a.venue) text.appendChild(el("p", null, "地点：" + a.venue));
        text.appendChild(el("p", null, a.audience + " · " + a.fee));
        text.appendChild(el("p", "kiosk-places", a.places));
        card.appendChild(text);
        var figure = el("figure", "kiosk-qr");
        figure.innerHTML = a.qr; // the server's segno SVG
        var caption = el("figcaption", null, "手机扫码报名");
        caption.appendChild(el("span", "kiosk-note kiosk-block", "也可到社区居委会报名"));
        figure.appendChild(caption);
        card.appendChild(figure);
        grid.appendChild(card);
      });
      s.appendChild(grid);
      out.push(s);
    }
    return out;
  }

  function hotlineSlide(c) {
    var s = slide("hotline", "服务热线");
    s.appendChild(el("p", "kiosk-hotline-big", c.screen.hotline_text));
    s.appendChild(el("p", null, "助餐、助浴、问诊、送药、维修，一个电话找社区。"));
    if (c.screen.place) s.appendChild(el("p", "kiosk-note", "本屏位置：" + c.screen.place));
    return s;
  }

  function build(c) {
    var day = today();
    var now = Date.now();
    return [].concat(noticeSlides(c, day), canteenSlides(c, day), activitySlides(c, now), [hotlineSlide(c)]);
  }

  function show(i) {
    if (!slides.length) return;
    index = ((i % slides.length) + slides.length) % slides.length;
    slides.forEach(function (s, n) { s.hidden = n !== index; });
    progress.textContent = (index + 1) + " / " + slides.length;
  }

  function render(c, keepIndex) {
    content = c;
    document.getElementById("kiosk-community").textContent = c.screen.community;
    document.getElementById("kiosk-hotline").textContent = c.screen.hotline_text;
    slides = build(c);
    main.textContent = "";
    slides.forEach(function (s) { main.appendChild(s); });
    show(keepIndex ? index : 0);
    if (timer) clearInterval(timer);
    var seconds = Math.min(Math.max(c.screen.rotate_seconds || 15, 5), 120);
    timer = setInterval(function () { show(index + 1); }, seconds * 1000);
  }

  function stored() {
    try {
      return JSON.parse(localStorage.getItem(storageKey) || "null");
    } catch (e) {
      return null;
    }
  }

  function store(c) {
    try {
      localStorage.setItem(storageKey, JSON.stringify(c));
    } catch (e) { /* storage full or disabled: the page still shows c */ }
  }

  function shownAt(c) {
    var m = /T(\d{2}:\d{2})/.exec(c.generated_at || "");
    return m ? m[1] : "";
  }

  function setOffline(down) {
    if (down && content) {
      offline.textContent = "⚠ 网络中断，显示 " + shownAt(content) + " 更新的内容";
      offline.hidden = false;
    } else {
      offline.hidden = true;
    }
  }

  function poll() {
    fetch(root.dataset.contentUrl, { cache: "no-cache", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404) {
          window.location.reload(); // the screen was switched off: show its 404 page
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (fresh) {
        if (!fresh) return;
        store(fresh);
        setOffline(false);
        var changed = !content || fresh.version !== content.version;
        content = fresh;
        if (changed) render(fresh, true);
      })
      .catch(function () { setOffline(true); });
  }

  var initial = JSON.parse(document.getElementById("kiosk-initial").textContent);
  var saved = preview ? null : stored();
  var first = saved && saved.generated_at > initial.generated_at ? saved : initial;
  tick();
  setInterval(tick, 5000);
  render(first, false);
  if (preview) return;
  if (first === initial) store(initial);
  poll();
  setInterval(poll, pollMs);
  // A new day or a past activity changes what shows even without new content.
  setInterval(function () { if (content) render(content, true); }, 10 * 60 * 1000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.scope })
      .catch(function () { /* no offline reloads on this device; polling still works */ });
  }
})();
