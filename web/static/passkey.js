/* The passkey ceremony: the only script the portal has (WebAuthn needs one; every other page
   and form works without JavaScript). A page loads it with <script defer> (ps_page_script,
   src/portal/page.c) and marks its form:

     <form method="post" action="..." data-passkey="create|get" data-options="/api/...">
       <input type="hidden" name="credential">

   On submit the script POSTs to data-options (same origin, no body) for the JSON options of
   the API, calls navigator.credentials.create() or .get() with them, writes the JSON of the
   credential into the hidden "credential" field and submits the form, which the server
   checks. Without WebAuthn or on an error it says so in the element data-passkey-status
   (role="alert") and leaves the form alone. */
(function () {
  "use strict";

  function b64urlToBuffer(s) {
    var pad = s.length % 4 ? "====".slice(s.length % 4) : "";
    var bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + pad);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function bufferToB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /* WebAuthn Level 3 parses JSON options itself; older browsers get the same by hand. */
  function creationOptions(json) {
    if (window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON)
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    var o = Object.assign({}, json);
    o.challenge = b64urlToBuffer(json.challenge);
    o.user = Object.assign({}, json.user, { id: b64urlToBuffer(json.user.id) });
    o.excludeCredentials = (json.excludeCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: b64urlToBuffer(c.id) });
    });
    return o;
  }

  function requestOptions(json) {
    if (window.PublicKeyCredential && PublicKeyCredential.parseRequestOptionsFromJSON)
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    var o = Object.assign({}, json);
    o.challenge = b64urlToBuffer(json.challenge);
    o.allowCredentials = (json.allowCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: b64urlToBuffer(c.id) });
    });
    return o;
  }

  function credentialJSON(cred) {
    if (typeof cred.toJSON === "function") return cred.toJSON();
    var r = cred.response, out = {
      id: cred.id, rawId: bufferToB64url(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: { clientDataJSON: bufferToB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = bufferToB64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = bufferToB64url(r.authenticatorData);
      out.response.signature = bufferToB64url(r.signature);
      if (r.userHandle) out.response.userHandle = bufferToB64url(r.userHandle);
    }
    return out;
  }

  function say(form, text) {
    var el = form.querySelector("[data-passkey-status]");
    if (el) el.textContent = text;
  }

  function ceremony(form) {
    var mode = form.getAttribute("data-passkey");
    return fetch(form.getAttribute("data-options"), {
      method: "POST", credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) throw new Error("options: HTTP " + r.status);
      return r.json();
    }).then(function (json) {
      var pk = json.publicKey || json;
      return mode === "create"
        ? navigator.credentials.create({ publicKey: creationOptions(pk) })
        : navigator.credentials.get({ publicKey: requestOptions(pk) });
    }).then(function (cred) {
      form.querySelector('input[name="credential"]').value = JSON.stringify(credentialJSON(cred));
      form.submit();
    });
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute || !form.hasAttribute("data-passkey")) return;
    if (form.querySelector('input[name="credential"]').value) return; /* second submit */
    ev.preventDefault();
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(form, form.getAttribute("data-passkey-unsupported") || "Passkeys are not supported by this browser.");
      return;
    }
    ceremony(form).catch(function (err) {
      say(form, (form.getAttribute("data-passkey-failed") || "The passkey step did not complete.") + " (" + err.name + ")");
    });
  });
})();
