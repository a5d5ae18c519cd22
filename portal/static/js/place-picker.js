/* The place picker: the Region's outlines (no tiles unless configured), tap or click to put the
   pin, arrow keys move it and Enter confirms (WCAG 2.5.7: no dragging needed). The municipality
   under the pin is announced; confirming fills the form's hidden latitude and longitude. */
(function () {
  "use strict";

  function inRing(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function inPolygon(rings, x, y) {
    if (!inRing(rings[0], x, y)) { return false; }
    for (var k = 1; k < rings.length; k++) { if (inRing(rings[k], x, y)) { return false; } }
    return true;
  }
  function featureAt(data, lng, lat) {
    for (var i = 0; i < data.features.length; i++) {
      var g = data.features[i].geometry;
      var polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      for (var p = 0; p < polygons.length; p++) {
        if (inPolygon(polygons[p], lng, lat)) { return data.features[i]; }
      }
    }
    return null;
  }

  function open(box) {
    var panel = box.querySelector("[data-picker-panel]");
    var mapBox = box.querySelector("[data-picker-map]");
    var status = box.querySelector("[data-picker-status]");
    var confirm = box.querySelector("[data-picker-confirm]");
    var lang = box.getAttribute("data-lang");
    var lat = document.getElementById("latitude");
    var lon = document.getElementById("longitude");
    panel.hidden = false;
    var map = L.map(mapBox, { keyboard: false, zoomSnap: 0.5, zoomControl: false })
      .setView([50.84, 4.36], 11); // the Region, until the outlines arrive and fit the view
    L.control.zoom({ zoomInTitle: box.getAttribute("data-text-zoom-in"),
                     zoomOutTitle: box.getAttribute("data-text-zoom-out") }).addTo(map);
    map.attributionControl.setPrefix(false);
    var tiles = box.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: box.getAttribute("data-attribution") || "" }).addTo(map);
    }
    var outlines = null;
    var marker = null;
    // For the browser tests: where the map draws a place, and where the pin is
    window.__pickerMap = map;
    window.__pickerPin = function () { return marker ? [marker.getLatLng().lat, marker.getLatLng().lng] : null; };

    function nameOf(feature) {
      return feature ? (lang === "nl" ? feature.properties.name_nl : feature.properties.name_fr) : null;
    }
    function describe() {
      var where = marker.getLatLng();
      var feature = outlines ? featureAt(outlines, where.lng, where.lat) : null;
      status.textContent = feature
        ? box.getAttribute("data-text-in").replace("%(name)s", nameOf(feature))
        : box.getAttribute("data-text-outside");
      return feature;
    }
    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); } else {
        marker = L.circleMarker(latlng, { radius: 11, color: "#ffffff", weight: 3, fillColor: "#a3000d", fillOpacity: 1 }).addTo(map);
      }
      describe();
      confirm.disabled = false;
    }
    function done() {
      if (!marker) { return; }
      var where = marker.getLatLng();
      var feature = describe();
      lat.value = where.lat.toFixed(6);
      lon.value = where.lng.toFixed(6);
      status.textContent = status.textContent + " " + box.getAttribute("data-text-confirmed");
      document.dispatchEvent(new CustomEvent("portal:pin", { detail: feature ? feature.properties.nis : [] }));
    }

    map.on("click", function (event) { place(event.latlng); });
    mapBox.addEventListener("keydown", function (event) {
      var moves = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
      if (moves[event.key]) {
        event.preventDefault();
        if (!marker) { place(map.getCenter()); return; }
        var step = event.shiftKey ? 60 : 12;
        var point = map.latLngToContainerPoint(marker.getLatLng());
        var next = map.containerPointToLatLng(point.add(L.point(moves[event.key][0] * step, moves[event.key][1] * step)));
        place(next);
        if (!map.getBounds().pad(-0.1).contains(next)) { map.panTo(next); }
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (!marker) { place(map.getCenter()); }
        done();
      } else if (event.key === "+" || event.key === "-") {
        event.preventDefault();
        if (event.key === "+") { map.zoomIn(); } else { map.zoomOut(); }
      }
    });
    confirm.addEventListener("click", done);
    confirm.disabled = true;

    fetch(box.getAttribute("data-outlines")).then(function (r) { return r.json(); }).then(function (data) {
      outlines = data;
      var layer = L.geoJSON(data, {
        style: { color: "#1a1a1a", weight: 1.5, fillColor: "#f2f5fa", fillOpacity: tiles ? 0.2 : 1 },
        interactive: false
      }).addTo(map);
      data.features.forEach(function (feature) {
        var at = feature.properties.label;
        var label = document.createElement("span");
        label.textContent = nameOf(feature); // text, never HTML
        L.tooltip({ permanent: true, direction: "center", className: "picker-label", interactive: false })
          .setLatLng([at[1], at[0]]).setContent(label).addTo(map);
      });
      map.fitBounds(layer.getBounds());
      if (lat.value && lon.value) { place(L.latLng(parseFloat(lat.value), parseFloat(lon.value))); }
      mapBox.focus();
    });
  }

  window.PortalPicker = { open: open, featureAt: featureAt };
}());
