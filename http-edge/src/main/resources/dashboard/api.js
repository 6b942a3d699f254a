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

/**
 * Whether the session's token may change the project's resources: a member or an admin. A reader
 * (Keystone's third standard role) only sees them, so the pages offer it no change. The API stays
 * the authority: this only leaves out buttons it would refuse.
 */
export function canChange() {
  return !!session && (session.roles || []).some((r) => r.name === 'member' || r.name === 'admin');
}

/** Called when the API answers 401 to the session's token (expired or revoked elsewhere). */
export function onExpired(listener) {
  expiredListeners.push(listener);
}

async function send(method, path, body, token, extraHeaders = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers['X-Auth-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  Object.assign(headers, extraHeaders);
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

/**
 * OpenStack's APIs put their message one level down ({"badRequest": {"message": ...}}, {"error": ...},
 * {"NeutronError": ...}), Glance's at the top ({"code", "title", "message"}).
 */
function messageOf(json, response) {
  if (json && typeof json === 'object') {
    if (typeof json.message === 'string') return json.message;
    for (const value of Object.values(json)) {
      if (value && typeof value.message === 'string') return value.message;
    }
  }
  return `${response.status} ${response.statusText}`;
}

/** A refusal of the session's token (expired or revoked) ends the session. */
function ended(e) {
  if (e instanceof ApiError && e.status === 401 && session) {
    session = null;
    expiredListeners.forEach((listener) => listener());
  }
  return e;
}

/** A call with the session's token; a 401 ends the session. */
async function call(method, path, body, headers) {
  if (!session) throw new ApiError(401, 'Not logged in.');
  try {
    return (await send(method, path, body, session.token, headers)).json;
  } catch (e) {
    throw ended(e);
  }
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body, headers) => call('POST', path, body, headers),
  put: (path, body) => call('PUT', path, body),
  del: (path) => call('DELETE', path),
  /** Glance's JSON patch: [{op, path, value}]. */
  patch: (path, ops) => call('PATCH', path, ops, { 'Content-Type': 'application/openstack-images-v2.1-json-patch' }),
};

/**
 * Like Promise.all, but a failure is the first one in the order asked, not the first to arrive,
 * so a page refused by several calls always shows the same refusal.
 */
export async function all(requests) {
  const settled = await Promise.allSettled(requests);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => s.value);
}

/**
 * Sends a file's bytes with PUT, calling {@code progress(sent, total)} as they go (fetch reports
 * no upload progress; XMLHttpRequest does). The token goes in a header, as with every call.
 */
export function upload(path, file, progress) {
  if (!session) return Promise.reject(new ApiError(401, 'Not logged in.'));
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', path);
    request.setRequestHeader('X-Auth-Token', session.token);
    request.setRequestHeader('Content-Type', 'application/octet-stream');
    request.setRequestHeader('Accept', 'application/json');
    request.upload.addEventListener('progress', (e) => progress(e.loaded, e.lengthComputable ? e.total : file.size));
    request.addEventListener('load', () => {
      if (request.status >= 200 && request.status < 300) {
        progress(file.size, file.size);
        resolve();
      } else {
        const response = { status: request.status, statusText: request.statusText };
        reject(ended(new ApiError(request.status, messageOf(parse(request.responseText), response))));
      }
    });
    request.addEventListener('error', () => reject(new ApiError(0, 'The upload failed: the connection was lost.')));
    request.send(file);
  });
}

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
 * Logs in: an unscoped token finds the user's projects, then that token is re-scoped to the first
 * of them, or the one named (Keystone's token method: the password's slow hash is checked once per
 * login). The scoped token shares the unscoped one's audit chain, so logging out revokes both.
 */
export async function login(domain, user, password, projectName) {
  const unscoped = await send('POST', '/identity/v3/auth/tokens', passwordAuth(domain, user, password));
  const first = unscoped.headers.get('X-Subject-Token');
  const projects = (await send('GET', '/identity/v3/auth/projects', undefined, first)).json.projects
    .sort((a, b) => a.name.localeCompare(b.name));
  if (projects.length === 0) {
    await revoke(first).catch(() => {});
    throw new ApiError(403, 'This user has a role on no project.');
  }
  const chosen = projects.find((p) => p.name === projectName) || projects[0];
  const scoped = await send('POST', '/identity/v3/auth/tokens', tokenAuth(first, chosen.id));
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
