// The work list: one check box ticks or unticks every report of the page. Without JavaScript the
// "tick all" link reloads the page with every box ticked.
(function () {
  "use strict";
  var box = document.querySelector("[data-select-all]");
  if (!box) { return; }
  var items = Array.prototype.slice.call(document.querySelectorAll('input[name="item"]'));
  box.parentNode.hidden = false;
  var link = document.querySelector(".select-all-link");
  if (link) { link.hidden = true; }
  function sync() {
    var ticked = items.filter(function (item) { return item.checked; }).length;
    box.checked = ticked === items.length;
    box.indeterminate = ticked > 0 && ticked < items.length;
  }
  box.addEventListener("change", function () {
    items.forEach(function (item) { item.checked = box.checked; });
  });
  items.forEach(function (item) { item.addEventListener("change", sync); });
  sync();
})();
