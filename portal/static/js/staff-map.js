/* Reports on a map (one report's position, or the filtered list). Background: the tiles an
   operator set (PORTAL_MAP_TILE_URL), else the Region's municipal outlines served by the portal,
   so that by default no request leaves it. Without JavaScript the page shows the coordinates. */
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
  var tiles = box.getAttribute("data-tiles");
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: box.getAttribute("data-attribution") || "" }).addTo(map);
  } else if (box.getAttribute("data-outlines") && window.fetch) {
    fetch(box.getAttribute("data-outlines")).then(function (r) { return r.json(); }).then(function (data) {
      L.geoJSON(data, {
        style: { color: "#1a1a1a", weight: 1.5, fillColor: "#f2f5fa", fillOpacity: 1 },
        onEachFeature: function (feature, layer) {
          var name = box.getAttribute("data-lang") === "nl" ? feature.properties.name_nl : feature.properties.name_fr;
          layer.bindTooltip(name, { sticky: true });
        }
      }).addTo(map).bringToBack();
    });
  }
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
