// The report page: "insert" puts the chosen reply template (already in the resident's language)
// into the answer box at once, instead of sending the form to have it filled in.
(function () {
  "use strict";
  var select = document.getElementById("answer-template");
  var box = document.getElementById("answer-text");
  if (!select || !box) { return; }
  var button = select.parentNode.querySelector('button[name="insert"]');
  button.addEventListener("click", function (event) {
    var option = select.options[select.selectedIndex];
    if (!option) { return; }
    event.preventDefault();
    var typed = box.value.replace(/\s+$/, "");
    box.value = typed ? typed + "\n\n" + option.getAttribute("data-text") : option.getAttribute("data-text");
    box.focus();
  });
})();
