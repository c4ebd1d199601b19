// Progressive enhancement: every page works without this script (the list picker and plain
// links do the job); with Leaflet loaded, residents can also choose a place on the map or
// use their phone's location.
(function () {
  "use strict";
  var mapEl = document.getElementById("map");
  var form = document.getElementById("locate-form");

  function go(lat, lon) {
    document.getElementById("locate-lat").value = lat.toFixed(6);
    document.getElementById("locate-lon").value = lon.toFixed(6);
    form.submit();
  }

  var useLocation = document.getElementById("use-location");
  if (useLocation && "geolocation" in navigator) {
    useLocation.hidden = false;
    useLocation.addEventListener("click", function () {
      var status = document.getElementById("locate-status");
      status.textContent = status.dataset.searching || "…";
      navigator.geolocation.getCurrentPosition(
        function (pos) { go(pos.coords.latitude, pos.coords.longitude); },
        function (err) {
          if (window.qurbLocationProblem) { window.qurbLocationProblem(status, err); } else { status.textContent = err.message; }
        },
        { enableHighAccuracy: true, timeout: 15000 }
      );
    });
  }

  // Finding a neighbourhood by name: choosing a result opens its page.
  var search = document.getElementById("place-search");
  if (search && window.qurbPlaceSearch) {
    window.qurbPlaceSearch(search, function (found) { window.location.assign(found.url); });
  }

  if (!mapEl || typeof window.L === "undefined") { return; }
  // The keyboard works the map (arrows, + and −); Enter or Space chooses its centre.
  var map = window.L.map(mapEl, { zoomControl: true, keyboard: true });
  var help = document.getElementById("map-help");
  if (help && mapEl.dataset.areas) {
    help.hidden = false;
    mapEl.addEventListener("keydown", function (event) {
      if (event.target !== mapEl || (event.key !== "Enter" && event.key !== " ")) { return; }
      event.preventDefault();
      var centre = map.getCenter();
      go(centre.lat, centre.lng);
    });
  }
  mapEl.qurbMap = map;
  if (mapEl.dataset.tiles) {
    // Tiles are optional: the boundaries below are drawn whether or not any tile loads.
    window.L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution, maxZoom: 19 }).addTo(map);
  }
  var style = { color: "#0b5d3b", weight: 2, fillOpacity: 0.12 };
  var url = mapEl.dataset.areas || mapEl.dataset.boundary;
  fetch(url, { headers: { Accept: "application/geo+json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = window.L.geoJSON(data, {
        style: style,
        onEachFeature: function (feature, l) { l.bindTooltip(feature.properties.name); }
      }).addTo(map);
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
      if (mapEl.dataset.areas) {
        layer.on("click", function (e) { go(e.latlng.lat, e.latlng.lng); });
        map.on("click", function (e) { go(e.latlng.lat, e.latlng.lng); });
      }
    });
})();
