/* Qurb neighbourhood messages service worker: show a pushed message; open its page when tapped
   (the link tells Qurb the message was opened). */
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: "Qurb", body: event.data ? event.data.text() : "" }; }
  const rtl = data.lang === "ar";
  event.waitUntil(self.registration.showNotification(data.title || "Qurb", {
    body: data.body || "",
    tag: data.tag,
    dir: rtl ? "rtl" : "ltr",
    lang: data.lang || "ar",
    data: { url: data.url },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = event.notification.data && event.notification.data.url;
  if (url) event.waitUntil(self.clients.openWindow(url));
});
