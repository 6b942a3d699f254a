// The instances page: the project's servers (every project's for the cloud's admin, with their
// hosts), their actions, and the launch dialog. Rows follow the live feed: a change made
// anywhere shows here without a reload, in its own row only (never the whole list read again).
import { api, canChange } from './api.js';
import { el, errorBox, addressText, readOnlyNotice } from './dom.js';
import * as live from './live.js';
import * as launch from './launch.js';

export const ACTIONS = [
  { label: 'Start', body: { 'os-start': null }, when: ['SHUTOFF'] },
  { label: 'Stop', body: { 'os-stop': null }, when: ['ACTIVE', 'PAUSED', 'SUSPENDED', 'ERROR'] },
  { label: 'Reboot', body: { reboot: { type: 'SOFT' } }, when: ['ACTIVE'] },
];

/** The names of flavors and images by id, for the list and the server page. */
export async function names() {
  const [flavors, images] = await Promise.all([
    api.get('/compute/v2.1/flavors').then((r) => r.flavors).catch(() => []),
    api.get('/image/v2/images?limit=1000').then((r) => r.images).catch(() => []),
  ]);
  return {
    flavor: new Map(flavors.map((f) => [f.id, f.name])),
    image: new Map(images.map((i) => [i.id, i.name])),
  };
}

/**
 * The rows put in the first frame after the list's answer; the next frame puts in the rest: every
 * frame lays out the whole table again, so two frames keep the total short (a screenful of rows
 * is in before the list's answer).
 */
const CHUNK = 300;

/** The servers asked for first: more than the window shows (no row is under 24 pixels high). */
function firstCount() {
  return Math.max(10, Math.ceil(window.innerHeight / 24));
}

