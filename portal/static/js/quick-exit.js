/* Quick exit: the button, or the Escape key, replaces this page by a neutral one, so that the
   browser's Back button does not come back to it. Without JavaScript the button is a link. */
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) { return; }
  function leave(event) {
    if (event) { event.preventDefault(); }
    try { window.sessionStorage.clear(); } catch (e) { /* storage may be off */ }
    window.location.replace(link.href);
  }
  link.addEventListener("click", leave);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") { leave(event); }
  });
}());
