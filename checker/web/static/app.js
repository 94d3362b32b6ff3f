// The workbench's own behaviour besides htmx (no build step; CSP allows scripts from 'self' only).
(function () {
  "use strict";

  // 1. Unsaved answers live in the server-side draft until "Speichern". Keep the draft's id in the
  //    address, so that reloading the tab reopens the same draft instead of the file; and ask
  //    before the tab is closed or left while there are unsaved answers. Never saves by itself.
  function keepDraftInAddress() {
    var bench = document.getElementById("workbench");
    if (!bench || !window.history || !history.replaceState) return;
    var vals;
    try { vals = JSON.parse(bench.getAttribute("hx-vals") || "{}"); } catch (e) { return; }
    if (!vals.d) return;
    var url = new URL(window.location.href);
    if (url.searchParams.get("d") !== vals.d) {
      url.searchParams.set("d", vals.d);
      history.replaceState(history.state, "", url.toString());
    }
  }

  var leaving = false;  // set by a form that discards the answers on purpose
  function dirty() { return !!document.querySelector("#save-state.dirty"); }
  window.addEventListener("beforeunload", function (event) {
    if (leaving || !dirty()) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to show their "leave page?" dialog
  });
  document.addEventListener("submit", function (event) {
    if (event.target && event.target.hasAttribute("data-discards")) leaving = true;
  }, true);

  // 2. Keyboard focus across the swaps: htmx puts the focus back on an element with the same id;
  //    for an element without one (or when the element is gone) focus the element at the same
  //    position inside the nearest container with an id, so that Tab continues where it was.
  var FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]";
  var saved = null;
  function focusables(container) {
    return Array.prototype.filter.call(container.querySelectorAll(FOCUSABLE), function (el) { return !el.disabled; });
  }
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    if (!active || active === document.body) { saved = null; return; }
    var container = active.parentElement && active.parentElement.closest("[id]");
    saved = {
      id: active.id || "",
      container: container ? container.id : "",
      index: container ? focusables(container).indexOf(active) : -1
    };
  });
  document.addEventListener("htmx:afterSettle", function () {
    keepDraftInAddress();
    if (!saved) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.documentElement.contains(active)) return;
    var target = saved.id ? document.getElementById(saved.id) : null;
    if (!target && saved.container) {
      var container = document.getElementById(saved.container);
      if (container && saved.index >= 0) target = focusables(container)[saved.index] || null;
    }
    if (target) target.focus({ preventScroll: true });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", keepDraftInAddress);
  else keepDraftInAddress();
})();