export function render(main) {
  const message = el('div', { 'aria-live': 'polite' });
  const body = el('tbody', { id: 'servers' });
  const head = el('thead');
  // busy (for screen readers, which then wait) until the last rows of the list are in
  const list = el('table', { 'aria-label': 'Instances', class: 'servers', 'aria-busy': 'true' }, head, body);
  const table = el('div', { class: 'table-wrap' }, list);
  const changes = canChange();
  main.append(
    el('h1', {}, 'Instances'),
    changes ? el('div', { class: 'toolbar' },
      el('button', { type: 'button', class: 'primary', id: 'launch', onclick: () => launch.open(main, load) }, 'Launch instance'))
      : readOnlyNotice(),
    message, table);

  let lookup = { flavor: new Map(), image: new Map() };
  let withHost = false;
  const rows = new Map();
  // servers listed but whose rows are not built yet (the list goes in a chunk a frame): id -> server,
  // kept current by the feed until their row is built
  const waiting = new Map();
  const pending = new Map(); // new servers whose details are on their way: id -> their last change
  let loading = null;
  let shown = 0; // which load's rows are going in: a newer load stops an older one's chunks

  async function load() {
    if (loading) return loading;
    loading = (async () => {
      const run = ++shown;
      list.setAttribute('aria-busy', 'true');
      try {
        // the names, a screenful of servers and the whole list, all at once: the window fills
        // without waiting for the whole list, whose answer (1,000 servers) takes a second or more,
        // and the list is not asked for after the screenful (whose rows it skips)
        const limit = firstCount();
        const whole = allServers('');
        whole.catch(() => {}); // not awaited when the screenful is the whole list
        const [found, first] = await Promise.all([names(), serverPage('', limit)]);
        lookup = found;
        withHost = first.some((s) => 'OS-EXT-SRV-ATTR:host' in s);
        show(first, run, first.length < limit);
        message.replaceChildren();
        if (first.length === limit) more(await whole, run, true);
      } catch (e) {
        list.setAttribute('aria-busy', 'false');
        message.replaceChildren(errorBox(e.message));
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  function serverPage(marker, limit) {
    return api.get('/compute/v2.1/servers/detail?all_tenants=1&limit=' + limit
      + (marker ? '&marker=' + encodeURIComponent(marker) : '')).then((r) => r.servers);
  }

  /** Every page of the list after {@code marker} (Nova answers at most 1,000 servers a page). */
  async function allServers(marker) {
    const servers = [];
    for (;;) {
      const page = await serverPage(marker, 1000);
      servers.push(...page);
      if (page.length < 1000) return servers;
      marker = page[page.length - 1].id;
    }
  }

  function show(servers, run, last) {
    const columns = ['Name', 'Status', 'Task', 'Addresses', 'Flavor', 'Image'];
    if (withHost) columns.push('Host');
    if (changes) columns.push('Actions');
    head.replaceChildren(el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: 'col-' + c.toLowerCase() }, c))));
    rows.clear();
    waiting.clear();
    body.replaceChildren();
    more(servers, run, last);
    if (servers.length === 0) body.append(el('tr', {}, el('td', { colspan: columns.length, class: 'notice' }, 'No instances.')));
  }

  /**
   * Appends the rows of {@code servers}: the first chunk now, the rest in the next frame, so the
   * page paints and answers its user between them. Each chunk is
   * built off the document and put in at once; a server deleted meanwhile is left out, a change to
   * it is in its row. After the {@code last} servers' rows the table is no longer busy.
   */
  function more(servers, run, last) {
    servers.forEach((server) => { if (!rows.has(server.id)) waiting.set(server.id, server); });
    const chunk = (from, size) => {
      if (run !== shown) return;
      const built = document.createDocumentFragment();
      servers.slice(from, from + size).forEach((server) => {
        if (waiting.get(server.id) !== server) return;
        waiting.delete(server.id);
        built.append(row(server));
      });
      body.append(built);
      if (from + size < servers.length) requestAnimationFrame(() => chunk(from + size, servers.length));
      else if (last) list.setAttribute('aria-busy', 'false');
    };
    chunk(0, CHUNK);
  }

  function row(server) {
    const tr = el('tr', { 'data-id': server.id },
      el('td', { class: 'name' }, el('a', { href: '#/servers/' + encodeURIComponent(server.id) })),
      el('td', { class: 'status' }),
      el('td', { class: 'task' }),
      el('td', { class: 'addresses' }),
      el('td', { class: 'flavor' }),
      el('td', { class: 'image' }),
      withHost ? el('td', { class: 'host' }) : null,
      changes ? el('td', { class: 'actions' }) : null);
    rows.set(server.id, tr);
    fill(tr, server);
    return tr;
  }

  /** Puts a server's details in its row's cells (the row itself stays: no other row is touched). */
  function fill(tr, server) {
    const text = (selector, value) => {
      const cell = tr.querySelector(selector);
      if (cell && cell.textContent !== value) cell.textContent = value;
    };
    text('.addresses', addressText(server.addresses));
    floatingOf.set(server.id, Object.values(server.addresses || {}).flat()
      .filter((a) => a['OS-EXT-IPS:type'] === 'floating').map((a) => a.addr));
    text('.flavor', lookup.flavor.get(server.flavor.id) || server.flavor.id);
    text('.image', server.image && server.image.id ? (lookup.image.get(server.image.id) || server.image.id) : '');
    text('.host', server['OS-EXT-SRV-ATTR:host'] || '');
    update(tr, { name: server.name, status: server.status, task_state: server['OS-EXT-STS:task_state'] });
  }

  /**
   * A pushed change's status is in its row at once; then the row's other cells (addresses, flavor,
   * host: they change without a status of their own) are read again from that one server's
   * details. A burst of changes to one server reads it at most twice: once under way, once after.
   */
  const rereading = new Map(); // id -> whether a change came while its details were on their way
  async function reread(id) {
    if (rereading.has(id)) {
      rereading.set(id, true);
      return;
    }
    rereading.set(id, false);
    try {
      const server = (await api.get('/compute/v2.1/servers/' + encodeURIComponent(id))).server;
      const tr = rows.get(id);
      // a change that came meanwhile reads it again: its status would be older than the row's
      if (tr && !rereading.get(id)) fill(tr, server);
    } catch (e) {
      // gone: its deletion is on the feed
    } finally {
      const again = rereading.get(id);
      rereading.delete(id);
      if (again && rows.has(id)) reread(id);
    }
  }

  function update(tr, change) {
    const id = tr.getAttribute('data-id');
    // only what differs is written: the row read again after a change mostly says what the change
    // did, and each write has the browser lay the 1,000-row table out again
    const set = (node, text) => {
      if (node.textContent !== text) node.textContent = text;
    };
    set(tr.querySelector('.name a'), change.name);
    const status = tr.querySelector('.status');
    set(status, change.status);
    if (status.className !== 'status status-' + change.status) status.className = 'status status-' + change.status;
    set(tr.querySelector('.task'), change.task_state || '');
    const actions = tr.querySelector('.actions');
    if (!actions) return; // a reader's rows have none
    // the same status and task again (the row read again after its change): the buttons stay as
    // they are, an armed Delete too
    const state = change.status + '/' + (change.task_state || '');
    if (tr.getAttribute('data-state') === state) return;
    tr.setAttribute('data-state', state);
    actions.replaceChildren(
      ...ACTIONS.filter((a) => a.when.includes(change.status) && !change.task_state)
        .map((a) => el('button', { type: 'button', 'data-action': a.label, onclick: () => act(id, a.body) }, a.label)),
      deleteButton(id));
  }

  function deleteButton(id) {
    const button = el('button', { type: 'button', class: 'danger', 'data-action': 'Delete' }, 'Delete');
    button.addEventListener('click', async () => {
      if (button.getAttribute('data-armed') !== 'yes') {
        button.setAttribute('data-armed', 'yes');
        button.textContent = 'Confirm delete';
        return;
      }
      try {
        await api.del('/compute/v2.1/servers/' + encodeURIComponent(id));
      } catch (e) {
        message.replaceChildren(errorBox(e.message));
      }
    });
    return button;
  }

  async function act(id, actionBody) {
    try {
      await api.post('/compute/v2.1/servers/' + encodeURIComponent(id) + '/action', actionBody);
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function changed(change) {
    if (change.ready) {
      load(); // what happened before the stream opened
      return;
    }
    if (pending.has(change.id)) {
      pending.set(change.id, change); // applied once its row is in
      return;
    }
    const listed = waiting.get(change.id);
    if (listed) {
      listedChange(listed, change);
      return;
    }
    const tr = rows.get(change.id);
    if (tr && change.status === 'DELETED') {
      tr.remove();
      rows.delete(change.id);
      floatingOf.delete(change.id);
    } else if (tr) {
      update(tr, change);
      reread(change.id);
    } else if (change.status !== 'DELETED') {
      added(change.id);
    }
  }

  /** A change to a listed server whose row is not built yet: its row will show it, or be left out. */
  function listedChange(server, change) {
    if (change.status === 'DELETED') {
      waiting.delete(server.id);
      return;
    }
    server.name = change.name;
    server.status = change.status;
    server['OS-EXT-STS:task_state'] = change.task_state;
  }

  /**
   * A new server: its row alone, from its details (the list again if its flavor or image is new
   * here); the changes that come meanwhile wait in `pending`, the last one applies.
   */
  async function added(id) {
    pending.set(id, null);
    let server = null;
    try {
      if (loading) await loading;
      if (!rows.has(id) && !waiting.has(id)) server = (await api.get('/compute/v2.1/servers/' + encodeURIComponent(id))).server;
    } catch (e) {
      server = null; // gone already: its deletion is on the feed
    }
    const latest = pending.get(id);
    pending.delete(id);
    if (rows.has(id) || waiting.has(id)) {
      if (latest) changed(latest); // listed by the load it waited for: the change may be newer
      return;
    }
    if (server === null || (latest && latest.status === 'DELETED')) return;
    const knownImage = !server.image || !server.image.id || lookup.image.has(server.image.id);
    if (!lookup.flavor.has(server.flavor.id) || !knownImage || rows.size + waiting.size === 0) {
      load();
      return;
    }
    const tr = row(server);
    body.prepend(tr); // the list is newest first
    if (latest) update(tr, latest);
  }

  /**
   * A floating IP associated or disassociated changes a server's addresses, but the change names
   * only the floating IP: the rows that showed its address and the server of the port it is now
   * on are read again (every row with a floating address when one released is not known here).
   */
  const floatingOf = new Map(); // server id -> the floating addresses its row shows
  const floatingAddress = new Map(); // floating IP id -> its address, once read
  async function floatingChanged(changes) {
    if (changes === null) return; // the stream (re)opened: the whole list is read again
    await Promise.all(changes.map(async (change) => {
      let fip = null;
      try {
        if (!change.deleted) fip = (await api.get('/network/v2.0/floatingips/' + encodeURIComponent(change.id))).floatingip;
      } catch (e) {
        fip = null; // gone
      }
      const address = fip ? fip.floating_ip_address : floatingAddress.get(change.id);
      if (fip) floatingAddress.set(change.id, address);
      else floatingAddress.delete(change.id);
      const servers = new Set();
      floatingOf.forEach((addresses, id) => {
        if (address === undefined ? addresses.length > 0 : addresses.includes(address)) servers.add(id);
      });
      if (fip && fip.port_id) {
        try {
          const port = (await api.get('/network/v2.0/ports/' + encodeURIComponent(fip.port_id))).port;
          if (port.device_id) servers.add(port.device_id);
        } catch (e) {
          // the port is gone: its server's own change follows
        }
      }
      servers.forEach((id) => {
        if (rows.has(id)) reread(id);
      });
    }));
  }

  const unsubscribe = live.subscribe(changed);
  const unfollow = live.follow(['floatingip'], floatingChanged);
  load();
  return () => {
    unsubscribe();
    unfollow();
  };
}
