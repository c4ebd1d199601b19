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
  var callTemplate = document.getElementById("call-now-template");
  var text = document.getElementById("id_description");
  var words = (form.dataset.nowWords || "").split("|").filter(Boolean);

  // --- "happening now": tell the person to call 19 at once -------------------------------
  // The warning appears right after what set it off (the "when" choice, or the text saying
  // "now"), inserted at that moment as an alert so that screen readers announce it; it goes
  // away with its cause. Typing on in the same text does not announce it again.
  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  var nowRe = new RegExp("(^|[^\\p{L}\\p{N}])(" + words.map(escapeRe).join("|") + ")(?![\\p{L}\\p{N}])", "iu");
  var callNow = null;
  var callCause = null;
  function describedBy(el, add) {
    var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) { return id && id !== "call-now"; });
    if (add) { ids.push("call-now"); }
    if (ids.length) { el.setAttribute("aria-describedby", ids.join(" ")); } else { el.removeAttribute("aria-describedby"); }
  }
  function checkNow() {
    var when = form.querySelector("input[name=when]:checked");
    var cause = null;
    if (when && when.value === "now") { cause = when; }
    else if (words.length && nowRe.test(text.value)) { cause = text; }
    if (cause === callCause) { return; }
    if (callNow) { callNow.remove(); callNow = null; }
    if (callCause) { describedBy(callCause, false); }
    callCause = cause;
    if (!cause) { return; }
    callNow = document.createElement("div");
    callNow.id = "call-now";
    callNow.className = "call-now";
    callNow.setAttribute("role", "alert");
    // After the "when" choices as a whole (not inside a radio's label), or after the text.
    var after = cause === text ? text : document.getElementById("when-choices");
    after.insertAdjacentElement("afterend", callNow);
    callNow.appendChild(callTemplate.content.cloneNode(true));
    describedBy(cause, true);
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

  // --- place: map, "use my location", search by name, the list -----------------------------
  // Each way sets the point (lat/lon); the list also works without this script (the server
  // then takes a point inside the chosen neighbourhood).
  var status = document.getElementById("location-status");
  var areaList = document.getElementById("id_area");
  var address = document.getElementById("id_address");
  var marker = null;
  var map = null;
  var addressFilled = null; // the name a search result wrote into the address, if any
  function place(la, lo, zoom, fromList) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    if (!fromList && areaList) { areaList.value = ""; }
    if (map) {
      if (marker) { marker.setLatLng([la, lo]); } else { marker = window.L.marker([la, lo], { keyboard: false }).addTo(map); }
      if (zoom) { map.setView([la, lo], 16); }
    }
  }
  var useLocation = document.getElementById("use-location");
  if (useLocation && "geolocation" in navigator) {
    useLocation.hidden = false;
    useLocation.addEventListener("click", function () {
      status.textContent = status.dataset.searching;
      navigator.geolocation.getCurrentPosition(
        function (pos) { status.textContent = ""; place(pos.coords.latitude, pos.coords.longitude, true); },
        function (err) { window.qurbLocationProblem(status, err); },
        { enableHighAccuracy: true, timeout: 15000 }
      );
    });
  }
  var searchBox = document.getElementById("place-search-box");
  if (searchBox && window.qurbPlaceSearch) {
    searchBox.hidden = false;
    window.qurbPlaceSearch(document.getElementById("place-search"), function (found) {
      place(found.lat, found.lon, true);
      if (areaList && areaList.querySelector("option[value='" + Number(found.area) + "']")) {
        areaList.value = String(found.area);
      }
      if (address && (!address.value || address.value === addressFilled)) {
        address.value = found.name;
        addressFilled = found.name;
      }
      status.textContent = (status.dataset.placed || "").replace("{name}", found.name);
    });
  }
  if (areaList) {
    areaList.addEventListener("change", function () {
      var option = areaList.options[areaList.selectedIndex];
      if (option && option.dataset.lat) {
        place(parseFloat(option.dataset.lat), parseFloat(option.dataset.lon), true, true);
      } else {
        lat.value = "";
        lon.value = "";
      }
    });
  }
  var mapEl = document.getElementById("report-map");
  if (mapEl && typeof window.L !== "undefined") {
    // The keyboard works the map (arrows, + and −); Enter or Space puts the marker at its centre.
    map = window.L.map(mapEl, { keyboard: true });
    document.getElementById("map-help").hidden = false;
    mapEl.addEventListener("keydown", function (event) {
      if (event.target !== mapEl || (event.key !== "Enter" && event.key !== " ")) { return; }
      event.preventDefault();
      var centre = map.getCenter();
      place(centre.lat, centre.lng, false);
      status.textContent = status.dataset.centre;
    });
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
    Array.prototype.forEach.call(form.querySelectorAll(".skip-map"), function (a) { a.parentNode.hidden = true; });
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
