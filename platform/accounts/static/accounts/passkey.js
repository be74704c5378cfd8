// Passkeys (WebAuthn): create one or sign with one through the server's JSON doors
// (accounts.views.passkey_*). Served from our own host: the CSP allows scripts from 'self' only.
(function () {
  "use strict";

  function toBuffer(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "="));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
  }

  function fromBuffer(buffer) {
    const binary = String.fromCharCode(...new Uint8Array(buffer));
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(credentials) {
    return (credentials || []).map((c) => Object.assign({}, c, { id: toBuffer(c.id) }));
  }

  async function create(options) {
    const publicKey = Object.assign({}, options, {
      challenge: toBuffer(options.challenge),
      user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }),
      excludeCredentials: withIds(options.excludeCredentials),
    });
    const credential = await navigator.credentials.create({ publicKey });
    const response = credential.response;
    return {
      id: credential.id,
      rawId: fromBuffer(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: fromBuffer(response.clientDataJSON),
        attestationObject: fromBuffer(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : [],
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  async function sign(options) {
    const publicKey = Object.assign({}, options, {
      challenge: toBuffer(options.challenge),
      allowCredentials: withIds(options.allowCredentials),
    });
    const credential = await navigator.credentials.get({ publicKey });
    const response = credential.response;
    return {
      id: credential.id,
      rawId: fromBuffer(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: fromBuffer(response.clientDataJSON),
        authenticatorData: fromBuffer(response.authenticatorData),
        signature: fromBuffer(response.signature),
        userHandle: response.userHandle ? fromBuffer(response.userHandle) : null,
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  class Refusal extends Error {}

  async function post(url, csrf, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Refusal(answer.detail || "");
    return answer;
  }

  async function ceremony(box, button, status) {
    button.disabled = true;
    status.textContent = box.dataset.busy;
    try {
      const options = await post(box.dataset.beginUrl, box.dataset.csrf);
      const answer = box.dataset.passkey === "register" ? await create(options) : await sign(options);
      await post(box.dataset.completeUrl, box.dataset.csrf, answer);
      window.location.assign(box.dataset.doneUrl);
    } catch (error) {
      const cancelled = error.name === "NotAllowedError" || error.name === "AbortError";
      const refused = error instanceof Refusal && error.message;
      status.textContent = cancelled ? box.dataset.cancelled : refused || box.dataset.failed;
      button.disabled = false;
    }
  }

  if (!window.PublicKeyCredential || !navigator.credentials) return;  // the page's other methods remain
  document.querySelectorAll("[data-passkey]").forEach((box) => {
    const button = box.querySelector("button");
    const status = box.querySelector("[data-passkey-status]");
    box.hidden = false;
    button.addEventListener("click", () => ceremony(box, button, status));
  });
})();
