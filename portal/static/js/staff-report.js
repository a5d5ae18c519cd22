// The report page.
// 1. "Insert" puts the chosen reply template (already in the resident's language) into the
//    answer box at once, instead of sending the form to have it filled in.
// 2. Keyboard shortcuts, documented on the page: single letters with no modifier, only when the
//    focus is not in a field, so that screen-reader and browser keys keep working.
(function () {
  "use strict";
  var select = document.getElementById("answer-template");
  var box = document.getElementById("answer-text");
  if (select && box) {
    var button = select.parentNode.querySelector('button[name="insert"]');
    button.addEventListener("click", function (event) {
      var option = select.options[select.selectedIndex];
      if (!option) { return; }
      event.preventDefault();
      var typed = box.value.replace(/\s+$/, "");
      var text = option.getAttribute("data-text");
      box.value = typed ? typed + "\n\n" + text : text;
      box.focus();
    });
  }

  function follow(id) {
    var link = document.getElementById(id);
    if (link) { link.click(); return true; }
    return false;
  }
  function openAndFocus(field) {
    var target = document.getElementById(field);
    if (!target) { return false; }
    var details = target.closest("details");
    if (details) { details.open = true; }
    target.focus();
    return true;
  }
  var keys = {
    j: function () { return follow("next-report"); },
    k: function () { return follow("previous-report"); },
    u: function () { return follow("back-to-list"); },
    a: function () { return follow("take") || follow("assign-me"); },
    r: function () { return openAndFocus("answer-text"); },
    n: function () { return openAndFocus("note-text"); }
  };
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.isComposing) { return; }
    var active = document.activeElement;
    if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(active.tagName))) { return; }
    var action = keys[event.key];
    if (action && action()) { event.preventDefault(); }
  });
})();
