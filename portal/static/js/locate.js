/* "Use my location": fills the hidden latitude and longitude with the browser's permission.
   Without JavaScript, or if the person refuses, the address alone is enough. */
(function () {
  "use strict";
  var box = document.querySelector("[data-locate]");
  if (!box || !("geolocation" in navigator)) { return; }
  var button = box.querySelector("[data-locate-button]");
  var status = box.querySelector("[data-locate-status]");
  var lat = document.getElementById("latitude");
  var lon = document.getElementById("longitude");
  box.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = status.getAttribute("data-text-working");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      lat.value = position.coords.latitude.toFixed(6);
      lon.value = position.coords.longitude.toFixed(6);
      status.textContent = status.getAttribute("data-text-found");
      button.disabled = false;
    }, function () {
      status.textContent = status.getAttribute("data-text-failed");
      button.disabled = false;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
}());
