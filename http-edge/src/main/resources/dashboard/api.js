// The session and every call to the node's OpenStack APIs. The token lives in this module's
// variable only: never in storage, a cookie or a URL, so it is gone with the page.

let session = null;
const expiredListeners = [];

/** An API's refusal, with its own message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The logged-in user: { token, user, project, projects, roles }; null when logged out. */
export function current() {
  return session;
}

/** Called when the API answers 401 to the session's token (expired or revoked elsewhere). */
export function onExpired(listener) {
  expiredListeners.push(listener);
}

async function send(method, path, body, token, extraHeaders = {}) {
  const headers = { Accept: 'application/json', ...extraHeaders };
  if (token) headers['X-Auth-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit', cache: 'no-store',
  });
  const text = await response.text();
  const json = text ? parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, messageOf(json, response));
  return { json, headers: response.headers, status: response.status };
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return null;
  }
}

/** Every OpenStack API puts its message one level down: {"badRequest": {"message": ...}}, {"error": ...}, {"NeutronError": ...}. */
function messageOf(json, response) {
  if (json && typeof json === 'object') {
    for (const value of Object.values(json)) {
      if (value && typeof value.message === 'string') return value.message;
    }
  }
  return `${response.status} ${response.statusText}`;
}

/** A call with the session's token; a 401 ends the session. */
async function call(method, path, body, headers) {
  if (!session) throw new ApiError(401, 'Not logged in.');
  try {
    return (await send(method, path, body, session.token, headers)).json;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && session) {
      session = null;
      expiredListeners.forEach((listener) => listener());
    }
    throw e;
  }
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body, headers) => call('POST', path, body, headers),
  del: (path) => call('DELETE', path),
};

function passwordAuth(domain, user, password, projectId) {
  const auth = { identity: { methods: ['password'], password: { user: { name: user, domain: { name: domain }, password } } } };
  if (projectId) auth.scope = { project: { id: projectId } };
  return { auth };
}

function tokenAuth(token, projectId) {
  return { auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { id: projectId } } } };
}

function revoke(token) {
  return send('DELETE', '/identity/v3/auth/tokens', undefined, token, { 'X-Subject-Token': token });
}

function sessionOf(reply, projects) {
  const body = reply.json.token;
  return { token: reply.headers.get('X-Subject-Token'), user: body.user, project: body.project, roles: body.roles, projects };
}

/**
 * Logs in: an unscoped token finds the user's projects (and is revoked), then a token scoped to
 * the first of them, or the one named.
 */
export async function login(domain, user, password, projectName) {
  const unscoped = await send('POST', '/identity/v3/auth/tokens', passwordAuth(domain, user, password));
  const first = unscoped.headers.get('X-Subject-Token');
  let projects;
  try {
    projects = (await send('GET', '/identity/v3/auth/projects', undefined, first)).json.projects
      .sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    await revoke(first).catch(() => {});
  }
  if (projects.length === 0) throw new ApiError(403, 'This user has a role on no project.');
  const chosen = projects.find((p) => p.name === projectName) || projects[0];
  const scoped = await send('POST', '/identity/v3/auth/tokens', passwordAuth(domain, user, password, chosen.id));
  session = sessionOf(scoped, projects);
}

/**
 * Moves the session to another of the user's projects. The new token shares the old one's audit
 * chain (Keystone's rescope), so revoking it at log-out revokes both.
 */
export async function switchProject(projectId) {
  const reply = await send('POST', '/identity/v3/auth/tokens', tokenAuth(session.token, projectId));
  session = sessionOf(reply, session.projects);
}

/** Logs out: the token (and the chain it was rescoped along) is revoked, then forgotten. */
export async function logout() {
  const old = session;
  session = null;
  if (old) await revoke(old.token).catch(() => {});
}
