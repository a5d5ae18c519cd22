/* Switching language keeps what was typed: before following a link of the language switch, the
   forms' visible fields are saved in this tab's sessionStorage under the page's address without
   its language (/fr/report/new/x and /nl/report/new/x are the same form); the page in the other
   language puts them back and forgets them at once. Hidden fields (tokens, stamps), passwords
   and files are never saved. Without JavaScript the switch works as a plain link. */
(function () {
  "use strict";
  var PREFIX = "keep-typed:";
  var storage;
  try { storage = window.sessionStorage; } catch (e) { return; }
  if (!storage) { return; }

  function pageKey(pathname) {
    return PREFIX + pathname.replace(/^\/[a-z]{2}(?=\/)/, "");
  }
  function kept(field) {
    var type = (field.type || "").toLowerCase();
    return field.name && !field.disabled && type !== "hidden" && type !== "password"
      && type !== "file" && type !== "submit" && type !== "button";
  }
  function forms() {
    return Array.prototype.slice.call(document.querySelectorAll("form[method=post], form[method=POST]"));
  }

  function save() {
    var saved = [];
    forms().forEach(function (form, index) {
      var values = {};
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!kept(field)) { return; }
        if (field.type === "radio" || field.type === "checkbox") {
          if (field.checked) { (values[field.name] = values[field.name] || []).push(field.value); }
        } else if (field.value) {
          values[field.name] = field.value;
        }
      });
      saved[index] = values;
    });
    try { storage.setItem(pageKey(window.location.pathname), JSON.stringify(saved)); } catch (e) { /* full */ }
  }

  function restore() {
    var key = pageKey(window.location.pathname);
    var text = storage.getItem(key);
    if (!text) { return; }
    storage.removeItem(key);
    var saved;
    try { saved = JSON.parse(text); } catch (e) { return; }
    forms().forEach(function (form, index) {
      var values = saved[index];
      if (!values) { return; }
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!kept(field) || !(field.name in values)) { return; }
        var value = values[field.name];
        if (field.type === "radio" || field.type === "checkbox") {
          field.checked = Array.isArray(value) && value.indexOf(field.value) !== -1;
        } else if (typeof value === "string") {
          field.value = value;
        }
      });
    });
  }

  restore();
  Array.prototype.forEach.call(document.querySelectorAll(".langs a[hreflang]"), function (link) {
    link.addEventListener("click", save);
  });
}());
