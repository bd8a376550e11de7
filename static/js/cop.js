// cop: small progressive enhancements shared by every page. No inline scripts (CSP).
(function () {
  "use strict";

  // USWDS hides the rest of the page with aria-hidden while the mobile menu is open, but
  // leaves it focusable. Mirror aria-hidden to `inert` so keyboard focus stays in the menu.
  function syncInert(el) {
    if (el.getAttribute("aria-hidden") === "true") {
      el.setAttribute("inert", "");
    } else {
      el.removeAttribute("inert");
    }
  }
  var observer = new MutationObserver(function (mutations) {
    mutations.forEach(function (m) { syncInert(m.target); });
  });
  observer.observe(document.body, { attributes: true, subtree: true, attributeFilter: ["aria-hidden"] });
})();
