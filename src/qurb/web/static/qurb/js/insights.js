// Progressive enhancement of the insights map: the page draws the hexagons as SVG on its
// own; with Leaflet loaded they are laid over the street map (tiles are a setting).
(function () {
  "use strict";
  var box = document.getElementById("hex-map");
  var data = document.getElementById("hex-data");
  if (!box || !data || typeof window.L === "undefined") { return; }
  var geo = JSON.parse(data.textContent);
  var svg = box.querySelector("svg");
  if (svg) { svg.remove(); }
  var map = window.L.map(box, { zoomControl: true });
  box.qurbMap = map;
  if (box.dataset.tiles) {
    window.L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
  }
  var layer = window.L.geoJSON(geo, {
    style: function (f) {
      var p = f.properties;
      if (p.outline) { return { color: "#0b5d3b", weight: 2, fill: false }; }
      return {
        color: p.hot ? "#7f1d1d" : "#b3261e",
        weight: p.hot ? 2.5 : 0,
        fillColor: "#b3261e",
        fillOpacity: p.opacity
      };
    },
    onEachFeature: function (f, l) { if (f.properties.title) { l.bindTooltip(f.properties.title); } }
  }).addTo(map);
  if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
})();
