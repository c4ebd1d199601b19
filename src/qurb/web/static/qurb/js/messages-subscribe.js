/* Subscribe this device to a neighbourhood's messages: the browser's push subscription (VAPID
   key from the page) is posted to Qurb with the choices of the form. Without push support, the
   e-mail form works alone. */
(function () {
  const box = document.getElementById("message-push-box");
  if (!box) return;
  const status = document.getElementById("message-push-status");
  const button = document.getElementById("message-push-button");
  const form = document.getElementById("message-subscribe-form");
  const say = (text, bad) => { status.textContent = text; status.className = bad ? "error" : "ok"; };
  const key = (b64) => {
    const pad = "=".repeat((4 - (b64.length % 4)) % 4);
    const raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  const checked = (name) => Array.from(form.querySelectorAll(`input[name="${name}"]:checked`)).map((i) => i.value);
  window.qurbSubscribeMessages = async (subscription) => {
    const body = {
      subscription: subscription,
      topics: checked("topics"),
      rhythm: checked("rhythm")[0] || "now",
      quiet_start: form.elements.quiet_start.value || null,
      quiet_end: form.elements.quiet_end.value || null,
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
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) { button.disabled = true; say(box.dataset.unsupported, true); return; }
  button.addEventListener("click", async () => {
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") { say(box.dataset.denied, true); return; }
      const registration = await navigator.serviceWorker.register(box.dataset.worker, { scope: "/messages/" });
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: key(box.dataset.key),
      });
      await window.qurbSubscribeMessages(subscription.toJSON());
    } catch (e) { say(box.dataset.failed, true); }
  });
})();
