/* Canteen counter (/economy/counter/<pk>/): search while typing, keep the focus in the
   scan input, show service errors (400/409) in place, one submit per pay tap, print. */
(function () {
  "use strict";
  var seq = 0;
  var timer = null;

  function input() { return document.getElementById("q"); }

  function focusInput(clear) {
    var q = input();
    if (!q) { return; }
    if (clear) { q.value = ""; }
    q.focus();
    if (!clear) { q.select(); }
  }

  function search() {
    var q = input();
    var box = document.getElementById("candidates");
    if (!q || !box) { return; }
    var mine = ++seq;
    var text = q.value.trim();
    if (!text) { box.innerHTML = ""; return; }
    fetch(q.dataset.searchUrl + "?q=" + encodeURIComponent(text), {
      headers: { "HX-Request": "true" }, credentials: "same-origin"
    }).then(function (response) { return response.text(); }).then(function (html) {
      if (mine !== seq) { return; }  // a newer search or a submit came in between
      box.innerHTML = html;
      if (window.htmx) { window.htmx.process(box); }
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "q") {
      clearTimeout(timer);
      timer = setTimeout(search, 300);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "find-form" || form.closest && form.closest("#candidates")) {
      clearTimeout(timer);
      seq++;  // drop a search answer still on its way
    }
    if (form.hasAttribute && form.hasAttribute("data-pay")) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    }
  }, true);

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // What the scan input held when the last request left: the answer clears (diner added)
  // or selects (refused) only that text, never keys typed since (a scanner may start the
  // next code before the answer has settled).
  var sent = null;
  document.addEventListener("htmx:configRequest", function () {
    var q = input();
    sent = q ? q.value : null;
  });
  var added = false;
  document.addEventListener("counter-added", function () { added = true; });
  // On the swap itself (not 20 ms later at settle): the new work area and the cleared
  // input appear together, so nothing typed or read in between sees a stale state.
  document.addEventListener("htmx:afterSwap", function () {
    var q = input();
    if (q && sent !== null && q.value !== sent) {
      q.focus();  // typed since the request: keep those keys
    } else {
      focusInput(added);
    }
    added = false;
    sent = null;
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-print]");
    if (target) { window.print(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // After a refused QR payment the reference input carries autofocus: a scanner must
    // type the payment code there, not into the diner search.
    var ref = document.querySelector("#payment_ref[autofocus]");
    if (ref) { ref.focus(); ref.select(); } else if (input()) { focusInput(false); }
    var next = document.getElementById("next");
    if (next && next.hasAttribute("autofocus")) { next.focus(); }
  });
}());
