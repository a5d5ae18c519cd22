/* The place on the report form: "This report will go to …" as the postal code is typed, and the
   map picker, whose code and data load only when the resident opens it (place-picker.js).
   Without JavaScript the form shows the same sentence when it comes back from the server. */
(function () {
  "use strict";
  var out = document.querySelector("[data-destination]");
  var postal = document.getElementById("postal_code");
  var picker = document.querySelector("[data-picker]");
  if (!out || !postal) { return; }
  var data = JSON.parse(out.getAttribute("data-destinations") || "{}");
  var pin = null; // NIS codes of the outline under the confirmed pin

  function update() {
    var byCode = data.codes[postal.value.replace(/\s/g, "")] || null;
    var found = byCode && pin ? byCode.filter(function (n) { return pin.indexOf(n) >= 0; })
      : (byCode || pin || []);
    if (found.length === 1) {
      out.textContent = data.sentences[found[0]];
      out.hidden = false;
    } else {
      out.hidden = true;
      out.textContent = "";
    }
  }
  postal.addEventListener("input", update);
  document.addEventListener("portal:pin", function (event) { pin = event.detail; update(); });
  if (!out.textContent) { update(); }

  if (!picker) { return; }
  picker.hidden = false;
  var opener = picker.querySelector("[data-picker-open]");
  function load(tag, attributes, done) {
    var element = document.createElement(tag);
    Object.keys(attributes).forEach(function (key) { element.setAttribute(key, attributes[key]); });
    if (done) { element.onload = done; }
    document.head.appendChild(element);
  }
  opener.addEventListener("click", function () {
    opener.disabled = true;
    if (window.PortalPicker) { window.PortalPicker.open(picker); return; }
    load("link", { rel: "stylesheet", href: picker.getAttribute("data-leaflet-css") });
    load("script", { src: picker.getAttribute("data-leaflet-js") }, function () {
      load("script", { src: picker.getAttribute("data-script") }, function () {
        window.PortalPicker.open(picker);
      });
    });
  });
}());
