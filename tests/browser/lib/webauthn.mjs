// A virtual authenticator through the Chrome DevTools Protocol (WebAuthn domain), for the
// passkey ceremony tests: a platform authenticator (internal transport) speaking CTAP2 with
// resident keys (discoverable credentials) and user verification that always succeeds, as a
// phone's fingerprint reader would. Pages must be opened on a domain (localhost), not an IP
// address: an IP cannot be a relying party id.
export async function addVirtualAuthenticator(page, options = {}) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      ...options,
    },
  });
  return {
    cdp,
    authenticatorId,
    // The credentials the authenticator holds (id, rpId, userHandle, signCount, ...).
    async credentials() {
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      return credentials;
    },
    // Whether the next ceremonies find the user verified (false: a failed fingerprint).
    async setUserVerified(isUserVerified) {
      await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified });
    },
    async remove() {
      await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
      await cdp.detach();
    },
  };
}
