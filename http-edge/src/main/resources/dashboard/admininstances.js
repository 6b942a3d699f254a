// The admin's list of every project's servers (Nova's servers/detail?all_tenants=1): name, project,
// host, status and flavor, each name a link to the server's own page. Admin only: Nova answers a
// member's all_tenants with that member's own servers, so the page asks the identity API first,
// which refuses a member in its words.
import { all, api } from './api.js';
import { el, table, emptyRow, refuse } from './dom.js';
import * as live from './live.js';

const COLUMNS = ['Name', 'Project', 'Host', 'Status', 'Flavor'];

export function render(main) {
  const heading = el('h1', {}, 'All instances');
  const body = el('tbody', { id: 'all-servers' });
  main.append(heading, table('All instances', COLUMNS, body));
  let known = new Set();
  let project = new Map(); // names by id
  let flavor = new Map();

  async function load() {
    try {
      const [projects, flavors, servers] = await all([
        api.get('/identity/v3/projects').then((r) => r.projects),
        api.get('/compute/v2.1/flavors/detail?is_public=None').then((r) => r.flavors),
        api.get('/compute/v2.1/servers/detail?all_tenants=1').then((r) => r.servers)]);
      project = new Map(projects.map((p) => [p.id, p.name]));
      flavor = new Map(flavors.map((f) => [f.id, f.name]));
      known = new Set(servers.map((s) => s.id));
      body.replaceChildren(...servers.map(row));
      if (servers.length === 0) body.append(emptyRow(COLUMNS.length, 'No instances.'));
    } catch (e) {
      refuse(main, heading, e);
    }
  }

  function row(s) {
    return el('tr', { 'data-id': s.id },
      el('td', { class: 'name' }, el('a', { href: '#/servers/' + encodeURIComponent(s.id) }, s.name)),
      el('td', { class: 'project', 'data-project': s.tenant_id }, project.get(s.tenant_id) || s.tenant_id),
      el('td', { class: 'host' }, s['OS-EXT-SRV-ATTR:host'] || ''),
      el('td', { class: 'status status-' + s.status }, s.status),
      el('td', { class: 'flavor' }, flavor.get(s.flavor.id) || s.flavor.id));
  }

  /** A server new here: its row alone, from its details, first (the list is newest first). */
  async function added(id) {
    known.add(id);
    try {
      const s = (await api.get('/compute/v2.1/servers/' + encodeURIComponent(id))).server;
      if (!known.has(id) || body.querySelector(`tr[data-id="${CSS.escape(id)}"]`)) return;
      if (!project.has(s.tenant_id) || !flavor.has(s.flavor.id) || known.size === 1) {
        load(); // a project or flavor new here, or the first row
        return;
      }
      body.prepend(row(s));
    } catch (e) {
      known.delete(id); // gone already: its deletion is on the feed
    }
  }

  // the admin's feed carries every project's servers, with their name, status and host: a
  // change is put in its row, a deleted server's row goes, a new one's row is read alone
  const unsubscribe = live.subscribe((change) => {
    if (change.ready) return; // the follow below reloads at each (re)open
    const tr = known.has(change.id) && body.querySelector(`tr[data-id="${CSS.escape(change.id)}"]`);
    if (change.status === 'DELETED') {
      known.delete(change.id);
      if (tr) tr.remove();
    } else if (tr) {
      tr.querySelector('td.name a').textContent = change.name;
      tr.querySelector('td.host').textContent = change.host || '';
      const status = tr.querySelector('td.status');
      status.textContent = change.status;
      status.className = 'status status-' + change.status;
    } else if (!known.has(change.id)) {
      added(change.id);
    }
  });
  // a project's or flavor's new name
  const unfollow = live.follow(['project', 'flavor'], load);
  load();
  return () => {
    unsubscribe();
    unfollow();
  };
}
