/* Open days offline: an event's programme (and the styles, scripts and map it needs) is kept
   once opened, and served from the cache when the network is gone. */
const CACHE = "qurb-events-v1";

self.addEventListener("install", (event) => { self.skipWaiting(); });
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });

self.addEventListener("message", (event) => {
  // The page lists what it needs (itself, styles, scripts); keep them.
  if (event.data && event.data.type === "keep") {
    event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(event.data.urls)));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  // Network first (the programme may change), the cached copy when offline.
  event.respondWith(
    fetch(request).then((response) => {
      if (response.ok && new URL(request.url).origin === self.location.origin) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.match(request).then((hit) => hit || Response.error()))
  );
});
