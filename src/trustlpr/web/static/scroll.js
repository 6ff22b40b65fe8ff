// A table or preformatted block wider than the screen scrolls sideways inside its box
// (portal.css); this makes that box reachable with the keyboard (WCAG 2.1.1), only where it
// does scroll, so boxes that fit add no tab stop. Without script they still scroll by touch,
// mouse or trackpad. The console's pages load it; the portal runs no script (its code blocks
// carry a static tab stop, its table cells wrap).
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll("table, pre").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.dataset.scrolls = "on";
      } else if (!scrolls && table.dataset.scrolls === "on") {
        table.removeAttribute("tabindex");
        delete table.dataset.scrolls;
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();
