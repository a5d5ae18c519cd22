/* Reports on an OpenStreetMap map (one report's position, or the filtered list). Without tiles
   (offline, blocked) the page still shows the coordinates and the list. */
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || typeof L === "undefined") { return; }
  var points = [];
  var source = box.getAttribute("data-points-source");
  if (source) {
    try { points = JSON.parse(document.getElementById(source).textContent); } catch (e) { points = []; }
  } else {
    points = [{ lat: parseFloat(box.getAttribute("data-lat")), lon: parseFloat(box.getAttribute("data-lon")) }];
  }
  points = points.filter(function (p) { return !isNaN(p.lat) && !isNaN(p.lon); });
  if (!points.length) { return; }
  var map = L.map(box);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "&copy; OpenStreetMap"
  }).addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lon], { radius: 9 }).addTo(map);
    if (p.url) {
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.reference + " · " + p.category;
      marker.bindPopup(link);
    }
    bounds.push([p.lat, p.lon]);
  });
  if (bounds.length === 1) { map.setView(bounds[0], 17); } else { map.fitBounds(bounds, { padding: [20, 20] }); }
}());
