/* The gate: scan tickets with the camera where the browser can (BarcodeDetector), or type
   the code; the counters refresh every few seconds. */
(function () {
  const gate = document.getElementById("gate");
  if (!gate) return;
  const form = document.getElementById("checkin-form");
  const video = document.getElementById("camera");
  const scan = document.getElementById("scan-button");
  // Grouped as the page's language writes numbers in Morocco, with digits 0-9 (as |intcomma).
  const locale = { ar: "ar-MA-u-nu-latn", fr: "fr-MA" }[document.documentElement.lang] || "en-GB";
  const number = new Intl.NumberFormat(locale);
  const refresh = () => fetch(gate.dataset.live, { credentials: "same-origin" }).then((r) => r.json()).then((d) => {
    document.getElementById("count-today").textContent = number.format(d.today);
    document.getElementById("count-total").textContent = number.format(d.total);
    document.getElementById("count-hour").textContent = number.format(d.last_hour);
  }).catch(() => {});
  setInterval(refresh, 5000);
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { scan.hidden = true; return; }
  scan.addEventListener("click", async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream; video.hidden = false; await video.play();
      const detector = new BarcodeDetector({ formats: ["qr_code"] });
      const look = async () => {
        const codes = await detector.detect(video);
        if (codes.length) {
          stream.getTracks().forEach((t) => t.stop());
          form.elements.code.value = codes[0].rawValue;
          form.submit();
        } else { requestAnimationFrame(look); }
      };
      look();
    } catch (e) { scan.hidden = true; }
  });
})();
