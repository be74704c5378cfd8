// Turns the school's notifications on for this phone or computer (Web Push): asks the
// browser's permission, subscribes with the school's public VAPID key, and tells the server.
"use strict";
(function () {
  const box = document.querySelector("[data-push]");
  if (!box) return;
  const status = box.querySelector("[data-push-status]");
  const button = box.querySelector("button");
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    status.textContent = box.dataset.unsupported;
    return;
  }
  box.hidden = false;

  function toKey(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "="));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = box.dataset.busy;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") throw new Error("denied");
      const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: toKey(box.dataset.key),
      });
      const response = await fetch(box.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": box.dataset.csrf },
        body: JSON.stringify(subscription.toJSON()),
      });
      if (!response.ok) throw new Error("refused");
      status.textContent = box.dataset.done;
    } catch (error) {
      status.textContent = error.message === "denied" ? box.dataset.denied : box.dataset.failed;
      button.disabled = false;
    }
  });
})();
