// The dashboard's live feed: the node's events API (README, "Events API"). A ticket bought with
// the token opens the stream, so the token never goes into a URL; a broken stream is reopened
// with a new ticket, and pages reload what they show when it is (re)opened, so nothing is missed.
import { api, current } from './api.js';

/** The resources whose changes the stream tells by id (the page reads the rest through the API). */
const KINDS = ['volume', 'snapshot', 'image', 'network', 'port', 'router', 'floatingip', 'security_group',
  'keypair', 'flavor', 'quota', 'project', 'user', 'role', 'role_assignment', 'hypervisor'];

let source = null;
let on = false;
let wanted = false;
const listeners = new Set();
const followers = new Set();
const stateListeners = [];

/** Calls {@code listener} with each change ({id, name, status, task_state, ...}) and {ready: true} at each (re)open. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Calls {@code reload} at each change of a resource of one of {@code kinds} ('server' among them
 * for servers) and at each (re)open of the stream; never twice at once: changes that come while
 * it runs call it once more after. {@code reload} is given the changes ({kind, id, deleted}, the
 * last of each resource) or null when everything may have changed (the stream (re)opened), so a
 * page can read again only what changed. Answers the function that stops following.
 */
export function follow(kinds, reload) {
  let running = null;
  let waiting; // undefined: nothing; null: everything; else the changes by kind and id
  const run = (changes) => {
    running = Promise.resolve(reload(changes)).finally(() => {
      running = null;
      if (waiting !== undefined) {
        const next = waiting === null ? null : [...waiting.values()];
        waiting = undefined;
        run(next);
      }
    });
  };
  const follower = {
    kinds,
    changed(change) {
      if (!running) {
        run(change === null ? null : [change]);
        return;
      }
      if (change === null) waiting = null;
      else if (waiting !== null) (waiting || (waiting = new Map())).set(change.kind + '/' + change.id, change);
    },
  };
  followers.add(follower);
  return () => followers.delete(follower);
}

/**
 * Reads again, one by one, the resources of {@code kind} among {@code changes}: {@code readOne(id)}
 * answers one (or fails with 404 or 403 once it is gone or not the caller's to see); {@code keep}
 * says whether one read belongs in the page's list. Answers [{id, item}], item null for one gone.
 */
export function reread(changes, kind, readOne, keep = () => true) {
  return Promise.all(changes.filter((c) => c.kind === kind).map(async (c) => {
    if (c.deleted) return { id: c.id, item: null };
    try {
      const item = await readOne(c.id);
      return { id: c.id, item: item && keep(item) ? item : null };
    } catch (e) {
      if (e.status === 404 || e.status === 403) return { id: c.id, item: null };
      throw e;
    }
  }));
}

/**
 * A copy of {@code items} with what {@link reread} read put in: in its place, removed when gone,
 * a new one first (lists newest first) or last ({@code last}: lists in another order).
 */
export function merge(items, read, { last = false, idOf = (item) => item.id } = {}) {
  const next = [...items];
  for (const { id, item } of read) {
    const at = next.findIndex((x) => idOf(x) === id);
    if (item && at >= 0) next[at] = item;
    else if (item && last) next.push(item);
    else if (item) next.unshift(item);
    else if (at >= 0) next.splice(at, 1);
  }
  return next;
}

/** Tells the followers of {@code kind} of one change ({kind, id, deleted}), or all of them of everything (kind null). */
function tell(kind, change) {
  followers.forEach((follower) => {
    if (kind === null || follower.kinds.includes(kind)) follower.changed(kind === null ? null : change);
  });
}

export function onState(listener) {
  stateListeners.push(listener);
}

export function isOn() {
  return on;
}

function setOn(value) {
  on = value;
  stateListeners.forEach((listener) => listener(on));
}

export async function start() {
  wanted = true;
  let ticket;
  try {
    ticket = (await api.post('/dashboard/v1/event-tickets')).ticket;
  } catch (e) {
    if (current() && wanted) setTimeout(start, 2000);
    return;
  }
  if (!wanted) return;
  source = new EventSource('/dashboard/v1/events?ticket=' + encodeURIComponent(ticket));
  source.addEventListener('ready', () => {
    setOn(true);
    listeners.forEach((listener) => listener({ ready: true }));
    tell(null);
  });
  source.addEventListener('server', (event) => {
    const change = JSON.parse(event.data);
    listeners.forEach((listener) => listener(change));
    tell('server', { kind: 'server', id: change.id, deleted: change.status === 'DELETED' });
  });
  for (const kind of KINDS) {
    source.addEventListener(kind, (event) => {
      const change = JSON.parse(event.data);
      tell(kind, { kind, id: change.id, deleted: change.deleted === true });
    });
  }
  source.addEventListener('error', () => {
    // the browser would reconnect with the used ticket: open anew with a new one instead
    source.close();
    source = null;
    setOn(false);
    if (current() && wanted) setTimeout(start, 1000);
  });
}

export function stop() {
  wanted = false;
  if (source) source.close();
  source = null;
  setOn(false);
}
