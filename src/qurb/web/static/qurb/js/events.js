/* Register the open-day service worker and ask it to keep this programme for offline use. */
(function () {
  const page = document.getElementById("programme");
  if (!page || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(page.dataset.worker, { scope: "/events/" }).then(() => navigator.serviceWorker.ready).then((registration) => {
    const urls = [location.pathname];
    document.querySelectorAll('link[rel="stylesheet"], script[src]').forEach((el) => urls.push(el.href || el.src));
    registration.active.postMessage({ type: "keep", urls: urls });
    const note = document.getElementById("offline-note");
    if (note) note.hidden = false;
  }).catch(() => {});
})();
