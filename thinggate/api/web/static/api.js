// The hub's JSON API for the page (/web/api/...): reads, and writes that carry the session's CSRF token.

let csrfToken = "";

/** Remember the session's CSRF token (from GET /web/api/house or /web/api/session). */
export function useToken(token) {
  csrfToken = token;
}

/** A refusal of the hub: its code (translated by the page) and message. */
export class Refused extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

/** Read the session's CSRF token again (a restarted hub gave the session a new one). */
async function readToken() {
  const session = await call("GET", "/web/api/session");
  csrfToken = session.csrfToken;
}

async function call(method, path, body, again = false) {
  const headers = { Accept: "application/json" };
  const init = { method, credentials: "same-origin", headers };
  if (method !== "GET") {
    headers["X-CSRF-Token"] = csrfToken;
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  let answer;
  try {
    answer = await fetch(path, init);
  } catch {
    throw new Refused(0, "offline", "");
  }
  if (answer.status === 401) {
    // The session ended (logout elsewhere, its user removed or its password changed, idle too long).
    // The same address shows the login page now, and this page again once logged in.
    location.reload();
    throw new Refused(401, "NotLoggedIn", "");
  }
  let data = null;
  try {
    data = await answer.json();
  } catch {
    // not JSON: a proxy's error page, say
  }
  if (!answer.ok) {
    const error = data && data.error ? data.error : { code: "generic", message: "" };
    // The hub restarted since the page read its token (the session lives on, with a new token): once more with it.
    if (method !== "GET" && !again && answer.status === 403 && error.code === "CrossSiteRefused") {
      await readToken();
      return call(method, path, body, true);
    }
    throw new Refused(answer.status, error.code, error.message);
  }
  return data;
}

/** GET a path of the API. */
export function read(path) {
  return call("GET", `/web/api/${path}`);
}

/** POST to a path of the API. */
export function write(path, body) {
  return call("POST", `/web/api/${path}`, body);
}

/** Run an action of a thing: params by param type id. */
export function execute(thingId, actionTypeId, params) {
  return write(`things/${encodeURIComponent(thingId)}/actions/${encodeURIComponent(actionTypeId)}`, { params });
}

/** Log out (the session's pages are closed by the hub). */
export async function logout() {
  const post = () =>
    fetch("/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken } });
  // A token of before a hub restart is refused, and the session would live on: once more with its new one.
  if ((await post()).status === 403) {
    await readToken();
    await post();
  }
}
