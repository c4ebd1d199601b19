/* Subscribe this device to alerts near a place: geolocation or a district, then the browser's
   push subscription (VAPID key from the page) is posted to Qurb. Without push support, the
   e-mail form below works alone. */
(function () {
  const box = document.getElementById("push-box");
  if (!box) return;
  const status = document.getElementById("push-status");
  const button = document.getElementById("push-button");
  const locate = document.getElementById("use-location");
  const form = document.getElementById("subscribe-form");
  const say = (text, bad) => { status.textContent = text; status.className = bad ? "error" : "ok"; };
  if (locate) locate.addEventListener("click", () => {
    if (!navigator.geolocation) { say(box.dataset.noLocation, true); return; }
    navigator.geolocation.getCurrentPosition((p) => {
      form.elements.lat.value = p.coords.latitude.toFixed(5);
      form.elements.lon.value = p.coords.longitude.toFixed(5);
    }, () => say(box.dataset.noLocation, true));
  });
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) { button.disabled = true; say(box.dataset.unsupported, true); return; }
  const key = (b64) => {
    const pad = "=".repeat((4 - (b64.length % 4)) % 4);
    const raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  window.qurbSendSubscription = async (subscription) => {
    const body = {
      subscription: subscription,
      district: form.elements.district.value || null,
      lat: form.elements.lat.value || null,
      lon: form.elements.lon.value || null,
      radius_km: form.elements.radius_km.value || null,
    };
    const answer = await fetch(box.dataset.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await answer.json();
    if (answer.ok) say(data.message, false); else say((data.errors || []).join(" "), true);
    return answer.status;
  };
  button.addEventListener("click", async () => {
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") { say(box.dataset.denied, true); return; }
      const registration = await navigator.serviceWorker.register(box.dataset.worker, { scope: "/alerts/" });
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: key(box.dataset.key),
      });
      await window.qurbSendSubscription(subscription.toJSON());
    } catch (e) { say(box.dataset.failed, true); }
  });
})();
