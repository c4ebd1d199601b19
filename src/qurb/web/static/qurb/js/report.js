// The report form. Without this script the form still shows every field, but the anti-spam
// proof of work (ALTCHA protocol: find n with SHA-256(salt + n) = challenge) needs it.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var lat = document.getElementById("id_lat");
  var lon = document.getElementById("id_lon");
  var altchaInput = document.getElementById("id_altcha");
  var powStatus = document.getElementById("pow-status");
  var callNow = document.getElementById("call-now");
  var text = document.getElementById("id_description");
  var words = (form.dataset.nowWords || "").split("|").filter(Boolean);

  // --- "happening now": tell the person to call 19 at once -------------------------------
  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  var nowRe = new RegExp("(^|[^\\p{L}\\p{N}])(" + words.map(escapeRe).join("|") + ")(?![\\p{L}\\p{N}])", "iu");
  function checkNow() {
    var when = form.querySelector("input[name=when]:checked");
    var urgent = (when && when.value === "now") || (words.length && nowRe.test(text.value));
    callNow.hidden = !urgent;
  }
  form.addEventListener("change", checkNow);
  text.addEventListener("input", checkNow);

  // --- show only the "when" and contact fields that apply --------------------------------
  function toggle() {
    var when = form.querySelector("input[name=when]:checked");
    document.getElementById("when-moment").hidden = !(when && when.value === "moment");
    document.getElementById("when-recurring").hidden = !(when && when.value === "recurring");
    var who = form.querySelector("input[name=anonymity]:checked");
    document.getElementById("contact-fields").hidden = !(who && who.value === "identified");
  }
  form.addEventListener("change", toggle);
  toggle();
  checkNow();

  // --- place: map and "use my location" ----------------------------------------------------
  var status = document.getElementById("location-status");
  var marker = null;
  var map = null;
  function place(la, lo, zoom) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    if (map) {
      if (marker) { marker.setLatLng([la, lo]); } else { marker = window.L.marker([la, lo]).addTo(map); }
      if (zoom) { map.setView([la, lo], 16); }
    }
  }
  var useLocation = document.getElementById("use-location");
  if (useLocation && "geolocation" in navigator) {
    useLocation.hidden = false;
    useLocation.addEventListener("click", function () {
      status.textContent = "…";
      navigator.geolocation.getCurrentPosition(
        function (pos) { status.textContent = ""; place(pos.coords.latitude, pos.coords.longitude, true); },
        function (err) { status.textContent = err.message; },
        { enableHighAccuracy: true, timeout: 15000 }
      );
    });
  }
  var mapEl = document.getElementById("report-map");
  if (mapEl && typeof window.L !== "undefined") {
    map = window.L.map(mapEl);
    if (mapEl.dataset.tiles) {
      window.L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution, maxZoom: 19 }).addTo(map);
    }
    fetch(mapEl.dataset.areas).then(function (r) { return r.json(); }).then(function (data) {
      var layer = window.L.geoJSON(data, { style: { color: "#0b5d3b", weight: 1, fillOpacity: 0.08 } }).addTo(map);
      layer.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, false); });
      if (lat.value && lon.value) { place(parseFloat(lat.value), parseFloat(lon.value), true); }
      else if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
    });
    map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, false); });
  } else if (mapEl) {
    mapEl.hidden = true;
    document.getElementById("coordinates").open = true;
  }

  // --- proof of work -------------------------------------------------------------------------
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  async function solve(ch) {
    var enc = new TextEncoder();
    for (var n = 0; n <= ch.maxnumber; n++) {
      var digest = hex(await crypto.subtle.digest("SHA-256", enc.encode(ch.salt + n)));
      if (digest === ch.challenge) { return n; }
    }
    return null;
  }
  var solving = null;
  async function work() {
    var response = await fetch(form.dataset.challenge, { credentials: "same-origin" });
    var ch = await response.json();
    var n = await solve(ch);
    if (n === null) { throw new Error("no solution"); }
    altchaInput.value = btoa(JSON.stringify({ algorithm: ch.algorithm, challenge: ch.challenge, number: n, salt: ch.salt, signature: ch.signature }));
    powStatus.dataset.state = "done";
  }
  if (window.crypto && crypto.subtle) {
    altchaInput.value = "";
    solving = work().catch(function () { powStatus.dataset.state = "failed"; });
  }
  form.addEventListener("submit", function (event) {
    if (powStatus.dataset.state === "done" || !solving) { return; }
    event.preventDefault();
    document.getElementById("send").disabled = true;
    solving.then(function () { document.getElementById("send").disabled = false; form.submit(); });
  });
})();
